"""Directory search parameters, validated (bad values answer 400 / a form error), for API and page."""

import django_filters
from django import forms

from .choices import CapacityStatus, PartnerCategory, SdohCategory, ServiceStatus
from .languages import LANGUAGE_CHOICES
from .models import Organization, postal_code_validator
from .selectors import (
    LISTED_STATUSES,
    counties_of,
    services_in_language,
    services_matching_text,
    services_ranked,
    services_serving,
)


class ServiceFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=SdohCategory.choices)
    postal_code = django_filters.CharFilter(
        method="filter_postal_code", max_length=10, validators=[postal_code_validator], label="Postal code"
    )
    language = django_filters.ChoiceFilter(choices=LANGUAGE_CHOICES, method="filter_language", label="Language")
    capacity_status = django_filters.ChoiceFilter(choices=CapacityStatus.choices)
    organization = django_filters.CharFilter(
        field_name="organization__slug", max_length=80, label="Organization (slug)"
    )
    status = django_filters.ChoiceFilter(choices=ServiceStatus.choices)
    q = django_filters.CharFilter(method="filter_text", max_length=200, label="Search text")

    class Meta:
        fields = ["category", "postal_code", "language", "capacity_status", "organization", "status", "q"]

    def filter_postal_code(self, queryset, name, value):
        return services_serving(queryset, self._postal_code, self._counties)

    def filter_language(self, queryset, name, value):
        return services_in_language(queryset, value)

    def filter_text(self, queryset, name, value):
        return services_matching_text(queryset, value)

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        # Service areas list 5-digit codes: a ZIP+4 is matched by its first five digits.
        self._postal_code = (data.get("postal_code") or "").strip()[:5]
        self._counties = counties_of(self._postal_code) if self._postal_code else []
        if not data.get("status"):
            queryset = queryset.filter(status__in=LISTED_STATUSES)
        queryset = super().filter_queryset(queryset)
        return services_ranked(
            queryset, postal_code=self._postal_code, counties=self._counties, language=data.get("language") or ""
        )


class OrganizationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Organization._meta.get_field("kind").choices)
    partner_category = django_filters.ChoiceFilter(choices=PartnerCategory.choices)
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Organization
        fields = ["kind", "partner_category", "q"]
        form = forms.Form
