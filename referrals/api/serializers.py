"""Referral API shapes. Declarative: the services decide, these only parse requests and render state.

Which client fields a viewer gets comes from `referrals.disclosure`; what a viewer may do next comes
from `ReferralActor` (loaded once per page of rows, never per row).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.api.serializers import OrganizationField
from clients.models import Client
from providers.languages import LANGUAGE_CHOICES
from providers.models import Organization, Service
from sla.api.serializers import SlaBreachSerializer
from sla.selectors import escalation_level

from ..access import ReferralActor
from ..choices import ContactResult, EligibilityBasis, EventKind, RiskFlag, SensitiveCategory, Status, Urgency
from ..disclosure import (
    PROVIDER_CLIENT_FIELDS,
    REFERRER_CLIENT_FIELDS,
    DisclosureCache,
    ReferralDisclosure,
    referral_disclosure,
)
from ..models import Referral, ReferralEvent, ReferralUserObjectPermission
from ..services import TEMPLATE_FIELDS
from ..sla import STAGES, overdue_stages
from ..validation import validate_eligibility_basis, validate_risk_flags, validate_sensitive_categories
from ..workflow import TRANSITION_INPUTS, TRANSITIONS
from .validation import CONFIRM_HELP

# --- small read shapes ---------------------------------------------------------------------------------


class OrganizationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "slug", "name"]


class ServiceRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "name"]


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class ReferralClientSerializer(serializers.ModelSerializer):
    """Documents the client object; the fields present depend on the caller's side (only `id` is certain)."""

    class Meta:
        model = Client
        fields = list(dict.fromkeys([*REFERRER_CLIENT_FIELDS, *PROVIDER_CLIENT_FIELDS]))


class SlaSerializer(serializers.Serializer):
    """Due times (computed at sending, in the receiving organization's business time), the recorded misses and the
    escalation level (see `sla`). Lists prefetch the breaches (`sla.selectors.REFERRAL_PREFETCH`)."""

    acknowledge_due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    first_contact_due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    service_start_due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField(help_text="Stages past their due time that the provider still owes.")
    breaches = SlaBreachSerializer(
        source="sla_breaches", many=True, read_only=True, help_text="Missed targets, each recorded once by the sweep."
    )
    escalation_level = serializers.SerializerMethodField(
        help_text="0: none; 1: provider team and case manager told; 2: county supervisors told (a stage still owed)."
    )
    reroute_suggested_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the second escalation suggested sending the client elsewhere."
    )

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=[s for s, _, _ in STAGES])))
    def get_overdue(self, referral: Referral) -> list[str]:
        return overdue_stages(referral, timezone.now())

    def get_escalation_level(self, referral: Referral) -> int:
        return escalation_level(referral)


