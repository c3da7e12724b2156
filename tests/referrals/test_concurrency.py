"""Two people answering the same referral at the same moment: one wins, the other gets a conflict.

Needs real row locks, so it runs on PostgreSQL only (SQLite serializes whole-database writes instead).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from audit.choices import AuditAction
from coordination.roles import Role
from providers.services import membership_grant
from referrals.errors import TransitionConflict
from referrals.models import Referral, ReferralEvent
from referrals.services import referral_transition
from tests.factories import UserFactory

from .support import audit_rows

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE); run with DATABASE_URL=postgres://...",
    ),
    pytest.mark.django_db(transaction=True),
]


def _race(attempts):
    """Run each (actor, name, inputs) in its own thread, released together; return results and errors."""
    barrier = threading.Barrier(len(attempts))
    results: list = [None] * len(attempts)

    def run(index, actor, referral, name, inputs):
        try:
            barrier.wait(timeout=10)
            results[index] = referral_transition(actor=actor, referral=referral, name=name, **inputs)
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *attempt)) for i, attempt in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a transition hung"
    return results


@pytest.fixture
def second_intake(provider):
    user = UserFactory(username="intake2")
    membership_grant(actor=None, user=user, organization=provider, role=Role.PROVIDER_INTAKE)
    return user


def _outcome(results):
    won = [r for r in results if isinstance(r, Referral)]
    lost = [r for r in results if isinstance(r, TransitionConflict)]
    assert len(won) == 1 and len(lost) == 1, results
    return won[0], lost[0]


@pytest.mark.parametrize("rounds", range(3))
def test_two_accepts__exactly_one_wins(rounds, make_referral, provider_intake, second_intake):
    referral = make_referral("sent")
    results = _race([(provider_intake, referral, "accept", {}), (second_intake, referral, "accept", {})])
    winner, loser = _outcome(results)
    row = Referral.objects.get(pk=referral.pk)
    assert (row.status, row.version) == ("accepted", referral.version + 1)
    assert "accepted" in loser.message
    assert ReferralEvent.objects.filter(referral=row, name="accept").count() == 1
    [accepted] = audit_rows(AuditAction.REFERRAL_TRANSITIONED, target_id=str(row.pk), subtype="accept")
    assert accepted.actor == winner.events.get(name="accept").actor
    [refused] = audit_rows(AuditAction.REFERRAL_TRANSITION_REFUSED, target_id=str(row.pk))
    assert refused.subtype == "accept" and refused.actor != accepted.actor


@pytest.mark.parametrize("rounds", range(3))
def test_accept_and_decline__exactly_one_wins(rounds, make_referral, provider_intake, second_intake):
    referral = make_referral("sent")
    results = _race(
        [
            (provider_intake, referral, "accept", {}),
            (second_intake, referral, "decline", {"reason_code": "no-capacity", "note": "Full this month."}),
        ]
    )
    winner, _ = _outcome(results)
    row = Referral.objects.get(pk=referral.pk)
    assert row.status == winner.status and row.status in ("accepted", "declined")
    assert row.version == referral.version + 1
    # Nothing half-written: the loser left no event, and the row has only the winner's fields.
    events = list(ReferralEvent.objects.filter(referral=row, name__in=["accept", "decline"]).values_list("name"))
    assert events == [("accept",) if row.status == "accepted" else ("decline",)]
    assert (row.decline_reason == "no-capacity") is (row.status == "declined")
    transitioned = audit_rows(
        AuditAction.REFERRAL_TRANSITIONED, target_id=str(row.pk), subtype__in=["accept", "decline"]
    )
    assert [a.subtype for a in transitioned] == [row.events.get(name__in=["accept", "decline"]).name]


def test_close_and_cancel__exactly_one_wins(make_referral, provider_intake, case_manager):
    referral = make_referral("in_progress")
    results = _race(
        [
            (provider_intake, referral, "close", {"outcome_code": "service-completed"}),
            (case_manager, referral, "cancel", {"reason_code": "client-request"}),
        ]
    )
    _outcome(results)
    row = Referral.objects.get(pk=referral.pk)
    assert row.status in ("closed", "cancelled")
    assert ReferralEvent.objects.filter(referral=row, name__in=["close", "cancel"]).count() == 1
