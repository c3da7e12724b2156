import pytest

from audit.choices import AuditAction
from audit.models import AuditEvent
from providers.models import Membership
from tests.factories import UserFactory


@pytest.mark.parametrize(
    "who", ["case_manager", "county_supervisor", "provider_intake", "data_steward", "no_role_user"]
)
def test_admin__refused_to_everyone_but_governance(client, request, who):
    client.force_login(request.getfixturevalue(who))
    for url in ("/admin/", "/admin/audit/auditevent/", "/admin/clients/client/"):
        response = client.get(url, follow=True)
        assert response.status_code == 403, url
        assert b'id="site-name"' not in response.content  # no admin chrome rendered


def test_admin__staff_flag_alone_is_not_enough(client, case_manager):
    case_manager.is_staff = True
    case_manager.save()
    client.force_login(case_manager)
    assert client.get("/admin/", follow=True).status_code == 403


def test_admin__anonymous_is_sent_to_the_portal_login(client, db):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")


def test_admin__governance_lead_reaches_audit_log(client, governance_lead, case_manager):
    client.force_login(governance_lead)
    assert client.get("/admin/").status_code == 200
    response = client.get("/admin/audit/auditevent/")
    assert response.status_code == 200
    assert b"membership.granted" in response.content


def test_admin__superuser_reaches_admin(client, superuser):
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200


def test_admin__governance_cannot_edit_audit_rows(client, governance_lead):
    client.force_login(governance_lead)
    event = AuditEvent.objects.first()
    response = client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"outcome": "denied"})
    assert response.status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403


def test_admin__membership_changes_go_through_audited_service(client, governance_lead, county):
    client.force_login(governance_lead)
    user = UserFactory(username="fresh")
    response = client.post(
        "/admin/providers/membership/add/",
        {"user": user.pk, "organization": county.pk, "role": "case_manager", "active": "on"},
    )
    assert response.status_code == 302, response.content[:2000]
    membership = Membership.objects.get(user=user)
    assert user.groups.filter(name="case_manager").exists()
    granted = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_GRANTED, target_id=str(membership.pk))
    assert granted.actor == governance_lead and granted.source == "admin"

    response = client.post(f"/admin/providers/membership/{membership.pk}/change/", {"role": "case_manager"})
    assert response.status_code == 302
    assert not user.groups.exists()
    assert AuditEvent.objects.filter(action=AuditAction.MEMBERSHIP_REVOKED, actor=governance_lead).count() == 1


def test_admin__memberships_cannot_be_deleted(client, governance_lead, case_manager):
    client.force_login(governance_lead)
    membership = case_manager.memberships.get()
    client.post(f"/admin/providers/membership/{membership.pk}/delete/", {"post": "yes"})
    assert Membership.objects.filter(pk=membership.pk).exists()
