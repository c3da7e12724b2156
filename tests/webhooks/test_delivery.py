"""One delivery's attempts: headers and signatures, retries on the schedule, 410, abandonment, the sweep."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook

from audit.choices import AuditAction
from audit.models import AuditEvent
from coordination.models import OutboxMessage
from tests.factories import WebhookEndpointFactory
from webhooks import delivery as delivery_module
from webhooks.choices import DeliveryStatus
from webhooks.delivery import (
    REENQUEUE_AFTER,
    SEND_LEASE,
    _claim,
    delivery_attempt,
    max_attempts,
    payload_body,
    retry_delay,
    webhook_sweep_run,
)
from webhooks.handlers import webhook_fanout
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.services import webhook_endpoint_rotate_secret
from webhooks.signing import verify
from webhooks.transport import SendResult

SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def make_delivery(endpoint, *, event="referral.sent", now=None, **fields) -> WebhookDelivery:
    now = now or timezone.now()
    message_id = uuid.uuid4()
    fields.setdefault("payload", {"type": event, "timestamp": now.isoformat(), "data": {"id": str(message_id)}})
    return WebhookDelivery.objects.create(
        endpoint=endpoint, message_id=message_id, event=event, created_at=now, next_attempt_at=now, **fields
    )


@pytest.fixture
def delivery(provider_endpoint):
    """Due both now and at START (tests travel there)."""
    return make_delivery(provider_endpoint, now=START - datetime.timedelta(minutes=1))


def test_retry_schedule__is_the_specs_about_three_days():
    assert delivery_module.retry_schedule() == SCHEDULE
    assert max_attempts() == 10
    assert datetime.timedelta(seconds=sum(SCHEDULE)) == datetime.timedelta(hours=75, minutes=35, seconds=5)


# --- one attempt ------------------------------------------------------------------------------------------


def test_attempt__2xx_succeeds_and_is_logged(delivery, fake_post):
    fake_post.answer(SendResult(status=202, duration_ms=41))
    attempt = delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert (delivery.attempt_count, delivery.last_response_code, delivery.next_attempt_at) == (1, 202, None)
    assert delivery.completed_at is not None
    assert (attempt.number, attempt.response_code, attempt.duration_ms, attempt.succeeded) == (1, 202, 41, True)
    assert attempt.url == delivery.endpoint.url and attempt.endpoint_id == delivery.endpoint_id


@time_machine.travel(START, tick=False)
def test_attempt__sends_the_standard_webhooks_headers_and_a_body_that_verifies(delivery, fake_post):
    delivery_attempt(delivery_id=delivery.pk)
    [(url, body, headers)] = fake_post.calls
    assert url == delivery.endpoint.url
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"] == str(delivery.message_id)
    assert headers["webhook-timestamp"] == str(int(START.timestamp()))
    assert headers["webhook-signature"].startswith("v1,") and " " not in headers["webhook-signature"]
    assert json.loads(body) == delivery.payload and body == payload_body(delivery)
    verify(delivery.endpoint.secret, headers, body, now=START.timestamp())
    Webhook(delivery.endpoint.secret).verify(body, headers)


def test_attempt__other_2xx_and_non_2xx(delivery, fake_post):
    fake_post.answer(299)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    second = make_delivery(delivery.endpoint)
    fake_post.answer(302)  # redirects are not followed: a failure (the partner should update the URL)
    delivery_attempt(delivery_id=second.pk)
    second.refresh_from_db()
    assert (second.status, second.last_response_code, second.last_error) == (DeliveryStatus.FAILED, 302, "HTTP 302")


def test_attempt__timeout_is_retried(delivery, fake_post):
    fake_post.answer(SendResult(error="timeout", duration_ms=10_000))
    before = timezone.now()
    attempt = delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (attempt.response_code, attempt.error, attempt.succeeded) == (None, "timeout", False)
    assert (delivery.status, delivery.last_error, delivery.attempt_count) == (DeliveryStatus.FAILED, "timeout", 1)
    # The first retry comes 5 s (+-20 %) after the attempt ended.
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 10 + 4 <= wait <= 10 + 6 + 1


def test_retries__keep_the_same_webhook_id_with_a_fresh_timestamp(delivery, fake_post):
    fake_post.answer(500, 200)
    with time_machine.travel(START, tick=False):
        delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        delivery_attempt(delivery_id=delivery.pk)
    (_, first_body, first), (_, second_body, second) = fake_post.calls
    assert first["webhook-id"] == second["webhook-id"] == str(delivery.message_id)
    assert first_body == second_body
    assert int(second["webhook-timestamp"]) > int(first["webhook-timestamp"])
    assert first["webhook-signature"] != second["webhook-signature"]
    verify(delivery.endpoint.secret, second, second_body, now=int(second["webhook-timestamp"]))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 2)
    assert list(delivery.attempts.values_list("number", "response_code")) == [(1, 500), (2, 200)]


def test_retries__follow_the_schedule_within_the_jitter_then_abandon(delivery, fake_post):
    fake_post.answer(*[503] * 10)
    due = START
    for number, base in enumerate(SCHEDULE, start=1):
        with time_machine.travel(due, tick=False):
            assert delivery_attempt(delivery_id=delivery.pk) is not None
            # Not due again until the scheduled time: an early second call sends nothing.
            assert delivery_attempt(delivery_id=delivery.pk) is None
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.FAILED, number)
        wait = (delivery.next_attempt_at - due).total_seconds()
        assert 0.8 * base <= wait <= 1.2 * base, (number, wait)
        due = delivery.next_attempt_at
    with time_machine.travel(due, tick=False):
        delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ABANDONED
    assert (delivery.attempt_count, delivery.next_attempt_at) == (10, None)
    assert "10 attempts" in delivery.abandoned_reason
    assert len(fake_post.calls) == 10
    # Abandoned means abandoned: nothing more is ever sent.
    with time_machine.travel(due + datetime.timedelta(days=30), tick=False):
        assert delivery_attempt(delivery_id=delivery.pk) is None
        assert webhook_sweep_run() == 0
    assert len(fake_post.calls) == 10
    # About three days from the first attempt to the last.
    first, last = delivery.attempts.order_by("number").first(), delivery.attempts.order_by("number").last()
    assert datetime.timedelta(hours=60) < last.attempted_at - first.attempted_at < datetime.timedelta(hours=91)


class _Edge:
    def __init__(self, pick):
        self.pick = pick

    def uniform(self, low, high):
        return low if self.pick == "low" else high


@pytest.mark.parametrize("number", range(1, 10))
def test_retry_delay__jitter_is_bounded_to_20_percent(number):
    base = SCHEDULE[number - 1]
    assert retry_delay(number, rng=_Edge("low")).total_seconds() == pytest.approx(0.8 * base)
    assert retry_delay(number, rng=_Edge("high")).total_seconds() == pytest.approx(1.2 * base)
    samples = [retry_delay(number).total_seconds() / base for _ in range(300)]
    assert all(0.8 <= s <= 1.2 for s in samples)
    assert min(samples) < 0.95 and max(samples) > 1.05  # it does vary: retries do not arrive in lockstep


def test_retry_delay__none_after_the_last_attempt():
    assert retry_delay(9) is not None
    assert retry_delay(10) is None


def test_retry_after_header__delays_the_retry_at_least_that_long(delivery, fake_post):
    fake_post.answer(SendResult(status=429, retry_after=3600))
    with time_machine.travel(START, tick=False):
        delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - START == datetime.timedelta(seconds=3600)


def test_410__disables_the_endpoint_audits_it_and_stops_every_delivery(delivery, fake_post, provider):
    waiting = make_delivery(delivery.endpoint)
    fake_post.answer(410)
    delivery_attempt(delivery_id=delivery.pk)
    endpoint = delivery.endpoint
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    waiting.refresh_from_db()
    assert endpoint.active is False and endpoint.disabled_at is not None
    assert "410" in endpoint.disabled_reason
    assert (delivery.status, delivery.last_response_code) == (DeliveryStatus.ABANDONED, 410)
    assert waiting.status == DeliveryStatus.ABANDONED and "410" in waiting.abandoned_reason
    event = AuditEvent.objects.get(action=AuditAction.WEBHOOK_ENDPOINT_DISABLED)
    assert (event.target_id, event.actor_id, event.actor_display) == (str(endpoint.pk), None, "Webhook delivery")
    assert event.detail["deliveries_abandoned"] == 1
    # Nothing more goes there: the waiting one is not sent, and new events make no delivery.
    assert delivery_attempt(delivery_id=waiting.pk) is None
    message = OutboxMessage.objects.create(event="consent.revoked", data={"organization_ids": [str(provider.pk)]})
    assert webhook_fanout(message) == []
    assert len(fake_post.calls) == 1


def test_attempt__to_an_inactive_endpoint_is_abandoned_without_sending(delivery, fake_post):
    endpoint = delivery.endpoint
    endpoint.active, endpoint.disabled_reason = False, "Turned off by staff."
    endpoint.save()
    assert delivery_attempt(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.abandoned_reason) == (DeliveryStatus.ABANDONED, "Turned off by staff.")
    assert fake_post.calls == []


def test_claim__holds_a_lease_so_a_second_worker_skips_it(delivery):
    now = timezone.now()
    claimed = _claim(delivery.pk, now)
    assert claimed is not None and claimed.next_attempt_at == now + SEND_LEASE
    assert _claim(delivery.pk, now) is None
    # A worker that died mid-send: the attempt is due again once the lease has run out.
    assert _claim(delivery.pk, now + SEND_LEASE) is not None


def test_claim__skips_what_is_not_due_or_finished(provider_endpoint, fake_post):
    later = make_delivery(provider_endpoint, now=timezone.now() + datetime.timedelta(minutes=1))
    done = make_delivery(provider_endpoint, status=DeliveryStatus.SUCCEEDED)
    assert delivery_attempt(delivery_id=later.pk) is None
    assert delivery_attempt(delivery_id=done.pk) is None
    assert delivery_attempt(delivery_id=uuid.uuid4()) is None
    assert fake_post.calls == [] and not WebhookAttempt.objects.exists()


def test_rotation__signs_with_both_secrets_for_24_hours_then_only_the_new_one(
    provider_endpoint, provider_supervisor, fake_post
):
    old_secret = provider_endpoint.secret
    with time_machine.travel(START, tick=False):
        endpoint, new_secret = webhook_endpoint_rotate_secret(actor=provider_supervisor, endpoint=provider_endpoint)
        delivery_attempt(delivery_id=make_delivery(endpoint).pk)
    with time_machine.travel(START + datetime.timedelta(hours=24, seconds=1), tick=False):
        delivery_attempt(delivery_id=make_delivery(endpoint).pk)
    (_, body, during), (_, later_body, after) = fake_post.calls
    assert len(during["webhook-signature"].split(" ")) == 2
    for secret in (new_secret, old_secret):
        verify(secret, during, body, now=START.timestamp())
    assert len(after["webhook-signature"].split(" ")) == 1
    verify(new_secret, after, later_body, now=int(after["webhook-timestamp"]))
    with pytest.raises(Exception, match="No signature matches"):
        verify(old_secret, after, later_body, now=int(after["webhook-timestamp"]))


# --- the sweep --------------------------------------------------------------------------------------------


def test_sweep__hands_over_a_due_delivery_whose_hand_over_was_lost(delivery, fake_post):
    assert delivery.enqueued_at is None
    assert webhook_sweep_run() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and len(fake_post.calls) == 1
    assert webhook_sweep_run() == 0


def test_sweep__leaves_a_fresh_hand_over_alone_until_it_must_have_been_lost(provider_endpoint, fake_post):
    with time_machine.travel(START, tick=False):
        waiting = make_delivery(provider_endpoint, enqueued_at=timezone.now())
        assert webhook_sweep_run() == 0
    with time_machine.travel(START + REENQUEUE_AFTER, tick=False):
        assert webhook_sweep_run() == 1
    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.SUCCEEDED


def test_sweep__hands_over_a_retry_as_soon_as_it_is_due(delivery, fake_post):
    fake_post.answer(500)
    with time_machine.travel(START, tick=False):
        assert webhook_sweep_run() == 1  # first attempt fails
    delivery.refresh_from_db()
    with time_machine.travel(delivery.next_attempt_at - datetime.timedelta(seconds=1), tick=False):
        assert webhook_sweep_run() == 0
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        assert webhook_sweep_run() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 2)


def test_sweep__with_the_broker_down_loses_nothing(delivery, fake_post, monkeypatch):
    from webhooks import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    with monkeypatch.context() as patched:
        patched.setattr(tasks.webhook_deliver, "apply_async", broker_down)
        assert webhook_sweep_run() == 0
    delivery.refresh_from_db()
    assert delivery.enqueued_at is None and delivery.status == DeliveryStatus.PENDING
    assert webhook_sweep_run() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_sweep__only_touches_open_due_deliveries_of_any_endpoint(fake_post, county):
    other = WebhookEndpointFactory(organization=county)
    make_delivery(other, status=DeliveryStatus.ABANDONED)
    make_delivery(other, status=DeliveryStatus.SUCCEEDED)
    make_delivery(other, now=timezone.now() + datetime.timedelta(hours=1))
    due = make_delivery(other)
    assert webhook_sweep_run() == 1
    assert [url for url, _, _ in fake_post.calls] == [other.url]
    due.refresh_from_db()
    assert due.status == DeliveryStatus.SUCCEEDED
