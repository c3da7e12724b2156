"""Chromium drives a referral through its whole life on the real pages, as the two people involved would.

The case manager finds the client, describes the need, chooses a service, reviews and sends; the provider
acknowledges, accepts, records a contact, starts the service and closes it with an outcome; the case
manager then sees it closed with the full timeline.

Skipped when Debian's Chromium is missing, unless REQUIRE_BROWSER=1 (CI), where that is a failure.
"""

import pytest

from .support import assert_only_local_requests, new_page, require_chromium, shot, sign_in

require_chromium()

from playwright.sync_api import expect  # noqa: E402

from audit.choices import AuditAction  # noqa: E402
from audit.models import AuditEvent  # noqa: E402
from referrals.models import Referral  # noqa: E402
from tests.factories import ClientFactory, PostalCodeFactory, ServiceFactory, full_consent  # noqa: E402

pytestmark = pytest.mark.browser


def _status_message(page):
    return page.locator(".messages")


def _case_manager_sends_a_referral(page, live_server, case_manager) -> Referral:
    sign_in(page, live_server, case_manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Referrals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals")
    page.get_by_role("link", name="New referral", exact=True).click()

    # Step 1: find the client.
    page.get_by_label("Name or identifier").fill("lopez")
    page.get_by_role("button", name="Find client").click()
    page.get_by_role("link", name="Refer Maria Lopez").click()

    # Step 2: need, urgency and details; an empty reason is caught next to its field first.
    expect(page.get_by_role("heading", level=1)).to_have_text("New referral for Maria Lopez")
    page.get_by_label("Need", exact=True).select_option("food-insecurity")
    page.get_by_label("Urgent", exact=True).check()
    page.get_by_role("button", name="Save and choose a service").click()
    expect(page.locator("#id_reason_error")).to_have_text("This field is required.")
    expect(page.get_by_label("Urgent", exact=True)).to_be_checked()
    page.get_by_label("Reason for referral").fill("Lost her job last month; the cupboard is empty.")
    page.get_by_label("Medical fragility").check()
    page.get_by_label("Safe times to contact").fill("Weekdays 9-12")
    page.get_by_label("Income", exact=True).check()
    shot(page, "referral-new-details")
    page.get_by_role("button", name="Save and choose a service").click()

    # Step 3: the ranked services, each with its reasons.
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a service")
    expect(page.locator(".option-list")).to_contain_text("serves 97401")
    expect(page.locator(".option-list")).not_to_contain_text("Full House Pantry")
    page.get_by_role("link", name="Show services with no capacity").click()
    expect(page.locator(".option-list")).to_contain_text("Full House Pantry")
    page.get_by_label("Harbor Food Pantry").check()
    shot(page, "referral-choose-service")
    page.get_by_role("button", name="Continue to review").click()

    # Step 4: everything on one page, then send.
    expect(page.get_by_role("heading", level=1)).to_have_text("Review and send")
    review = page.locator("main")
    for text in ("Maria", "Harbor Food Pantry", "Lost her job", "Medical fragility", "Income", "Weekdays 9-12"):
        expect(review).to_contain_text(text)
    # The disclosure preview: what the provider will see, and that consent covers all of it.
    preview = page.get_by_role("region", name="What Harbor Community Health will see")
    expect(preview).to_contain_text("Referral reason")
    expect(preview).not_to_contain_text("Consent does not permit")
    shot(page, "referral-review")
    page.get_by_role("button", name="Send referral").click()

    expect(_status_message(page)).to_contain_text("was sent to Harbor Community Health")
    expect(page.locator("#referral-status")).to_have_text("Sent")
    referral = Referral.objects.get()
    assert page.url == f"{live_server.url}/referrals/{referral.pk}/"
    assert referral.status == "sent"
    assert referral.urgency == "urgent"
    assert referral.risk_flags == ["medical-fragility"]
    return referral


def _provider_works_it_to_closed(page, live_server, provider_intake, referral) -> None:
    sign_in(page, live_server, provider_intake)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    row = page.locator(f"#referral-{referral.pk}")
    expect(row).to_contain_text("Maria Lopez")
    expect(row).to_contain_text("Urgent")
    shot(page, "referral-inbox")

    row.get_by_role("button", name=f"Acknowledge receipt: referral {referral.reference}").click()
    expect(_status_message(page)).to_contain_text(f"referral {referral.reference} is now acknowledged")
    expect(page).to_have_url(f"{live_server.url}/referrals/inbox/")
    row.get_by_role("button", name=f"Accept: referral {referral.reference}").click()
    expect(_status_message(page)).to_contain_text("is now accepted")

    row.get_by_role("link", name="Maria Lopez").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral {referral.reference}")
    contact = page.locator("#action-record_contact_attempt")
    contact.get_by_label("Contact result").select_option("reached")
    contact.get_by_label("Note (optional)").fill("Spoke with Maria; she can come Thursday.")
    contact.get_by_role("button", name="Record contact attempt").click()
    expect(page.locator("#referral-status")).to_have_text("In progress")

    page.locator("#action-start_service").get_by_role("button", name="Start service").click()
    expect(_status_message(page)).to_contain_text("Start service")

    close = page.locator("#action-close")
    close.get_by_role("button", name="Close").click()  # no outcome yet: refused next to the field
    expect(page.locator("#id_close-outcome_code_error")).to_have_text("This field is required.")
    close = page.locator("#action-close")
    close.get_by_label("Outcome").select_option("service-completed")
    close.get_by_label("Note (optional)").fill("Two weeks of groceries delivered.")
    shot(page, "referral-provider-detail")
    close.get_by_role("button", name="Close").click()
    expect(page.locator("#referral-status")).to_have_text("Closed")
    expect(page.locator("#referral-outcome")).to_have_text("Service completed")


def test_referral_from_sending_to_closed_through_the_pages(
    browser, live_server, case_manager, provider_intake, provider, county
):
    PostalCodeFactory(code="97401", county="Lakeside")
    ServiceFactory(organization=provider, name="Harbor Food Pantry", languages=["en", "es"], postal_codes=["97401"])
    ServiceFactory(organization=provider, name="Full House Pantry", capacity_status="no-capacity")
    full_consent(ClientFactory(organization=county, given_name="Maria", family_name="Lopez", postal_code="97401"))

    cm_context, cm_page = new_page(browser)
    provider_context, provider_page = new_page(browser)
    try:
        referral = _case_manager_sends_a_referral(cm_page, live_server, case_manager)
        _provider_works_it_to_closed(provider_page, live_server, provider_intake, referral)

        # Back to the case manager: closed, with the whole story on the timeline.
        cm_page.get_by_role("navigation", name="Main").get_by_role("link", name="Referrals").click()
        expect(cm_page.locator(f"#referral-{referral.pk}")).to_have_count(0)
        cm_page.get_by_role("link", name="Closed").click()
        closed_row = cm_page.locator(f"#referral-{referral.pk}")
        expect(closed_row).to_contain_text("Closed")
        closed_row.get_by_role("link", name="Maria Lopez").click()
        expect(cm_page.locator("#referral-status")).to_have_text("Closed")
        titles = cm_page.locator("#timeline .timeline__title strong")
        expect(titles).to_have_text(
            [
                "Draft created",
                "Draft edited",
                "Sent to provider",
                "Receipt acknowledged",
                "Accepted",
                "Contact attempt recorded",
                "Service started",
                "Closed",
            ]
        )
        timeline = cm_page.locator("#timeline")
        contact = timeline.locator("[data-event='record_contact_attempt']")
        expect(contact).to_contain_text("Reached the client")
        expect(contact).to_contain_text("Spoke with Maria; she can come Thursday.")
        expect(contact).to_contain_text(provider_intake.get_full_name())
        expect(contact).to_contain_text("Harbor Community Health")
        closed = timeline.locator("[data-event='close']")
        expect(closed).to_contain_text("Service completed")
        expect(closed).to_contain_text("Two weeks of groceries delivered.")
        expect(timeline.locator("[data-event='submit']")).to_contain_text(case_manager.get_full_name())
        shot(cm_page, "referral-closed-timeline")

        referral.refresh_from_db()
        assert referral.status == "closed"
        assert referral.outcome == "service-completed"
        assert referral.contact_attempts == 1
        assert referral.service_started_at is not None
        viewed = AuditEvent.objects.filter(action=AuditAction.REFERRAL_VIEWED, target_id=str(referral.pk))
        assert viewed.filter(actor=provider_intake).exists()
        assert viewed.filter(actor=case_manager, subtype="").exists()
        assert_only_local_requests(cm_page)
        assert_only_local_requests(provider_page)
    finally:
        cm_context.close()
        provider_context.close()
