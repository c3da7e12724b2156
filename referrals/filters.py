"""Referral list parameters, validated (bad values answer 400 / a form error), shared by API and pages."""

import uuid

import django_filters
from django.utils import timezone

from providers.choices import SdohCategory

from .choices import Status, Urgency
from .models import Referral
from .selectors import text_search
from .sla import overdue_q


class OrganizationSlugOrIdFilter(django_filters.CharFilter):
    """An organization named by slug or id, so partners can use either."""

    def __init__(self, *args, prefix: str, **kwargs):
        self.prefix = prefix
        super().__init__(*args, method=self.filter_organization, max_length=80, **kwargs)

    def filter_organization(self, queryset, name, value):
        field = "id" if _looks_like_uuid(value) else "slug"
        return queryset.filter(**{f"{self.prefix}__{field}": value})


def _looks_like_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    urgency = django_filters.MultipleChoiceFilter(choices=Urgency.choices)
    category = django_filters.ChoiceFilter(choices=SdohCategory.choices)
    client = django_filters.UUIDFilter(field_name="client_id")
    receiving_organization = OrganizationSlugOrIdFilter(prefix="receiving_organization")
    referring_organization = OrganizationSlugOrIdFilter(prefix="referring_organization")
    sent_after = django_filters.IsoDateTimeFilter(field_name="sent_at", lookup_expr="gte")
    sent_before = django_filters.IsoDateTimeFilter(field_name="sent_at", lookup_expr="lt")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue")
    q = django_filters.CharFilter(method="filter_text", max_length=200, label="Reference, client, service or provider")

    class Meta:
        model = Referral
        fields = [
            "status",
            "urgency",
            "category",
            "client",
            "receiving_organization",
            "referring_organization",
            "sent_after",
            "sent_before",
            "overdue",
            "q",
        ]

    def filter_overdue(self, queryset, name, value):
        q = overdue_q(timezone.now())
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_text(self, queryset, name, value):
        return text_search(queryset, value, actor=getattr(self.request, "user", None))
