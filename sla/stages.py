"""The three response targets of a referral and when each is still owed by the provider.

A stage is owed while the referral is in one of its owing statuses and its milestone is not stamped.
Everything that asks "is this late?" (the dashboards' overdue filter, the sweep, the escalation level)
uses these two rules, in Python (`stage_owed`) or as SQL (`owed_q`).
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q

from referrals.choices import Status


class Stage(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", "Acknowledgement"
    FIRST_CONTACT = "first_contact", "First contact"
    SERVICE_START = "service_start", "Service start"


# (stage, due-time column, milestone column) on Referral.
STAGES = (
    (Stage.ACKNOWLEDGE.value, "acknowledge_due_at", "acknowledged_at"),
    (Stage.FIRST_CONTACT.value, "first_contact_due_at", "first_contact_at"),
    (Stage.SERVICE_START.value, "service_start_due_at", "service_started_at"),
)
DUE_FIELD = {stage: due for stage, due, _ in STAGES}
DONE_FIELD = {stage: done for stage, _, done in STAGES}
STAGE_LABELS = {"acknowledge": "acknowledgement", "first_contact": "first contact", "service_start": "service start"}

# Statuses in which each stage is still owed by the provider. A hold pauses the alarm (not the clock):
# nothing is overdue while on hold, and a resumed referral is judged against its original due times.
OWED: dict[str, tuple[str, ...]] = {
    "acknowledge": (Status.SENT,),
    "first_contact": (Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED, Status.IN_PROGRESS),
    "service_start": (Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED, Status.IN_PROGRESS),
}


def stage_owed(referral, stage: str) -> bool:
    """The provider still owes `stage` (whatever its due time)."""
    return referral.status in OWED[stage] and getattr(referral, DONE_FIELD[stage]) is None


def owed_q(stage: str, prefix: str = "") -> Q:
    """`stage_owed` as a filter; `prefix` reaches the referral through a relation ("referral__")."""
    return Q(**{f"{prefix}status__in": OWED[stage], f"{prefix}{DONE_FIELD[stage]}__isnull": True})


def overdue_stages(referral, now: datetime.datetime) -> list[str]:
    """Stages whose due time has passed while the provider still owes them."""
    return [
        stage
        for stage, due_field, _ in STAGES
        if stage_owed(referral, stage)
        and getattr(referral, due_field) is not None
        and getattr(referral, due_field) <= now
    ]


def overdue_q(now: datetime.datetime) -> Q:
    """The same rule as `overdue_stages`, as one filter."""
    q = Q(pk__in=[])
    for stage, due_field, _ in STAGES:
        q |= owed_q(stage) & Q(**{f"{due_field}__lte": now})
    return q
