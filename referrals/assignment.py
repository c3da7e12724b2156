"""Who holds a referral: the referring case manager, the provider's assigned worker, read-only shares.

The worker assignment and the shares are django-guardian object permissions (the exceptions to the
organization rule); every grant and revocation is on the timeline and in the audit trail.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.roles import roles_granting
from providers.access import holds_permission
from providers.models import Membership

from .access import ReferralActor
from .choices import EventKind, Side
from .errors import WrongSide
from .models import Referral, ReferralUserObjectPermission
from .services import lock_visible_referral, record_event


def _permission(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="referrals", codename=codename)


def _staff_of(user, organization_id, perm: str) -> bool:
    return Membership.objects.filter(
        user_id=user.pk,
        organization_id=organization_id,
        active=True,
        organization__active=True,
        role__in=roles_granting(perm),
    ).exists()


@transaction.atomic
def referral_assign_worker(*, actor, referral: Referral, worker) -> Referral:
    """A provider supervisor puts one of their staff on a referral sent to them."""
    locked = lock_visible_referral(actor, referral)
    scope = ReferralActor(actor)
    if Side.RECEIVER not in scope.sides(locked) or not scope.holds(
        "referrals.assign_worker", locked.receiving_organization_id
    ):
        raise WrongSide("Only a supervisor at the receiving provider can assign this referral.")
    if worker is not None and not _staff_of(worker, locked.receiving_organization_id, "referrals.change_referral"):
        raise ValidationError({"worker": ["Choose a staff member of the receiving provider."]})
    previous = locked.assigned_worker
    if previous == worker:
        return locked
    change = _permission("change_referral")
    ReferralUserObjectPermission.objects.filter(content_object=locked, permission=change).delete()
    if worker is not None:
        ReferralUserObjectPermission.objects.create(
            content_object=locked, user=worker, permission=change, granted_by=actor
        )
    locked.assigned_worker = worker
    locked.version += 1
    locked._history_user = actor
    locked.save()
    _assignment_recorded(actor, locked, Side.RECEIVER, "assigned_worker", previous, worker)
    return locked


@transaction.atomic
def referral_assign_case_manager(*, actor, referral: Referral, case_manager) -> Referral:
    """A county supervisor hands the referral to another case manager of the referring agency."""
    locked = lock_visible_referral(actor, referral)
    scope = ReferralActor(actor)
    is_self_claim = case_manager == actor and Side.REFERRER in scope.sides(locked)
    if not is_self_claim and not scope.holds("referrals.assign_case_manager", locked.referring_organization_id):
        raise WrongSide("Only a supervisor at the referring agency can reassign this referral.")
    if not _staff_of(case_manager, locked.referring_organization_id, "referrals.change_referral"):
        raise ValidationError({"case_manager": ["Choose a case manager of the referring agency."]})
    previous = locked.assigned_to
    if previous == case_manager:
        return locked
    locked.assigned_to = case_manager
    locked.version += 1
    locked._history_user = actor
    locked.save()
    _assignment_recorded(actor, locked, Side.REFERRER, "assigned_to", previous, case_manager)
    return locked


def _assignment_recorded(actor, referral: Referral, side: Side, field: str, previous, new) -> None:
    detail = {
        "field": field,
        "from": str(previous.pk) if previous else None,
        "to": str(new.pk) if new else None,
        "to_name": (new.get_full_name() or new.get_username()) if new else "",
    }
    record_event(
        referral=referral,
        name=EventKind.ASSIGNED,
        actor=actor,
        side=side,
        from_status=referral.status,
        now=timezone.now(),
        detail=detail,
    )
    audit_record(
        action=AuditAction.REFERRAL_ASSIGNED,
        actor=actor,
        target=referral,
        client_id=referral.client_id,
        detail=detail,
    )


@transaction.atomic
def referral_share(
    *, actor, referral: Referral, colleague, expires_at: datetime.datetime | None = None
) -> ReferralUserObjectPermission:
    """Let one named colleague (usually in another organization) read this referral."""
    locked = lock_visible_referral(actor, referral)
    scope = ReferralActor(actor)
    if Side.REFERRER not in scope.sides(locked) or not scope.holds(
        "referrals.share_referral", locked.referring_organization_id
    ):
        raise WrongSide("Only a case manager at the referring agency can share this referral.")
    if colleague == actor:
        raise ValidationError({"colleague": ["You already have access to this referral."]})
    if (
        not colleague.is_active
        or not Membership.objects.filter(user_id=colleague.pk, active=True, organization__active=True).exists()
    ):
        raise ValidationError({"colleague": ["Share only with active staff of a member organization."]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["The share must end in the future."]})
    grant, _ = ReferralUserObjectPermission.objects.update_or_create(
        content_object=locked,
        user=colleague,
        permission=_permission("view_referral"),
        defaults={"granted_by": actor, "expires_at": expires_at},
    )
    detail = {
        "colleague": str(colleague.pk),
        "colleague_name": colleague.get_full_name() or colleague.get_username(),
        "expires_at": expires_at.isoformat() if expires_at else None,
    }
    record_event(
        referral=locked,
        name=EventKind.SHARED,
        actor=actor,
        side=Side.REFERRER,
        from_status=locked.status,
        now=timezone.now(),
        detail=detail,
    )
    audit_record(
        action=AuditAction.REFERRAL_SHARED, actor=actor, target=locked, client_id=locked.client_id, detail=detail
    )
    return grant


@transaction.atomic
def referral_unshare(*, actor, referral: Referral, colleague) -> None:
    locked = lock_visible_referral(actor, referral)
    scope = ReferralActor(actor)
    if Side.REFERRER not in scope.sides(locked) or not scope.holds(
        "referrals.share_referral", locked.referring_organization_id
    ):
        raise WrongSide("Only a case manager at the referring agency can change who this referral is shared with.")
    deleted, _ = ReferralUserObjectPermission.objects.filter(
        content_object=locked, user=colleague, permission__codename="view_referral"
    ).delete()
    if not deleted:
        raise ValidationError({"colleague": ["This referral is not shared with that person."]})
    detail = {"colleague": str(colleague.pk), "colleague_name": colleague.get_full_name() or colleague.get_username()}
    record_event(
        referral=locked,
        name=EventKind.UNSHARED,
        actor=actor,
        side=Side.REFERRER,
        from_status=locked.status,
        now=timezone.now(),
        detail=detail,
    )
    audit_record(
        action=AuditAction.REFERRAL_UNSHARED, actor=actor, target=locked, client_id=locked.client_id, detail=detail
    )


# Object permissions a governance lead may set directly (the django-guardian admin on referrals).
GOVERNABLE_GRANTS = ("view_referral", "change_referral")


@transaction.atomic
def referral_grants_set(
    *, actor, referral: Referral, user, codenames: set[str], expires_at: datetime.datetime | None = None
) -> dict[str, list[str]]:
    """Make `user`'s direct grants on the referral exactly `codenames`: governance's corrective tool.

    Each grant and revocation is its own audit row (and a timeline event), like shares and assignments.
    """
    locked = lock_visible_referral(actor, referral)
    if not holds_permission(actor, "referrals.change_referraluserobjectpermission"):
        raise WrongSide("Only a governance lead can change object permissions on a referral.")
    unknown = set(codenames) - set(GOVERNABLE_GRANTS)
    if unknown:
        raise ValidationError({"permissions": [f"Not a referral permission: {', '.join(sorted(unknown))}."]})
    if codenames and not Membership.objects.filter(user_id=user.pk, active=True, organization__active=True).exists():
        raise ValidationError({"user": ["Grant only to active staff of a member organization."]})
    held = set(
        ReferralUserObjectPermission.objects.filter(content_object=locked, user=user).values_list(
            "permission__codename", flat=True
        )
    )
    granted, revoked = sorted(set(codenames) - held), sorted(held & set(GOVERNABLE_GRANTS) - set(codenames))
    for codename in granted:
        ReferralUserObjectPermission.objects.create(
            content_object=locked, user=user, permission=_permission(codename), granted_by=actor, expires_at=expires_at
        )
    if revoked:
        ReferralUserObjectPermission.objects.filter(
            content_object=locked, user=user, permission__codename__in=revoked
        ).delete()
    who = {"user": str(user.pk), "user_name": user.get_full_name() or user.get_username(), "via": "governance"}
    for action, changed in (
        (AuditAction.OBJECT_PERMISSION_GRANTED, granted),
        (AuditAction.OBJECT_PERMISSION_REVOKED, revoked),
    ):
        for codename in changed:
            audit_record(
                action=action,
                actor=actor,
                target=locked,
                client_id=locked.client_id,
                detail={**who, "permission": codename},
            )
    return {"granted": granted, "revoked": revoked}
