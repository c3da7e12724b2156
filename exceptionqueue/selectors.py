"""Reads of the exception queue: always through the access layer, always for one actor."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from coordination.access import Action
from referrals.models import Referral

from .choices import ACTIVE_STATUSES
from .errors import ExceptionNotFound
from .models import ExceptionEvent, ExceptionItem
from .workflow import TRANSITIONS


def exception_queryset(*, actor, action: Action = Action.VIEW) -> QuerySet:
    return ExceptionItem.objects.visible_to(actor, action).select_related(
        "owner_organization", "assigned_to", "resolved_by", "referral"
    )


def exception_get(*, actor, item_id, action: Action = Action.VIEW) -> ExceptionItem:
    try:
        return exception_queryset(actor=actor, action=action).get(pk=item_id)
    except (ExceptionItem.DoesNotExist, ValidationError, ValueError, TypeError) as missing:
        raise ExceptionNotFound("Exception not found.") from missing


def exception_events(*, actor, item: ExceptionItem) -> QuerySet:
    return ExceptionEvent.objects.visible_to(actor).filter(item=item).select_related("actor")


def queue_counts(*, actor, now=None) -> dict[str, int]:
    """Headline numbers for the actor's whole queue, in one aggregate query."""
    now = now or timezone.now()
    active = Q(status__in=sorted(ACTIVE_STATUSES))
    return ExceptionItem.objects.visible_to(actor).aggregate(
        open=Count("pk", filter=Q(status="open")),
        in_progress=Count("pk", filter=Q(status="in_progress")),
        overdue=Count("pk", filter=active & Q(due_at__lte=now)),
        mine=Count("pk", filter=active & Q(assigned_to_id=actor.pk)),
        critical=Count("pk", filter=active & Q(severity="critical")),
    )


class QueueActor:
    """What one user may do with a page of items, in two queries whatever the page size."""

    def __init__(self, user, items):
        items = list(items)
        ids = [i.pk for i in items]
        referral_ids = {i.referral_id for i in items if i.referral_id}
        self._workable: set = set()
        self._referrals: set = set()
        if ids:
            workable = ExceptionItem.objects.visible_to(user, Action.CHANGE).filter(pk__in=ids)
            self._workable = set(workable.values_list("pk", flat=True))
        if referral_ids:
            visible = Referral.objects.visible_to(user, Action.VIEW).filter(pk__in=referral_ids)
            self._referrals = set(visible.values_list("pk", flat=True))

    def may_work(self, item: ExceptionItem) -> bool:
        return item.pk in self._workable

    def allowed_transitions(self, item: ExceptionItem) -> list[str]:
        if not self.may_work(item):
            return []
        return [name for name, step in TRANSITIONS.items() if item.status in step.sources]

    def sees_referral(self, item: ExceptionItem) -> bool:
        return item.referral_id is not None and item.referral_id in self._referrals
