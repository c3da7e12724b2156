"""Chromium drives the real pages through a live server: sign in, search the directory, add a client.

Skipped when Debian's Chromium is missing, unless REQUIRE_BROWSER=1 (CI), where that is a failure.
"""

import pytest

from .support import assert_only_local_requests, require_chromium, shot, sign_in

require_chromium()

from playwright.sync_api import expect  # noqa: E402

from audit.choices import AuditAction  # noqa: E402
from audit.models import AuditEvent  # noqa: E402
from clients.models import Client  # noqa: E402
from tests.factories import ClientFactory, PostalCodeFactory, ServiceFactory  # noqa: E402

pytestmark = pytest.mark.browser


def test_case_manager_signs_in_finds_a_service_and_adds_a_client(page, live_server, case_manager, provider):
    PostalCodeFactory(code="97401", county="Lakeside")
    ServiceFactory(
        organization=provider,
        name="Harbor Pantry",
        capacity_note="About ten days' wait.",
        eligibility_description="Anyone in need.",
        languages=["en", "es"],
        postal_codes=["97401"],
    )
    ServiceFactory(name="Faraway Meals", postal_codes=["97999"])

    sign_in(page, live_server, case_manager)
    shot(page, "home")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Directory").click()
    page.get_by_label("Postal code").fill("97401")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Search").click()
    results = page.locator(".result-list")
    expect(results).to_contain_text("Harbor Pantry")
    expect(results).not_to_contain_text("Faraway Meals")
    expect(page).to_have_url(
        f"{live_server.url}/directory/?q=&category=&postal_code=97401&language=es&capacity_status="
    )
    shot(page, "directory")

    page.get_by_label("Postal code").fill("abc")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#id_postal_code_error")).to_have_text("Enter a 5-digit postal code (or ZIP+4).")
    shot(page, "directory-error")

    page.goto(f"{live_server.url}/clients/new/")
    page.get_by_label("Given name").fill("Linh")
    page.get_by_label("Family name").fill("Tran")
    page.get_by_label("Birth date").fill("1991-07-23")
    page.get_by_label("Phone").fill("541-555-0402")
    page.get_by_label("Preferred language").select_option("vi")
    page.get_by_label("Needs an interpreter").check()
    page.get_by_label("Identifier type").select_option("county-case-number")
    page.get_by_label("Identifier", exact=True).fill("LC-101552")
    shot(page, "client-create")
    page.get_by_role("button", name="Create client").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Linh Tran")
    expect(page.get_by_role("status")).to_contain_text("Linh Tran was added.")
    expect(page.locator("main")).to_contain_text("LC-101552")
    expect(page.locator("main")).to_contain_text("Interpreter needed")
    shot(page, "client-detail")

    created = Client.objects.get()
    assert page.url == f"{live_server.url}/clients/{created.pk}/"
    assert created.organization.slug == "lakeside-county"
    assert AuditEvent.objects.filter(action=AuditAction.CLIENT_VIEWED, client_id=created.pk).count() == 1
    assert_only_local_requests(page)


def test_duplicate_is_flagged_then_created_when_confirmed(page, live_server, case_manager, county):
    existing = ClientFactory(organization=county, given_name="Rosa", family_name="Martinez", birth_date="1984-03-14")
    sign_in(page, live_server, case_manager)
    page.goto(f"{live_server.url}/clients/new/")
    page.get_by_label("Given name").fill("Rosa")
    page.get_by_label("Family name").fill("Martínez")
    page.get_by_label("Birth date").fill("1984-03-14")
    page.get_by_label("Phone").fill("541-555-0311")
    page.get_by_role("button", name="Create client").click()

    warning = page.locator(".duplicates")
    expect(warning).to_contain_text("This person may already have a record")
    expect(warning.get_by_role("link", name="Rosa Martinez")).to_have_attribute("href", f"/clients/{existing.pk}/")
    shot(page, "client-duplicate")
    assert Client.objects.count() == 1

    page.get_by_label("This is a different person: create a new record anyway").check()
    page.get_by_role("button", name="Create client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rosa Martínez")
    assert Client.objects.count() == 2
    assert_only_local_requests(page)


def test_directory_search_works_without_javascript(browser, live_server, case_manager):
    ServiceFactory(name="Plain HTML Pantry")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, case_manager)
        page.goto(f"{live_server.url}/directory/")
        page.get_by_label("Search text").fill("plain")
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(
            f"{live_server.url}/directory/?q=plain&category=&postal_code=&language=&capacity_status="
        )
        expect(page.locator(".result-list")).to_contain_text("Plain HTML Pantry")
    finally:
        context.close()
