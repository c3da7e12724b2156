"""Governance keeps the response targets in the admin; the change applies to referrals sent afterwards."""

from __future__ import annotations

import pytest

from sla.models import Holiday, SlaPolicy

pytestmark = pytest.mark.django_db

CHANGELISTS = ("/admin/sla/slapolicy/", "/admin/sla/openinghours/", "/admin/sla/holiday/")


def _form(policy: SlaPolicy, **changes) -> dict:
    data = {
        name: getattr(policy, name)
        for name in (
            "urgency",
            "category",
            "escalation_multiplier",
            "acknowledge_amount",
            "acknowledge_unit",
            "first_contact_amount",
            "first_contact_unit",
            "service_start_amount",
            "service_start_unit",
        )
    }
    if policy.around_the_clock:
        data["around_the_clock"] = "on"
    data.update(changes)
    return data


@pytest.mark.parametrize("url", CHANGELISTS)
def test_admin__governance_reads_the_configuration(url, client, governance_lead):
    client.force_login(governance_lead)
    assert client.get(url).status_code == 200


def test_admin__governance_edits_a_policy_with_history(client, governance_lead):
    policy = SlaPolicy.objects.get(urgency="routine", category="")
    client.force_login(governance_lead)
    response = client.post(f"/admin/sla/slapolicy/{policy.pk}/change/", _form(policy, acknowledge_amount=3))
    assert response.status_code == 302, response.content.decode()[:2000]
    policy.refresh_from_db()
    assert policy.acknowledge_amount == 3
    assert policy.history.first().history_user == governance_lead


def test_admin__around_the_clock_with_business_days_is_refused(client, governance_lead):
    policy = SlaPolicy.objects.get(urgency="routine", category="")
    client.force_login(governance_lead)
    response = client.post(f"/admin/sla/slapolicy/{policy.pk}/change/", _form(policy, around_the_clock="on"))
    assert response.status_code == 200
    assert "Around the clock there are no business days" in response.content.decode()
    policy.refresh_from_db()
    assert policy.around_the_clock is False


def test_admin__governance_adds_a_holiday(client, governance_lead):
    client.force_login(governance_lead)
    response = client.post("/admin/sla/holiday/add/", {"date": "2027-12-24", "name": "Christmas Eve"})
    assert response.status_code == 302
    assert Holiday.objects.filter(name="Christmas Eve", organization=None).exists()


@pytest.mark.parametrize("who", ["case_manager", "county_supervisor", "provider_supervisor"])
def test_admin__staff_without_governance_cannot_open_it(who, client, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(CHANGELISTS[0]).status_code in (302, 403)
    assert SlaPolicy.objects.get(urgency="routine", category="").acknowledge_amount == 2
