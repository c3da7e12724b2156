"""Overdue campaigns remind their reviewers, at most once a day, through the outbox."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.outbox import outbox_enqueue

from ..choices import CampaignStatus, Decision
from ..models import AccessReviewCampaign, AccessReviewItem

REMIND_EVERY = datetime.timedelta(hours=24)
REMINDER_EVENT = "access_review.reminder"


def _remindable(now: datetime.datetime) -> Q:
    return (
        Q(status=CampaignStatus.OPEN, due_at__lt=now)
        & (Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - REMIND_EVERY))
        & Q(pk__in=AccessReviewItem.objects.filter(decision=Decision.UNDECIDED).values("campaign_id"))
    )


def campaigns_remind_overdue(*, now: datetime.datetime | None = None) -> int:
    """Remind the reviewers of each overdue campaign with undecided items, at most once a day; answer how many.

    A system sweep (no acting user), so it reads campaigns directly rather than through `visible_to`.
    """
    now = now or timezone.now()
    due = list(AccessReviewCampaign.objects.filter(_remindable(now)).values_list("pk", flat=True))
    return sum(1 for pk in due if _remind(pk, now))


@transaction.atomic
def _remind(campaign_id, now: datetime.datetime) -> bool:
    # Re-checked under the lock: two sweeps at once send one reminder.
    campaign = AccessReviewCampaign.objects.select_for_update().filter(_remindable(now), pk=campaign_id).first()
    if campaign is None:
        return False
    undecided = campaign.items.filter(decision=Decision.UNDECIDED).count()
    reviewers = list(campaign.reviewers.filter(is_active=True).order_by("pk"))
    reachable = [r.pk for r in reviewers if r.email]
    campaign.last_reminded_at = now
    campaign.save(update_fields=["last_reminded_at"])
    audit_record(
        action=AuditAction.ACCESS_REVIEW_REMINDED,
        target=campaign,
        actor_display="system: access review reminders",
        detail={
            "undecided": undecided,
            "due_at": campaign.due_at.isoformat(),
            "reviewers": reachable,
            "without_email": [r.pk for r in reviewers if not r.email],
        },
    )
    outbox_enqueue(REMINDER_EVENT, subject=campaign, data={"reviewer_ids": reachable, "undecided": undecided})
    return True
