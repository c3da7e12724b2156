"""Governance keeps the response targets in the admin: policies, opening hours, holidays (with history)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from coordination.access import Action, is_active_user
from providers.access import holds_permission

from .models import Holiday, OpeningHours, SlaPolicy


class ConfigurationAdmin(SimpleHistoryAdmin):
    """Asked of the access policy (the roles' `sla.*` permissions), like every other write."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user, Action.VIEW)

    def _may(self, request, action: str) -> bool:
        if request.user.is_superuser:
            return True
        return holds_permission(request.user, f"sla.{action}_{self.model._meta.model_name}")

    def has_view_permission(self, request, obj=None):
        return is_active_user(request.user)

    def has_add_permission(self, request):
        return self._may(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change")

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "delete")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ConfigurationAdmin):
    list_display = [
        "urgency",
        "need",
        "acknowledge",
        "first_contact",
        "service_start",
        "around_the_clock",
        "updated_at",
    ]
    list_filter = ["urgency", "around_the_clock"]
    fieldsets = [
        (None, {"fields": ["urgency", "category", "around_the_clock", "escalation_multiplier"]}),
        ("Acknowledge receipt", {"fields": [("acknowledge_amount", "acknowledge_unit")]}),
        ("First contact", {"fields": [("first_contact_amount", "first_contact_unit")]}),
        ("Service start", {"fields": [("service_start_amount", "service_start_unit")]}),
    ]

    @admin.display(description="need", ordering="category")
    def need(self, policy: SlaPolicy) -> str:
        return policy.get_category_display() if policy.category else "Any need"

    @staticmethod
    def _target(policy: SlaPolicy, stage: str) -> str:
        unit = {"hours": "h", "business_days": "business days", "days": "days"}[getattr(policy, f"{stage}_unit")]
        return f"{getattr(policy, f'{stage}_amount')} {unit}"

    @admin.display(description="acknowledge")
    def acknowledge(self, policy: SlaPolicy) -> str:
        return self._target(policy, "acknowledge")

    @admin.display(description="first contact")
    def first_contact(self, policy: SlaPolicy) -> str:
        return self._target(policy, "first_contact")

    @admin.display(description="service start")
    def service_start(self, policy: SlaPolicy) -> str:
        return self._target(policy, "service_start")


@admin.register(OpeningHours)
class OpeningHoursAdmin(ConfigurationAdmin):
    list_display = ["organization", "weekday", "opens", "closes"]
    list_filter = ["weekday", "organization"]
    list_select_related = ["organization"]
    search_fields = ["organization__name"]


@admin.register(Holiday)
class HolidayAdmin(ConfigurationAdmin):
    list_display = ["date", "name", "organization"]
    list_filter = ["organization"]
    list_select_related = ["organization"]
    date_hierarchy = "date"
    search_fields = ["name"]
