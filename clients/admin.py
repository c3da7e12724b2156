from django.contrib import admin
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from audit.choices import AuditAction
from audit.services import audit_hidden_object, audit_record
from coordination.access import Action

from .models import Client, ClientIdentifier


class ClientIdentifierInline(admin.TabularInline):
    model = ClientIdentifier
    extra = 0
    readonly_fields = ["system", "value"]
    can_delete = False


@admin.register(Client)
class ClientAdmin(SimpleHistoryAdmin):
    """Read-only for governance, scoped and audited like the portal's own client pages."""

    list_display = ["family_name", "given_name", "birth_date", "organization", "updated_at"]
    list_filter = ["organization"]
    search_fields = ["family_name", "given_name", "identifiers__value"]
    list_select_related = ["organization"]
    inlines = [ClientIdentifierInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user, Action.VIEW)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        audit_record(
            action=AuditAction.CLIENT_LISTED,
            subtype="admin",
            detail={"client_ids": [str(c.pk) for c in changelist.result_list], "query": request.GET.dict()},
        )
        return changelist

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._audit_view(request, object_id, subtype="admin")
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._audit_view(request, object_id, subtype="admin-history")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history loads the version directly, past get_queryset: check visibility first.
        if self._audit_view(request, object_id, subtype="admin-history") is None:
            raise Http404("No such client.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _audit_view(self, request, object_id, *, subtype: str) -> Client | None:
        client = self.get_object(request, object_id)
        if client is None:
            audit_hidden_object(Client, pk=object_id)
        elif request.method == "GET":
            audit_record(action=AuditAction.CLIENT_VIEWED, subtype=subtype, target=client, client_id=client.pk)
        return client

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
