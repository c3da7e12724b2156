"""Writes to webhook endpoints: create, change, rotate the secret, disable, delete. Each is atomic and audited.

Actors are an organization's supervisors (their own organization's endpoints) or governance leads (any).
`webhook_endpoint_disable` is also called without an actor by the delivery machinery when a partner
answers 410 Gone. The secret is returned by create and rotate only: it is never shown again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.access import Action
from coordination.events import Event
from providers.access import holds_permission
from providers.models import Organization

from .access import governs_webhooks
from .choices import OPEN_STATUSES, DeliveryStatus
from .models import WebhookDelivery, WebhookEndpoint
from .signing import generate_secret
from .validation import validate_endpoint_url

SYSTEM = "Webhook delivery"


def can_manage_endpoints(actor, organization: Organization, action: Action = Action.ADD) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return governs_webhooks(actor) or holds_permission(actor, f"webhooks.{action.value}_webhookendpoint", organization)


def redacted_url(url: str) -> str:
    """The URL without its query string (partners sometimes put tokens there) for audit rows."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _clean(url, events) -> tuple[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        url = validate_endpoint_url(url)
    except ValidationError as error:
        errors["url"] = error.messages
    wanted = set(events or ())
    unknown = sorted(wanted - set(Event.values))
    if unknown:
        errors["events"] = [f"Unknown event type(s): {', '.join(unknown)}."]
    if errors:
        raise ValidationError(errors)
    # Catalog order, no repeats: the same subscription always reads the same.
    return url, [event for event in Event.values if event in wanted]


def _locked(actor, endpoint: WebhookEndpoint, action: Action) -> WebhookEndpoint:
    queryset = WebhookEndpoint.objects.visible_to(actor, action) if actor is not None else WebhookEndpoint.objects
    locked = queryset.select_for_update(of=("self",)).select_related("organization").filter(pk=endpoint.pk).first()
    if locked is None:
        raise PermissionDenied("You may not change this webhook endpoint.")
    return locked


def _abandon_open_deliveries(endpoint: WebhookEndpoint, reason: str, now: datetime.datetime) -> int:
    # Deliveries are the log itself (no history): a bulk update loses nothing.
    return WebhookDelivery.objects.filter(endpoint=endpoint, status__in=OPEN_STATUSES).update(
        status=DeliveryStatus.ABANDONED, abandoned_reason=reason[:300], next_attempt_at=None, completed_at=now
    )


