"""Consent API shapes. Declarative: `consent.services` decides what may be recorded or revoked.

Write errors come back flat, one key per field, in the same naming the services use for theirs
(`provisions[0].purposes`), so a client reads request-shape errors and rule errors the same way.
"""

from __future__ import annotations

import json
import re

from django.utils import timezone
from rest_framework import serializers
from rest_framework.settings import api_settings

from providers.choices import PartnerCategory
from providers.models import Organization

from ..choices import ConsentMethod, ConsentStatus, DataCategory, ProvisionType, PurposeOfUse, RevocationMethod
from ..models import BreakGlassAccess, Consent, ConsentProvision
from ..services import RECORDABLE_STATUSES
from ..validation import validate_data_categories, validate_partner_categories, validate_purposes

UNKNOWN_KEY = "Not a field this request takes."
MAX_UNKNOWN_KEYS = 20
MAX_PROVISIONS = 20  # as on the consent page
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")

# --- small read shapes ---------------------------------------------------------------------------------


class ConsentOrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class ConsentPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class ConsentChoiceField(serializers.ChoiceField):
    """A choice field documented as one named enum wherever it appears (see `consent.api.schema`)."""

    def __init__(self, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(**kwargs)


def status_field(**kwargs) -> ConsentChoiceField:
    return ConsentChoiceField(choices=ConsentStatus.choices, enum_name="ConsentStatusEnum", **kwargs)


def method_field(**kwargs) -> ConsentChoiceField:
    return ConsentChoiceField(choices=ConsentMethod.choices, enum_name="ConsentMethodEnum", **kwargs)


def revocation_method_field(**kwargs) -> ConsentChoiceField:
    return ConsentChoiceField(choices=RevocationMethod.choices, enum_name="RevocationMethodEnum", **kwargs)


def provision_type_field(**kwargs) -> ConsentChoiceField:
    return ConsentChoiceField(choices=ProvisionType.choices, enum_name="ProvisionTypeEnum", **kwargs)


class ConsentCodeListField(serializers.ListField):
    """A list of codes, checked by the rule the model and the page forms share (one message per field)."""

    def __init__(self, *, codes, **kwargs):
        self.codes = codes
        super().__init__(child=serializers.CharField(), **kwargs)


# --- reads ---------------------------------------------------------------------------------------------


class ConsentProvisionSerializer(serializers.ModelSerializer):
    type = provision_type_field(read_only=True)
    partner_categories = ConsentCodeListField(codes=PartnerCategory, read_only=True)
    organizations = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True, help_text="Organizations the provision names (slugs)."
    )
    purposes = ConsentCodeListField(codes=PurposeOfUse, read_only=True)
    data_categories = ConsentCodeListField(codes=DataCategory, read_only=True)

    class Meta:
        model = ConsentProvision
        fields = ["type", "partner_categories", "organizations", "purposes", "data_categories", "start", "end"]
        read_only_fields = fields


class ConsentSerializer(serializers.ModelSerializer):
    client = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())
    organization = ConsentOrganizationSerializer(
        read_only=True, help_text="The custodian: the client's organization, which recorded the consent."
    )
    status = status_field(read_only=True)
    method = method_field(read_only=True)
    recorded_by = ConsentPersonSerializer(read_only=True, allow_null=True)
    revoked_by = ConsentPersonSerializer(read_only=True, allow_null=True)
    revocation_method = revocation_method_field(read_only=True, allow_blank=True, help_text="Empty unless revoked.")
    signed_form = serializers.SerializerMethodField(
        help_text="Whether a signed form is on file (download it from the consent page, not the API)."
    )
    provisions = ConsentProvisionSerializer(many=True, read_only=True)

    class Meta:
        model = Consent
        fields = [
            "id",
            "client",
            "organization",
            "status",
            "method",
            "date",
            "recorded_by",
            "revoked_at",
            "revoked_by",
            "revocation_method",
            "revocation_reason",
            "error_marked_at",
            "error_reason",
            "created_at",
            "signed_form",
            "provisions",
        ]
        read_only_fields = fields

    def get_signed_form(self, consent: Consent) -> bool:
        return bool(consent.signed_form)


# --- writes --------------------------------------------------------------------------------------------


def _unknown_keys(serializer: serializers.Serializer, data) -> dict[str, list[str]]:
    if not isinstance(data, dict):
        return {}
    unknown = sorted(str(key) for key in set(data) - set(serializer.fields))
    return {key[:60]: [UNKNOWN_KEY] for key in unknown[:MAX_UNKNOWN_KEYS]}


