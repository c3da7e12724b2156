"""Sending deliveries: claim one, POST it signed, record the attempt, schedule the retry or give up.

Retries are rows, not Celery ETAs: a failed delivery gets `next_attempt_at` from the schedule (5 s, 5 min,
30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h, each +-20 % jitter: about three days), and the periodic sweep hands
due deliveries to `webhooks.tasks.webhook_deliver`. Claiming a delivery is a short transaction that locks
its row (`select_for_update(skip_locked=True)`) and moves `next_attempt_at` a lease ahead, so two workers
never send the same attempt and a worker that dies mid-send is retried when the lease runs out. The HTTP
request itself runs outside any transaction.

A partner may still see an event twice (the worker died after the partner answered): the `webhook-id` is
the same on every attempt so the partner dedupes on it, as the spec asks.
"""

from __future__ import annotations

import datetime
import json
import logging
import random
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .choices import OPEN_STATUSES, DeliveryStatus
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .signing import signature_header
from .transport import SendResult, post

logger = logging.getLogger(__name__)

# Longer than one send can take (timeouts, and the task's hard time limit), so a live attempt is never doubled.
SEND_LEASE = datetime.timedelta(minutes=5)
# A delivery handed to the task queue is not handed over again before this, unless it became due since.
REENQUEUE_AFTER = datetime.timedelta(minutes=5)
MAX_RETRY_AFTER = datetime.timedelta(hours=24)
SWEEP_BATCH = 500

_random = random.SystemRandom()


def retry_schedule() -> list[int]:
    return list(settings.WEBHOOK_RETRY_SCHEDULE)


def max_attempts() -> int:
    return len(retry_schedule()) + 1


def retry_delay(failed_attempts: int, *, rng=_random) -> datetime.timedelta | None:
    """How long to wait after the n-th failed attempt (jittered), or None when that was the last one."""
    schedule = retry_schedule()
    if failed_attempts > len(schedule):
        return None
    jitter = float(settings.WEBHOOK_RETRY_JITTER)
    return datetime.timedelta(seconds=schedule[failed_attempts - 1] * rng.uniform(1 - jitter, 1 + jitter))


def payload_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent and signed: compact JSON, keys sorted, so every attempt sends the same body."""
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def secrets_in_use(endpoint: WebhookEndpoint, now: datetime.datetime) -> list[str]:
    """The current secret, and during a rotation's overlap the previous one (the spec's zero-downtime rotation)."""
    in_use = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        in_use.append(endpoint.previous_secret)
    return in_use


def signed_headers(delivery: WebhookDelivery, body: bytes, now: datetime.datetime) -> dict[str, str]:
    msg_id = str(delivery.message_id)
    timestamp = int(now.timestamp())
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets_in_use(delivery.endpoint, now), msg_id, timestamp, body),
    }


# --- handing over to the task queue -----------------------------------------------------------------------


def hand_over(delivery_ids: Iterable) -> int:
    """Give these deliveries to `webhook_deliver`; never raises for the broker (the sweep tries again)."""
    from .tasks import webhook_deliver

    ids = [str(pk) for pk in delivery_ids]
    for position, delivery_id in enumerate(ids):
        try:
            webhook_deliver.apply_async(args=[delivery_id], retry=False)
        except Exception:  # a broker outage of any kind
            logger.warning("webhooks: hand-over failed for %d deliveries; the sweep will retry", len(ids) - position)
            WebhookDelivery.objects.filter(pk__in=ids[position:]).update(enqueued_at=None)
            return position
    return len(ids)


def webhook_sweep_run(*, now: datetime.datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """Hand over every open delivery that is due and not already handed over since it became due."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status__in=OPEN_STATUSES, next_attempt_at__lte=now)
            .filter(
                Q(enqueued_at__isnull=True)
                | Q(enqueued_at__lt=F("next_attempt_at"))
                | Q(enqueued_at__lte=now - REENQUEUE_AFTER)
            )
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=due).update(enqueued_at=now)
    return hand_over(due)


# --- one attempt ---------------------------------------------------------------------------------------------