@transaction.atomic
def webhook_endpoint_create(
    *,
    actor,
    organization: Organization,
    url: str,
    description: str = "",
    events: Iterable[str] = (),
    active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint with a fresh secret; returns the endpoint and the secret (shown to the caller once)."""
    if not organization.active or not can_manage_endpoints(actor, organization, Action.ADD):
        raise PermissionDenied("You may not add webhook endpoints for this organization.")
    url, events = _clean(url, events)
    now = timezone.now()
    endpoint = WebhookEndpoint(
        organization=organization,
        url=url,
        description=str(description or "").strip(),
        events=events,
        active=bool(active),
        secret=generate_secret(),
        created_by=actor,
        updated_by=actor,
        disabled_at=None if active else now,
        disabled_reason="" if active else "Created inactive.",
    )
    endpoint._history_user = actor
    endpoint.full_clean()
    endpoint.save()
    audit_record(
        action=AuditAction.WEBHOOK_ENDPOINT_CREATED,
        actor=actor,
        target=endpoint,
        organization=organization,
        detail={"url": redacted_url(url), "events": events, "active": endpoint.active},
    )
    return endpoint, endpoint.secret


@transaction.atomic
def webhook_endpoint_update(
    *,
    actor,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    description: str | None = None,
    events: Iterable[str] | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given (None: unchanged). Turning it off abandons what was still to send."""
    locked = _locked(actor, endpoint, Action.CHANGE)
    url, events = _clean(locked.url if url is None else url, locked.events if events is None else events)
    wanted = {
        "url": url,
        "description": str(locked.description if description is None else description).strip(),
        "events": events,
        "active": locked.active if active is None else bool(active),
    }
    changed = {name: value for name, value in wanted.items() if getattr(locked, name) != value}
    if not changed:
        return locked
    now = timezone.now()
    before = {name: getattr(locked, name) for name in changed}
    for name, value in changed.items():
        setattr(locked, name, value)
    if changed.get("active") is True:
        locked.disabled_at, locked.disabled_reason = None, ""
    elif changed.get("active") is False:
        locked.disabled_at, locked.disabled_reason = now, "Turned off by staff."
    locked.updated_by = actor
    locked._history_user = actor
    locked.full_clean()
    locked.save()
    abandoned = _abandon_open_deliveries(locked, "The endpoint was turned off.", now) if not locked.active else 0
    shown = {name: (redacted_url(v) if name == "url" else v) for name, v in before.items()}
    audit_record(
        action=AuditAction.WEBHOOK_ENDPOINT_CHANGED if locked.active else AuditAction.WEBHOOK_ENDPOINT_DISABLED,
        actor=actor,
        target=locked,
        organization=locked.organization,
        detail={
            "changed": sorted(changed),
            "before": shown,
            "url": redacted_url(locked.url),
            "deliveries_abandoned": abandoned,
        },
    )
    return locked


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, actor, endpoint: WebhookEndpoint, now: datetime.datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new secret at once; the old one keeps signing alongside it for WEBHOOK_SECRET_OVERLAP (24 hours)."""
    locked = _locked(actor, endpoint, Action.CHANGE)
    now = now or timezone.now()
    overlap = getattr(settings, "WEBHOOK_SECRET_OVERLAP", datetime.timedelta(hours=24))
    locked.previous_secret = locked.secret
    locked.previous_secret_expires_at = now + overlap
    locked.secret = generate_secret()
    locked.secret_rotated_at = now
    locked.updated_by = actor
    locked._history_user = actor
    locked.save()
    audit_record(
        action=AuditAction.WEBHOOK_SECRET_ROTATED,
        actor=actor,
        target=locked,
        organization=locked.organization,
        detail={"previous_secret_valid_until": locked.previous_secret_expires_at.isoformat()},
    )
    return locked, locked.secret


@transaction.atomic
def webhook_endpoint_disable(
    *, endpoint: WebhookEndpoint, reason: str, actor=None, now: datetime.datetime | None = None
) -> WebhookEndpoint:
    """Stop sending to the endpoint (idempotent). Without an actor: the partner asked for it (410 Gone)."""
    locked = _locked(actor, endpoint, Action.CHANGE)
    if not locked.active:
        return locked
    now = now or timezone.now()
    locked.active = False
    locked.disabled_at = now
    locked.disabled_reason = reason[:300]
    locked.updated_by = actor
    locked._history_user = actor
    locked.save()
    abandoned = _abandon_open_deliveries(locked, reason, now)
    audit_record(
        action=AuditAction.WEBHOOK_ENDPOINT_DISABLED,
        actor=actor,
        actor_display="" if actor is not None else SYSTEM,
        target=locked,
        organization=locked.organization,
        detail={"reason": reason[:300], "url": redacted_url(locked.url), "deliveries_abandoned": abandoned},
    )
    return locked


@transaction.atomic
def webhook_endpoint_delete(*, actor, endpoint: WebhookEndpoint) -> None:
    """The organization no longer wants it: it stops and leaves their lists; governance keeps the log."""
    locked = _locked(actor, endpoint, Action.DELETE)
    now = timezone.now()
    locked.deleted_at = now
    if locked.active:
        locked.active, locked.disabled_at, locked.disabled_reason = False, now, "Deleted."
    locked.updated_by = actor
    locked._history_user = actor
    locked.save()
    abandoned = _abandon_open_deliveries(locked, "The endpoint was deleted.", now)
    audit_record(
        action=AuditAction.WEBHOOK_ENDPOINT_DELETED,
        actor=actor,
        target=locked,
        organization=locked.organization,
        detail={"url": redacted_url(locked.url), "deliveries_abandoned": abandoned},
    )
