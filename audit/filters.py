"""Audit log search parameters, validated (bad values answer 400 / an admin message), shared by API and admin.

The same names work in both places: `?client=<uuid>&action=referral.viewed&action=client.viewed&q=...`.
"""

from __future__ import annotations

import uuid

import django_filters
from django import forms
from django.db.models import Q

from coordination.purpose import PurposeOfUse
from providers.models import Organization

from .choices import AuditAction, Outcome, Source
from .models import AuditEvent

# Every column a caller may sort by (the API's `ordering`; the admin sorts its own columns).
ORDERING_FIELDS = [
    "sequence",
    "recorded_at",
    "action",
    "action_code",
    "outcome",
    "actor_display",
    "actor_organization_name",
    "actor_role",
    "purpose_of_use",
    "client_id",
    "target_type",
    "target_repr",
    "source",
    "request_id",
]


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def audit_text_q(value: str) -> Q:
    """Actor name, target (type, id, description) or request id containing `value`; a UUID also finds its client."""
    value = value.strip()
    q = (
        Q(actor_display__icontains=value)
        | Q(target_repr__icontains=value)
        | Q(target_type__icontains=value)
        | Q(target_id=value)
        | Q(request_id__icontains=value)
    )
    client_id = _as_uuid(value)
    return q | Q(client_id=client_id) if client_id is not None else q


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sorts by the requested columns, then by sequence, so pages never overlap."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value if param not in {None, ""}]
        if not any(field.lstrip("-") == "sequence" for field in ordering):
            ordering.append("-sequence")
        return qs.order_by(*ordering)


class AuditEventFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("recorded_after"), cleaned.get("recorded_before")
        if after and before and after >= before:
            self.add_error("recorded_before", "Must be later than recorded_after.")
        return cleaned


class AuditEventFilter(django_filters.FilterSet):
    client = django_filters.UUIDFilter(field_name="client_id", label="Client id")
    actor = django_filters.CharFilter(method="filter_actor", max_length=150, label="Actor (user id or username)")
    organization = django_filters.CharFilter(
        method="filter_organization", max_length=80, label="Actor's organization (id or slug)"
    )
    action = django_filters.MultipleChoiceFilter(choices=AuditAction.choices)
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices)
    purpose = django_filters.ChoiceFilter(field_name="purpose_of_use", choices=PurposeOfUse.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    recorded_after = django_filters.IsoDateTimeFilter(field_name="recorded_at", lookup_expr="gte")
    recorded_before = django_filters.IsoDateTimeFilter(field_name="recorded_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="filter_text", max_length=200, label="Actor name, target or request id")
    ordering = StableOrderingFilter(fields=ORDERING_FIELDS)

    class Meta:
        model = AuditEvent
        fields = [
            "client",
            "actor",
            "organization",
            "action",
            "outcome",
            "purpose",
            "source",
            "recorded_after",
            "recorded_before",
            "q",
        ]
        form = AuditEventFilterForm

    def filter_actor(self, queryset, name, value):
        value = value.strip()
        if value.isdigit():
            return queryset.filter(actor_id=int(value))
        return queryset.filter(actor__username=value)

    def filter_organization(self, queryset, name, value):
        # Rows name the actor's organization when the actor had exactly one (see audit_record).
        organization_id = _as_uuid(value)
        if organization_id is not None:
            return queryset.filter(actor_organization_id=organization_id)
        return queryset.filter(actor_organization_id__in=Organization.objects.filter(slug=value).values("pk"))

    def filter_text(self, queryset, name, value):
        return queryset.filter(audit_text_q(value)) if value.strip() else queryset


# The parameters a filtered view names in its audit row and the admin accepts in its URL.
FILTER_PARAMETERS = tuple(AuditEventFilter.base_filters)


def filters_used(data) -> dict[str, list[str]]:
    """The filter parameters in `data` (a QueryDict), as sent (bounded, NUL-free), for an audit row's detail."""
    used = {}
    for key in FILTER_PARAMETERS:
        values = [v.replace("\x00", "")[:200] for v in data.getlist(key)[:20] if v != ""]
        if values:
            used[key] = values
    return used
