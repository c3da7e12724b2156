"""Writes to notifications: marking your own as read.

Not written to the audit trail on purpose: a notification carries no client data and marking it read
changes only the recipient's own inbox (the event it announces is audited where it happened).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from coordination.access import Action

from .models import Notification


@transaction.atomic
def notification_mark_read(*, actor, notification_id: int, now: datetime.datetime | None = None) -> Notification:
    """Mark one of the actor's notifications read (idempotent); another user's answers 404."""
    notification = (
        Notification.objects.visible_to(actor, Action.CHANGE).select_for_update().filter(pk=notification_id).first()
    )
    if notification is None:
        raise Http404("No such notification.")
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor, now: datetime.datetime | None = None) -> int:
    """Mark every unread notification of the actor read; return how many."""
    return (
        Notification.objects.visible_to(actor, Action.CHANGE)
        .filter(read_at__isnull=True)
        .update(read_at=now or timezone.now())
    )