@transaction.atomic
def _claim(delivery_id, now: datetime.datetime) -> WebhookDelivery | None:
    delivery = (
        WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("endpoint")
        .filter(pk=delivery_id, status__in=OPEN_STATUSES, next_attempt_at__lte=now)
        .first()
    )
    if delivery is None:
        return None  # finished, not due, or another worker holds it right now
    endpoint = delivery.endpoint
    if not endpoint.active or endpoint.deleted_at is not None:
        delivery.status = DeliveryStatus.ABANDONED
        delivery.abandoned_reason = endpoint.disabled_reason or "The endpoint is not active."
        delivery.next_attempt_at = None
        delivery.completed_at = now
        delivery.save(update_fields=["status", "abandoned_reason", "next_attempt_at", "completed_at"])
        return None
    delivery.next_attempt_at = now + SEND_LEASE
    delivery.save(update_fields=["next_attempt_at"])
    return delivery


def _next_attempt(failed_attempts: int, result: SendResult, now: datetime.datetime) -> datetime.datetime | None:
    delay = retry_delay(failed_attempts)
    if delay is None:
        return None
    if result.retry_after is not None:
        # The partner said when to come back (429, 503): never sooner than that, never later than a day.
        delay = max(delay, min(datetime.timedelta(seconds=result.retry_after), MAX_RETRY_AFTER))
    return now + delay


@transaction.atomic
def _record(delivery_id, url: str, result: SendResult, started: datetime.datetime) -> WebhookAttempt:
    delivery = WebhookDelivery.objects.select_for_update(of=("self",)).select_related("endpoint").get(pk=delivery_id)
    number = delivery.attempt_count + 1
    attempt = WebhookAttempt.objects.create(
        delivery=delivery,
        endpoint=delivery.endpoint,
        number=number,
        attempted_at=started,
        url=url,
        response_code=result.status,
        error=result.error,
        duration_ms=result.duration_ms,
        succeeded=result.ok,
    )
    delivery.attempt_count = number
    delivery.last_response_code = result.status
    delivery.last_error = result.error or ("" if result.ok else f"HTTP {result.status}")
    now = started + datetime.timedelta(milliseconds=result.duration_ms)
    if delivery.status not in OPEN_STATUSES:
        pass  # abandoned meanwhile (endpoint turned off or deleted): keep that, log the attempt
    elif result.ok:
        delivery.status, delivery.next_attempt_at, delivery.completed_at = DeliveryStatus.SUCCEEDED, None, now
    elif result.status == 410:
        delivery.status, delivery.next_attempt_at, delivery.completed_at = DeliveryStatus.ABANDONED, None, now
        delivery.abandoned_reason = "The partner answered 410 Gone: the endpoint was disabled."
    else:
        retry_at = _next_attempt(number, result, now)
        if retry_at is None:
            delivery.status, delivery.next_attempt_at, delivery.completed_at = DeliveryStatus.ABANDONED, None, now
            delivery.abandoned_reason = f"Still failing after {number} attempts."
        else:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, retry_at
    delivery.save()
    client_id = (delivery.payload.get("data") or {}).get("client") if result.ok else None
    if client_id:
        # The partner now holds the client's id: an accounting-of-disclosures entry unless it is the custodian.
        from clients.disclosures import notification_disclosed

        notification_disclosed(
            client_id=client_id,
            recipient_organization=delivery.endpoint.organization,
            description=f"Webhook {delivery.event} (message {delivery.message_id}): the client's id",
            target=delivery,
        )
    if result.status == 410:
        from .services import webhook_endpoint_disable

        webhook_endpoint_disable(
            endpoint=delivery.endpoint, reason="The partner answered 410 Gone: it no longer wants these events."
        )
    return attempt


def delivery_attempt(*, delivery_id, now: datetime.datetime | None = None) -> WebhookAttempt | None:
    """Make the due attempt of one delivery; None when there was nothing to do (idempotent)."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    body = payload_body(delivery)
    url = delivery.endpoint.url
    result = post(url, body, signed_headers(delivery, body, now))
    attempt = _record(delivery.pk, url, result, now)
    if not attempt.succeeded and result.status != 410:
        _check_downtime(delivery.endpoint_id)
    return attempt


def _check_downtime(endpoint_id) -> None:
    from .downtime import partner_downtime_check

    try:
        partner_downtime_check(endpoint_id=endpoint_id)
    except Exception:  # the attempt is recorded; raising the exception item again happens on the next failure
        logger.exception("webhooks: partner-downtime check failed for endpoint %s", endpoint_id)
