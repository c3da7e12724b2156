"""The outbox handler that turns events into webhook deliveries, one per (endpoint, event).

Runs inside the outbox's processing transaction. For a referral event, the endpoints of the referring
organization and, once the referral was sent, of the receiving one (as in the portal: a never-sent draft
stays unknown to the provider); for a consent event, those of the organizations named in the event. Only
active endpoints subscribed to the event get a delivery; the unique (endpoint, message) pair makes a second
run add nothing. The deliveries are handed to Celery after commit; the sweep covers a lost hand-over.

Payloads are thin: the event type and time, the event id and the ids of what it is about, and workflow
codes. Never names, notes or other client data: the partner reads details through the authorized,
audited API, as the referral's own access rules allow.
"""

from __future__ import annotations

import datetime
import uuid
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from coordination.models import OutboxMessage
from coordination.outbox import outbox_handler
from notifications.recipients import referral_organizations
from referrals.models import Referral

from .choices import CONSENT_EVENTS, REFERRAL_EVENTS
from .delivery import hand_over
from .models import WebhookDelivery, WebhookEndpoint

# Codes from the event's data that may travel (renamed for partners); anything else stays home.
SHARED_CODES = {"to": "status", "from": "previous_status", "stage": "stage", "level": "escalation_level"}


def _iso(moment) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _referral_parties(message: OutboxMessage) -> tuple[list, dict]:
    referral_id = message.data.get("referral_id") or (
        message.subject_id if message.subject_type == "referrals.Referral" else None
    )
    try:
        referral = (
            Referral.objects.filter(pk=referral_id)
            .only("pk", "referring_organization_id", "receiving_organization_id", "sent_at")
            .first()
            if referral_id
            else None
        )
    except (ValidationError, ValueError):
        referral = None  # a malformed id: nothing to deliver (raising would retry the message forever)
    if referral is None:
        return [], {}
    # The same rule as in the portal: the receiving organization hears only of a referral it was sent (a
    # cancelled draft must not tell the provider that the referral exists).
    organizations = referral_organizations(referral)
    return [pk for pk in organizations if pk is not None], {"object": "referral", "referral": str(referral.pk)}


def _uuids(values) -> list[uuid.UUID]:
    found = []
    for value in values or []:
        try:
            found.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return found


def _consent_parties(message: OutboxMessage) -> tuple[list, dict]:
    organizations = _uuids(message.data.get("organization_ids"))
    data = {"object": "consent"}
    if message.subject_type == "consent.Consent" and message.subject_id:
        data["consent"] = message.subject_id
    if message.data.get("client_id"):
        # The id lets the partner find the client it holds data about; it names nobody.
        data["client"] = str(message.data["client_id"])
    return organizations, data


def thin_payload(message: OutboxMessage, ids: dict) -> dict:
    data = {"id": str(message.pk), **ids}
    for key, shared in SHARED_CODES.items():
        value = message.data.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            data[shared] = value
    return {"type": message.event, "timestamp": _iso(message.created_at), "data": data}


def _parties(message: OutboxMessage) -> tuple[list, dict]:
    if message.event in REFERRAL_EVENTS:
        return _referral_parties(message)
    if message.event in CONSENT_EVENTS:
        return _consent_parties(message)
    return [], {}


@outbox_handler
def webhook_fanout(message: OutboxMessage) -> list:
    """Create the deliveries this event owes; returns the ids of those created now."""
    organizations, ids = _parties(message)
    if not organizations:
        return []
    endpoints = WebhookEndpoint.objects.filter(
        organization_id__in=organizations, active=True, deleted_at__isnull=True, organization__active=True
    ).order_by("created_at")
    payload = thin_payload(message, ids)
    now = timezone.now()
    created = []
    for endpoint in endpoints:
        if not endpoint.subscribes_to(message.event):
            continue
        delivery, new = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            message_id=message.pk,
            defaults={
                "event": message.event,
                "payload": payload,
                "created_at": now,
                "next_attempt_at": now,
                "enqueued_at": now,
            },
        )
        if new:
            created.append(delivery.pk)
    if created:
        transaction.on_commit(partial(hand_over, created))
    return created
