"""The audit log in the governance admin: read-only, filtered, sorted by any column, exported as CSV.

Rows come through `AuditEvent.objects.visible_to` (the `AuditEventPolicy`: governance leads read the whole
trail; anyone else, superusers included, reads none of it). The URL takes the same filter parameters as
`GET /api/v1/audit-events/` (see `audit.filters`); invalid ones are ignored with a message. Rows name
clients (`target_repr`), so each list view leaves an `audit.listed` row and each export an `audit.exported` row.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from coordination.access import Action
from coordination.purpose import PurposeOfUse
from providers.access import holds_permission
from providers.models import Organization

from .choices import AuditAction, Outcome, Source
from .export import ExportTooLarge, audit_events_csv
from .filters import AuditEventFilter, audit_text_q, filters_used
from .models import AuditEvent
from .services import audit_hidden_object, audit_record

_FILTERSET = "_audit_filterset"


def request_filterset(request) -> AuditEventFilter:
    """The request's filter parameters, validated once per request."""
    filterset = getattr(request, _FILTERSET, None)
    if filterset is None:
        filterset = AuditEventFilter(request.GET, queryset=AuditEvent.objects.none(), request=request)
        filterset.is_valid()
        setattr(request, _FILTERSET, filterset)
    return filterset


def _bounded_query(data) -> dict[str, list[str]]:
    """Every parameter of the admin URL (sort, search, date drill-down too), bounded, for an audit row."""
    return {key[:50]: [v.replace("\x00", "")[:200] for v in data.getlist(key)[:20]] for key in list(data)[:30]}


class FilterParameter(admin.SimpleListFilter):
    """One `AuditEventFilter` parameter in the admin sidebar, applied with the API's validation and semantics.

    Choice parameters list their choices; free-text ones (client, actor, dates) appear only while in use,
    so they can be seen and cleared.
    """

    choices_list: list[tuple[str, str]] = []

    def __init__(self, request, params, model, model_admin):
        self.values = list(params.get(self.parameter_name, []))
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        known = dict(self.choices_list)
        current = [(value, value) for value in self.values if value not in known]
        return [*self.choices_list, *current]

    def queryset(self, request, queryset):
        filterset = request_filterset(request)
        name = self.parameter_name
        value = filterset.form.cleaned_data.get(name)
        if name in filterset.form.errors or value in (None, "", []):
            return queryset
        return filterset.filters[name].filter(queryset, value)


def _parameter(name: str, title: str, choices=()) -> type[FilterParameter]:
    return type(
        f"{name.title().replace('_', '')}Filter",
        (FilterParameter,),
        {"parameter_name": name, "title": title, "choices_list": list(choices)},
    )


class OrganizationParameter(FilterParameter):
    parameter_name = "organization"
    title = "actor's organization"

    def lookups(self, request, model_admin):
        self.choices_list = list(Organization.objects.order_by("name").values_list("slug", "name"))
        return super().lookups(request, model_admin)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only; ONC 170.315(d)(3): reports for a period, sortable by every field."""

    list_display = [
        "sequence",
        "recorded_at",
        "action",
        "action_code",
        "outcome",
        "actor_link",
        "actor_organization_name",
        "actor_role",
        "purpose_of_use",
        "client_link",
        "target_type",
        "target_repr",
        "source",
        "request_id",
    ]
    list_filter = [
        _parameter("action", "action", AuditAction.choices),
        _parameter("outcome", "outcome", Outcome.choices),
        _parameter("purpose", "purpose of use", PurposeOfUse.choices),
        _parameter("source", "source", Source.choices),
        OrganizationParameter,
        _parameter("actor", "actor (user id or username)"),
        _parameter("client", "client id"),
        _parameter("recorded_after", "recorded at or after"),
        _parameter("recorded_before", "recorded before"),
    ]
    # The search box sends `q`, searched like the API's `q` (see get_search_results).
    search_fields = ["actor_display", "target_repr", "request_id"]
    search_help_text = "Actor name, target, request id, or a client id."
    date_hierarchy = "recorded_at"
    ordering = ["-sequence"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    actions = ["export_csv"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user, Action.VIEW)

    # Asked of the access policy's roles, like the API, not of Django's model permissions.
    def has_view_permission(self, request, obj=None):
        return holds_permission(request.user, "audit.view_auditevent")

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(audit_text_q(search_term[:200])), False

    # --- columns ------------------------------------------------------------------------------------------

    def _filter_url(self, **params) -> str:
        return f"{reverse('admin:audit_auditevent_changelist')}?{urlencode(params)}"

    @admin.display(description="actor", ordering="actor_display")
    def actor_link(self, event: AuditEvent):
        if event.actor_id is None:
            return event.actor_display or "-"
        return format_html(
            '<a href="{}" title="Only this actor">{}</a>',
            self._filter_url(actor=event.actor_id),
            event.actor_display or event.actor_id,
        )

    @admin.display(description="client id", ordering="client_id")
    def client_link(self, event: AuditEvent):
        if event.client_id is None:
            return "-"
        return format_html(
            '<a href="{}" title="Only this client">{}</a>', self._filter_url(client=event.client_id), event.client_id
        )

    # --- the list read is audited; bad filters are reported ---------------------------------------------------

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if request.method == "GET":
            for field, errors in request_filterset(request).form.errors.items():
                self.message_user(request, f"Ignored filter {field}: {' '.join(errors)}", messages.WARNING)
            rows = changelist.result_list
            audit_record(
                action=AuditAction.AUDIT_LISTED,
                subtype="admin",
                detail={
                    "query": _bounded_query(request.GET),
                    "count": len(rows),
                    "client_ids": sorted({str(row.client_id) for row in rows if row.client_id}),
                },
            )
        return changelist

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # One event shows a client id, an actor and what they did: opening it is itself a read.
        event = self.get_object(request, object_id)
        if event is None:
            audit_hidden_object(AuditEvent, pk=object_id)
        elif request.method == "GET":
            audit_record(
                action=AuditAction.AUDIT_EVENT_VIEWED,
                subtype="admin",
                target=event,
                client_id=event.client_id,
                detail={"sequence": event.sequence},
            )
        return super().change_view(request, object_id, form_url, extra_context)

    # --- export -------------------------------------------------------------------------------------------

    @admin.action(description="Export CSV (tick 'select all' to export every matching event)", permissions=["view"])
    def export_csv(self, request, queryset):
        if not self.has_view_permission(request):  # the action machinery checks too; this is the export's own
            raise PermissionDenied
        select_across = request.POST.get("select_across") == "1"
        filters = {
            "parameters": filters_used(request.GET),
            "query": _bounded_query(request.GET),
            "selection": "all matching" if select_across else len(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)),
            "via": "admin",
        }
        try:
            return audit_events_csv(queryset=queryset, actor=request.user, filters=filters)
        except ExportTooLarge as too_large:
            self.message_user(request, str(too_large), messages.ERROR)
            return None
