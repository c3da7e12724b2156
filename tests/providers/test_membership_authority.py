"""Who may grant and change memberships: the services check the actor's authority, the admin is scoped.

A governance lead manages the memberships of the organizations where their roles carry the membership
permissions; nobody manages their own; the system (actor None) seeds and migrates.
"""

import pytest
from django.core.exceptions import PermissionDenied

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from coordination.roles import Role
from providers.models import Membership
from providers.services import membership_grant, membership_revoke, membership_update
from tests.factories import UserFactory

ADD_URL = "/admin/providers/membership/add/"
LIST_URL = "/admin/providers/membership/"


def _change_url(membership) -> str:
    return f"/admin/providers/membership/{membership.pk}/change/"


@pytest.fixture
def other_governance_lead(other_provider):
    """A governance lead at `other_provider`: gets past the admin's gate, has no say over the county."""
    user = UserFactory(username="othergov", is_staff=True)
    membership_grant(actor=None, user=user, organization=other_provider, role=Role.GOVERNANCE_LEAD)
    return user


def _grant_form(user, organization, role="case_manager") -> dict:
    return {"user": user.pk, "organization": organization.pk, "role": role, "active": "on"}


def _denied(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, outcome=Outcome.DENIED))


# --- services ---------------------------------------------------------------------------------------------


def test_grant__governance_lead_at_the_organization_grants_another_user(county, governance_lead):
    user = UserFactory(username="newcm")
    membership = membership_grant(actor=governance_lead, user=user, organization=county, role=Role.CASE_MANAGER)
    assert membership.active and user.groups.filter(name=Role.CASE_MANAGER).exists()
    event = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_GRANTED, target_id=str(membership.pk))
    assert event.actor == governance_lead and event.outcome == Outcome.SUCCESS


def test_grant__governance_lead_elsewhere_is_refused_at_the_county(county, other_governance_lead):
    user = UserFactory(username="mole")
    with pytest.raises(PermissionDenied, match="grant memberships at Lakeside County"):
        membership_grant(actor=other_governance_lead, user=user, organization=county, role=Role.CASE_MANAGER)
    assert not Membership.objects.filter(user=user).exists()
    assert not user.groups.exists()
    [denied] = _denied(AuditAction.MEMBERSHIP_GRANTED)
    assert denied.actor == other_governance_lead
    assert denied.detail["requested"] == {"user": "mole", "organization": county.slug, "role": "case_manager"}


def test_grant__nobody_grants_themselves(county, other_governance_lead, governance_lead):
    with pytest.raises(PermissionDenied, match="their own membership"):
        membership_grant(
            actor=other_governance_lead, user=other_governance_lead, organization=county, role=Role.CASE_MANAGER
        )
    # Not even where they do have authority.
    with pytest.raises(PermissionDenied, match="their own membership"):
        membership_grant(actor=governance_lead, user=governance_lead, organization=county, role=Role.CASE_MANAGER)
    assert not Membership.objects.filter(role=Role.CASE_MANAGER).exists()
    assert not other_governance_lead.groups.filter(name=Role.CASE_MANAGER).exists()
    assert len(_denied(AuditAction.MEMBERSHIP_GRANTED)) == 2


@pytest.mark.parametrize("who", ["case_manager", "county_supervisor", "data_steward", "superuser", "no_role_user"])
def test_grant__roles_without_the_permission_are_refused(request, county, who):
    actor = request.getfixturevalue(who)
    user = UserFactory(username="candidate")
    with pytest.raises(PermissionDenied):
        membership_grant(actor=actor, user=user, organization=county, role=Role.CASE_MANAGER)
    assert not Membership.objects.filter(user=user).exists()


def test_grant__inactive_actor_is_refused(county, governance_lead):
    governance_lead.is_active = False
    governance_lead.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        membership_grant(actor=governance_lead, user=UserFactory(), organization=county, role=Role.CASE_MANAGER)


def test_grant__the_system_may(county):
    user = UserFactory(username="seeded")
    assert membership_grant(actor=None, user=user, organization=county, role=Role.CASE_MANAGER).active


def test_update__governance_lead_at_the_organization_changes_a_role(case_manager, governance_lead):
    membership = case_manager.memberships.get()
    membership_update(actor=governance_lead, membership=membership, role=Role.COUNTY_SUPERVISOR, active=True)
    membership.refresh_from_db()
    assert membership.role == Role.COUNTY_SUPERVISOR


def test_update__governance_lead_elsewhere_is_refused(case_manager, other_governance_lead):
    membership = case_manager.memberships.get()
    with pytest.raises(PermissionDenied, match="change memberships at Lakeside County"):
        membership_update(actor=other_governance_lead, membership=membership, role=Role.GOVERNANCE_LEAD, active=True)
    with pytest.raises(PermissionDenied):
        membership_revoke(actor=other_governance_lead, membership=membership)
    membership.refresh_from_db()
    assert (membership.role, membership.active) == (Role.CASE_MANAGER, True)
    assert len(_denied(AuditAction.MEMBERSHIP_CHANGED)) == 2


