"""Nothing lost, nothing twice: a broker outage during 200 sends, a real worker on Redis afterwards, messages
handed over twice, and a message processed by two workers at once.

The Redis test uses REDIS_TEST_URL (default redis://127.0.0.1:6379/6, a database of its own that it
empties); it is skipped when Redis is unreachable unless REQUIRE_REDIS=1.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import OperationalError, connection, connections
from django.db.models import Count

from coordination import outbox
from coordination.models import OutboxMessage
from coordination.outbox import hand_over, outbox_enqueue, outbox_process_message, outbox_sweep_run
from notifications.models import Notification, NotificationEmail
from referrals.services import referral_create
from tests.outbox_support import DEAD_BROKER, celery_broker, later, queue_drained, redis_test_db

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/6")
REFERRALS = 200


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def redis_db():
    yield from redis_test_db(REDIS_TEST_URL)


def _quiet(check: Callable[[], bool]) -> bool:
    """A poll that counts a lock conflict with the worker's writes (SQLite) as "not yet"."""
    try:
        return check()
    except OperationalError:
        return False


@pytest.mark.redis
def test_broker_outage__200_referrals_notified_exactly_once_each(
    transactional_db, redis_db, case_manager, provider_intake, provider_supervisor, county_client, service
):
    mail.outbox = []
    data = {"category": "food-insecurity", "reason": "Needs groceries this month.", "eligibility_basis": ["income"]}
    with celery_broker(DEAD_BROKER):
        for _ in range(REFERRALS):
            # One client, one need, many sends: each after the first confirms the duplicate warning.
            referral_create(
                actor=case_manager, client=county_client, data=data, service=service, submit=True, confirm_warnings=True
            )
    sent = OutboxMessage.objects.filter(event="referral.sent")
    assert sent.count() == REFERRALS
    assert sent.filter(handed_over_at__isnull=True, processed_at__isnull=True).count() == REFERRALS
    assert not Notification.objects.exists()

    with celery_broker(REDIS_TEST_URL) as app:
        # Redis is back. The sweep hands everything over; then every message is handed over a second time
        # (a sweep racing a slow worker, a redelivery), so the queue holds each message twice. The worker
        # starts afterwards: SQLite's in-memory test database cannot take writes from two threads at once.
        assert outbox_sweep_run(now=later()) == REFERRALS
        assert outbox_sweep_run(now=later()) == 0  # handed over: not again until counted lost
        assert hand_over(list(sent.values_list("pk", flat=True))) == REFERRALS
        assert redis_db.llen("celery") == 2 * REFERRALS
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            _wait(lambda: _quiet(lambda: not sent.filter(processed_at__isnull=True).exists()), 180, "processing")
            _wait(lambda: queue_drained(redis_db), 60, "the duplicate hand-overs to be consumed")
        # A late sweep after everything is processed finds nothing to do.
        assert outbox_sweep_run(now=later(60)) == 0

    assert sent.filter(processed_at__isnull=False, attempts=1).count() == REFERRALS
    per_message = Notification.objects.values("message").annotate(n=Count("id"))
    assert len(per_message) == REFERRALS
    assert {row["n"] for row in per_message} == {2}  # the provider's intake worker and supervisor, once each
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"intake", "provsup"}
    assert NotificationEmail.objects.filter(sent_at__isnull=False).count() == 2 * REFERRALS
    assert len(mail.outbox) == 2 * REFERRALS


@pytest.fixture
def slow_handler():
    """A handler that holds the processing transaction open for a moment on `test.slow` messages."""
    calls: list[str] = []

    def slow(message):
        if message.event == "test.slow":
            calls.append(threading.current_thread().name)
            time.sleep(1.0)

    outbox.outbox_handler(slow)
    yield calls
    outbox._handlers.remove(slow)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks with SKIP LOCKED need PostgreSQL")
def test_same_message_processed_concurrently__handlers_run_once(transactional_db, slow_handler):
    with celery_broker(DEAD_BROKER):  # the hand-over fails, so only the two workers below process it
        message = outbox_enqueue("test.slow", data={})
    assert slow_handler == []
    results: dict[str, bool] = {}

    def work(name: str) -> None:
        try:
            results[name] = outbox_process_message(message_id=message.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(f"worker-{n}",), name=f"worker-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.2)  # the first one holds the row lock by now
    for thread in threads:
        thread.join(10)
    assert sorted(results.values()) == [False, True]
    assert len(slow_handler) == 1
    message.refresh_from_db()
    assert message.processed_at is not None and message.attempts == 1


def test_worker_killed_mid_processing__redelivery_creates_each_notification_once(
    make_referral, provider_intake, provider_supervisor, delivered, monkeypatch
):
    """The handlers ran, then the worker died before committing: the redelivered task starts from scratch."""
    referral = make_referral("acknowledged")
    from referrals.services import referral_transition

    real_notify = outbox.registered_handlers

    def dying_handlers():
        def die(message):
            raise SystemExit("worker lost")

        return (*real_notify(), die)

    monkeypatch.setattr(outbox, "registered_handlers", dying_handlers)
    with pytest.raises(SystemExit), delivered():
        referral_transition(actor=provider_intake, referral=referral, name="accept")
    message = OutboxMessage.objects.get(event="referral.accepted")
    assert message.processed_at is None
    assert not Notification.objects.filter(message=message).exists()
    assert not NotificationEmail.objects.exists() and mail.outbox == []

    monkeypatch.setattr(outbox, "registered_handlers", real_notify)
    with delivered():
        assert outbox_process_message(message_id=message.pk) is True  # the redelivery
        assert outbox_process_message(message_id=message.pk) is False  # and one more, for good measure
    assert sorted(Notification.objects.filter(message=message).values_list("recipient__username", flat=True)) == [
        "cm",
        "provsup",
    ]
    assert len(mail.outbox) == 2
