from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Client, ClientIdentifier


class ClientIdentifierInline(admin.TabularInline):
    model = ClientIdentifier
    extra = 0
    readonly_fields = ["system", "value"]
    can_delete = False


@admin.register(Client)
class ClientAdmin(SimpleHistoryAdmin):
    """Read-only for governance: client records are maintained in the portal, where writes are audited."""

    list_display = ["family_name", "given_name", "birth_date", "organization", "updated_at"]
    list_filter = ["organization"]
    search_fields = ["family_name", "given_name", "identifiers__value"]
    list_select_related = ["organization"]
    inlines = [ClientIdentifierInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
