"""Partner webhooks in the governance admin: endpoints (through the services, so every change is audited),
and the delivery log with each attempt (read-only).

A new or rotated secret is shown on the page that answers the save or the action, once; it is never a
form field and never in the change history.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from coordination.access import Action, is_active_user
from coordination.events import Event

from .access import governs_webhooks
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services import (
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from .validation import validate_endpoint_url


class WebhookEndpointAdminForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=Event.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )
    url = forms.CharField(max_length=500, help_text="https and a public address in production.")

    class Meta:
        model = WebhookEndpoint
        fields = ["organization", "url", "description", "events", "active"]

    def clean_events(self) -> list[str]:
        return list(self.cleaned_data["events"])

    def clean_url(self) -> str:
        # The same check the service makes, so a refused address is a field error here, not a failed save.
        return validate_endpoint_url(self.cleaned_data["url"])


def _secrets_page(request, rows: list[tuple[WebhookEndpoint, str]], *, created: bool) -> TemplateResponse:
    response = TemplateResponse(
        request,
        "admin/webhooks/secrets.html",
        {**admin.site.each_context(request), "title": "Signing secret", "rows": rows, "created": created},
    )
    response["Cache-Control"] = "no-store"
    return response


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(SimpleHistoryAdmin):
    form = WebhookEndpointAdminForm
    list_display = ["url", "organization", "active", "subscribed", "disabled_reason", "deleted_at", "log"]
    list_filter = ["active", "organization"]
    search_fields = ["url", "description", "organization__name"]
    list_select_related = ["organization"]
    readonly_fields = [
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "secret_rotated_at",
        "previous_secret_expires_at",
        "disabled_at",
        "disabled_reason",
        "deleted_at",
        "log",
    ]
    actions = ["rotate_secrets", "disable_endpoints"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user, Action.VIEW)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "organization"] if obj is not None else fields

    def has_view_permission(self, request, obj=None):
        return is_active_user(request.user) and governs_webhooks(request.user)

    def has_add_permission(self, request):
        return self.has_view_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # retired (inactive), never deleted here: the log stays

    @admin.display(description="events")
    def subscribed(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events) or "all"

    @admin.display(description="delivery log")
    def log(self, endpoint: WebhookEndpoint):
        if endpoint.pk is None:
            return "-"
        link = reverse("admin:webhooks_webhookdelivery_changelist") + f"?endpoint__id__exact={endpoint.pk}"
        return format_html('<a href="{}">deliveries</a>', link)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("url", "description", "events", "active")}
        if change:
            webhook_endpoint_update(actor=request.user, endpoint=obj, **data)
        else:
            created, secret = webhook_endpoint_create(
                actor=request.user, organization=form.cleaned_data["organization"], **data
            )
            obj.pk, request._webhook_new_secret = created.pk, (created, secret)

    def save_related(self, request, form, formsets, change):
        pass  # nothing related; the services wrote everything

    def response_add(self, request, obj, post_url_continue=None):
        created = getattr(request, "_webhook_new_secret", None)
        if created is None:
            return super().response_add(request, obj, post_url_continue)
        return _secrets_page(request, [created], created=True)

    @admin.action(description="Rotate the signing secret (shown once)", permissions=["change"])
    def rotate_secrets(self, request, queryset):
        rows = [webhook_endpoint_rotate_secret(actor=request.user, endpoint=e) for e in queryset]
        return _secrets_page(request, rows, created=False)

    @admin.action(description="Turn off (stop sending)", permissions=["change"])
    def disable_endpoints(self, request, queryset):
        for endpoint in queryset:
            webhook_endpoint_disable(actor=request.user, endpoint=endpoint, reason="Turned off by governance.")
        self.message_user(request, "The selected endpoints were turned off.", messages.SUCCESS)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "attempted_at", "url", "response_code", "error", "duration_ms", "succeeded"]
    readonly_fields = fields
    ordering = ["number"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True  # shown only inside a delivery loaded through visible_to


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event",
        "message_id",
        "endpoint",
        "status",
        "attempt_count",
        "last_response_code",
        "next_attempt_at",
    ]
    list_filter = ["status", "event", "endpoint"]
    search_fields = ["message_id", "endpoint__url"]
    list_select_related = ["endpoint", "endpoint__organization"]
    date_hierarchy = "created_at"
    inlines = [WebhookAttemptInline]
    readonly_fields = [
        "endpoint",
        "message_id",
        "event",
        "payload",
        "status",
        "attempt_count",
        "next_attempt_at",
        "enqueued_at",
        "last_response_code",
        "last_error",
        "abandoned_reason",
        "created_at",
        "completed_at",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user, Action.VIEW)

    def has_view_permission(self, request, obj=None):
        return is_active_user(request.user) and governs_webhooks(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
