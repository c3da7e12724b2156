"""The one periodic SLA sweep: record each missed target once, climb the escalation ladder, write the heartbeat.

`sla_sweep(now=...)` judges due times against the `now` it is given (never the database clock), so a replay
(`manage.py sla_sweep --at ...`) and tests decide exactly what is due. One run:

1. Breaches. For each stage, the referrals that owe it past its due time and have no breach for it yet. Each
   is handled in its own short transaction: lock the referral with `select_for_update(skip_locked=True)` (a
   referral another sweep or a user's step holds right now is left for the next run), re-check, insert the
   `SlaBreach` (unique per referral and stage, inside a savepoint: a racing sweep's insert makes ours a no-op),
   then the level-1 `SlaEscalation`, the audit row and the `referral.sla_breached` outbox row, all in that
   transaction. So two sweeps at once record each breach once and notify once.
2. Settle: a breach whose stage was done since (or whose referral ended) will never climb: its
   `next_escalation_at` is cleared.
3. Level 2. Breaches at level 1 whose second interval has passed while the stage is still owed: lock the breach
   and the referral (skip locked), record the level-2 escalation, flag the referral for re-routing
   (`reroute_suggested_at`), raise an `sla-breach` exception for the referring agency's county supervisors
   (deduplicated per referral and stage), audit, and enqueue `referral.escalated`, in one transaction.
4. The exception queue's own overdue escalation (`exceptions_escalate_overdue`), then the heartbeat.

A stage done late before any sweep saw it (the scheduler was down) is not recorded as a breach: nobody needs
telling any more, and reports compare the milestones with the stored due times anyway.

A failure on one referral is logged and counted; the rest of the run goes on (one bad row must not stop the
alarm for everyone), and the next run tries it again. Celery's soft time limit (`SoftTimeLimitExceeded`) is the
exception: it stops the run at once (the step in progress rolls back), the heartbeat is still written.
"""

from __future__ import annotations

import datetime
import logging
import time
from functools import reduce
from operator import or_

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.events import Event
from coordination.outbox import outbox_enqueue
from coordination.roles import Role
from exceptionqueue.choices import ExceptionKind, Severity
from exceptionqueue.services import exception_raise, exceptions_escalate_overdue
from referrals.choices import TERMINAL_STATUSES, Urgency
from referrals.models import Referral

from .heartbeat import SLA_SWEEP, heartbeat_record
from .models import SlaBreach, SlaEscalation
from .policy import CalendarCache, second_escalation_at
from .recipients import RECIPIENTS
from .stages import DONE_FIELD, DUE_FIELD, STAGE_LABELS, STAGES, owed_q

logger = logging.getLogger(__name__)

SWEEP_ACTOR = "SLA sweep"
TOP_LEVEL = 2
EXCEPTION_SEVERITY = {
    Urgency.CRISIS: Severity.CRITICAL,
    Urgency.URGENT: Severity.HIGH,
    Urgency.ROUTINE: Severity.MEDIUM,
}


def batch_size() -> int:
    return int(getattr(settings, "SLA_SWEEP_BATCH", 500))


def sla_sweep(*, now: datetime.datetime) -> dict[str, int]:
    """One run (see the module docstring); returns what it did. Safe to run twice, and twice at once."""
    if timezone.is_naive(now):
        raise ValueError("sla_sweep needs an aware `now`.")
    started = time.monotonic()
    calendars = CalendarCache()
    counts = {"breaches": 0, "escalations": 0, "settled": 0, "exceptions_escalated": 0, "errors": 0}
    try:
        for stage, _, _ in STAGES:
            for referral_id in _breach_candidates(stage, now):
                counts["breaches"] += _guarded(counts, _mark_breach, referral_id, stage, now, calendars)
        counts["settled"] = _settle()
        for breach_id in _escalation_candidates(now):
            counts["escalations"] += _guarded(counts, _climb, breach_id, now)
        counts["exceptions_escalated"] = _guarded(counts, _escalate_exceptions, now)
    finally:
        # Also when the run is cut short (the task's soft time limit): what was done is recorded.
        heartbeat_record(
            name=SLA_SWEEP, as_of=now, duration=datetime.timedelta(seconds=time.monotonic() - started), counts=counts
        )
    return counts


def _guarded(counts: dict, step, *args) -> int:
    try:
        return int(step(*args))
    except SoftTimeLimitExceeded:
        raise  # the task's time is up: stop the run (the next one carries on), never treat it as one bad row
    except Exception:
        counts["errors"] += 1
        logger.exception("sla sweep: %s failed for %s; the next run tries again", step.__name__, args[0])
        return 0


def _escalate_exceptions(now: datetime.datetime) -> int:
    return exceptions_escalate_overdue(now=now)


# --- 1. breaches -----------------------------------------------------------------------------------------


def _breach_candidates(stage: str, now: datetime.datetime) -> list:
    due_field = DUE_FIELD[stage]
    recorded = SlaBreach.objects.filter(referral_id=OuterRef("pk"), stage=stage)
    return list(
        Referral.objects.filter(owed_q(stage), **{f"{due_field}__lte": now})
        .filter(~Exists(recorded))
        .order_by(due_field)
        .values_list("pk", flat=True)[: batch_size()]
    )


