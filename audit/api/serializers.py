from rest_framework import serializers

from ..models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    """One audit row, every column (FHIR AuditEvent-shaped: when, what, outcome, who, why, which client, what)."""

    id = serializers.UUIDField(source="uuid", read_only=True, help_text="The event's stable id.")
    sequence = serializers.IntegerField(read_only=True, help_text="Position in the hash-chained trail.")
    actor = serializers.IntegerField(source="actor_id", read_only=True, allow_null=True, help_text="User id.")
    consents = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Consents consulted for the decision."
    )
    detail = serializers.DictField(read_only=True, help_text="Action-specific detail.")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "sequence",
            "recorded_at",
            "action",
            "subtype",
            "action_code",
            "outcome",
            "outcome_reason",
            "actor",
            "actor_display",
            "actor_organization_id",
            "actor_organization_name",
            "actor_role",
            "purpose_of_use",
            "client_id",
            "target_type",
            "target_id",
            "target_repr",
            "consents",
            "detail",
            "request_id",
            "source",
            "remote_addr",
            "user_agent",
        ]
        read_only_fields = fields
