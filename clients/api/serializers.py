import datetime
import re
import uuid

from django.utils import timezone
from rest_framework import serializers

from clients.choices import IdentifierSystem
from clients.models import Client, ClientIdentifier
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
            "given_name",
            "family_name",
            "birth_date",
            "phone",
            "email",
            "address_line",
            "city",
            "postal_code",
            "county",
            "preferred_contact_method",
            "preferred_language",
            "interpreter_needed",
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
        today = timezone.localdate()
        if value > today:
            raise serializers.ValidationError("A birth date cannot be in the future.")
        if value.year < today.year - 130:
            raise serializers.ValidationError("A birth date more than 130 years ago is not plausible.")
        return value

    def validate(self, attrs):
        method = attrs.get("preferred_contact_method", getattr(self.instance, "preferred_contact_method", None))
        needs = {"phone": "phone", "text": "phone", "email": "email", "mail": "address_line"}
        field = needs.get(method)
        if field and not attrs.get(field, getattr(self.instance, field, "")):
            raise serializers.ValidationError({field: f"Required when the preferred contact method is {method}."})
        return attrs


class DuplicateCandidatesSerializer(serializers.Serializer):
    detail = serializers.CharField()
    candidates = serializers.ListField(child=serializers.UUIDField())
