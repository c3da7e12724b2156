"""Webhook endpoint API shapes. Declarative: `webhooks.services` decides what may be created or changed.

The secret appears in exactly two responses, creation and rotation (`WebhookEndpointSecretSerializer`).
"""

from __future__ import annotations

from rest_framework import serializers

from coordination.events import Event

from ..choices import DeliveryStatus
from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class EventField(serializers.ChoiceField):
    """An event type partners subscribe to (documented as `WebhookEventEnum`, see `webhooks.api.schema`)."""

    enum_name = "WebhookEventEnum"

    def __init__(self, **kwargs):
        super().__init__(choices=Event.choices, **kwargs)


class DeliveryStatusField(serializers.ChoiceField):
    enum_name = "WebhookDeliveryStatusEnum"

    def __init__(self, **kwargs):
        super().__init__(choices=DeliveryStatus.choices, **kwargs)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    events = serializers.ListField(
        child=EventField(), read_only=True, help_text="Event types sent to this endpoint; empty: all of them."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "organization",
            "url",
            "description",
            "active",
            "events",
            "created_at",
            "updated_at",
            "secret_rotated_at",
            "previous_secret_expires_at",
            "disabled_at",
            "disabled_reason",
        ]
        read_only_fields = fields


class WebhookEndpointSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_...`). Shown in this response only: store it now.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointWriteSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="https://... (https is required in production).")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    events = serializers.ListField(
        child=EventField(), required=False, max_length=len(Event.values) * 2, help_text="Empty or absent: all events."
    )
    active = serializers.BooleanField(required=False)


class WebhookEndpointCreateSerializer(WebhookEndpointWriteSerializer):
    organization = serializers.SlugField(
        required=False,
        help_text="The organization's slug; needed only when you manage endpoints for more than one organization.",
    )


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "attempted_at", "url", "response_code", "error", "duration_ms", "succeeded"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="message_id", read_only=True, help_text="The `webhook-id` header.")
    event = EventField(read_only=True)
    status = DeliveryStatusField(read_only=True)
    attempts = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_response_code",
            "last_error",
            "abandoned_reason",
            "created_at",
            "completed_at",
            "payload",
            "attempts",
        ]
        read_only_fields = fields


class WebhookErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
