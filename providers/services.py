"""Writes to memberships: each keeps the user's role groups in step and leaves an audit row.

Each write checks the actor's authority first (`membership_refusal`): the system (actor None) may; anyone else
needs the membership permission through a role at the target organization, and never on their own membership.
A refusal is a PermissionDenied and a denied audit row.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction

from audit.choices import AuditAction, Outcome
from audit.services import audit_record
from audit.signals import role_groups_sync
from coordination.access import Action, is_active_user
from coordination.roles import ROLE_PERMISSIONS

from .access import holds_permission
from .models import Membership, Organization

ADD_PERM = "providers.add_membership"
CHANGE_PERM = "providers.change_membership"


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


def membership_refusal(*, actor, user, organization: Organization, action: Action = Action.ADD) -> str:
    """Why `actor` may not grant (ADD) or change (CHANGE) `user`'s membership at `organization`; "" if they may.

    `actor` None is the system (migrations, seeding, fixtures) and may. Anyone else needs
    `providers.add_membership` / `providers.change_membership` through an active role at that very
    organization (superuser status is no shortcut), and nobody grants or changes their own membership.
    """
    if actor is None:
        return ""
    if not is_active_user(actor):
        return "Only an active, signed-in user may grant or change memberships."
    if user is not None and user.pk == actor.pk:
        return "Nobody grants or changes their own membership: another governance lead must do it."
    perm, verb = (ADD_PERM, "grant") if action == Action.ADD else (CHANGE_PERM, "change")
    if not holds_permission(actor, perm, organization):
        return f"Your roles do not allow you to {verb} memberships at {organization.name}."
    return ""


def membership_authorize(
    *, actor, user, organization: Organization, role: str, action: Action = Action.ADD, membership=None
) -> None:
    """Raise PermissionDenied (after a denied audit row) if `actor` may not make this membership write.

    Call it outside the write's transaction (the services do), so the denied row is kept.
    """
    reason = membership_refusal(actor=actor, user=user, organization=organization, action=action)
    if not reason:
        return
    audit_record(
        action=AuditAction.MEMBERSHIP_GRANTED if action == Action.ADD else AuditAction.MEMBERSHIP_CHANGED,
        actor=actor,
        target=membership,
        organization=organization,
        outcome=Outcome.DENIED,
        outcome_reason=reason,
        detail={
            "requested": {
                "user": user.get_username() if user is not None else None,
                "organization": organization.slug,
                "role": role,
            }
        },
    )
    raise PermissionDenied(reason)


def membership_grant(*, actor, user, organization: Organization, role: str) -> Membership:
    """Give `user` `role` at `organization` (reactivating a revoked grant of the same role).

    Refused (PermissionDenied, audited) unless `actor` is the system (None) or may add memberships at
    `organization`, and it is not their own.
    """
    membership_authorize(actor=actor, user=user, organization=organization, role=role, action=Action.ADD)
    return _grant(actor=actor, user=user, organization=organization, role=role)


@transaction.atomic
def _grant(*, actor, user, organization: Organization, role: str) -> Membership:
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


def membership_update(*, actor, membership: Membership, role: str, active: bool) -> Membership:
    """Change a membership's role or active flag (revoking is `active=False`).

    Refused (PermissionDenied, audited) unless `actor` is the system (None) or may change memberships at
    the membership's organization, and it is not their own. User and organization are read from the
    stored row, never from the object passed in.
    """
    stored = Membership.objects.select_related("user", "organization").get(pk=membership.pk)
    membership_authorize(
        actor=actor,
        user=stored.user,
        organization=stored.organization,
        role=role,
        action=Action.CHANGE,
        membership=stored,
    )
    return _update(actor=actor, membership=membership, role=role, active=active)


@transaction.atomic
def _update(*, actor, membership: Membership, role: str, active: bool) -> Membership:
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
