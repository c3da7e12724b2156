"""Partner webhook endpoints, one delivery per (endpoint, event), and every attempt at it.

An endpoint belongs to one organization and is managed by its supervisors (and by governance in the
admin). Deliveries and attempts are the delivery log itself: they carry no history of their own.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from coordination.access import AccessManager
from coordination.context import history_user
from providers.models import Organization

from .choices import OPEN_STATUSES, DeliveryStatus
from .validation import validate_events


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.URLField(max_length=500, help_text="Where the portal POSTs events (https in production).")
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    events = models.JSONField(
        default=list, blank=True, validators=[validate_events], help_text="Event types to send; empty: all of them."
    )
    # Standard Webhooks symmetric secret: "whsec_" + base64 of 32 random bytes. Shown once, never in history.
    secret = models.CharField(max_length=100)
    # After a rotation the old secret signs too (a second signature) until it expires.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Deleted by its organization: it sends nothing and leaves their lists; governance keeps the log.
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user, excluded_fields=["secret", "previous_secret"])

    class Meta:
        ordering = ["organization__name", "url", "created_at"]
        permissions = [("govern_webhookendpoint", "Manage every organization's webhook endpoints (governance)")]
        indexes = [models.Index(fields=["organization", "active"], name="webhook_endpoint_org_idx")]
        constraints = [
            models.CheckConstraint(name="webhook_endpoint_secret_prefixed", condition=Q(secret__startswith="whsec_")),  # noqa: S106 (a prefix)
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.organization})"

    def subscribes_to(self, event: str) -> bool:
        return not self.events or event in self.events


class WebhookDelivery(models.Model):
    """One event for one endpoint: created once (the pair is unique), attempted until it succeeds or gives up."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    # The outbox message id: the event id, sent as `webhook-id` on every attempt.
    message_id = models.UUIDField()
    event = models.CharField(max_length=80)
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due; while one is in flight, the end of its lease (a dead worker's attempt
    # becomes due again then). Empty once succeeded or abandoned.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Last hand-over to the task queue: the sweep does not hand a delivery over again for a while.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    abandoned_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = AccessManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "message_id"], name="webhook_delivery_once_per_endpoint"),
        ]
        indexes = [
            # The sweep's query: open and due. Partial, so the finished log does not weigh on it.
            models.Index(
                fields=["next_attempt_at"], condition=Q(status__in=OPEN_STATUSES), name="webhook_delivery_due_idx"
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.message_id} to {self.endpoint.url} [{self.status}]"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    # Denormalized so an endpoint's recent attempts (partner-downtime) are one indexed query.
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField()
    url = models.URLField(max_length=500)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    succeeded = models.BooleanField(default=False)

    objects = AccessManager()

    class Meta:
        ordering = ["attempted_at", "number"]
        indexes = [models.Index(fields=["endpoint", "-attempted_at"], name="webhook_attempt_endpoint_idx")]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_unique"),
        ]

    def __str__(self) -> str:
        outcome = self.response_code or self.error or "no answer"
        return f"Attempt {self.number} of {self.delivery_id}: {outcome}"
