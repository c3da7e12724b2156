"""Consent on the referral page: the referring side's summary, and why the receiving side's data is withheld.

The referring case manager sees the client's consents (active, revoked, expired, in plain language), whether
they cover the receiving organization for coordination of care, and a link to manage them. The provider never
sees consents; when consent that covered it was withdrawn or ran out, the withheld notice says so and when.
"""

import datetime
import re

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import ConsentProvision
from consent.services import consent_revoke
from tests.factories import ClientFactory, ReferralFactory, full_consent

pytestmark = pytest.mark.django_db


def day(value: datetime.date) -> str:
    return f"{value:%b} {value.day}, {value:%Y}"


def page(client, referral) -> str:
    response = client.get(f"/referrals/{referral.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def summary(body: str) -> str:
    found = re.search(r'<section class="card consent-summary".*?</section>', body, re.S)
    return found.group(0) if found else ""


def withheld(body: str) -> str:
    found = re.search(r'<div class="alert alert--warning withheld".*?</ul>', body, re.S)
    return found.group(0) if found else ""


@pytest.fixture
def accepted(make_referral):
    return make_referral("accepted")


# The referring side


def test_summary__active_consent_covering_the_provider(client, case_manager, accepted, county_client):
    consent = county_client.consents.get()
    client.force_login(case_manager)

    shown = summary(page(client, accepted))

    assert 'data-status="active"' in shown
    assert f'data-consent="{consent.pk}"' in shown
    assert "Covers Harbor Community Health for coordination of care" in shown
    start = timezone.localdate() - datetime.timedelta(days=30)
    assert f"for coordination of care, from {start:%Y-%m-%d}, no end date." in shown
    assert "Permit healthcare partners" in shown
    assert "What Harbor Community Health may see for coordination of care (COC)" in shown
    assert re.findall(r'<th scope="row">([^<]+)</th>\s*<td>Yes</td>', shown) == [
        "Demographics",
        "Contact details",
        "Referral reason",
    ]
    assert f'href="/consents/client/{county_client.pk}/"' in shown


def test_summary__is_audited_on_the_pages_one_row(client, case_manager, accepted, county_client):
    client.force_login(case_manager)
    before = AuditEvent.objects.count()

    page(client, accepted)

    # One request, one row: the referral read names the consents the summary listed.
    [viewed] = AuditEvent.objects.order_by("-sequence")[: AuditEvent.objects.count() - before]
    assert (viewed.action, viewed.actor_id, viewed.client_id) == ("referral.viewed", case_manager.pk, county_client.pk)
    assert viewed.target_id == str(accepted.pk)
    assert viewed.detail["consents_listed"] == [str(county_client.consents.get().pk)]
    assert not AuditEvent.objects.filter(action="consent.listed").exists()


def test_summary__after_revocation_shows_it_withdrawn_and_not_covering(client, case_manager, accepted, county_client):
    consent = consent_revoke(
        actor=case_manager, consent=county_client.consents.get(), reason="Client withdrew by phone", method="verbal"
    )
    client.force_login(case_manager)

    shown = summary(page(client, accepted))

    assert 'data-status="inactive"' in shown
    assert "Inactive: revoked" in shown
    assert f"withdrawn {day(timezone.localdate(consent.revoked_at))}" in shown
    assert "Does not cover Harbor Community Health for coordination of care" in shown
    assert "Covers Harbor" not in shown
    assert re.findall(r'<th scope="row">([^<]+)</th>\s*<td><strong>No</strong></td>', shown) == [
        "Demographics",
        "Contact details",
        "Referral reason",
    ]


def test_summary__expired_consent_is_marked_expired(client, case_manager, accepted, county_client):
    provision = ConsentProvision.objects.get(consent__client=county_client)
    provision.end = timezone.localdate() - datetime.timedelta(days=1)
    provision.save()
    client.force_login(case_manager)

    shown = summary(page(client, accepted))

    assert "Inactive: expired" in shown
    assert "Does not cover Harbor Community Health" in shown


def test_summary__several_consents_only_the_covering_one_is_marked(
    client, case_manager, accepted, county_client, other_provider
):
    narrow = full_consent(county_client, partner_categories=[], data_categories=["housing"])
    narrow.provisions.get().organizations.set([other_provider])
    client.force_login(case_manager)

    shown = summary(page(client, accepted))

    assert shown.count("Covers Harbor Community Health") == 1
    assert shown.count("Does not cover Harbor Community Health") == 1
    assert "Permit Northside Behavioral Health to see housing for coordination of care" in shown


def test_summary__draft_without_a_service_says_nothing_is_shared(client, case_manager, county_client):
    draft = ReferralFactory(client=county_client, service=None)
    client.force_login(case_manager)

    shown = summary(page(client, draft))

    assert "No service chosen yet: nothing is shared." in shown
    assert "Covers" not in shown and "Does not cover" not in shown
    assert 'data-status="active"' in shown


def test_summary__client_without_consent(client, case_manager, county, service):
    unconsented = ClientFactory(organization=county)
    draft = ReferralFactory(client=unconsented, service=service)
    client.force_login(case_manager)

    shown = summary(page(client, draft))

    assert "No consent recorded for this client." in shown
    assert "no consent for healthcare partners for demographics (COC)" in shown


@pytest.mark.parametrize("who", ["provider_intake", "provider_supervisor"])
def test_summary__never_shown_to_the_receiving_side(client, request, who, accepted, county_client):
    client.force_login(request.getfixturevalue(who))

    body = page(client, accepted)

    assert summary(body) == ""
    assert f"/consents/client/{county_client.pk}/" not in body
    assert not AuditEvent.objects.filter(action="consent.listed").exists()


# The receiving side's withheld notice


def test_withheld__after_revocation_says_when_consent_was_withdrawn(
    client, provider_intake, case_manager, accepted, county_client
):
    revoked = consent_revoke(
        actor=case_manager, consent=county_client.consents.get(), reason="Client withdrew by phone", method="verbal"
    )
    client.force_login(provider_intake)

    body = page(client, accepted)

    notice = withheld(body)
    when = day(timezone.localdate(revoked.revoked_at))
    assert notice.count(f"Consent for this was withdrawn on {when}.") == 3
    assert "Demographics: withheld (no consent for healthcare partners for demographics (COC))" in notice
    assert (
        f"contact the referring case manager, {case_manager.get_full_name()} at Lakeside County Human Services" in body
    )
    assert "In an emergency, you can use emergency access below." in body
    assert "Client withdrew by phone" not in body  # the revocation's reason stays with the custodian


def test_withheld__after_expiry_says_when_consent_ran_out(client, provider_intake, accepted, county_client):
    provision = ConsentProvision.objects.get(consent__client=county_client)
    provision.end = timezone.localdate() - datetime.timedelta(days=2)
    provision.save()
    client.force_login(provider_intake)

    notice = withheld(page(client, accepted))

    assert notice.count(f"Consent for this expired on {day(provision.end)}.") == 3
    assert "withdrawn" not in notice


def test_withheld__never_consented_category_has_no_lapse_note(client, provider_intake, make_referral, county_client):
    referral = make_referral("accepted")
    # Consent narrowed by a later deny for contact details: withheld, but nothing was withdrawn or expired.
    full_consent(county_client, type="deny", data_categories=["contact"])
    client.force_login(provider_intake)

    notice = withheld(page(client, referral))

    assert "Contact details: withheld (denied by consent" in notice
    assert "Consent for this" not in notice


def test_withheld__a_withdrawal_that_covered_another_provider_is_not_mentioned(
    client, provider_intake, case_manager, accepted, county_client, other_provider
):
    full_consent(county_client, type="deny", data_categories=["contact"])
    elsewhere = full_consent(county_client, partner_categories=[], data_categories=["contact"])
    elsewhere.provisions.get().organizations.set([other_provider])
    consent_revoke(actor=case_manager, consent=elsewhere, reason="Client withdrew by phone", method="verbal")
    client.force_login(provider_intake)

    notice = withheld(page(client, accepted))

    assert "Contact details: withheld (denied by consent" in notice
    assert "Consent for this" not in notice
