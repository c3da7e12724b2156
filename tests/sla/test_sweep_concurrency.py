"""Two sweeps at the same moment, each on its own database connection: every breach recorded once, every
escalation once, one outbox row and one audit row each.

Needs real row locks (`select_for_update(skip_locked=True)`), so PostgreSQL only.
"""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from audit.models import AuditEvent
from coordination.models import OutboxMessage
from sla.models import SlaBreach, SlaEscalation
from sla.sweep import sla_sweep

from .conftest import local

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE SKIP LOCKED); run with DATABASE_URL=postgres://...",
    ),
    pytest.mark.django_db(transaction=True),
]

T = local(2026, 5, 1, 9)
REFERRALS = 6


def _race(now: datetime.datetime, workers: int = 2) -> list:
    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = sla_sweep(now=now)
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a sweep hung"
    assert all(isinstance(r, dict) for r in results), results
    return results


def _counts(event: str, action: str) -> tuple[int, int]:
    return OutboxMessage.objects.filter(event=event).count(), AuditEvent.objects.filter(action=action).count()


@pytest.mark.parametrize("rounds", range(3))
def test_two_sweeps_at_once__record_each_breach_once(rounds, send_at):
    referrals = [send_at(T, urgency="crisis") for _ in range(REFERRALS)]

    results = _race(T + datetime.timedelta(hours=1, minutes=1))

    assert sum(r["breaches"] for r in results) == REFERRALS
    assert sum(r["errors"] for r in results) == 0
    assert SlaBreach.objects.count() == REFERRALS
    assert set(SlaBreach.objects.values_list("referral_id", flat=True)) == {r.pk for r in referrals}
    assert SlaEscalation.objects.filter(level=1).count() == REFERRALS
    assert _counts("referral.sla_breached", "referral.sla_breached") == (REFERRALS, REFERRALS)


@pytest.mark.parametrize("rounds", range(2))
def test_two_sweeps_at_once__climb_to_level_2_once(rounds, send_at, county_supervisor):
    referrals = [send_at(T, urgency="crisis") for _ in range(REFERRALS)]
    sla_sweep(now=T + datetime.timedelta(hours=1, minutes=1))

    results = _race(T + datetime.timedelta(hours=2))

    assert sum(r["escalations"] for r in results) == REFERRALS
    assert SlaEscalation.objects.filter(level=2).count() == REFERRALS
    assert _counts("referral.escalated", "referral.escalated") == (REFERRALS, REFERRALS)
    assert {r.pk for r in referrals} == set(SlaEscalation.objects.filter(level=2).values_list("referral_id", flat=True))
