"""Queue filters, validated (a bad value answers 400 / a form error), shared by the page and the API."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from coordination.roles import Role

from .choices import ACTIVE_STATUSES, ExceptionKind, ExceptionStatus, Severity
from .models import ExceptionItem

ACTIVE = "active"
STATUS_CHOICES = [(ACTIVE, "Open or in progress"), *ExceptionStatus.choices]


class ExceptionFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ExceptionKind.choices)
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label="Status", empty_label="Any status"
    )
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    owner_role = django_filters.ChoiceFilter(choices=Role.choices, label="Owner team")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue")
    mine = django_filters.BooleanFilter(method="filter_mine", label="Assigned to me")
    referral = django_filters.UUIDFilter(field_name="referral_id")

    class Meta:
        model = ExceptionItem
        fields = ["kind", "status", "severity", "owner_role", "overdue", "mine", "referral"]

    def filter_status(self, queryset, name, value):
        if value == ACTIVE:
            return queryset.filter(status__in=sorted(ACTIVE_STATUSES))
        return queryset.filter(status=value)

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status__in=sorted(ACTIVE_STATUSES), due_at__lte=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        mine = Q(assigned_to_id=getattr(user, "pk", None))
        return queryset.filter(mine) if value else queryset.exclude(mine)
