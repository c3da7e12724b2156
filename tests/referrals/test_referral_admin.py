"""The governance admin's referral pages: scoped by the access layer, read-only, audited."""

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from referrals.assignment import referral_share
from tests.factories import AgencyFactory, ClientFactory, ReferralFactory, ServiceFactory


def _rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def _foreign_referral(provider):
    agency = AgencyFactory(slug="elsewhere-county")
    return ReferralFactory(client=ClientFactory(organization=agency), service=ServiceFactory(organization=provider))


def test_admin_referral_list__own_agency_only_and_audited(client, governance_lead, make_referral, provider):
    own = make_referral("sent")
    foreign = _foreign_referral(provider)
    client.force_login(governance_lead)
    response = client.get("/admin/referrals/referral/")
    assert response.status_code == 200
    assert own.reference.encode() in response.content
    assert foreign.reference.encode() not in response.content
    [row] = _rows(AuditAction.REFERRAL_LISTED)
    assert (row.actor, row.subtype, row.purpose_of_use) == (governance_lead, "admin", "HOPERAT")
    assert row.detail["client_ids"] == [str(own.client_id)]


def test_admin_referral_change_view__shows_timeline_and_grants_read_only(
    client, governance_lead, case_manager, other_provider_intake, make_referral
):
    referral = make_referral("accepted")
    referral_share(actor=case_manager, referral=referral, colleague=other_provider_intake)
    client.force_login(governance_lead)
    response = client.get(f"/admin/referrals/referral/{referral.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "accept" in body and "submit" in body and other_provider_intake.username in body
    assert 'name="_save"' not in body
    [row] = _rows(AuditAction.REFERRAL_VIEWED)
    assert (row.client_id, row.subtype, row.target_id) == (referral.client_id, "admin", str(referral.pk))


def test_admin_referral_history_of_other_agency__404_and_denial_audited(client, governance_lead, provider):
    foreign = _foreign_referral(provider)
    version = foreign.history.first().history_id
    client.force_login(governance_lead)
    response = client.get(f"/admin/referrals/referral/{foreign.pk}/history/{version}/")
    assert response.status_code == 404
    [denied] = _rows(AuditAction.OBJECT_ACCESS_DENIED)
    assert (denied.outcome, denied.detail["model"]) == (Outcome.DENIED, "referrals.Referral")


def test_admin_referral__no_add_or_delete(client, governance_lead, make_referral):
    referral = make_referral("sent")
    client.force_login(governance_lead)
    assert client.get("/admin/referrals/referral/add/").status_code == 403
    assert client.post(f"/admin/referrals/referral/{referral.pk}/delete/", {"post": "yes"}).status_code == 403
    referral.refresh_from_db()
    assert referral.status == "sent"
