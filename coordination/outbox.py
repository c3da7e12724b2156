"""The persisted outbox: side effects that survive a broker outage and run exactly once per handler.

A service calls `outbox_enqueue(event, subject=..., data=...)` inside its own atomic block, so the row commits
with the change or not at all. After commit the row is handed to Celery (`coordination.tasks.outbox_process`);
a broker outage is logged and swallowed, so the request still succeeds. The periodic sweep
(`coordination.tasks.outbox_sweep`, every minute) hands over again whatever is unprocessed and due: never
handed over, handed over so long ago that the task must have been lost, or failed and due for a retry.

Processing (`outbox_process_message`) locks the row (`select_for_update(skip_locked=True)`), skips it if it
is already processed or being processed elsewhere, runs every registered handler inside one transaction and
marks it processed in that same transaction. A handler error rolls all handlers back and schedules a retry
with backoff; a worker killed mid-way rolls everything back too. So a message may be handed over many times
but its handlers' database effects commit once. Handlers must still be idempotent (unique constraints on the
event id) because effects outside the database cannot be rolled back.
"""

from __future__ import annotations

import datetime
import logging
import traceback
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from coordination.access import NOTHING, AccessPolicy, Action, register

from .models import OutboxMessage

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], None]
_handlers: list[Handler] = []


def _setting(name: str, default: datetime.timedelta) -> datetime.timedelta:
    return getattr(settings, name, default)


def handover_grace() -> datetime.timedelta:
    """How long the sweep leaves a fresh row to its after-commit hand-over."""
    return _setting("OUTBOX_HANDOVER_GRACE", datetime.timedelta(seconds=30))


def redeliver_after() -> datetime.timedelta:
    """How long after a hand-over an unprocessed row counts as lost (longer than the task time limit)."""
    return _setting("OUTBOX_REDELIVER_AFTER", datetime.timedelta(minutes=5))


def retry_delay(attempts: int) -> datetime.timedelta:
    """Backoff after the n-th failed attempt: 1, 2, 4, 8 ... minutes, capped at an hour. Never given up."""
    cap = _setting("OUTBOX_MAX_BACKOFF", datetime.timedelta(hours=1))
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), cap)


@register(OutboxMessage)
class OutboxMessagePolicy(AccessPolicy):
    """Plumbing, not portal content: no user reads outbox rows through the portal."""

    def q(self, user, action: Action) -> models.Q:
        return NOTHING


def outbox_handler(func: Handler) -> Handler:
    """Register `func(message)` to run for every outbox message (idempotent: it may be retried)."""
    if func not in _handlers:
        _handlers.append(func)
    return func


def registered_handlers() -> tuple[Handler, ...]:
    return tuple(_handlers)


def outbox_enqueue(event: str, *, subject: models.Model | None = None, data: dict | None = None) -> OutboxMessage:
    """Write one outbox row in the current transaction (call it inside the service's atomic block).

    After commit the row is handed to Celery; if that fails, the sweep hands it over later.
    """
    now = timezone.now()
    message = OutboxMessage.objects.create(
        event=event,
        subject_type=subject._meta.label if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        data=data or {},
        created_at=now,
        next_attempt_at=now + handover_grace(),
    )
    transaction.on_commit(lambda: hand_over([message.pk]))
    return message


def _publish(message_id) -> None:
    from .tasks import outbox_process

    # retry=False: with the broker down, fail at once instead of holding the request (the sweep retries).
    outbox_process.apply_async(args=[str(message_id)], retry=False)


def hand_over(message_ids: Iterable, *, now: datetime.datetime | None = None) -> int:
    """Give these rows to the task queue; return how many were handed over. Never raises for the broker.

    Each row is marked handed over (and due again only after `redeliver_after`) before publishing, so a worker
    that picks it up at once, or runs it eagerly, sees the mark; a failed publish makes it due again at once
    and stops the loop: the broker is down, the sweep will try again.
    """
    now = now or timezone.now()
    ids = list(message_ids)
    handed = 0
    for position, message_id in enumerate(ids):
        OutboxMessage.objects.filter(pk=message_id, processed_at__isnull=True).update(
            handed_over_at=now, next_attempt_at=now + redeliver_after()
        )
        try:
            _publish(message_id)
        except Exception:  # broker outage of any kind: kombu OperationalError, redis ConnectionError, timeouts
            logger.warning(
                "outbox: hand-over failed for %s (and %d more); the sweep will retry",
                message_id,
                len(ids) - position - 1,
                exc_info=True,
            )
            OutboxMessage.objects.filter(pk__in=ids[position:], processed_at__isnull=True).update(
                handed_over_at=None, next_attempt_at=now
            )
            return handed
        handed += 1
    return handed


def outbox_due(*, now: datetime.datetime | None = None, limit: int = 500) -> list:
    """Ids of unprocessed rows the sweep should hand over now, oldest first."""
    now = now or timezone.now()
    return list(
        OutboxMessage.objects.filter(processed_at__isnull=True, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "created_at")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_sweep_run(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Hand over every unprocessed row that is due; return how many were handed over."""
    now = now or timezone.now()
    return hand_over(outbox_due(now=now, limit=limit), now=now)


def outbox_process_message(*, message_id, now: datetime.datetime | None = None) -> bool:
    """Run every handler for one message, once. True if this call processed it."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, processed_at__isnull=True)
            .first()
        )
        if message is None:
            # Already processed, being processed by another worker right now, or unknown.
            return False
        now = now or timezone.now()
        message.attempts += 1
        try:
            with transaction.atomic():
                for handler in registered_handlers():
                    handler(message)
        except Exception as error:
            message.last_error = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=5)}"[:4000]
            message.next_attempt_at = now + retry_delay(message.attempts)
            message.handed_over_at = None
            message.save(update_fields=["attempts", "last_error", "next_attempt_at", "handed_over_at"])
            logger.warning(
                "outbox: %s %s failed (attempt %d), retry at %s",
                message.event,
                message.pk,
                message.attempts,
                message.next_attempt_at.isoformat(),
                exc_info=True,
            )
            return False
        message.processed_at = now
        message.last_error = ""
        message.save(update_fields=["attempts", "last_error", "processed_at"])
        return True
