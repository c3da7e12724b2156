"""The persisted outbox: written with the change, handed over after commit, swept when the broker was down,
processed once with retries and backoff."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time

import pytest
from django.db import transaction
from django.utils import timezone

from coordination import outbox
from coordination.models import OutboxMessage
from coordination.outbox import outbox_enqueue, outbox_process_message, outbox_sweep_run, retry_delay
from coordination.tasks import outbox_process, outbox_sweep
from notifications.models import Notification
from referrals.errors import ConsentRequired
from referrals.services import referral_create, referral_transition
from tests.outbox_support import DEAD_BROKER, REDIS_TRANSPORT_OPTIONS, celery_broker, later


class Calls(list):
    """Events a test handler saw; set `fail` to an exception for it to raise on `test.*` events."""

    fail: BaseException | None = None


@pytest.fixture
def handler_calls():
    """A registered handler that records the events it saw (and can be told to fail)."""
    calls = Calls()

    def record(message):
        calls.append(message.event)
        if message.event.startswith("test.") and calls.fail is not None:
            # A database write first, to prove a failure rolls it back.
            OutboxMessage.objects.create(event="test.side-effect")
            raise calls.fail

    outbox.outbox_handler(record)
    yield calls
    outbox._handlers.remove(record)


@pytest.fixture
def published(monkeypatch):
    """Record hand-overs instead of publishing them."""
    sent: list[str] = []
    monkeypatch.setattr(outbox, "_publish", lambda message_id: sent.append(str(message_id)))
    return sent


def _data(**extra):
    return {"referral_id": "r1", **extra}


# Written in the same transaction


def test_enqueue__rolled_back_transaction_leaves_no_row(db, published, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox_enqueue("test.event", data=_data())
        raise RuntimeError("the service failed after enqueueing")
    assert not OutboxMessage.objects.exists()
    assert callbacks == []
    assert published == []


def test_enqueue__records_subject_and_data(db, make_referral):
    referral = make_referral("draft")
    message = outbox_enqueue("test.event", subject=referral, data={"referral_id": str(referral.pk)})
    message.refresh_from_db()
    assert (message.subject_type, message.subject_id) == ("referrals.Referral", str(referral.pk))
    assert message.data == {"referral_id": str(referral.pk)}
    assert message.processed_at is None and message.handed_over_at is None and message.attempts == 0
    # Left to the hand-over after commit for a while before the sweep may take it.
    assert message.next_attempt_at > message.created_at


def test_transition__one_row_per_transition_with_ids_only(make_referral, provider_intake):
    referral = make_referral("sent")
    OutboxMessage.objects.all().delete()
    referral_transition(actor=provider_intake, referral=referral, name="accept")
    message = OutboxMessage.objects.get()
    assert message.event == "referral.accepted"
    assert message.data == {
        "referral_id": str(referral.pk),
        "from": "sent",
        "to": "accepted",
        "transition": "accept",
        "actor_id": provider_intake.pk,
    }


def test_send_blocked_by_consent__rolled_back_with_no_outbox_row(case_manager, county, service):
    from tests.factories import ClientFactory

    client = ClientFactory(organization=county)  # no consent: sending is refused
    data = {"category": "food-insecurity", "reason": "Needs groceries this month."}
    with pytest.raises(ConsentRequired):
        referral_create(actor=case_manager, client=client, data=data, service=service, submit=True)
    assert not OutboxMessage.objects.exists()


# Handed over after commit only


def test_handover__only_after_commit(db, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            message = outbox_enqueue("test.event", data=_data())
            assert published == []
        assert published == []  # committed, callback not run yet
    assert len(callbacks) == 1
    callbacks[0]()
    assert published == [str(message.pk)]
    message.refresh_from_db()
    assert message.handed_over_at is not None
    # Handed over: the sweep leaves it to the worker until it counts as lost.
    assert message.next_attempt_at >= message.handed_over_at + outbox.redeliver_after()


# Processing


def test_process__runs_handlers_once_and_marks_processed(db, handler_calls):
    message = outbox_enqueue("test.event", data=_data())
    assert outbox_process_message(message_id=message.pk) is True
    assert outbox_process_message(message_id=message.pk) is False
    assert outbox_process(str(message.pk)) is False
    message.refresh_from_db()
    assert message.processed_at is not None and message.attempts == 1 and message.last_error == ""
    assert handler_calls == ["test.event"]


def test_process__unknown_id_is_a_no_op(db, handler_calls):
    assert outbox_process_message(message_id="7b0c1a7e-0000-4000-8000-000000000000") is False
    assert handler_calls == []


def test_process__handler_error_rolls_back_and_retries_with_backoff(db, handler_calls):
    handler_calls.fail = ValueError("partner down")
    message = outbox_enqueue("test.event", data=_data())
    first = timezone.now()
    assert outbox_process_message(message_id=message.pk, now=first) is False
    message.refresh_from_db()
    assert message.processed_at is None and message.attempts == 1
    assert "ValueError: partner down" in message.last_error
    assert message.next_attempt_at == first + datetime.timedelta(minutes=1)
    assert not OutboxMessage.objects.filter(event="test.side-effect").exists()  # rolled back

    second = first + datetime.timedelta(minutes=1)
    outbox_process_message(message_id=message.pk, now=second)
    message.refresh_from_db()
    assert message.attempts == 2 and message.next_attempt_at == second + datetime.timedelta(minutes=2)

    handler_calls.fail = None
    assert outbox_process_message(message_id=message.pk) is True
    message.refresh_from_db()
    assert message.processed_at is not None and message.attempts == 3 and message.last_error == ""


def test_retry_delay__doubles_and_is_capped():
    assert [retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert retry_delay(30) == datetime.timedelta(hours=1)


def test_process__killed_mid_way_leaves_nothing_and_runs_again(db, handler_calls):
    """A worker dying inside the handlers (SystemExit is not an Exception) rolls everything back."""
    handler_calls.fail = SystemExit(1)
    message = outbox_enqueue("test.event", data=_data())
    with pytest.raises(SystemExit):
        outbox_process_message(message_id=message.pk)
    message.refresh_from_db()
    assert message.processed_at is None and message.attempts == 0
    assert not OutboxMessage.objects.filter(event="test.side-effect").exists()
    handler_calls.fail = None
    assert outbox_process_message(message_id=message.pk) is True
    assert outbox_process_message(message_id=message.pk) is False


# The sweep


def test_sweep__hands_over_what_is_due_only(db, published):
    now = timezone.now()
    never = outbox_enqueue("test.never-handed", data=_data())
    fresh = outbox_enqueue("test.fresh", data=_data())
    lost = outbox_enqueue("test.lost", data=_data())
    retry_later = outbox_enqueue("test.retry-later", data=_data())
    done = outbox_enqueue("test.done", data=_data())
    OutboxMessage.objects.filter(pk=never.pk).update(next_attempt_at=now - datetime.timedelta(seconds=1))
    OutboxMessage.objects.filter(pk=fresh.pk).update(next_attempt_at=now + datetime.timedelta(seconds=20))
    OutboxMessage.objects.filter(pk=lost.pk).update(
        handed_over_at=now - datetime.timedelta(minutes=10), next_attempt_at=now - datetime.timedelta(minutes=5)
    )
    OutboxMessage.objects.filter(pk=retry_later.pk).update(
        attempts=3, next_attempt_at=now + datetime.timedelta(hours=1)
    )
    OutboxMessage.objects.filter(pk=done.pk).update(processed_at=now, next_attempt_at=now - datetime.timedelta(days=1))

    assert outbox_sweep_run(now=now) == 2
    assert sorted(published) == sorted([str(never.pk), str(lost.pk)])
    assert outbox_sweep_run(now=now) == 0  # handed over: not due again until it counts as lost


def test_sweep_task__runs_the_sweep(db, published):
    message = outbox_enqueue("test.event", data=_data())
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_sweep.delay().get() == 1
    assert published == [str(message.pk)]


# Broker down


@pytest.fixture
def dead_broker():
    with celery_broker(DEAD_BROKER, eager=False) as app:
        yield app


def test_broker_down__referral_api_send_succeeds_fast_and_the_sweep_delivers_later(
    api, case_manager, provider_intake, county_client, service, dead_broker, django_capture_on_commit_callbacks
):
    payload = {
        "client": str(county_client.pk),
        "service": str(service.pk),
        "category": "food-insecurity",
        "reason": "Needs groceries this month.",
        "eligibility_basis": ["income"],
        "submit": True,
    }
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(case_manager).post("/api/v1/referrals/", payload, format="json")
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.content
    assert elapsed < 5
    message = OutboxMessage.objects.get(event="referral.sent")
    assert message.handed_over_at is None and message.processed_at is None
    assert not Notification.objects.exists()

    # The broker is back (eager here): the sweep hands it over and it is processed once.
    with celery_broker("memory://", eager=True, transport_options={}):
        assert outbox_sweep_run(now=later()) == 1
        assert outbox_sweep_run(now=later()) == 0
    message.refresh_from_db()
    assert message.processed_at is not None
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["intake"]


def test_broker_down__handover_failure_is_swallowed_and_stops_the_batch(db, dead_broker, caplog):
    messages = [outbox_enqueue("test.event", data=_data()) for _ in range(3)]
    handed = outbox.hand_over([m.pk for m in messages])
    assert handed == 0
    assert "hand-over failed" in caplog.text
    assert OutboxMessage.objects.filter(handed_over_at__isnull=True, next_attempt_at__lte=timezone.now()).count() == 3


def test_settings__redis_broker_fails_fast():
    """With REDIS_URL set, the broker options are the short-timeout, no-retry ones the tests use."""
    code = "from coordination.settings import base as b; print(repr(b.CELERY_BROKER_TRANSPORT_OPTIONS))"
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert eval(out.stdout) == REDIS_TRANSPORT_OPTIONS  # noqa: S307 - our own repr of a dict literal


def test_settings__reliable_celery_defaults(settings):
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    # A task is killed before the outbox would count its message lost and hand it over again.
    assert datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) < settings.OUTBOX_REDELIVER_AFTER
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["coordination.tasks.outbox_sweep"] == 60
    assert outbox_process.acks_late and outbox_process.reject_on_worker_lost
