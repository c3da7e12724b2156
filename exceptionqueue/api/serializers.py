"""Exception queue API shapes. Declarative: the services decide, these parse requests and render state.

What the caller may do next comes from `QueueActor` (loaded once per page of rows, never per row).
"""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from coordination.roles import Role
from referrals.api.serializers import (
    NamedChoiceField,
    OrganizationRefSerializer,
    PersonSerializer,
    StrictFieldsMixin,
)

from ..choices import ExceptionKind, ExceptionStatus, Severity
from ..models import ExceptionEvent, ExceptionItem
from ..selectors import QueueActor
from ..workflow import TRANSITIONS


def _transition_field(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(choices=list(TRANSITIONS), enum_name="ExceptionTransitionEnum", **kwargs)


def _status_field(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(choices=ExceptionStatus.choices, enum_name="ExceptionStatusEnum", **kwargs)


class ConcerningSerializer(serializers.Serializer):
    type = serializers.CharField(source="concerning_type", help_text="app_label.Model, e.g. referrals.Referral.")
    id = serializers.CharField(source="concerning_id")
    label = serializers.CharField(source="concerning_repr", help_text="A reference, never client details.")


class ExceptionListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        rows = list(data.all() if hasattr(data, "all") else data)
        self.context["queue_actor"] = QueueActor(self.context["request"].user, rows)
        return super().to_representation(rows)


class ExceptionItemSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    kind = NamedChoiceField(choices=ExceptionKind.choices, enum_name="ExceptionKindEnum", read_only=True)
    severity = NamedChoiceField(choices=Severity.choices, enum_name="ExceptionSeverityEnum", read_only=True)
    status = _status_field(read_only=True)
    owner_organization = OrganizationRefSerializer(read_only=True)
    owner_role = NamedChoiceField(choices=Role.choices, enum_name="ExceptionOwnerRoleEnum", read_only=True)
    assigned_to = PersonSerializer(read_only=True, allow_null=True)
    resolved_by = PersonSerializer(read_only=True, allow_null=True)
    concerning = ConcerningSerializer(source="*", read_only=True)
    referral = serializers.SerializerMethodField(help_text="The referral's id, when you may see the referral.")
    overdue = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField(help_text="Steps you may take on it now.")
    can_work = serializers.SerializerMethodField(help_text="Whether you may work this exception.")

    class Meta:
        model = ExceptionItem
        list_serializer_class = ExceptionListSerializer
        fields = [
            "id",
            "reference",
            "kind",
            "summary",
            "detail",
            "severity",
            "status",
            "due_at",
            "overdue",
            "owner_organization",
            "owner_role",
            "assigned_to",
            "concerning",
            "referral",
            "resolution_note",
            "resolved_by",
            "resolved_at",
            "escalation_level",
            "escalated_at",
            "created_at",
            "version",
            "can_work",
            "allowed_transitions",
        ]
        read_only_fields = fields

    def _actor(self, item) -> QueueActor:
        actor = self.context.get("queue_actor")
        if actor is None:  # a single item (retrieve, or the answer to a write)
            actor = self.context["queue_actor"] = QueueActor(self.context["request"].user, [item])
        return actor

    def get_referral(self, item) -> str | None:
        return str(item.referral_id) if self._actor(item).sees_referral(item) else None

    def get_overdue(self, item) -> bool:
        return item.is_overdue(timezone.now())

    def get_can_work(self, item) -> bool:
        return self._actor(item).may_work(item)

    def get_allowed_transitions(self, item) -> list[str]:
        return self._actor(item).allowed_transitions(item)


class ExceptionEventSerializer(serializers.ModelSerializer):
    from_status = _status_field(read_only=True, allow_blank=True)
    to_status = _status_field(read_only=True)

    class Meta:
        model = ExceptionEvent
        fields = ["name", "from_status", "to_status", "actor_display", "occurred_at", "note", "detail"]
        read_only_fields = fields


class ExceptionTransitionRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    unknown_message = "Not a transition input."

    name = _transition_field(help_text="start, resolve, dismiss or reopen.")
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, help_text="Required to resolve or dismiss."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text="The version you loaded.")


class ExceptionAssignRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    assignee = serializers.IntegerField(
        allow_null=True, help_text="User id of a colleague who may work it (null removes the assignment)."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text="The version you loaded.")


class ExceptionRefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="`forbidden` (403), `conflict` (409) or `invalid` (400).")
