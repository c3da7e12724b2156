"""Sample audit checks in the governance admin: draw N access events of a period, mark each appropriate or not.

Sample items show audit rows (who read which client, under which purpose), so listing them and opening one
is itself a read of the trail and is audited like the audit log list.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.access import Action
from providers.access import holds_permission

from ..choices import Verdict
from ..errors import GovernanceError
from ..forms import SampleDrawForm, VerdictForm
from ..models import AuditSample, AuditSampleItem
from ..selectors import samples_with_progress
from ..services import sample_draw, sample_item_review
from .base import GovernanceAdmin, ScopedFilter, run_service


@admin.register(AuditSample)
class AuditSampleAdmin(GovernanceAdmin):
    view_perm = "governance.view_auditsample"
    list_display = ["__str__", "organization", "size", "progress", "reviewer", "created_by", "created_at", "items_link"]
    fields = ["period_start", "period_end", "size", "organization", "reviewer", "created_by", "created_at", "progress"]
    readonly_fields = fields

    def get_queryset(self, request):
        return samples_with_progress(request.user)

    def has_add_permission(self, request):
        return holds_permission(request.user, "governance.add_auditsample")

    @admin.display(description="reviewed")
    def progress(self, sample) -> str:
        return f"{sample.items_reviewed} / {sample.items_total}"

    @admin.display(description="")
    def items_link(self, sample):
        url = reverse("admin:governance_auditsampleitem_changelist") + f"?sample={sample.pk}"
        return format_html('<a href="{}">Review events</a>', url)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            self.message_user(request, "Only governance leads draw audit samples.", messages.ERROR)
            return HttpResponseRedirect(self.changelist_url())
        form = SampleDrawForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            sample = run_service(form, lambda: sample_draw(actor=request.user, **form.cleaned_data))
            if sample is not None:
                drawn = sample.items.count()
                note = "" if drawn == sample.size else f" (the period has only {drawn} eligible access events)"
                self.message_user(request, f"Drew {drawn} access event(s){note}.")
                return HttpResponseRedirect(
                    reverse("admin:governance_auditsampleitem_changelist") + f"?sample={sample.pk}"
                )
        return self.form_page(request, title="Draw an audit sample", form=form, submit_label="Draw sample")


class SampleFilter(ScopedFilter):
    title = "sample"
    parameter_name = "sample"

    def lookups(self, request, model_admin):
        samples = AuditSample.objects.visible_to(request.user, Action.VIEW).order_by("-created_at")[:200]
        return [(str(s.pk), str(s)) for s in samples]


class VerdictFilter(admin.SimpleListFilter):
    title = "verdict"
    parameter_name = "verdict"

    def lookups(self, request, model_admin):
        return [("unreviewed" if v == Verdict.UNREVIEWED else v.value, v.label) for v in Verdict]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "unreviewed":
            return queryset.filter(verdict=Verdict.UNREVIEWED)
        if value in Verdict.values:
            return queryset.filter(verdict=value)
        return queryset


@admin.register(AuditSampleItem)
class AuditSampleItemAdmin(GovernanceAdmin):
    view_perm = "governance.view_auditsampleitem"
    list_display = [
        "sequence",
        "when",
        "who",
        "what",
        "purpose",
        "client",
        "outcome",
        "verdict_shown",
        "reviewed_by",
        "reviewed_at",
        "review_link",
    ]
    list_filter = [SampleFilter, VerdictFilter]
    list_select_related = ["event", "reviewed_by"]
    list_per_page = 100
    fields = ["sample", "verdict", "note", "reviewed_by", "reviewed_at"]
    readonly_fields = fields

    def get_urls(self):
        view = self.admin_site.admin_view(self.review_view)
        return [path("<path:object_id>/review/", view, name="governance_review"), *super().get_urls()]

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if request.method == "GET":
            events = [item.event for item in changelist.result_list]
            audit_record(
                action=AuditAction.AUDIT_LISTED,
                subtype="audit-sample",
                detail={
                    "sample": request.GET.get("sample", "")[:64],
                    "events": [e.sequence for e in events],
                    "client_ids": sorted({str(e.client_id) for e in events if e.client_id}),
                },
            )
        return changelist

    # --- columns: the event's who / when / what / purpose / client ----------------------------------------

    @admin.display(description="event", ordering="event_id")
    def sequence(self, item):
        url = reverse("admin:audit_auditevent_change", args=[item.event_id])
        return format_html('<a href="{}">#{}</a>', url, item.event_id)

    @admin.display(description="when", ordering="event__recorded_at")
    def when(self, item):
        return item.event.recorded_at

    @admin.display(description="who")
    def who(self, item) -> str:
        event = item.event
        parts = [event.actor_display or "-", event.actor_role, event.actor_organization_name]
        return " · ".join(p for p in parts if p)

    @admin.display(description="what")
    def what(self, item) -> str:
        event = item.event
        return f"{event.get_action_display()}: {event.target_repr}" if event.target_repr else event.get_action_display()

    @admin.display(description="purpose")
    def purpose(self, item) -> str:
        return item.event.purpose_of_use or "-"

    @admin.display(description="client")
    def client(self, item) -> str:
        event = item.event
        if event.client_id:
            return str(event.client_id)
        listed = (event.detail or {}).get("client_ids") or []
        return f"list of {len(listed)} client(s)"

    @admin.display(description="outcome")
    def outcome(self, item) -> str:
        return item.event.get_outcome_display()

    @admin.display(description="verdict", ordering="verdict")
    def verdict_shown(self, item) -> str:
        return item.get_verdict_display() if item.verdict else "-"

    @admin.display(description="")
    def review_link(self, item):
        url = reverse("admin:governance_review", args=[item.pk])
        return format_html('<a href="{}">{}</a>', url, "Change verdict" if item.verdict else "Review")

    # --- reviewing ----------------------------------------------------------------------------------------

    def review_view(self, request, object_id):
        item = self.visible_object(request, object_id)
        back = self.changelist_url(sample=item.sample_id)
        form = VerdictForm(request.POST or None, initial={"verdict": item.verdict or None, "note": item.note})
        if request.method == "POST" and form.is_valid():
            try:
                reviewed = run_service(
                    form, lambda: sample_item_review(actor=request.user, item=item, **form.cleaned_data)
                )
            except GovernanceError as refused:
                self.message_user(request, refused.message, messages.ERROR)
                return HttpResponseRedirect(back)
            if reviewed is not None:
                self.message_user(request, f"Event #{item.event_id}: {reviewed.get_verdict_display().lower()}.")
                return HttpResponseRedirect(back)
        event = item.event
        if request.method == "GET":
            audit_record(
                action=AuditAction.AUDIT_LISTED,
                subtype="audit-sample-item",
                client_id=event.client_id,
                detail={"sample": str(item.sample_id), "events": [event.sequence]},
            )
        return self.form_page(
            request,
            title=f"Review event #{event.sequence}",
            form=form,
            submit_label="Record verdict",
            summary=[
                ("When", event.recorded_at),
                ("Who", self.who(item)),
                ("What", self.what(item)),
                ("Outcome", f"{event.get_outcome_display()} {event.outcome_reason}".strip()),
                ("Purpose of use", self.purpose(item)),
                ("Client", self.client(item)),
                ("Consents relied on", ", ".join(event.consents) or "-"),
                ("Source", f"{event.get_source_display()} {event.request_id}".strip()),
                ("Current verdict", self.verdict_shown(item)),
            ],
        )
