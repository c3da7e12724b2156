"""Exceptions in the governance admin: read-only, scoped by `visible_to`, every read audited."""

from django.contrib import admin

from audit.choices import AuditAction
from coordination.admin_reads import AuditedReadOnlyAdmin

from .models import ExceptionEvent, ExceptionItem


class ExceptionEventInline(admin.TabularInline):
    model = ExceptionEvent
    extra = 0
    can_delete = False
    fields = ["occurred_at", "name", "from_status", "to_status", "actor_display", "note"]
    readonly_fields = fields
    ordering = ["occurred_at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Rendered only inside an item loaded through visible_to.
        return True


@admin.register(ExceptionItem)
class ExceptionItemAdmin(AuditedReadOnlyAdmin):
    list_display = [
        "reference",
        "kind",
        "severity",
        "status",
        "owner_organization",
        "owner_role",
        "due_at",
        "escalation_level",
        "assigned_to",
        "created_at",
    ]
    list_filter = ["status", "kind", "severity", "owner_role", "owner_organization"]
    search_fields = ["summary", "dedupe_key", "concerning_id"]
    list_select_related = ["owner_organization", "assigned_to"]
    date_hierarchy = "created_at"
    ordering = ["due_at"]
    inlines = [ExceptionEventInline]
    listed_action = AuditAction.EXCEPTION_LISTED
    viewed_action = AuditAction.EXCEPTION_VIEWED

    @staticmethod
    def client_id_of(item):
        return item.client_id
