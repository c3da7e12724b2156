"""Due times for the referral milestones, stored on the row so lists can sort and filter on them.

Targets per urgency come from `settings.REFERRAL_SLA_TARGETS` and run on the wall clock. (The SLA
issue replaces this with an admin-editable policy in business time; the columns stay.)
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Q

from .choices import Status
from .models import Referral

STAGES = (
    ("acknowledge", "acknowledge_due_at", "acknowledged_at"),
    ("first_contact", "first_contact_due_at", "first_contact_at"),
    ("service_start", "service_start_due_at", "service_started_at"),
)
STAGE_LABELS = {"acknowledge": "acknowledgement", "first_contact": "first contact", "service_start": "service start"}
# Statuses in which each stage is still owed by the provider.
_OWED = {
    "acknowledge": (Status.SENT,),
    "first_contact": (Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED, Status.IN_PROGRESS),
    "service_start": (Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED, Status.IN_PROGRESS),
}


def targets(urgency: str) -> dict[str, datetime.timedelta]:
    hours = settings.REFERRAL_SLA_TARGETS[urgency]
    return {stage: datetime.timedelta(hours=hours[stage]) for stage, _, _ in STAGES}


def set_due_times(referral: Referral) -> list[str]:
    """Fill the due times from `sent_at`; returns the fields it set."""
    if referral.sent_at is None:
        return []
    due = targets(referral.urgency)
    for stage, due_field, _ in STAGES:
        setattr(referral, due_field, referral.sent_at + due[stage])
    return [due_field for _, due_field, _ in STAGES]


def overdue_stages(referral: Referral, now: datetime.datetime) -> list[str]:
    """Stages whose due time has passed while the provider still owes them."""
    return [
        stage
        for stage, due_field, done_field in STAGES
        if referral.status in _OWED[stage]
        and getattr(referral, done_field) is None
        and getattr(referral, due_field) is not None
        and getattr(referral, due_field) <= now
    ]


def overdue_q(now: datetime.datetime) -> Q:
    """The same rule as `overdue_stages`, as one filter."""
    q = Q(pk__in=[])
    for stage, due_field, done_field in STAGES:
        q |= Q(
            status__in=_OWED[stage],
            **{f"{done_field}__isnull": True, f"{due_field}__lte": now},
        )
    return q
