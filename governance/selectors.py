"""Reads for the governance admin: who may review, and campaign and sample progress in one query."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from coordination.access import Action
from coordination.roles import roles_granting
from providers.models import Membership

from .access import REVIEW_PERM, SAMPLE_REVIEW_PERM
from .choices import Decision, Verdict
from .models import AccessReviewCampaign, AuditSample


def governance_reviewers(perm: str = REVIEW_PERM) -> QuerySet:
    """Active users whose active role carries `perm` (governance leads): the people who may be named reviewers."""
    holders = Membership.objects.filter(active=True, organization__active=True, role__in=roles_granting(perm))
    return get_user_model().objects.filter(is_active=True, pk__in=holders.values("user_id")).order_by("username")


def sample_reviewers() -> QuerySet:
    return governance_reviewers(SAMPLE_REVIEW_PERM)


def campaigns_with_progress(user) -> QuerySet:
    """Campaigns `user` may see, each with `items_total` and `items_decided`."""
    return (
        AccessReviewCampaign.objects.visible_to(user, Action.VIEW)
        .select_related("created_by")
        .annotate(
            items_total=Count("items"),
            items_decided=Count("items", filter=~Q(items__decision=Decision.UNDECIDED)),
        )
    )


def samples_with_progress(user) -> QuerySet:
    return (
        AuditSample.objects.visible_to(user, Action.VIEW)
        .select_related("reviewer", "created_by", "organization")
        .annotate(
            items_total=Count("items"),
            items_reviewed=Count("items", filter=~Q(items__verdict=Verdict.UNREVIEWED)),
        )
    )
