"""Read-only admin pages over client data: scoped by `visible_to`, each list, record and version audited."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from audit.choices import AuditAction
from audit.services import audit_hidden_object, audit_record
from coordination.access import Action


class AuditedReadOnlyAdmin(SimpleHistoryAdmin):
    listed_action: AuditAction
    viewed_action: AuditAction
    client_id_of: Callable[[object], object]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user, Action.VIEW)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        audit_record(
            action=self.listed_action,
            subtype="admin",
            detail={
                "client_ids": [str(type(self).client_id_of(row)) for row in changelist.result_list],
                "query": request.GET.dict(),
            },
        )
        return changelist

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._audit_view(request, object_id, subtype="admin")
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        # simple-history reads the history table past get_queryset: a hidden object's history is a 404.
        if self._audit_view(request, object_id, subtype="admin-history") is None:
            raise Http404(f"No such {self.model._meta.verbose_name}.")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history loads the version directly, past get_queryset: check visibility first.
        if self._audit_view(request, object_id, subtype="admin-history") is None:
            raise Http404(f"No such {self.model._meta.verbose_name}.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _audit_view(self, request, object_id, *, subtype: str):
        obj = self.get_object(request, object_id)
        if obj is None:
            audit_hidden_object(self.model, pk=object_id)
        elif request.method == "GET":
            audit_record(action=self.viewed_action, subtype=subtype, target=obj, client_id=type(self).client_id_of(obj))
        return obj

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