class NamedChoiceField(serializers.ChoiceField):
    """A choice field documented as one named enum wherever it appears (see `referrals.api.schema`)."""

    def __init__(self, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(**kwargs)


def status_field(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(choices=Status.choices, enum_name="ReferralStatusEnum", **kwargs)


def contact_result_field(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(choices=ContactResult.choices, enum_name="ContactResultEnum", allow_blank=True, **kwargs)


def language_field(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(choices=LANGUAGE_CHOICES, enum_name="LanguageEnum", **kwargs)


def transition_name_field(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(choices=list(TRANSITIONS), enum_name="TransitionNameEnum", **kwargs)


class CodeListField(serializers.ListField):
    """A list of codes checked by the same rule the model and the page forms use."""

    def __init__(self, *, codes, **kwargs):
        self.codes = codes
        super().__init__(child=serializers.CharField(), **kwargs)


# --- the referral ----------------------------------------------------------------------------------------


class WithheldSerializer(serializers.Serializer):
    category = serializers.CharField(help_text="Consent data category, e.g. housing.")
    reason = serializers.CharField(help_text="Why it is withheld, e.g. no consent for housing partners.")


class ReferralListSerializer(serializers.ListSerializer):
    """Loads the caller's per-object grants once for the whole page."""

    def to_representation(self, data):
        rows = list(data.all() if hasattr(data, "all") else data)
        self.context["referral_actor"] = ReferralActor(self.context["request"].user).load_grants(rows)
        self.context["disclosure_cache"] = DisclosureCache(rows)
        return super().to_representation(rows)


class ReferralSerializer(serializers.ModelSerializer):
    status = status_field(read_only=True)
    language = language_field(read_only=True)
    last_contact_result = contact_result_field(read_only=True)
    client = serializers.SerializerMethodField(
        help_text="The client's details this caller may see (the receiving provider gets fewer fields)."
    )
    referring_organization = OrganizationRefSerializer(read_only=True)
    receiving_organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    service = ServiceRefSerializer(read_only=True, allow_null=True)
    assigned_to = PersonSerializer(read_only=True, allow_null=True, help_text="Case manager at the referring agency.")
    assigned_worker = PersonSerializer(
        read_only=True, allow_null=True, help_text="Staff member the receiving provider put on the referral."
    )
    risk_flags = CodeListField(codes=RiskFlag, read_only=True)
    eligibility_basis = CodeListField(codes=EligibilityBasis, read_only=True)
    sla = SlaSerializer(source="*", read_only=True)
    rerouted_from = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The declined or cancelled referral this one replaces."
    )
    allowed_transitions = serializers.SerializerMethodField(
        help_text="Transitions the caller may perform now (POST them to .../transitions/)."
    )
    withheld = serializers.SerializerMethodField(
        help_text="Data categories consent does not let this caller see, and why; their fields are left out."
    )

    class Meta:
        model = Referral
        list_serializer_class = ReferralListSerializer
        fields = [
            "id",
            "reference",
            "status",
            "version",
            "client",
            "referring_organization",
            "receiving_organization",
            "service",
            *TEMPLATE_FIELDS,
            "assigned_to",
            "assigned_worker",
            "created_at",
            "updated_at",
            "sent_at",
            "acknowledged_at",
            "responded_at",
            "first_contact_at",
            "appointment_at",
            "service_started_at",
            "closed_at",
            "sla",
            "decline_reason",
            "outcome",
            "cancel_reason",
            "hold_reason",
            "status_note",
            "contact_attempts",
            "last_contact_result",
            "rerouted_from",
            "allowed_transitions",
            "withheld",
        ]
        read_only_fields = fields

    def _actor(self, referral: Referral) -> ReferralActor:
        actor = self.context.get("referral_actor")
        if actor is None:
            actor = ReferralActor(self.context["request"].user).load_grants([referral])
            self.context["referral_actor"] = actor
        return actor

    def disclosure(self, referral: Referral) -> ReferralDisclosure:
        """What this caller may see of the referral (asked once per referral per response)."""
        cached = self.context.setdefault("disclosures", {})
        if referral.pk not in cached:
            actor = self._actor(referral)
            if "disclosure_cache" not in self.context:
                self.context["disclosure_cache"] = DisclosureCache([referral])
            cache = self.context["disclosure_cache"]
            cached[referral.pk] = referral_disclosure(referral, actor.sides(referral), actor.organization_ids, cache)
        return cached[referral.pk]

    def to_representation(self, referral: Referral) -> dict:
        data = super().to_representation(referral)
        for name in self.disclosure(referral).hidden_fields:
            data.pop(name, None)
        return data

    @extend_schema_field(ReferralClientSerializer)
    def get_client(self, referral: Referral) -> dict:
        return self.disclosure(referral).client

    @extend_schema_field(WithheldSerializer(many=True))
    def get_withheld(self, referral: Referral) -> list[dict]:
        return [{"category": c, "reason": r} for c, r in self.disclosure(referral).withheld.items()]

    @extend_schema_field(serializers.ListField(child=transition_name_field()))
    def get_allowed_transitions(self, referral: Referral) -> list[str]:
        return self._actor(referral).allowed_transitions(referral)


# --- writes ----------------------------------------------------------------------------------------------


def _request_user(serializer):
    """The caller (None, so nothing is visible, when a serializer is built without a request)."""
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class StrictFieldsMixin:
    # Refuse keys the endpoint does not take, instead of silently ignoring them.

    unknown_message = "Not a field this request takes."

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            unknown = sorted(str(k) for k in set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key[:60]: [self.unknown_message] for key in unknown[:20]})
        return super().validate(attrs)


class ReferringOrganizationField(OrganizationField):
    default_error_messages = {
        "unknown": "No agency '{value}' that you may make referrals for.",
        "invalid": "Give the referring agency's slug or id.",
    }


class ReferralTemplateSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    risk_flags = CodeListField(codes=RiskFlag, required=False, validators=[validate_risk_flags])
    eligibility_basis = CodeListField(codes=EligibilityBasis, required=False, validators=[validate_eligibility_basis])
    sensitive_categories = CodeListField(
        codes=SensitiveCategory, required=False, validators=[validate_sensitive_categories]
    )
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.none(),
        required=False,
        allow_null=True,
        pk_field=serializers.UUIDField(),
        help_text="The service to refer to (required before sending).",
        error_messages={"does_not_exist": "No such service."},
    )
    language = language_field(
        required=False, allow_blank=True, help_text="Defaults to the client's preferred language."
    )
    # Blank is passed on, so the template's rules answer "required" the same way for pages and API.
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, allow_blank=True)
    contact_method = serializers.ChoiceField(
        choices=Referral._meta.get_field("contact_method").choices,
        required=False,
        allow_blank=True,
        help_text="How the provider reaches the client; on creation defaults to the client's preferred method "
        "(to through-referrer when the risk flags include do-not-contact-directly).",
    )

    class Meta:
        model = Referral
        fields = ["service", *TEMPLATE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.visible_to(_request_user(self))


class ReferralCreateSerializer(ReferralTemplateSerializer):
    client = serializers.PrimaryKeyRelatedField(
        queryset=Client.objects.none(),
        pk_field=serializers.UUIDField(),
        error_messages={"does_not_exist": "No such client among the clients you can see."},
    )
    referring_organization = ReferringOrganizationField(
        required=False,
        queryset=Organization.objects.none(),
        help_text="The referring agency's slug or id; defaults to your agency when you work for one.",
    )
    submit = serializers.BooleanField(required=False, default=False, help_text="Send to the provider at once.")
    confirm_warnings = serializers.BooleanField(required=False, default=False, help_text=CONFIRM_HELP)

    class Meta(ReferralTemplateSerializer.Meta):
        fields = [
            "client",
            "referring_organization",
            *ReferralTemplateSerializer.Meta.fields,
            "submit",
            "confirm_warnings",
        ]

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.visible_to(_request_user(self))
        if agencies is not None:
            self.fields["referring_organization"].queryset = agencies


class ReferralUpdateSerializer(ReferralTemplateSerializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you loaded; a newer one answers 409."
    )

    class Meta(ReferralTemplateSerializer.Meta):
        fields = [*ReferralTemplateSerializer.Meta.fields, "version"]


class TransitionRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    unknown_message = "Not a transition input."

    name = transition_name_field(help_text="The transition to perform.")
    reason_code = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="decline, hold and cancel: the coded reason."
    )
    outcome_code = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="close: the coded outcome."
    )
    contact_result = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="record_contact_attempt: what happened."
    )
    appointment_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="schedule: the appointment (ISO 8601 with a time zone)."
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Required when a code is 'other'."
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you loaded; a newer one answers 409."
    )
    confirm_warnings = serializers.BooleanField(required=False, default=False, help_text=f"submit: {CONFIRM_HELP}")

    def inputs(self) -> dict:
        return {k: v for k, v in self.validated_data.items() if k in TRANSITION_INPUTS}


class RerouteRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.none(),
        pk_field=serializers.UUIDField(),
        help_text="The service the new draft goes to.",
        error_messages={"does_not_exist": "No such service."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.visible_to(_request_user(self))


class AssignRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    worker = serializers.IntegerField(
        required=False, allow_null=True, help_text="Provider staff member's user id (null removes the assignment)."
    )
    case_manager = serializers.IntegerField(required=False, help_text="Referring agency case manager's user id.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "worker" not in attrs and "case_manager" not in attrs:
            raise serializers.ValidationError({"non_field_errors": ["Give a worker, a case_manager, or both."]})
        return attrs


class ShareRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    colleague = serializers.IntegerField(help_text="The colleague's user id.")
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the share ends (none: until removed)."
    )


class UnshareRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    colleague = serializers.IntegerField(help_text="The colleague's user id.")


class ShareSerializer(serializers.ModelSerializer):
    colleague = PersonSerializer(source="user", read_only=True)
    granted_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ReferralUserObjectPermission
        fields = ["colleague", "granted_by", "granted_at", "expires_at"]
        read_only_fields = fields


# --- timeline and routing --------------------------------------------------------------------------------


class ReferralEventSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    from_status = status_field(read_only=True, allow_blank=True)
    to_status = status_field(read_only=True)
    contact_result = contact_result_field(read_only=True)
    organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    detail = serializers.DictField(read_only=True, help_text="What changed, for entries that are not transitions.")

    class Meta:
        model = ReferralEvent
        fields = [
            "name",
            "label",
            "from_status",
            "to_status",
            "side",
            "actor_display",
            "organization",
            "occurred_at",
            "reason_code",
            "outcome_code",
            "contact_result",
            "appointment_at",
            "note",
            "detail",
        ]
        read_only_fields = fields

    def get_label(self, event: ReferralEvent) -> str:
        if event.name in TRANSITIONS:
            return TRANSITIONS[event.name].label
        if event.name in EventKind.values:
            return str(EventKind(event.name).label)
        return event.name


class RoutingServiceSerializer(serializers.ModelSerializer):
    organization = OrganizationRefSerializer(read_only=True)

    class Meta:
        model = Service
        fields = ["id", "name", "organization", "capacity_status", "accepting_referrals"]
        read_only_fields = fields


class RoutingOptionSerializer(serializers.Serializer):
    rank = serializers.IntegerField(read_only=True, help_text="1 is the best match.")
    service = RoutingServiceSerializer(read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="Why it ranks here.")


class RoutingQuerySerializer(serializers.Serializer):
    include_full = serializers.BooleanField(
        required=False, default=False, help_text="Also list services with no capacity."
    )


# --- error bodies (documentation) ------------------------------------------------------------------------


class ReferralRefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(
        help_text="`forbidden` (403: the other side's or another role's step) or `conflict` (409)."
    )


class PreviewLineSerializer(serializers.Serializer):
    category = serializers.CharField(help_text="Consent data category.")
    label = serializers.CharField()
    permitted = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why it is permitted or withheld.")
    fields = serializers.ListField(child=serializers.CharField(), help_text="The fields this category covers.")


class DisclosurePreviewSerializer(serializers.Serializer):
    recipient = OrganizationRefSerializer(allow_null=True, help_text="The receiving organization (null: no service).")
    purpose = serializers.CharField(help_text="Purpose of use the referral is sent for (COC).")
    complete = serializers.BooleanField(help_text="True when consent permits everything the referral carries.")
    missing = serializers.CharField(help_text="What consent is missing, in one sentence (empty when complete).")
    lines = PreviewLineSerializer(many=True)
    consents = serializers.ListField(child=serializers.UUIDField(), help_text="Consents the disclosure relies on.")
