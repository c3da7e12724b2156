"""A consent recorded by mistake is marked entered in error: kept on file, permits nothing, audited."""

import pytest

from audit.choices import AuditAction
from audit.models import AuditEvent
from referrals.errors import ConsentRequired
from referrals.services import referral_transition
from tests.factories import ReferralFactory


def _url(consent):
    return f"/api/v1/consents/{consent.pk}/entered-in-error/"


def test_mark__custodian_staff_voids_it_and_it_permits_nothing(api, case_manager, county_client, service):
    consent = county_client.consents.get()
    response = api.as_user(case_manager).post(_url(consent), {"reason": "Recorded for the wrong Maria."}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["error_reason"]) == ("entered-in-error", "Recorded for the wrong Maria.")
    assert body["error_marked_at"] is not None
    consent.refresh_from_db()
    assert consent.status == "entered-in-error"
    assert consent.history.count() == 2
    [row] = AuditEvent.objects.filter(action=AuditAction.CONSENT_ENTERED_IN_ERROR)
    assert (row.client_id, row.detail["previous_status"]) == (county_client.pk, "active")

    draft = ReferralFactory(client=county_client, service=service)
    with pytest.raises(ConsentRequired):
        referral_transition(actor=case_manager, referral=draft, name="submit")


def test_mark__reason_required_and_only_once(api, case_manager, county_client):
    consent = county_client.consents.get()
    client = api.as_user(case_manager)
    missing = client.post(_url(consent), {"reason": "  "}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["errors"]
    assert client.post(_url(consent), {"reason": "Duplicate"}, format="json").status_code == 200
    again = client.post(_url(consent), {"reason": "Duplicate"}, format="json")
    assert again.status_code == 400
    assert "already marked entered in error" in str(again.json()["errors"])


@pytest.mark.parametrize(
    ("who", "expected"),
    [("governance_lead", 403), ("provider_intake", 404), ("other_provider_intake", 404), ("no_role_user", 404)],
)
def test_mark__others_are_refused_and_nothing_changes(api, request, county_client, who, expected):
    consent = county_client.consents.get()
    response = api.as_user(request.getfixturevalue(who)).post(_url(consent), {"reason": "x"}, format="json")
    assert response.status_code == expected
    consent.refresh_from_db()
    assert consent.status == "active"


def test_mark__anonymous_401(api, county_client):
    consent = county_client.consents.get()
    assert api.as_user(None).post(_url(consent), {"reason": "x"}, format="json").status_code == 401
