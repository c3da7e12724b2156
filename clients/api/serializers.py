import datetime
import re
import uuid

from rest_framework import serializers

from clients.choices import IdentifierSystem
from clients.models import Client, ClientIdentifier
from clients.services import CLIENT_FIELDS
from clients.validation import missing_contact_detail, validate_birth_date
from providers.api.serializers import OrganizationSummarySerializer
from providers.models import Organization

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")


class IdentifierSerializer(serializers.ModelSerializer):
    system = serializers.ChoiceField(choices=IdentifierSystem.choices)
    value = serializers.CharField(max_length=64)

    class Meta:
        model = ClientIdentifier
        fields = ["system", "value"]


class OrganizationField(serializers.RelatedField):
    """Reads as `{"id", "slug", "name", "partner_category"}`; writes as a slug or id."""

    default_error_messages = {
        "unknown": "No organization '{value}' that you may add clients for.",
        "invalid": "Give the organization's slug or id.",
    }

    def to_representation(self, value: Organization) -> dict:
        return OrganizationSummarySerializer(value).data

    def to_internal_value(self, data):
        value = data.strip() if isinstance(data, str) else ""
        lookup = _organization_lookup(value)
        if lookup is None:
            self.fail("invalid")
        match = self.get_queryset().filter(**lookup).first()
        if match is None:
            self.fail("unknown", value=value)
        return match


def _organization_lookup(value: str) -> dict | None:
    """Check the shape before querying, so junk never reaches the database."""
    try:
        return {"pk": uuid.UUID(value)}
    except ValueError:
        pass
    return {"slug": value} if SLUG.fullmatch(value) else None


class ClientSerializer(serializers.ModelSerializer):
    identifiers = IdentifierSerializer(many=True, required=False)
    organization = OrganizationField(
        required=False, queryset=Organization.objects.none(), help_text="Owning organization (slug or id on write)."
    )
    allow_duplicate = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Create even though likely duplicates exist (the candidates are answered with 409 otherwise).",
    )

    class Meta:
        model = Client
        fields = [
            "id",
            *CLIENT_FIELDS,
            "identifiers",
            "organization",
            "allow_duplicate",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.fields["organization"].queryset = organizations

    def validate_birth_date(self, value: datetime.date) -> datetime.date:
        return validate_birth_date(value)

    def validate(self, attrs):
        # On a partial update the stored values count for what the request leaves out.
        values = {f: attrs.get(f, getattr(self.instance, f, "")) for f in ("phone", "email", "address_line")}
        method = attrs.get("preferred_contact_method", getattr(self.instance, "preferred_contact_method", None))
        missing = missing_contact_detail(method, values)
        if missing:
            raise serializers.ValidationError({missing[0]: [missing[1]]})
        return attrs


class DuplicateCandidatesSerializer(serializers.Serializer):
    detail = serializers.CharField()
    candidates = serializers.ListField(child=serializers.UUIDField())
