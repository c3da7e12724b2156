"""What the governance admin pages share: reads through `visible_to`, permissions asked of the roles, and one
form page for opening, deciding, drawing and reviewing (each calls a service, never a model save)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from audit.services import audit_hidden_object
from coordination.access import Action
from providers.access import holds_permission

from ..forms import add_service_errors

FORM_TEMPLATE = "admin/governance/form.html"


class GovernanceAdmin(SimpleHistoryAdmin):
    """Read-only model pages; every change goes through a service from a form page or an action."""

    view_perm: str

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user, Action.VIEW)

    # Asked of the access policy's roles, like the audit log, not of Django's model permissions.
    def has_view_permission(self, request, obj=None):
        return holds_permission(request.user, self.view_perm)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back to the history table for a row get_object cannot find: not for hidden rows.
        self.visible_object(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.visible_object(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def visible_object(self, request, object_id):
        """The row if `request.user` may see it; else 404 (a hidden row's lookup is audited as denied)."""
        if not self.has_view_permission(request):
            raise PermissionDenied  # audited by the 403 handler, like every refusal
        try:
            obj = self.get_queryset(request).filter(pk=object_id).first()
        except (ValueError, TypeError, ValidationError):
            obj = None
        if obj is None:
            audit_hidden_object(self.model, pk=object_id)
            raise Http404(f"No such {self.model._meta.verbose_name}.")
        return obj

    def changelist_url(self, **params) -> str:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        if params:
            url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
        return url

    def form_page(
        self, request, *, title: str, form, submit_label: str, summary=(), hidden=(), selected=()
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "submit_label": submit_label,
            "summary": list(summary),
            "hidden": list(hidden),
            "selected": list(selected),
            "changelist_url": self.changelist_url(),
        }
        return TemplateResponse(request, FORM_TEMPLATE, context)


def run_service(form, call) -> object | None:
    """Call a service for a valid form; its ValidationError lands on the form (answer None)."""
    try:
        return call()
    except ValidationError as error:
        add_service_errors(form, error)
        return None


class ScopedFilter(admin.SimpleListFilter):
    """A filter whose choices are rows the user may see, matched by primary key (bad values are ignored)."""

    def queryset(self, request, queryset):
        value = self.value()
        if not value or value not in {str(k) for k, _ in self.lookup_choices}:
            return queryset
        return queryset.filter(**{f"{self.parameter_name}_id": value})
