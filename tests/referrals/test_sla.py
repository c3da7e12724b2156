"""Due times set at sending, per urgency, and the overdue rule in Python and in SQL agreeing.

The business-time rules themselves (hours, business days, holidays, DST, per-organization hours) are tested in
tests/sla/test_due_times.py.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from referrals.models import DUE_TIMES as DUE_FIELDS
from referrals.models import Referral
from referrals.services import referral_transition
from referrals.sla import overdue_q, overdue_stages, set_due_times
from sla.models import SlaPolicy


def _local_days_later(instant: datetime.datetime, days: int) -> datetime.datetime:
    """The same local wall-clock time `days` dates later (how calendar days count, DST or not)."""
    local = timezone.localtime(instant).replace(tzinfo=None) + datetime.timedelta(days=days)
    return timezone.make_aware(local)


def test_submit__crisis_runs_around_the_clock(make_referral, case_manager):
    referral = make_referral("draft", urgency="crisis")
    sent_at = timezone.now() - datetime.timedelta(minutes=5)
    referral = referral_transition(actor=case_manager, referral=referral, name="submit", now=sent_at)
    row = Referral.objects.get(pk=referral.pk)
    assert row.sent_at == sent_at
    assert row.acknowledge_due_at == sent_at + datetime.timedelta(hours=1)
    assert row.first_contact_due_at == sent_at + datetime.timedelta(hours=4)
    assert row.service_start_due_at == _local_days_later(sent_at, 3)


@pytest.mark.parametrize(("urgency", "days"), [("urgent", 7), ("routine", 30)])
def test_submit__service_start_counts_calendar_days(urgency, days, make_referral, case_manager):
    referral = make_referral("draft", urgency=urgency)
    referral = referral_transition(actor=case_manager, referral=referral, name="submit")
    assert referral.service_start_due_at == _local_days_later(referral.sent_at, days)
    sent, ack, contact, start = (referral.sent_at, *(getattr(referral, f) for f in DUE_FIELDS))
    assert sent < ack <= contact < start


def test_submit__reads_the_targets_from_the_policy(make_referral, case_manager):
    SlaPolicy.objects.filter(urgency="crisis", category="").update(service_start_amount=5, service_start_unit="hours")
    referral = make_referral("draft", urgency="crisis")
    referral = referral_transition(actor=case_manager, referral=referral, name="submit")
    assert referral.service_start_due_at - referral.sent_at == datetime.timedelta(hours=5)


def test_draft__has_no_due_times_and_is_never_overdue(make_referral):
    referral = make_referral("draft")
    assert set_due_times(referral) == []
    far = timezone.now() + datetime.timedelta(days=365)
    assert (referral.acknowledge_due_at, overdue_stages(referral, far)) == (None, [])
    assert not Referral.objects.filter(overdue_q(far)).exists()


def test_later_steps__do_not_move_the_due_times(make_referral, provider_intake):
    referral = make_referral("sent", urgency="urgent")
    due = (referral.acknowledge_due_at, referral.first_contact_due_at, referral.service_start_due_at)
    referral = referral_transition(actor=provider_intake, referral=referral, name="accept")
    row = Referral.objects.get(pk=referral.pk)
    assert (row.acknowledge_due_at, row.first_contact_due_at, row.service_start_due_at) == due


def _agree(referral, now) -> list[str]:
    """overdue_stages for the row, after checking overdue_q says the same about it."""
    row = Referral.objects.get(pk=referral.pk)
    stages = overdue_stages(row, now)
    in_sql = Referral.objects.filter(overdue_q(now), pk=row.pk).exists()
    assert in_sql is bool(stages), (row.status, stages)
    return stages


# (status to reach, hours after sending to look, stages expected overdue) for a crisis referral (1h / 4h / 72h).
SCENARIOS = [
    ("sent", 0.5, []),
    ("sent", 1, ["acknowledge"]),
    ("sent", 5, ["acknowledge", "first_contact"]),
    ("sent", 80, ["acknowledge", "first_contact", "service_start"]),
    ("acknowledged", 5, ["first_contact"]),
    ("acknowledged", 2, []),
    ("accepted", 5, ["first_contact"]),
    ("accepted", 80, ["first_contact", "service_start"]),
    ("in_progress", 80, ["first_contact"]),  # service started, never contacted
    ("on_hold", 80, []),  # a hold pauses the clock
    ("declined", 80, []),
    ("closed", 80, []),
    ("cancelled", 80, []),
    ("entered_in_error", 80, []),
]


@pytest.mark.parametrize(("status", "hours", "expected"), SCENARIOS)
def test_overdue__stages_and_filter_agree(status, hours, expected, make_referral):
    referral = make_referral(status, urgency="crisis")
    now = referral.sent_at + datetime.timedelta(hours=hours)
    assert _agree(referral, now) == expected


def test_overdue__done_stage_is_not_overdue(make_referral, provider_intake):
    referral = make_referral("accepted", urgency="crisis")
    referral = referral_transition(
        actor=provider_intake, referral=referral, name="record_contact_attempt", contact_result="reached"
    )
    now = referral.sent_at + datetime.timedelta(hours=10)
    assert _agree(referral, now) == []
    assert _agree(referral, referral.sent_at + datetime.timedelta(hours=73)) == ["service_start"]


def test_overdue__backdated_sending_is_overdue_today(make_referral, case_manager):
    # Crisis: around the clock, so "overdue today" does not depend on the weekday the test runs.
    referral = make_referral("draft", urgency="crisis")
    referral = referral_transition(
        actor=case_manager, referral=referral, name="submit", now=timezone.now() - datetime.timedelta(hours=2)
    )
    assert _agree(referral, timezone.now()) == ["acknowledge"]
