"""The governance admin's client pages: scoped by the access layer and audited like the portal's."""

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from tests.factories import ClientFactory


def _rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def test_admin_client_list__shows_only_visible_clients_and_audits_the_ids(client, governance_lead, county, provider):
    own = ClientFactory(organization=county, family_name="Ownorg")
    ClientFactory(organization=provider, family_name="Otherorg")
    client.force_login(governance_lead)
    response = client.get("/admin/clients/client/")
    assert response.status_code == 200
    assert b"Ownorg" in response.content and b"Otherorg" not in response.content
    [row] = _rows(AuditAction.CLIENT_LISTED)
    assert (row.actor, row.subtype, row.source, row.purpose_of_use) == (governance_lead, "admin", "admin", "HOPERAT")
    assert row.detail["client_ids"] == [str(own.pk)]


def test_admin_client_change_view__audits_the_view(client, governance_lead, county):
    record = ClientFactory(organization=county)
    client.force_login(governance_lead)
    assert client.get(f"/admin/clients/client/{record.pk}/change/").status_code == 200
    [row] = _rows(AuditAction.CLIENT_VIEWED)
    assert (row.client_id, row.subtype, row.actor) == (record.pk, "admin", governance_lead)


def test_admin_client_history__audited_and_other_org_versions_are_404(client, governance_lead, county, provider):
    own = ClientFactory(organization=county)
    other = ClientFactory(organization=provider)
    client.force_login(governance_lead)
    assert client.get(f"/admin/clients/client/{own.pk}/history/").status_code == 200
    version = own.history.get().history_id
    assert client.get(f"/admin/clients/client/{own.pk}/history/{version}/").status_code == 200
    assert [r.subtype for r in _rows(AuditAction.CLIENT_VIEWED)] == ["admin-history", "admin-history"]

    other_version = other.history.get().history_id
    response = client.get(f"/admin/clients/client/{other.pk}/history/{other_version}/")
    assert response.status_code == 404
    assert str(other.given_name).encode() not in response.content
    [denied] = _rows(AuditAction.OBJECT_ACCESS_DENIED)
    assert (denied.client_id, denied.outcome) == (other.pk, Outcome.DENIED)
