"""Nothing lost, nothing twice, over a real Redis and a real worker: 200 referrals sent while the broker was
down reach a partner's local receiver once each, signed, even when every delivery is handed over twice.

Uses WEBHOOK_REDIS_TEST_URL (default redis://127.0.0.1:6379/7, a database of its own that it empties); skipped
when Redis is unreachable unless REQUIRE_REDIS=1.
"""

from __future__ import annotations

import collections
import datetime
import os
import time
from collections.abc import Callable

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import OperationalError
from standardwebhooks import Webhook

from coordination.models import OutboxMessage
from coordination.outbox import outbox_sweep_run
from tests.factories import WebhookEndpointFactory
from tests.outbox_support import DEAD_BROKER, celery_broker, later, queue_drained, redis_test_db
from webhooks.choices import DeliveryStatus
from webhooks.delivery import hand_over, webhook_sweep_run
from webhooks.models import WebhookAttempt, WebhookDelivery

REDIS_TEST_URL = os.environ.get("WEBHOOK_REDIS_TEST_URL", "redis://127.0.0.1:6379/7")
BEAT_SECONDS = 5
REFERRALS = int(os.environ.get("WEBHOOK_RELIABILITY_REFERRALS", "200"))


class Beat:
    """Both sweeps, as beat runs them; each beat "10 minutes" after the last, so past every grace period.

    The sweeps matter on SQLite: the in-memory test database takes table locks, so a worker's write can fail
    while the test thread reads; that task is then lost, exactly the case the sweeps exist for. Running past
    the grace periods, they also hand over work that is merely queued: those duplicates must change nothing.
    """

    def __init__(self, start: datetime.datetime):
        self.now = start

    def __call__(self) -> None:
        self.now += datetime.timedelta(minutes=10)
        outbox_sweep_run(now=self.now)
        webhook_sweep_run(now=self.now)


def _wait(condition: Callable[[], bool], timeout: float, what: str, beat: Beat) -> None:
    deadline = time.monotonic() + timeout
    next_beat = time.monotonic() + BEAT_SECONDS
    while True:
        try:
            if condition():
                return
            if time.monotonic() >= next_beat:
                beat()
                next_beat = time.monotonic() + BEAT_SECONDS
        except OperationalError:  # SQLite: a lock held by the worker's write; try again
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.5)


@pytest.fixture
def redis_db():
    yield from redis_test_db(REDIS_TEST_URL)


@pytest.mark.redis
def test_broker_outage__200_referrals_reach_the_partner_exactly_once_each(
    transactional_db, redis_db, receiver, make_referral, provider
):
    endpoint = WebhookEndpointFactory(organization=provider, url=receiver.url, events=["referral.sent"])
    with celery_broker(DEAD_BROKER):
        referrals = [make_referral("sent") for _ in range(REFERRALS)]
    sent = OutboxMessage.objects.filter(event="referral.sent")
    assert sent.count() == REFERRALS and not WebhookDelivery.objects.exists()

    with celery_broker(REDIS_TEST_URL) as app:
        beat = Beat(later())
        assert outbox_sweep_run(now=beat.now) == REFERRALS
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            _wait(lambda: not sent.filter(processed_at__isnull=True).exists(), 240, "the outbox", beat)
            done = WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED)
            _wait(lambda: done.count() == REFERRALS, 240, "the deliveries", beat)
            # Every delivery handed over once more (a sweep racing a slow worker, a redelivery): no-ops.
            assert hand_over(WebhookDelivery.objects.values_list("pk", flat=True)) == REFERRALS
            _wait(lambda: queue_drained(redis_db), 120, "the duplicate hand-overs to be consumed", beat)
        assert webhook_sweep_run(now=beat.now + datetime.timedelta(hours=1)) == 0

    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert len(ids) == REFERRALS
    assert [n for n in collections.Counter(ids).values() if n > 1] == []
    assert set(ids) == {str(pk) for pk in sent.values_list("pk", flat=True)}
    referral_ids = set()
    for request in receiver.requests:
        payload = Webhook(endpoint.secret).verify(request.body, request.headers)
        referral_ids.add(payload["data"]["referral"])
    assert referral_ids == {str(r.pk) for r in referrals}
    assert WebhookAttempt.objects.count() == REFERRALS