def test_update__nobody_changes_their_own_membership(governance_lead):
    membership = governance_lead.memberships.get()
    with pytest.raises(PermissionDenied, match="their own membership"):
        membership_update(actor=governance_lead, membership=membership, role=Role.CASE_MANAGER, active=True)
    with pytest.raises(PermissionDenied, match="their own membership"):
        membership_revoke(actor=governance_lead, membership=membership)
    membership.refresh_from_db()
    assert (membership.role, membership.active) == (Role.GOVERNANCE_LEAD, True)


def test_update__checks_the_stored_organization_not_the_object_passed(case_manager, other_provider, governance_lead):
    """An object whose organization was swapped in memory is judged by the row in the database."""
    other_lead = UserFactory(username="otherlead")
    membership_grant(actor=None, user=other_lead, organization=other_provider, role=Role.GOVERNANCE_LEAD)
    membership = case_manager.memberships.get()
    membership.organization = other_provider
    with pytest.raises(PermissionDenied):
        membership_update(actor=other_lead, membership=membership, role=Role.GOVERNANCE_LEAD, active=True)


# --- admin ------------------------------------------------------------------------------------------------


def test_admin_add__governance_lead_grants_at_own_organization(client, governance_lead, county):
    client.force_login(governance_lead)
    user = UserFactory(username="fresh")
    response = client.post(ADD_URL, _grant_form(user, county))
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    granted = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_GRANTED, target_id=str(membership.pk))
    assert granted.actor == governance_lead and granted.source == "admin"


def test_admin_add__governance_lead_elsewhere_cannot_grant_at_the_county(client, other_governance_lead, county):
    client.force_login(other_governance_lead)
    page = client.get(ADD_URL)
    assert page.status_code == 200
    choices = {str(pk) for pk, _ in page.context["adminform"].form.fields["organization"].choices if pk}
    assert str(county.pk) not in choices

    response = client.post(ADD_URL, _grant_form(other_governance_lead, county))
    assert response.status_code == 200  # the form again, with the refusal
    assert response.context["adminform"].form.errors
    assert not Membership.objects.filter(organization=county, user=other_governance_lead).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.MEMBERSHIP_GRANTED, outcome=Outcome.SUCCESS).exclude(
        actor=None
    )


def test_admin_add__self_grant_is_a_form_error(client, governance_lead, county):
    client.force_login(governance_lead)
    response = client.post(ADD_URL, _grant_form(governance_lead, county))
    assert response.status_code == 200
    assert "their own membership" in str(response.context["adminform"].form.non_field_errors())
    assert not Membership.objects.filter(user=governance_lead, role=Role.CASE_MANAGER).exists()
    [denied] = _denied(AuditAction.MEMBERSHIP_GRANTED)
    assert denied.actor == governance_lead


def test_admin_add__superuser_without_a_role_may_not_grant(client, superuser, county):
    client.force_login(superuser)
    user = UserFactory(username="fresh")
    response = client.post(ADD_URL, _grant_form(user, county))
    assert response.status_code == 403
    assert not Membership.objects.filter(user=user).exists()


def test_admin_changelist__lists_only_own_organizations_memberships(
    client, other_governance_lead, case_manager, governance_lead
):
    client.force_login(other_governance_lead)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    listed = set(response.context["cl"].result_list)
    assert listed == set(Membership.objects.filter(user=other_governance_lead))

    client.force_login(governance_lead)
    listed = set(client.get(LIST_URL).context["cl"].result_list)
    assert case_manager.memberships.get() in listed
    assert not any(m.user_id == other_governance_lead.pk for m in listed)


def test_admin_change__hidden_membership_is_like_a_missing_one(client, other_governance_lead, case_manager):
    client.force_login(other_governance_lead)
    membership = case_manager.memberships.get()
    response = client.get(_change_url(membership))
    assert response.status_code == 302 and response.url == "/admin/"
    denied = AuditEvent.objects.get(action=AuditAction.OBJECT_ACCESS_DENIED)
    assert denied.detail["model"] == "providers.Membership"

    response = client.post(_change_url(membership), {"role": "governance_lead", "active": "on"})
    assert response.status_code == 302 and response.url == "/admin/"
    membership.refresh_from_db()
    assert (membership.role, membership.active) == (Role.CASE_MANAGER, True)

    assert client.get(f"/admin/providers/membership/{membership.pk}/history/").status_code == 404
    version = membership.history.latest("history_date").history_id
    assert client.get(f"/admin/providers/membership/{membership.pk}/history/{version}/").status_code == 404


def test_admin_change__governance_lead_changes_a_county_role(client, governance_lead, case_manager):
    client.force_login(governance_lead)
    membership = case_manager.memberships.get()
    response = client.post(_change_url(membership), {"role": "county_supervisor", "active": "on"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.COUNTY_SUPERVISOR
    assert AuditEvent.objects.filter(action=AuditAction.MEMBERSHIP_CHANGED, actor=governance_lead).count() == 1


def test_admin_change__own_membership_is_read_only(client, governance_lead):
    client.force_login(governance_lead)
    membership = governance_lead.memberships.get()
    page = client.get(_change_url(membership))
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    response = client.post(_change_url(membership), {"role": "case_manager", "active": ""})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert (membership.role, membership.active) == (Role.GOVERNANCE_LEAD, True)
