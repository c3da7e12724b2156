"""Writes to memberships: each keeps the user's role groups in step and leaves an audit row."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from audit.choices import AuditAction
from audit.services import audit_record
from audit.signals import role_groups_sync
from coordination.roles import ROLE_PERMISSIONS

from .models import Membership, Organization


def user_sync_role_groups(*, user) -> None:
    """Make the user's role groups exactly the roles of their active memberships."""
    active_roles = set(
        Membership.objects.filter(user=user, active=True, organization__active=True).values_list("role", flat=True)
    )
    role_groups = Group.objects.filter(name__in=ROLE_PERMISSIONS.keys())
    with role_groups_sync():
        user.groups.remove(*[g for g in role_groups if g.name not in active_roles])
        user.groups.add(*[g for g in role_groups if g.name in active_roles])
    if hasattr(user, "_perm_cache"):
        del user._perm_cache
    if hasattr(user, "_group_perm_cache"):
        del user._group_perm_cache


def _snapshot(membership: Membership) -> dict:
    return {
        "user": membership.user.get_username(),
        "organization": membership.organization.slug,
        "role": membership.role,
        "active": membership.active,
    }


@transaction.atomic
def membership_grant(*, actor, user, organization: Organization, role: str) -> Membership:
    """Give `user` `role` at `organization` (reactivating a revoked grant of the same role)."""
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, role=role, defaults={"active": True}
    )
    if not created and not membership.active:
        membership.active = True
        membership._history_user = actor
        membership.save(update_fields=["active", "updated_at"])
    elif not created:
        return membership
    user_sync_role_groups(user=user)
    audit_record(
        action=AuditAction.MEMBERSHIP_GRANTED,
        actor=actor,
        target=membership,
        organization=organization,
        detail={"after": _snapshot(membership)},
    )
    return membership


@transaction.atomic
def membership_update(*, actor, membership: Membership, role: str, active: bool) -> Membership:
    before = _snapshot(Membership.objects.select_for_update().get(pk=membership.pk))
    membership.role = role
    membership.active = active
    membership._history_user = actor
    membership.save(update_fields=["role", "active", "updated_at"])
    user_sync_role_groups(user=membership.user)
    after = _snapshot(membership)
    if before != after:
        audit_record(
            action=AuditAction.MEMBERSHIP_REVOKED
            if before["active"] and not active
            else AuditAction.MEMBERSHIP_CHANGED,
            actor=actor,
            target=membership,
            detail={"before": before, "after": after},
        )
    return membership


def membership_revoke(*, actor, membership: Membership) -> Membership:
    return membership_update(actor=actor, membership=membership, role=membership.role, active=False)