@transaction.atomic
def _mark_breach(referral_id, stage: str, now: datetime.datetime, calendars: CalendarCache) -> bool:
    referral = (
        Referral.objects.select_for_update(skip_locked=True)
        .filter(owed_q(stage), pk=referral_id, **{f"{DUE_FIELD[stage]}__lte": now})
        .first()
    )
    if referral is None or SlaBreach.objects.filter(referral_id=referral_id, stage=stage).exists():
        return False
    due_at = getattr(referral, DUE_FIELD[stage])
    try:
        with transaction.atomic():
            breach = SlaBreach.objects.create(
                referral=referral,
                stage=stage,
                due_at=due_at,
                breached_at=now,
                escalation_level=1,
                next_escalation_at=second_escalation_at(referral, stage, due_at, calendars=calendars),
            )
    except IntegrityError:
        return False  # another sweep recorded it between our check and our insert
    escalation = _escalation(breach, referral, level=1, now=now)
    _announce(AuditAction.REFERRAL_SLA_BREACHED, Event.REFERRAL_SLA_BREACHED, breach, escalation, referral)
    return True


def _escalation(breach: SlaBreach, referral: Referral, *, level: int, now: datetime.datetime) -> SlaEscalation:
    return SlaEscalation.objects.create(
        referral=referral,
        breach=breach,
        stage=breach.stage,
        level=level,
        created_at=now,
        notified=RECIPIENTS[level](referral),
    )


def _announce(action: str, event: str, breach: SlaBreach, escalation: SlaEscalation, referral: Referral) -> None:
    """The audit row and the outbox row, in the caller's transaction. Ids and codes only."""
    user_ids = escalation.notified_user_ids
    audit_record(
        action=action,
        target=referral,
        client_id=referral.client_id,
        subtype=breach.stage,
        actor_display=SWEEP_ACTOR,
        detail={
            "stage": breach.stage,
            "due_at": breach.due_at.isoformat(),
            "breached_at": breach.breached_at.isoformat(),
            "level": escalation.level,
            "escalation_id": str(escalation.pk),
            "notified": user_ids,
        },
    )
    outbox_enqueue(
        event,
        subject=referral,
        data={
            "referral_id": str(referral.pk),
            "stage": breach.stage,
            "level": escalation.level,
            "user_ids": user_ids,
            "escalation_id": str(escalation.pk),
        },
    )


# --- 2. settle -------------------------------------------------------------------------------------------


def _settle() -> int:
    """Breaches that can never climb again (stage done, referral ended) stop being looked at."""
    final = reduce(
        or_,
        (
            Q(stage=stage)
            & (Q(**{f"referral__{DONE_FIELD[stage]}__isnull": False}) | Q(referral__status__in=TERMINAL_STATUSES))
            for stage, _, _ in STAGES
        ),
    )
    return SlaBreach.objects.filter(final, next_escalation_at__isnull=False).update(next_escalation_at=None)


# --- 3. level 2 ------------------------------------------------------------------------------------------


def _still_owed() -> Q:
    return reduce(or_, (Q(stage=stage) & owed_q(stage, "referral__") for stage, _, _ in STAGES))


def _escalation_candidates(now: datetime.datetime) -> list:
    return list(
        SlaBreach.objects.filter(_still_owed(), escalation_level__lt=TOP_LEVEL, next_escalation_at__lte=now)
        .order_by("next_escalation_at")
        .values_list("pk", flat=True)[: batch_size()]
    )


@transaction.atomic
def _climb(breach_id, now: datetime.datetime) -> bool:
    breach = (
        SlaBreach.objects.select_for_update(skip_locked=True)
        .filter(pk=breach_id, escalation_level__lt=TOP_LEVEL, next_escalation_at__lte=now)
        .first()
    )
    if breach is None:
        return False
    referral = (
        Referral.objects.select_for_update(skip_locked=True).filter(owed_q(breach.stage), pk=breach.referral_id).first()
    )
    if referral is None:
        return False  # a user's step holds it right now, or the stage was just done: the next run decides
    breach.escalation_level, breach.next_escalation_at = TOP_LEVEL, None
    breach.save(update_fields=["escalation_level", "next_escalation_at"])
    escalation = _escalation(breach, referral, level=TOP_LEVEL, now=now)
    if referral.reroute_suggested_at is None:
        referral.reroute_suggested_at = now
        referral._history_user = None
        referral.save(update_fields=["reroute_suggested_at"])
    _raise_exception(breach, referral, now)
    _announce(AuditAction.REFERRAL_ESCALATED, Event.REFERRAL_ESCALATED, breach, escalation, referral)
    return True


def _raise_exception(breach: SlaBreach, referral: Referral, now: datetime.datetime) -> None:
    """An owned work item for the county supervisors of the referring agency (once per referral and stage)."""
    provider = referral.receiving_organization.name if referral.receiving_organization_id else "the provider"
    due = timezone.localtime(breach.due_at)
    exception_raise(
        kind=ExceptionKind.SLA_BREACH,
        summary=(
            f"Referral {referral.reference} to {provider} still has no {STAGE_LABELS[breach.stage]} "
            f"(due {due:%b %d, %H:%M}): consider sending the client elsewhere."
        ),
        owner_organization=referral.referring_organization,
        owner_role=Role.COUNTY_SUPERVISOR,
        severity=EXCEPTION_SEVERITY.get(referral.urgency, Severity.MEDIUM),
        concerning=referral,
        detail={
            "referral_id": str(referral.pk),
            "stage": breach.stage,
            "due_at": breach.due_at.isoformat(),
            "level": 2,
        },
        dedupe_key=f"sla-breach:{referral.pk}:{breach.stage}",
        now=now,
    )
