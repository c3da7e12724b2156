from audit.choices import AuditAction
from audit.models import AuditEvent
from coordination.roles import ROLE_PERMISSIONS, Role
from providers.services import membership_grant, membership_revoke, membership_update
from tests.factories import UserFactory


def test_sync_roles__one_group_per_role_with_exact_permissions(db):
    from django.contrib.auth.models import Group

    from coordination.roles_sync import sync_roles

    sync_roles()
    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        got = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert got == set(perms)


def test_membership_grant__adds_role_group_and_audits(county, governance_lead):
    user = UserFactory(username="newcm")
    membership = membership_grant(actor=governance_lead, user=user, organization=county, role=Role.CASE_MANAGER)
    assert list(user.groups.values_list("name", flat=True)) == ["case_manager"]
    assert user.has_perm("clients.add_client")
    event = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_GRANTED, target_id=str(membership.pk))
    assert event.actor == governance_lead
    assert event.detail["after"] == {
        "user": "newcm",
        "organization": county.slug,
        "role": "case_manager",
        "active": True,
    }


def test_membership_grant__is_idempotent(county):
    user = UserFactory(username="twice")
    first = membership_grant(actor=None, user=user, organization=county, role=Role.CASE_MANAGER)
    second = membership_grant(actor=None, user=user, organization=county, role=Role.CASE_MANAGER)
    assert first.pk == second.pk
    assert AuditEvent.objects.filter(action=AuditAction.MEMBERSHIP_GRANTED).count() == 1


def test_membership_revoke__removes_group_and_audits_before_after(case_manager, governance_lead):
    membership = case_manager.memberships.get()
    membership_revoke(actor=governance_lead, membership=membership)
    case_manager.refresh_from_db()
    assert not case_manager.groups.exists()
    event = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_REVOKED)
    assert event.detail["before"]["active"] is True and event.detail["after"]["active"] is False
    assert membership.history.first().history_user == governance_lead


def test_membership_update__role_change_moves_group(case_manager, governance_lead):
    membership = case_manager.memberships.get()
    membership_update(actor=governance_lead, membership=membership, role=Role.COUNTY_SUPERVISOR, active=True)
    assert list(case_manager.groups.values_list("name", flat=True)) == ["county_supervisor"]
    event = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_CHANGED)
    assert event.detail["before"]["role"] == "case_manager" and event.detail["after"]["role"] == "county_supervisor"
