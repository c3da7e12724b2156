"""API shapes of the SLA records: the referral's `sla.breaches`, and its escalations."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import SlaBreach, SlaEscalation
from ..stages import Stage


class SlaBreachSerializer(serializers.ModelSerializer):
    stage = serializers.ChoiceField(choices=Stage.choices, read_only=True)
    due_at = serializers.DateTimeField(read_only=True)
    breached_at = serializers.DateTimeField(read_only=True, help_text="When the sweep recorded the miss.")

    class Meta:
        model = SlaBreach
        fields = ["stage", "due_at", "breached_at"]
        read_only_fields = fields


class NotifiedPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    organization = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)


class AcknowledgerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class SlaEscalationSerializer(serializers.ModelSerializer):
    stage = serializers.ChoiceField(choices=Stage.choices, read_only=True)
    level = serializers.IntegerField(
        read_only=True, help_text="1: the provider's team and the case manager; 2: the county supervisors."
    )
    notified = serializers.SerializerMethodField(help_text="Who was told, as they were when told.")
    acknowledged_by = AcknowledgerSerializer(read_only=True, allow_null=True)
    can_acknowledge = serializers.SerializerMethodField(help_text="True when the caller may acknowledge it now.")

    class Meta:
        model = SlaEscalation
        fields = [
            "id",
            "stage",
            "level",
            "created_at",
            "notified",
            "acknowledged_by",
            "acknowledged_at",
            "can_acknowledge",
        ]
        read_only_fields = fields

    @extend_schema_field(NotifiedPersonSerializer(many=True))
    def get_notified(self, escalation: SlaEscalation) -> list[dict]:
        return NotifiedPersonSerializer(escalation.notified, many=True).data

    def get_can_acknowledge(self, escalation: SlaEscalation) -> bool:
        request = self.context.get("request")
        user_id = getattr(getattr(request, "user", None), "pk", None)
        return escalation.acknowledged_at is None and user_id in escalation.notified_user_ids


class SlaRefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(
        help_text="`forbidden` (403: you were not notified) or `conflict` (409: done already)."
    )
