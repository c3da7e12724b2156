"""Break the glass in the browser: the form on the referral page, the red banner while it lasts, ending it.

Starting puts the session under purpose BTG, so every page acts (and is audited) under it until the access is
ended (which resets the session purpose) or expires (the purpose middleware quietly falls back).
"""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from consent.break_glass import break_glass_start
from consent.models import BreakGlassAccess
from consent.services import consent_revoke

pytestmark = pytest.mark.django_db

REASON = "Client in crisis at our door, need the safety plan now"
FORM_HEADING = "Emergency access (break the glass)"


@pytest.fixture
def withheld_referral(make_referral, county_client, case_manager):
    """Accepted by the provider; then the client withdrew consent, so the provider sees only the reference."""
    referral = make_referral("accepted", risk_flags=["safety-risk"])
    consent_revoke(actor=case_manager, consent=county_client.consents.get(), reason="Withdrawn", method="verbal")
    return referral


def page(client, referral) -> str:
    response = client.get(f"/referrals/{referral.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def start_url(referral) -> str:
    return f"/referrals/{referral.pk}/break-glass/"


def end_url(access) -> str:
    return f"/consents/break-glass/{access.pk}/end/"


def banner(body: str) -> str:
    found = re.search(r'<div class="break-glass-banner".*?</div>', body, re.S)
    return found.group(0) if found else ""


# The form


def test_detail__receiving_side_with_withheld_data_sees_the_form(client, provider_intake, withheld_referral):
    client.force_login(provider_intake)

    body = page(client, withheld_referral)

    assert FORM_HEADING in body
    assert f'action="{start_url(withheld_referral)}"' in body
    assert 'name="reason"' in body
    assert re.findall(r'<option value="(\d+)"', body) == ["15", "30", "60", "120"]
    assert '<option value="60" selected>' in body
    assert "In an emergency, you can use emergency access below." in body


def test_detail__nothing_withheld_no_form(client, provider_intake, make_referral):
    client.force_login(provider_intake)

    body = page(client, make_referral("accepted"))

    assert FORM_HEADING not in body
    assert "Some information is withheld" not in body


def test_detail__referring_side_never_sees_the_form(client, case_manager, withheld_referral):
    client.force_login(case_manager)

    body = page(client, withheld_referral)

    assert FORM_HEADING not in body
    assert "Some information is withheld" not in body


def test_form_page__get_shows_the_form_without_client_data(client, provider_intake, withheld_referral, county_client):
    client.force_login(provider_intake)

    response = client.get(start_url(withheld_referral))

    body = response.content.decode()
    assert response.status_code == 200
    assert FORM_HEADING in body
    assert withheld_referral.reference in body
    assert county_client.family_name not in body
    [viewed] = AuditEvent.objects.filter(action="referral.viewed", subtype="break-glass")
    assert viewed.target_id == str(withheld_referral.pk)


# Starting


def test_start__sets_the_session_purpose_audits_emails_and_redirects(
    client, provider_intake, withheld_referral, county_client, governance_lead, django_capture_on_commit_callbacks
):
    client.force_login(provider_intake)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(start_url(withheld_referral), {"reason": REASON, "minutes": "30"})

    assert response.status_code == 302
    assert response.url == f"/referrals/{withheld_referral.pk}/"
    access = BreakGlassAccess.objects.get()
    assert (access.user, access.client, access.reason) == (provider_intake, county_client, REASON)
    assert access.expires_at - access.started_at == datetime.timedelta(minutes=30)
    assert client.session["purpose_of_use"] == "BTG"
    assert client.session["break_glass"]["id"] == str(access.pk)
    [started] = AuditEvent.objects.filter(action="break_glass.started")
    assert (started.actor_id, started.client_id, started.purpose_of_use) == (
        provider_intake.pk,
        county_client.pk,
        "BTG",
    )
    assert [email.to for email in mail.outbox] == [[governance_lead.email]]


def test_start__the_referral_then_opens_and_the_banner_shows(client, provider_intake, withheld_referral, county_client):
    client.force_login(provider_intake)
    client.post(start_url(withheld_referral), {"reason": REASON, "minutes": "60"})
    access = BreakGlassAccess.objects.get()
    until = f"{timezone.localtime(access.expires_at):%H:%M}"

    body = page(client, withheld_referral)

    shown = banner(body)
    assert f"Emergency access for Maria Lopez until {until}" in shown
    assert "governance has been alerted" in shown
    assert f'action="{end_url(access)}"' in shown
    assert "End emergency access" in shown
    assert county_client.phone in body
    assert withheld_referral.reason in body
    assert "Some information is withheld" not in body
    assert FORM_HEADING not in body
    assert 'id="purpose-of-use"' in body and "<strong>BTG</strong>" in body
    viewed = AuditEvent.objects.filter(action="referral.viewed", subtype="").order_by("sequence").last()
    assert viewed.purpose_of_use == "BTG"
    assert "phone" in viewed.detail["client_fields"]


def test_start__the_banner_shows_on_every_page(client, provider_intake, withheld_referral):
    client.force_login(provider_intake)
    client.post(start_url(withheld_referral), {"reason": REASON, "minutes": "15"})

    for url in ("/", "/referrals/inbox/"):
        body = client.get(url).content.decode()
        assert "Emergency access for Maria Lopez" in banner(body), url


def test_start__part_2_stays_withheld_with_a_note(
    client, provider_intake, make_referral, county_client, provider, case_manager
):
    from tests.factories import full_consent

    full_consent(county_client, organizations=[provider])
    referral = make_referral("accepted", sensitive_categories=["substance-use"])
    for consent in county_client.consents.filter(status="active"):
        consent_revoke(actor=case_manager, consent=consent, reason="Withdrawn", method="verbal")
    client.force_login(provider_intake)
    client.post(start_url(referral), {"reason": REASON, "minutes": "15"})

    body = page(client, referral)

    assert "Some information is withheld" in body
    assert "Substance use (42 CFR Part 2): withheld" in body
    assert "Contact details: withheld" not in body
    assert 'id="break-glass-live"' in body
    assert FORM_HEADING not in body
    assert county_client.phone in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "help now", "minutes": "30"}, "Describe the emergency (at least 15 characters)."),
        ({"reason": "", "minutes": "30"}, "Describe the emergency."),
        ({"reason": REASON, "minutes": "45"}, "Choose one of the listed durations."),
        ({"reason": REASON, "minutes": "600"}, "Choose one of the listed durations."),
    ],
)
def test_start__invalid_input_shows_the_form_again(client, provider_intake, withheld_referral, data, message):
    client.force_login(provider_intake)

    response = client.post(start_url(withheld_referral), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BreakGlassAccess.objects.exists()
    assert "purpose_of_use" not in client.session
    assert not AuditEvent.objects.filter(action="break_glass.started").exists()


def test_start__by_a_provider_that_does_not_see_the_referral_404(client, other_provider_intake, withheld_referral):
    client.force_login(other_provider_intake)

    response = client.post(start_url(withheld_referral), {"reason": REASON, "minutes": "30"})

    assert response.status_code == 404
    assert not BreakGlassAccess.objects.exists()


def test_start__role_without_break_glass_is_refused_and_audited(
    client, partner_system, withheld_referral, county_client
):
    client.force_login(partner_system)

    response = client.post(start_url(withheld_referral), {"reason": REASON, "minutes": "30"})

    assert response.status_code == 403
    assert not BreakGlassAccess.objects.exists()
    assert "purpose_of_use" not in client.session
    [denied] = AuditEvent.objects.filter(action="object.access_denied", subtype="break-glass")
    assert (denied.actor_id, denied.client_id, denied.outcome_reason) == (
        partner_system.pk,
        county_client.pk,
        "Your role may not break the glass.",
    )


def test_start__anonymous_is_sent_to_sign_in(client, withheld_referral):
    response = client.post(start_url(withheld_referral), {"reason": REASON, "minutes": "30"})

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")
    assert not BreakGlassAccess.objects.exists()


# Ending and expiry


def test_end__ends_it_resets_the_purpose_and_withholds_again(client, provider_intake, withheld_referral, county_client):
    client.force_login(provider_intake)
    client.post(start_url(withheld_referral), {"reason": REASON, "minutes": "60"})
    access = BreakGlassAccess.objects.get()
    back = f"/referrals/{withheld_referral.pk}/"

    response = client.post(end_url(access), {"next": back})

    assert response.status_code == 302
    assert response.url == back
    access.refresh_from_db()
    assert access.ended_at is not None
    assert "purpose_of_use" not in client.session
    assert "break_glass" not in client.session
    [ended] = AuditEvent.objects.filter(action="break_glass.ended")
    assert (ended.actor_id, ended.client_id, ended.purpose_of_use) == (provider_intake.pk, county_client.pk, "BTG")
    body = page(client, withheld_referral)
    assert banner(body) == ""
    assert county_client.phone not in body
    assert "Some information is withheld" in body
    assert "Emergency access ended" in body
    assert "Purpose: <strong>COC</strong>" in body


def test_end__an_unsafe_next_goes_home(client, provider_intake, withheld_referral):
    client.force_login(provider_intake)
    client.post(start_url(withheld_referral), {"reason": REASON, "minutes": "60"})

    response = client.post(end_url(BreakGlassAccess.objects.get()), {"next": "https://evil.example/"})

    assert response.status_code == 302
    assert response.url == "/"


def test_end__get_is_not_allowed(client, provider_intake, withheld_referral, county_client):
    access = break_glass_start(actor=provider_intake, client=county_client, reason=REASON)
    client.force_login(provider_intake)

    assert client.get(end_url(access)).status_code == 405
    access.refresh_from_db()
    assert access.ended_at is None


def test_end__governance_cannot_end_someone_elses(
    client, governance_lead, provider_intake, withheld_referral, county_client
):
    access = break_glass_start(actor=provider_intake, client=county_client, reason=REASON)
    client.force_login(governance_lead)

    response = client.post(end_url(access))

    assert response.status_code == 403
    access.refresh_from_db()
    assert access.ended_at is None


def test_end__someone_who_cannot_see_it_gets_404_audited(
    client, other_provider_intake, provider_intake, withheld_referral, county_client
):
    access = break_glass_start(actor=provider_intake, client=county_client, reason=REASON)
    client.force_login(other_provider_intake)

    response = client.post(end_url(access))

    assert response.status_code == 404
    access.refresh_from_db()
    assert access.ended_at is None
    assert AuditEvent.objects.filter(action="object.access_denied", actor_id=other_provider_intake.pk).exists()


def test_expiry__the_banner_goes_and_the_session_falls_back(client, provider_intake, withheld_referral, county_client):
    client.force_login(provider_intake)
    client.post(start_url(withheld_referral), {"reason": REASON, "minutes": "15"})
    access = BreakGlassAccess.objects.get()

    with time_machine.travel(access.expires_at + datetime.timedelta(seconds=1)):
        body = page(client, withheld_referral)

        assert banner(body) == ""
        assert county_client.phone not in body
        assert "Some information is withheld" in body
        assert FORM_HEADING in body
        assert "purpose_of_use" not in client.session
        viewed = AuditEvent.objects.filter(action="referral.viewed", subtype="").order_by("sequence").last()
        assert viewed.purpose_of_use == "COC"


# The purpose in the header


def test_header__shows_the_purpose_in_effect_for_signed_in_users(client, case_manager, governance_lead):
    client.force_login(case_manager)
    body = client.get("/").content.decode()
    assert 'id="purpose-of-use"' in body
    assert "Purpose: <strong>COC</strong>" in body

    client.force_login(governance_lead)
    assert "Purpose: <strong>HOPERAT</strong>" in client.get("/").content.decode()


def test_header__no_purpose_for_anonymous(client):
    response = client.get("/accounts/login/")

    body = response.content.decode()
    assert response.status_code == 200

    assert 'id="purpose-of-use"' not in body
