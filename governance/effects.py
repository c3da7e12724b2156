"""What a reviewer's decision does to the access under review, inside the decision's transaction.

Revoking takes effect at once: a membership goes inactive through the membership service (groups follow, the
change is audited), and if it was the user's last active role their sessions and API tokens end, so the next
request is refused. A referral grant (share or worker assignment) is deleted and the referral's timeline and
the audit trail say so. Changing a role goes through the membership service too.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.accounts import user_sessions_end, user_tokens_delete
from providers.models import Membership
from providers.services import membership_revoke, membership_update
from referrals.choices import EventKind
from referrals.models import Referral, ReferralUserObjectPermission
from referrals.services import record_event

from .models import AccessReviewItem


def membership_revoke_for_review(*, actor, item: AccessReviewItem) -> dict:
    effect: dict = {}
    membership = Membership.objects.select_for_update().filter(pk=item.membership_id).first()
    if membership is not None and membership.active:
        membership_revoke(actor=actor, membership=membership)
        effect["membership_revoked"] = True
    else:
        effect["membership_revoked"] = False  # already inactive (or gone): nothing left to revoke
    user = item.subject_user
    if (
        user is not None
        and not Membership.objects.filter(user_id=user.pk, active=True, organization__active=True).exists()
    ):
        # No role left anywhere: what they are signed in with must stop working on the next request.
        effect["sessions_ended"] = user_sessions_end(user=user)
        effect["tokens_deleted"] = user_tokens_delete(user=user)
    return effect


def membership_change_role(*, actor, item: AccessReviewItem, new_role: str) -> dict:
    membership = Membership.objects.select_for_update().filter(pk=item.membership_id).first()
    if membership is None or not membership.active:
        raise ValidationError({"decision": ["This membership is no longer active: there is no role to change."]})
    if membership.role == new_role:
        raise ValidationError({"new_role": ["That is the role they hold now: choose another, or keep."]})
    if Membership.objects.filter(
        user_id=membership.user_id, organization_id=membership.organization_id, role=new_role
    ).exists():
        raise ValidationError({"new_role": ["They have (or had) that role there already: revoke this one instead."]})
    before = membership.role
    membership_update(actor=actor, membership=membership, role=new_role, active=True)
    return {"role_changed": {"from": before, "to": new_role}}


def grant_revoke_for_review(*, actor, item: AccessReviewItem, now: datetime.datetime | None = None) -> dict:
    """Delete the referral grant, as `referrals.assignment.referral_unshare` would.

    That service lets only the referring case manager unshare; here the authority is the access review, so the
    grant is removed directly, with the same timeline entry and `referral.unshared` audit row (subtype
    "access_review"). A worker assignment also leaves the referral's `assigned_worker`.
    """
    grant = (
        ReferralUserObjectPermission.objects.select_for_update()
        .select_related("permission", "user")
        .filter(pk=item.grant_id)
        .first()
    )
    if grant is None:
        return {"grant_deleted": False}  # expired and cleaned up, or unshared since the campaign opened
    # Locked by id, not through visible_to: the campaign, not the referral's sides, authorizes this.
    referral = Referral.objects.select_for_update().get(pk=grant.content_object_id)
    codename = grant.permission.codename
    holder = grant.user
    grant.delete()
    detail = {
        "colleague": str(holder.pk),
        "colleague_name": holder.get_full_name() or holder.get_username(),
        "permission": codename,
        "access_review_item": item.pk,
        "campaign": str(item.campaign_id),
    }
    if codename == "change_referral" and referral.assigned_worker_id == holder.pk:
        referral.assigned_worker = None
        referral.version += 1
        referral._history_user = actor
        referral.save(update_fields=["assigned_worker", "version", "updated_at"])
        detail["assignment_cleared"] = True
    record_event(
        referral=referral,
        name=EventKind.UNSHARED,
        actor=actor,
        side="",
        from_status=referral.status,
        now=now or timezone.now(),
        detail=detail,
    )
    audit_record(
        action=AuditAction.REFERRAL_UNSHARED,
        actor=actor,
        target=referral,
        client_id=referral.client_id,
        subtype="access_review",
        detail=detail,
    )
    return {"grant_deleted": True, "permission": codename, "assignment_cleared": "assignment_cleared" in detail}
