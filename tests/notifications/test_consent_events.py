"""Consent revocation and expiry tell exactly the organizations that had received the client's data."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.core import mail
from django.utils import timezone

from consent.models import ConsentProvision
from consent.services import consent_revoke
from coordination.models import OutboxMessage
from notifications.consent_expiry import consent_expiry_announce, consent_expiry_sweep_run
from notifications.models import ConsentExpiryNotice, Notification
from notifications.tasks import consent_expiry_sweep
from tests.factories import OrganizationFactory, ServiceFactory


@pytest.fixture
def staff(case_manager, county_supervisor, provider_intake, provider_supervisor, other_provider_intake, partner_system):
    return locals()


def _told() -> list[str]:
    return sorted(Notification.objects.values_list("recipient__username", flat=True))


def _revoke(actor, client):
    return consent_revoke(actor=actor, consent=client.consents.get(), reason="Client asked.", method="verbal")


def test_revoke__tells_the_organization_that_received_a_referral_only(staff, make_referral, county_client, delivered):
    referral = make_referral("sent")
    make_referral("draft", service=None)  # a draft to nobody discloses nothing
    with delivered():
        consent = _revoke(staff["case_manager"], county_client)
    message = OutboxMessage.objects.get(event="consent.revoked")
    assert (message.subject_type, message.subject_id) == ("consent.Consent", str(consent.pk))
    assert message.data["client_id"] == str(county_client.pk)
    assert message.data["organization_ids"] == [str(referral.receiving_organization_id)]
    # Intake and supervisor of the provider; not its partner system, not the other provider, not the county.
    assert _told() == ["intake", "provsup"]
    notification = Notification.objects.filter(recipient=staff["provider_intake"]).get()
    assert notification.referral_id == referral.pk and notification.client_id == county_client.pk
    assert notification.text.startswith(f"The client of referral {referral.reference} revoked their consent")
    assert county_client.family_name not in notification.text
    assert sorted(a for m in mail.outbox for a in m.to) == ["intake@example.org", "provsup@example.org"]


def test_revoke__with_no_disclosures_tells_nobody(staff, make_referral, county_client, delivered):
    make_referral("draft")
    with delivered():
        _revoke(staff["case_manager"], county_client)
    assert OutboxMessage.objects.get(event="consent.revoked").data["organization_ids"] == []
    assert not Notification.objects.exists()


def test_revoke__tells_every_organization_that_received_data(staff, make_referral, county_client, delivered):
    make_referral("sent")
    other_service = ServiceFactory(organization=staff["other_provider_intake"].memberships.get().organization)
    make_referral("sent", service=other_service)
    with delivered():
        _revoke(staff["case_manager"], county_client)
    assert _told() == ["intake", "otherintake", "provsup"]


def test_revoke__uses_the_disclosure_ledger_when_installed(staff, make_referral, county_client, delivered):
    try:
        ledger = apps.get_model("audit", "Disclosure")
    except LookupError:
        pytest.skip("no disclosure ledger in this tree")
    make_referral("sent")
    other = staff["other_provider_intake"].memberships.get().organization
    ledger.objects.create(
        disclosed_at=timezone.now(),
        kind="api_read",
        client_id=county_client.pk,
        recipient_organization_id=other.pk,
        recipient_organization_name=other.name,
    )
    with delivered():
        _revoke(staff["case_manager"], county_client)
    assert _told() == ["intake", "otherintake", "provsup"]
    otherintake = Notification.objects.get(recipient=staff["other_provider_intake"])
    assert otherintake.referral_id is None  # they hold no referral to point at
    assert otherintake.text.startswith("A client whose data your organization received revoked their consent")


def _expire(consent, days_ago: int = 1) -> None:
    ended = timezone.localdate() - datetime.timedelta(days=days_ago)
    ConsentProvision.objects.filter(consent=consent).update(start=ended - datetime.timedelta(days=60), end=ended)


def test_expiry__announced_once_to_the_organizations_that_received_data(staff, make_referral, county_client, delivered):
    referral = make_referral("sent")
    consent = county_client.consents.get()
    assert consent_expiry_sweep_run() == 0  # still current
    _expire(consent)
    with delivered():
        assert consent_expiry_sweep_run() == 1
        assert consent_expiry_sweep_run() == 0
        assert consent_expiry_sweep.delay().get() == 0
    message = OutboxMessage.objects.get(event="consent.expired")
    assert message.data == {
        "client_id": str(county_client.pk),
        "organization_ids": [str(referral.receiving_organization_id)],
    }
    assert ConsentExpiryNotice.objects.get().consent_id == consent.pk
    assert _told() == ["intake", "provsup"]
    assert Notification.objects.first().text.startswith(f"The consent of the client of referral {referral.reference}")


def test_expiry__ending_today_is_not_expired_yet_and_revoked_ones_are_not_announced(
    staff, make_referral, county_client
):
    make_referral("sent")
    consent = county_client.consents.get()
    _expire(consent, days_ago=0)
    assert consent_expiry_sweep_run() == 0
    _expire(consent, days_ago=2)
    _revoke(staff["case_manager"], county_client)
    assert consent_expiry_sweep_run() == 0
    assert not OutboxMessage.objects.filter(event="consent.expired").exists()


def test_expiry__announce_is_idempotent_per_consent(staff, make_referral, county_client):
    make_referral("sent")
    consent = county_client.consents.get()
    _expire(consent)
    assert consent_expiry_announce(consent=consent) is True
    assert consent_expiry_announce(consent=consent) is False
    assert OutboxMessage.objects.filter(event="consent.expired").count() == 1


def test_expiry__organization_outside_the_list_hears_nothing(staff, make_referral, county_client, delivered):
    make_referral("sent")
    unrelated = OrganizationFactory(name="Unrelated Shelter")
    from coordination.roles import Role
    from providers.services import membership_grant
    from tests.factories import UserFactory

    bystander = UserFactory(username="bystander")
    membership_grant(actor=None, user=bystander, organization=unrelated, role=Role.PROVIDER_SUPERVISOR)
    _expire(county_client.consents.get())
    with delivered():
        consent_expiry_sweep_run()
    assert "bystander" not in _told()
    assert _told() == ["intake", "provsup"]
