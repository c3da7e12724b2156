"""Who sees and works access reviews and audit samples.

Governance reads the whole audit trail (audit/access.py: access reviews span organizations), so governance
leads see every campaign and sample; a named reviewer also sees the ones they review. Deciding, completing and
reviewing samples is for the campaign's (or sample's) reviewers and the governance lead who opened it. Nobody
else sees any of it: the evidence is derived from the trail.
"""

from __future__ import annotations

from django.db.models import Q

from coordination.access import EVERYTHING, NOTHING, AccessPolicy, Action, register
from providers.access import holds_permission

from .models import AccessReviewCampaign, AccessReviewItem, AuditSample, AuditSampleItem

REVIEW_PERM = "governance.change_accessreviewitem"
SAMPLE_REVIEW_PERM = "governance.change_auditsampleitem"


def _reviewing(user) -> Q:
    reviewing = AccessReviewCampaign.reviewers.through.objects.filter(user_id=user.pk)
    return Q(pk__in=reviewing.values("accessreviewcampaign_id"))


@register(AccessReviewCampaign)
class AccessReviewCampaignPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        if action == Action.VIEW:
            if holds_permission(user, "governance.view_accessreviewcampaign"):
                return EVERYTHING
            return _reviewing(user)
        if action == Action.ADD:
            return EVERYTHING if holds_permission(user, "governance.add_accessreviewcampaign") else NOTHING
        if action == Action.CHANGE and holds_permission(user, REVIEW_PERM):
            return _reviewing(user) | Q(created_by_id=user.pk)
        return NOTHING


@register(AccessReviewItem)
class AccessReviewItemPolicy(AccessPolicy):
    """Items go with their campaign: seen with it, decided by whoever may work it."""

    def q(self, user, action: Action) -> Q:
        if action not in (Action.VIEW, Action.CHANGE):
            return NOTHING
        campaigns = AccessReviewCampaign.objects.visible_to(user, action).values("pk")
        return Q(campaign_id__in=campaigns)


@register(AuditSample)
class AuditSamplePolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        if action == Action.VIEW:
            if holds_permission(user, "governance.view_auditsample"):
                return EVERYTHING
            return Q(reviewer_id=user.pk)
        if action == Action.ADD:
            return EVERYTHING if holds_permission(user, "governance.add_auditsample") else NOTHING
        if action == Action.CHANGE and holds_permission(user, SAMPLE_REVIEW_PERM):
            return Q(reviewer_id=user.pk) | Q(created_by_id=user.pk)
        return NOTHING


@register(AuditSampleItem)
class AuditSampleItemPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        if action not in (Action.VIEW, Action.CHANGE):
            return NOTHING
        return Q(sample_id__in=AuditSample.objects.visible_to(user, action).values("pk"))