class StrictSerializer(serializers.Serializer):
    """Refuses keys the request does not take, instead of silently ignoring them."""

    def to_internal_value(self, data):
        unknown = _unknown_keys(self, data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):
                raise serializers.ValidationError({**unknown, **error.detail}) from error
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class ProvisionOrganizationField(serializers.SlugRelatedField):
    """An organization named by slug: one of the active organizations the caller can see (the directory)."""

    default_error_messages = {
        "does_not_exist": "No active organization '{value}'.",
        "invalid": "Name organizations by their slug.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return Organization.objects.visible_to(getattr(request, "user", None)).filter(active=True)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not SLUG.fullmatch(data):  # junk never reaches the database
            self.fail("invalid")
        return super().to_internal_value(data)


class ProvisionWriteSerializer(StrictSerializer):
    """One permit or deny rule: to whom (partner categories and/or named organizations), why, what, when."""

    type = provision_type_field(help_text="Permit or deny.")
    partner_categories = ConsentCodeListField(
        codes=PartnerCategory,
        required=False,
        default=list,
        validators=[validate_partner_categories],
        help_text="Partner categories the provision applies to.",
    )
    organizations = ProvisionOrganizationField(
        many=True,
        required=False,
        default=list,
        help_text="Slugs of organizations the provision names (Part 2 data needs the organization named).",
    )
    purposes = ConsentCodeListField(codes=PurposeOfUse, validators=[validate_purposes], help_text="Purposes of use.")
    data_categories = ConsentCodeListField(
        codes=DataCategory, validators=[validate_data_categories], help_text="Which of the client's data."
    )
    start = serializers.DateField(help_text="First day the provision applies.")
    end = serializers.DateField(required=False, allow_null=True, help_text="Last day it applies; empty: no end.")


class ConsentCreateSerializer(StrictSerializer):
    """A consent to record: JSON, or multipart with `signed_form` and `provisions` as a JSON string."""

    method = method_field(help_text="How the client gave (or refused) it.")
    date = serializers.DateField(help_text="When the client gave (or refused) consent; not in the future.")
    status = ConsentChoiceField(
        choices=[(s.value, s.label) for s in RECORDABLE_STATUSES],
        enum_name="RecordableConsentStatusEnum",
        required=False,
        help_text="active (default), draft, or rejected (the client refused).",
    )
    provisions = ProvisionWriteSerializer(
        many=True,
        max_length=MAX_PROVISIONS,
        help_text=f"What is permitted or denied (at least one, at most {MAX_PROVISIONS}).",
    )
    signed_form = serializers.FileField(
        required=False, help_text="The signed form: PDF, PNG or JPEG (multipart requests only)."
    )

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):  # multipart: a QueryDict of strings and files
            data = _from_form(data)
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):
                raise serializers.ValidationError(_flatten(error.detail)) from error
            raise


def _from_form(data) -> dict:
    """Multipart fields as JSON would carry them: one value each, `provisions` decoded."""
    plain, errors = {}, {}
    for key in data:
        values = data.getlist(key)
        if len(values) != 1:
            errors[str(key)[:60]] = ["Give this field once."]
            continue
        plain[key] = values[0]
    if isinstance(plain.get("provisions"), str):
        try:
            plain["provisions"] = json.loads(plain["provisions"])
        except ValueError:
            errors["provisions"] = ["Give the provisions as a JSON list."]
    if errors:
        raise serializers.ValidationError(errors)
    return plain


def _flatten(detail, prefix: str = "") -> dict[str, list]:
    """`{"provisions": [{}, {"end": [...]}]}` -> `{"provisions[1].end": [...]}`: one list of messages per key."""
    flat: dict[str, list] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                name = prefix or key
            elif isinstance(key, int):
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}[{index}]"))
    else:
        messages = detail if isinstance(detail, list) else [detail]
        flat.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).extend(messages)
    return flat


class ConsentRevokeSerializer(StrictSerializer):
    """Why and how the client withdrew the consent."""

    reason = serializers.CharField(
        allow_blank=True, max_length=2000, trim_whitespace=False, help_text="Why the consent is withdrawn."
    )
    method = revocation_method_field(help_text="How the client withdrew it.")


class ConsentErrorSerializer(StrictSerializer):
    """What was wrong with a consent recorded by mistake."""

    reason = serializers.CharField(
        allow_blank=True, max_length=2000, trim_whitespace=False, help_text="What was wrong with this record."
    )


class ConsentValidationErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field; provision fields are named like `provisions[0].purposes`.",
    )


# --- break the glass -----------------------------------------------------------------------------------


class BreakGlassSerializer(serializers.ModelSerializer):
    """An emergency access: whose, for which client, why, and for how long."""

    client = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())
    user = ConsentPersonSerializer(read_only=True, help_text="Who started it (the only one who can end it).")
    live = serializers.SerializerMethodField(help_text="Whether it is running now (not ended, not expired).")

    class Meta:
        model = BreakGlassAccess
        fields = ["id", "client", "user", "reason", "started_at", "expires_at", "ended_at", "live"]
        read_only_fields = fields

    def get_live(self, access: BreakGlassAccess) -> bool:
        return access.ended_at is None and access.expires_at > timezone.now()


class BreakGlassStartSerializer(StrictSerializer):
    """An emergency access to start: `consent.break_glass` decides who may, and checks reason and length."""

    client = serializers.UUIDField(help_text="The client of a referral you can see whose data consent withholds.")
    reason = serializers.CharField(
        max_length=2000, allow_blank=True, help_text="The emergency, in your words (at least 15 characters)."
    )
    minutes = serializers.IntegerField(required=False, default=60, help_text="How long: 5 to 240 minutes (60).")
