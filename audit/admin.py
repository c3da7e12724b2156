from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only. Filters and the disclosure report grow with the audit issue."""

    list_display = [
        "sequence",
        "recorded_at",
        "action",
        "outcome",
        "actor_display",
        "actor_organization_name",
        "actor_role",
        "purpose_of_use",
        "client_id",
        "target_repr",
        "source",
    ]
    list_filter = ["action", "outcome", "source", "purpose_of_use", "recorded_at"]
    search_fields = ["actor_display", "target_repr", "request_id", "=client_id", "=target_id"]
    date_hierarchy = "recorded_at"
    ordering = ["-sequence"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
