"""Two workers at once never send the same attempt (PostgreSQL: real row locks, SKIP LOCKED)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from tests.webhooks.test_delivery import make_delivery
from webhooks import delivery as delivery_module
from webhooks.choices import DeliveryStatus
from webhooks.delivery import delivery_attempt, webhook_sweep_run
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.transport import SendResult

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks with SKIP LOCKED need PostgreSQL")


def _in_thread(target, *args) -> threading.Thread:
    def run():
        try:
            target(*args)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_workers_attempt_the_same_delivery__one_post(transactional_db, provider_endpoint, monkeypatch):
    sent = []

    def slow_post(url, body, headers):
        sent.append(headers["webhook-id"])
        time.sleep(0.5)
        return SendResult(status=200, duration_ms=500)

    monkeypatch.setattr(delivery_module, "post", slow_post)
    delivery = make_delivery(provider_endpoint)
    results = []
    threads = [_in_thread(lambda: results.append(delivery_attempt(delivery_id=delivery.pk))) for _ in range(2)]
    for thread in threads:
        thread.join(10)
    assert len(sent) == 1
    assert sorted(result is None for result in results) == [False, True]
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 1)


def test_sweep_skips_a_delivery_another_worker_has_locked(transactional_db, provider_endpoint, fake_post):
    delivery = make_delivery(provider_endpoint)
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        with transaction.atomic():
            WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
            locked.set()
            release.wait(10)

    holder = _in_thread(hold_lock)
    assert locked.wait(10)
    started = time.monotonic()
    assert webhook_sweep_run() == 0  # skipped, not waited for
    assert time.monotonic() - started < 2
    release.set()
    holder.join(10)
    assert webhook_sweep_run() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and len(fake_post.calls) == 1
