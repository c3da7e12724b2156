"""Deciding items, completing and cancelling campaigns. Revoke and change role take effect at once."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.access import Action
from coordination.roles import Role

from .. import effects
from ..choices import DECISIONS_NEEDING_NOTE, CampaignStatus, Decision, ItemKind
from ..errors import AlreadyRevoked, CampaignClosed, CampaignIncomplete, NotAReviewer
from ..models import AccessReviewCampaign, AccessReviewItem
from ..workflow import CAMPAIGN_STEPS
from .common import audited_refusal, clean_note


def _lock_campaign_for(actor, campaign_id) -> AccessReviewCampaign:
    campaign = AccessReviewCampaign.objects.select_for_update().get(pk=campaign_id)
    if not AccessReviewCampaign.objects.visible_to(actor, Action.CHANGE).filter(pk=campaign.pk).exists():
        raise NotAReviewer("Only this campaign's reviewers, or the governance lead who opened it, may do that.")
    return campaign


def item_decide(
    *, actor, item: AccessReviewItem, decision: str, note: str = "", new_role: str = ""
) -> AccessReviewItem:
    """Record keep / revoke / change_role on one item; revoke and change_role take effect at once."""
    return audited_refusal(
        AuditAction.ACCESS_REVIEW_ITEM_DECIDED,
        actor,
        item,
        str(decision),
        lambda: _decide(actor, item, decision, note, new_role),
    )


def _decide(actor, item: AccessReviewItem, decision: str, note: str, new_role: str) -> AccessReviewItem:
    campaign = _lock_campaign_for(actor, item.campaign_id)
    if campaign.status != CampaignStatus.OPEN:
        raise CampaignClosed(f"This campaign is {campaign.get_status_display().lower()}: its decisions are final.")
    locked = AccessReviewItem.objects.select_for_update().get(pk=item.pk)
    if locked.subject_user_id is not None and locked.subject_user_id == actor.pk:
        raise NotAReviewer("Nobody reviews their own access: another reviewer must decide this item.")
    note = _check_decision(locked, decision, note, new_role)
    if locked.access_removed_at is not None:
        raise AlreadyRevoked(
            "This access was already revoked by this review; to restore it, grant it again (Memberships or a share)."
        )
    now = timezone.now()
    effect = _apply(actor, locked, decision, new_role, now)
    previous = locked.decision
    locked.decision = decision
    locked.new_role = new_role if decision == Decision.CHANGE_ROLE else ""
    locked.note = note
    locked.decided_by = actor
    locked.decided_at = now
    if decision == Decision.REVOKE:
        locked.access_removed_at = now
    locked._history_user = actor
    locked.save(update_fields=["decision", "new_role", "note", "decided_by", "decided_at", "access_removed_at"])
    audit_record(
        action=AuditAction.ACCESS_REVIEW_ITEM_DECIDED,
        actor=actor,
        target=locked,
        subtype=decision,
        detail={
            "campaign": str(campaign.pk),
            "kind": locked.kind,
            "subject": locked.subject_username,
            "organization": locked.organization_name,
            "role": locked.role,
            "permission": locked.permission,
            "referral": str(locked.referral_id) if locked.referral_id else None,
            "decision": decision,
            "previous_decision": previous,
            "new_role": locked.new_role,
            "effect": effect,
        },
    )
    return locked


def _check_decision(item: AccessReviewItem, decision: str, note: str, new_role: str) -> str:
    if decision not in (Decision.KEEP, Decision.REVOKE, Decision.CHANGE_ROLE):
        raise ValidationError({"decision": ["Choose keep, revoke or change role."]})
    if decision == Decision.CHANGE_ROLE:
        if item.kind != ItemKind.MEMBERSHIP:
            raise ValidationError({"decision": ["A referral grant has no role: keep it or revoke it."]})
        if new_role not in Role.values:
            raise ValidationError({"new_role": ["Choose the role they should have instead."]})
    return clean_note(
        note,
        required=decision in DECISIONS_NEEDING_NOTE,
        why="Say why the access is revoked or changed: the note is the evidence.",
    )


def _apply(actor, item: AccessReviewItem, decision: str, new_role: str, now) -> dict:
    if decision == Decision.KEEP:
        return {}
    if decision == Decision.CHANGE_ROLE:
        return effects.membership_change_role(actor=actor, item=item, new_role=new_role)
    if item.kind == ItemKind.MEMBERSHIP:
        return effects.membership_revoke_for_review(actor=actor, item=item)
    return effects.grant_revoke_for_review(actor=actor, item=item, now=now)


def campaign_complete(*, actor, campaign: AccessReviewCampaign) -> AccessReviewCampaign:
    """Close a campaign whose every item is decided; its decisions and evidence are final from then on."""
    return audited_refusal(
        AuditAction.ACCESS_REVIEW_COMPLETED, actor, campaign, "complete", lambda: _step(actor, campaign, "complete")
    )


def campaign_cancel(*, actor, campaign: AccessReviewCampaign, note: str) -> AccessReviewCampaign:
    """Abandon a campaign (opened by mistake, superseded). Decisions already taken stay in effect."""
    note = clean_note(note, required=True, why="Say why the campaign is cancelled.")
    return audited_refusal(
        AuditAction.ACCESS_REVIEW_CANCELLED, actor, campaign, "cancel", lambda: _step(actor, campaign, "cancel", note)
    )


def _step(actor, campaign: AccessReviewCampaign, name: str, note: str = "") -> AccessReviewCampaign:
    step = CAMPAIGN_STEPS[name]
    locked = _lock_campaign_for(actor, campaign.pk)
    if locked.status not in step.sources:
        raise CampaignClosed(f"Cannot {step.label.lower()}: this campaign is {locked.get_status_display().lower()}.")
    decisions = dict(locked.items.order_by().values_list("decision").annotate(n=Count("pk")))
    undecided = decisions.get(Decision.UNDECIDED, 0)
    if name == "complete" and undecided:
        total = sum(decisions.values())
        raise CampaignIncomplete(f"{undecided} of {total} items are still undecided: decide them before completing.")
    now = timezone.now()
    locked.status = step.target
    fields = ["status"]
    if name == "complete":
        locked.completed_at = now
        fields.append("completed_at")
    locked._history_user = actor
    locked.save(update_fields=fields)
    audit_record(
        action=AuditAction.ACCESS_REVIEW_COMPLETED if name == "complete" else AuditAction.ACCESS_REVIEW_CANCELLED,
        actor=actor,
        target=locked,
        detail={"decisions": {k or "undecided": v for k, v in decisions.items()}, **({"note": note} if note else {})},
    )
    return locked
