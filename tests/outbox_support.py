"""Helpers for outbox tests: run what is handed over after commit, and point Celery at another broker."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.utils import timezone
from kombu import pools

from coordination.celery import app as celery_app

DEAD_BROKER = "redis://127.0.0.1:1/0"
# The options coordination.settings.base sets whenever REDIS_URL is given (checked in test_outbox.py).
REDIS_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
    "max_retries": 0,
}
_SAVED_KEYS = ("broker_url", "task_always_eager", "broker_transport_options")


def _reset_pools() -> None:
    """Close and forget every broker pool, so the next publish opens new ones for the current broker.

    Celery's app pools are entries in kombu's process-wide registry, keyed by the connection: closing the
    app's pool alone would hand the same closed pool back on the next use ("Acquire on closed pool").
    """
    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def celery_broker(url: str, *, eager: bool = False, transport_options: dict | None = None):
    """Point the Celery app at `url` (not eager: tasks really go through the broker) for the block."""
    saved = {key: celery_app.conf[key] for key in _SAVED_KEYS}
    celery_app.conf.update(
        broker_url=url,
        task_always_eager=eager,
        broker_transport_options=transport_options if transport_options is not None else REDIS_TRANSPORT_OPTIONS,
    )
    _reset_pools()
    try:
        yield celery_app
    finally:
        celery_app.conf.update(saved)
        _reset_pools()


def later(minutes: float = 10) -> datetime.datetime:
    """A time when every fresh outbox row is due for the sweep."""
    return timezone.now() + datetime.timedelta(minutes=minutes)


def redis_test_db(url: str) -> Iterator:
    """A Redis database of the test's own, emptied before and after; skip (or fail with REQUIRE_REDIS=1) if down."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is required (REQUIRE_REDIS=1) but not reachable at {url}")
        pytest.skip(f"Redis not reachable at {url}")
    client.flushdb()
    yield client
    client.flushdb()


def queue_drained(client) -> bool:
    # kombu's Redis transport keeps delivered-but-unacknowledged messages in "unacked" until the ack.
    return client.llen("celery") == 0 and client.hlen("unacked") == 0
