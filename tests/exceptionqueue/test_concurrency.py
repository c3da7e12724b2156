"""Racing raises with one dedupe key open one item; racing workers: one wins; racing sweeps escalate once.

Needs real row locks and unique-index waits, so it runs on PostgreSQL only.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from coordination.roles import Role
from exceptionqueue.errors import TransitionConflict
from exceptionqueue.models import ExceptionItem
from exceptionqueue.services import exception_raise, exception_transition, exceptions_escalate_overdue

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]


def race(calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a call hung"
    return results


def test_raise__racing_raises_with_one_key_open_one_item(county):
    def call():
        return exception_raise(
            kind="partner-downtime",
            summary="down",
            owner_organization=county,
            owner_role=Role.DATA_STEWARD,
            dedupe_key="race:1",
        )

    results = race([call] * 4)
    assert all(isinstance(r, ExceptionItem) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert ExceptionItem.objects.filter(dedupe_key="race:1").count() == 1


def test_transition__two_workers_at_once_one_wins(county, data_steward, county_supervisor):
    item = exception_raise(kind="sla-breach", summary="late", owner_organization=county, owner_role=Role.DATA_STEWARD)
    results = race(
        [
            lambda: exception_transition(actor=data_steward, item=item.pk, name="resolve", note="a", version=1),
            lambda: exception_transition(actor=county_supervisor, item=item.pk, name="dismiss", note="b", version=1),
        ]
    )
    assert sum(isinstance(r, ExceptionItem) for r in results) == 1
    assert sum(isinstance(r, TransitionConflict) for r in results) == 1
    assert item.events.exclude(name="raised").count() == 1


def test_escalate__racing_sweeps_escalate_once(county):
    item = exception_raise(
        kind="sla-breach", summary="late", owner_organization=county, owner_role=Role.DATA_STEWARD, severity="critical"
    )
    later = timezone.now() + timedelta(hours=5)
    results = race([lambda: exceptions_escalate_overdue(now=later)] * 3)
    assert sorted(results) == [0, 0, 1]
    assert item.events.filter(name="escalated").count() == 1
