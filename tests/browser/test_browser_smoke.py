"""Chromium drives the real pages through a live server: sign in, search the directory, add a client.

Skipped when Debian's Chromium is missing, unless REQUIRE_BROWSER=1 (CI), where that is a failure.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} does not exist.", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from audit.choices import AuditAction  # noqa: E402
from audit.models import AuditEvent  # noqa: E402
from clients.models import Client  # noqa: E402
from tests.factories import PASSWORD, ClientFactory, PostalCodeFactory, ServiceFactory  # noqa: E402

pytestmark = pytest.mark.browser
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
SCREENSHOTS = Path(tempfile.gettempdir()) / "portal-screenshots"


@pytest.fixture(scope="module", autouse=True)
def _allow_orm_beside_playwright():
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    # Set only while these tests run: a process-wide setting leaks into subprocesses such as
    # `manage.py check --deploy`, which rightly refuses it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requested_urls = []
    page.htmx_urls = []

    def record(request):
        page.requested_urls.append(request.url)
        if request.headers.get("hx-request") == "true":
            page.htmx_urls.append(request.url)

    page.on("request", record)
    yield page
    context.close()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {user.first_name}")


def _assert_only_local_requests(page) -> None:
    hosts = {urlsplit(url).hostname for url in page.requested_urls if not url.startswith(("data:", "blob:"))}
    assert hosts <= LOCAL_HOSTS, f"requests left the machine: {sorted(hosts - LOCAL_HOSTS)}"
    assert page.requested_urls, "no requests were recorded"


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

    _sign_in(page, live_server, case_manager)
    _shot(page, "home")

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
    _shot(page, "directory")

    page.get_by_label("Postal code").fill("abc")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#id_postal_code_error")).to_have_text("Enter a 5-digit postal code (or ZIP+4).")
    _shot(page, "directory-error")

    page.goto(f"{live_server.url}/clients/new/")
    page.get_by_label("Given name").fill("Linh")
    page.get_by_label("Family name").fill("Tran")
    page.get_by_label("Birth date").fill("1991-07-23")
    page.get_by_label("Phone").fill("541-555-0402")
    page.get_by_label("Preferred language").select_option("vi")
    page.get_by_label("Needs an interpreter").check()
    page.get_by_label("Identifier type").select_option("county-case-number")
    page.get_by_label("Identifier", exact=True).fill("LC-101552")
    _shot(page, "client-create")
    page.get_by_role("button", name="Create client").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Linh Tran")
    expect(page.get_by_role("status")).to_contain_text("Linh Tran was added.")
    expect(page.locator("main")).to_contain_text("LC-101552")
    expect(page.locator("main")).to_contain_text("Interpreter needed")
    _shot(page, "client-detail")

    created = Client.objects.get()
    assert page.url == f"{live_server.url}/clients/{created.pk}/"
    assert created.organization.slug == "lakeside-county"
    assert AuditEvent.objects.filter(action=AuditAction.CLIENT_VIEWED, client_id=created.pk).count() == 1
    _assert_only_local_requests(page)


def test_duplicate_is_flagged_then_created_when_confirmed(page, live_server, case_manager, county):
    existing = ClientFactory(organization=county, given_name="Rosa", family_name="Martinez", birth_date="1984-03-14")
    _sign_in(page, live_server, case_manager)
    page.goto(f"{live_server.url}/clients/new/")
    page.get_by_label("Given name").fill("Rosa")
    page.get_by_label("Family name").fill("Martínez")
    page.get_by_label("Birth date").fill("1984-03-14")
    page.get_by_label("Phone").fill("541-555-0311")
    page.get_by_role("button", name="Create client").click()

    warning = page.locator(".duplicates")
    expect(warning).to_contain_text("This person may already have a record")
    expect(warning.get_by_role("link", name="Rosa Martinez")).to_have_attribute("href", f"/clients/{existing.pk}/")
    _shot(page, "client-duplicate")
    assert Client.objects.count() == 1

    page.get_by_label("This is a different person: create a new record anyway").check()
    page.get_by_role("button", name="Create client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rosa Martínez")
    assert Client.objects.count() == 2
    _assert_only_local_requests(page)


def test_directory_search_works_without_javascript(browser, live_server, case_manager):
    ServiceFactory(name="Plain HTML Pantry")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _sign_in(page, live_server, case_manager)
        page.goto(f"{live_server.url}/directory/")
        page.get_by_label("Search text").fill("plain")
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(
            f"{live_server.url}/directory/?q=plain&category=&postal_code=&language=&capacity_status="
        )
        expect(page.locator(".result-list")).to_contain_text("Plain HTML Pantry")
    finally:
        context.close()
