"""Which targets apply to a referral, and its due times.

Policy: the `SlaPolicy` row for the referral's urgency and need wins over the row for its urgency alone
("any need"); with neither, the built-in defaults below (also what the data migration and `seed_demo` write).

When the clocks start (decided here, once): every stage is measured from the moment the referral is SENT.
Accepting does not restart the first-contact or service-start clocks: the client has been waiting since the
referral went out, and a provider that sits on a referral before accepting it must not earn itself a fresh
deadline. The due times are computed when the referral is sent and stored on the row (indexed columns); later
steps never move them, and a policy edited afterwards applies to referrals sent afterwards. A hold pauses the
alarm, not the clock (see `sla.stages`). A rerouted referral is a new referral with its own sending time.

The second escalation comes the stage's own target again after the due time (times `escalation_multiplier`),
counted the same way: a routine acknowledgement due Tuesday 17:00 (2 business days) escalates to the county on
Thursday 17:00.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q

from referrals.choices import Urgency

from .calendar import BusinessCalendar, day_interval, default_weekly, merge, safe_add
from .choices import Unit
from .models import Holiday, OpeningHours, SlaPolicy
from .stages import STAGES


@dataclass(frozen=True)
class Target:
    amount: int
    unit: str


@dataclass(frozen=True)
class Targets:
    """One policy's targets, detached from the database (the defaults are not rows)."""

    acknowledge: Target
    first_contact: Target
    service_start: Target
    around_the_clock: bool = False
    escalation_multiplier: int = 1

    def for_stage(self, stage: str) -> Target:
        return getattr(self, stage)

    @classmethod
    def of(cls, policy: SlaPolicy) -> Targets:
        return cls(
            **{
                stage: Target(getattr(policy, f"{stage}_amount"), getattr(policy, f"{stage}_unit"))
                for stage, _, _ in STAGES
            },
            around_the_clock=policy.around_the_clock,
            escalation_multiplier=policy.escalation_multiplier,
        )


H, BD, D = Unit.HOURS, Unit.BUSINESS_DAYS, Unit.DAYS
# The shipped policy (issue 6): crisis around the clock; urgent and routine in the receiving organization's hours.
DEFAULT_TARGETS: dict[str, Targets] = {
    Urgency.CRISIS: Targets(Target(1, H), Target(4, H), Target(3, D), around_the_clock=True),
    Urgency.URGENT: Targets(Target(4, H), Target(1, BD), Target(7, D)),
    Urgency.ROUTINE: Targets(Target(2, BD), Target(5, BD), Target(30, D)),
}


def default_policy_rows() -> list[dict]:
    """The defaults as `SlaPolicy` field values (data migration, seed)."""
    rows = []
    for urgency, targets in DEFAULT_TARGETS.items():
        row = {"urgency": str(urgency), "category": "", "around_the_clock": targets.around_the_clock}
        for stage, _, _ in STAGES:
            target = targets.for_stage(stage)
            row[f"{stage}_amount"], row[f"{stage}_unit"] = target.amount, str(target.unit)
        rows.append(row)
    return rows


def targets_for(urgency: str, category: str = "") -> Targets:
    """The most specific policy: (urgency, need), else (urgency, any need), else the built-in default."""
    rows = {p.category: p for p in SlaPolicy.objects.filter(Q(category=category) | Q(category=""), urgency=urgency)}
    policy = rows.get(category) if category else None
    policy = policy or rows.get("")
    if policy is not None:
        return Targets.of(policy)
    return DEFAULT_TARGETS.get(urgency, DEFAULT_TARGETS[Urgency.ROUTINE])


def calendar_for(organization_id) -> BusinessCalendar:
    """The organization's opening hours (or the default week) and holidays (everyone's and its own)."""
    weekly = default_weekly()
    if organization_id is not None:
        rows = list(
            OpeningHours.objects.filter(organization_id=organization_id).values_list("weekday", "opens", "closes")
        )
        if rows:
            days: dict[int, list] = {}
            for weekday, opens, closes in rows:
                days.setdefault(weekday, []).append(day_interval(opens, closes))
            weekly = {weekday: merge(intervals) for weekday, intervals in days.items()}
    holidays = Holiday.objects.filter(Q(organization__isnull=True) | Q(organization_id=organization_id))
    return BusinessCalendar(weekly=weekly, holidays=frozenset(holidays.values_list("date", flat=True)))


class CalendarCache:
    """Calendars per organization for one run (the sweep asks for the same few organizations many times)."""

    def __init__(self) -> None:
        self._calendars: dict = {}

    def __call__(self, organization_id) -> BusinessCalendar:
        if organization_id not in self._calendars:
            self._calendars[organization_id] = calendar_for(organization_id)
        return self._calendars[organization_id]


def due_times(
    *, urgency: str, category: str, organization_id, sent_at: datetime.datetime, calendars=calendar_for
) -> dict[str, datetime.datetime]:
    """{stage: due time} for a referral sent at `sent_at` to `organization_id`."""
    targets = targets_for(urgency, category)
    calendar = calendars(organization_id)
    return {
        stage: safe_add(
            calendar,
            sent_at,
            targets.for_stage(stage).amount,
            targets.for_stage(stage).unit,
            around_the_clock=targets.around_the_clock,
        )
        for stage, _, _ in STAGES
    }


def second_escalation_at(
    referral, stage: str, due_at: datetime.datetime, *, calendars=calendar_for
) -> datetime.datetime:
    """When a breach still open climbs to level 2: the stage's target again (times the multiplier) after due."""
    targets = targets_for(referral.urgency, referral.category)
    target = targets.for_stage(stage)
    calendar = calendars(referral.receiving_organization_id)
    amount = target.amount * targets.escalation_multiplier
    return safe_add(calendar, due_at, amount, target.unit, around_the_clock=targets.around_the_clock)
