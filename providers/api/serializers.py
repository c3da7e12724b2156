from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from providers.choices import ServiceAreaKind
from providers.models import Location, Organization, Service


class OrganizationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "slug", "name", "partner_category"]


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = [
            "id",
            "slug",
            "name",
            "alternate_name",
            "kind",
            "partner_category",
            "description",
            "email",
            "website",
            "phone",
            "active",
        ]


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = [
            "id",
            "name",
            "location_type",
            "address_1",
            "city",
            "state_province",
            "postal_code",
            "latitude",
            "longitude",
        ]


class ServiceSerializer(serializers.ModelSerializer):
    organization = OrganizationSummarySerializer(read_only=True)
    languages = serializers.SerializerMethodField(help_text="ISO 639-1 codes the service is delivered in.")
    postal_codes = serializers.SerializerMethodField(help_text="Postal codes in the service area.")
    counties = serializers.SerializerMethodField(help_text="Counties in the service area (all their postal codes).")
    locations = LocationSerializer(many=True, read_only=True)
    stale = serializers.SerializerMethodField(help_text="True when the listing was not verified in the last 12 months.")

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "organization",
            "category",
            "status",
            "description",
            "eligibility_description",
            "languages",
            "interpretation_services",
            "application_process",
            "postal_codes",
            "counties",
            "minimum_age",
            "maximum_age",
            "capacity_status",
            "capacity_note",
            "capacity_as_of",
            "accepting_referrals",
            "assured_date",
            "assurer_email",
            "stale",
            "locations",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_languages(self, service: Service) -> list[str]:
        return [entry.code for entry in service.language_entries.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_postal_codes(self, service: Service) -> list[str]:
        return [a.value for a in service.areas.all() if a.kind == ServiceAreaKind.POSTAL_CODE]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_counties(self, service: Service) -> list[str]:
        return [a.value for a in service.areas.all() if a.kind == ServiceAreaKind.COUNTY]

    def get_stale(self, service: Service) -> bool:
        return service.is_stale()
