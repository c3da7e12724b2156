"""Access reviews in the governance admin: open a campaign, decide its items, complete it, export the evidence."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from coordination.access import Action
from coordination.roles import Role
from providers.access import holds_permission

from ..choices import CampaignStatus, Decision, ItemKind
from ..errors import GovernanceError
from ..evidence import roles_text
from ..export import campaign_evidence_csv
from ..forms import CampaignOpenForm, CancelForm, DecideForm
from ..models import AccessReviewCampaign, AccessReviewItem
from ..selectors import campaigns_with_progress
from ..services import campaign_cancel, campaign_complete, campaign_open, item_decide
from .base import GovernanceAdmin, ScopedFilter, run_service

ROLE_LABELS = dict(Role.choices)


@admin.register(AccessReviewCampaign)
class AccessReviewCampaignAdmin(GovernanceAdmin):
    view_perm = "governance.view_accessreviewcampaign"
    list_display = ["name", "status", "period", "due_at", "progress", "overdue", "created_by", "links"]
    list_filter = ["status"]
    search_fields = ["name"]
    actions = ["complete_selected", "export_evidence"]
    fields = [
        "name",
        "status",
        "period_start",
        "period_end",
        "due_at",
        "organization_names",
        "reviewer_names",
        "progress",
        "created_by",
        "created_at",
        "completed_at",
        "last_reminded_at",
        "links",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return campaigns_with_progress(request.user)

    def has_add_permission(self, request):
        return holds_permission(request.user, "governance.add_accessreviewcampaign")

    def get_urls(self):
        own = [
            path("<path:object_id>/cancel/", self.admin_site.admin_view(self.cancel_view), name="governance_cancel"),
            path(
                "<path:object_id>/evidence.csv",
                self.admin_site.admin_view(self.evidence_view),
                name="governance_campaign_evidence",
            ),
        ]
        return own + super().get_urls()

    # --- columns ------------------------------------------------------------------------------------------

    @admin.display(description="period")
    def period(self, campaign) -> str:
        return f"{campaign.period_start:%Y-%m-%d} to {campaign.period_end:%Y-%m-%d}"

    @admin.display(description="decided")
    def progress(self, campaign) -> str:
        return f"{campaign.items_decided} / {campaign.items_total}"

    @admin.display(description="overdue", boolean=True)
    def overdue(self, campaign) -> bool:
        return (
            campaign.status == CampaignStatus.OPEN
            and campaign.due_at < timezone.now()
            and campaign.items_decided < campaign.items_total
        )

    @admin.display(description="organizations")
    def organization_names(self, campaign) -> str:
        return ", ".join(o.name for o in campaign.organizations.order_by("name"))

    @admin.display(description="reviewers")
    def reviewer_names(self, campaign) -> str:
        return ", ".join(r.get_full_name() or r.get_username() for r in campaign.reviewers.order_by("username"))

    @admin.display(description="")
    def links(self, campaign):
        items = reverse("admin:governance_accessreviewitem_changelist") + f"?campaign={campaign.pk}"
        evidence = reverse("admin:governance_campaign_evidence", args=[campaign.pk])
        links = [(items, "Review items"), (evidence, "Export CSV evidence")]
        if campaign.status == CampaignStatus.OPEN:
            links.append((reverse("admin:governance_cancel", args=[campaign.pk]), "Cancel"))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    # --- opening ------------------------------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            return self._refuse(request, "Only governance leads open access reviews.")
        form = CampaignOpenForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            campaign = run_service(
                form,
                lambda: campaign_open(
                    actor=request.user,
                    name=data["name"],
                    organizations=data["organizations"],
                    reviewers=data["reviewers"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    due_at=data["due_at"],
                ),
            )
            if campaign is not None:
                count = campaign.items.count()
                self.message_user(request, f'Opened "{campaign.name}" with {count} item(s) to review.')
                return HttpResponseRedirect(
                    reverse("admin:governance_accessreviewitem_changelist") + f"?campaign={campaign.pk}"
                )
        return self.form_page(request, title="Open an access review", form=form, submit_label="Open campaign")

    def _refuse(self, request, message: str):
        self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(self.changelist_url())

    # --- complete, cancel, export -------------------------------------------------------------------------

    @admin.action(description="Complete (every item must be decided)", permissions=["view"])
    def complete_selected(self, request, queryset) -> None:
        for campaign in queryset:
            try:
                campaign_complete(actor=request.user, campaign=campaign)
            except GovernanceError as refused:
                self.message_user(request, f"{campaign.name}: {refused.message}", messages.ERROR)
            else:
                self.message_user(request, f"{campaign.name}: completed.", messages.SUCCESS)

    @admin.action(description="Export CSV evidence (one campaign)", permissions=["view"])
    def export_evidence(self, request, queryset):
        campaigns = list(queryset[:2])
        if len(campaigns) != 1:
            self.message_user(request, "Select exactly one campaign to export.", messages.WARNING)
            return None
        return campaign_evidence_csv(actor=request.user, campaign=campaigns[0])

    def evidence_view(self, request, object_id):
        return campaign_evidence_csv(actor=request.user, campaign=self.visible_object(request, object_id))

    def cancel_view(self, request, object_id):
        campaign = self.visible_object(request, object_id)
        form = CancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                done = run_service(
                    form, lambda: campaign_cancel(actor=request.user, campaign=campaign, note=form.cleaned_data["note"])
                )
            except GovernanceError as refused:
                return self._refuse(request, refused.message)
            if done is not None:
                self.message_user(request, f"{campaign.name}: cancelled.")
                return HttpResponseRedirect(self.changelist_url())
        return self.form_page(
            request,
            title=f"Cancel {campaign.name}",
            form=form,
            submit_label="Cancel campaign",
            summary=[("Decided", self.progress(campaign)), ("Note", "Decisions already taken stay in effect.")],
        )


class CampaignFilter(ScopedFilter):
    title = "campaign"
    parameter_name = "campaign"

    def lookups(self, request, model_admin):
        campaigns = AccessReviewCampaign.objects.visible_to(request.user, Action.VIEW).order_by("-created_at")
        return [(str(pk), name) for pk, name in campaigns.values_list("pk", "name")[:200]]


class OrganizationFilter(ScopedFilter):
    title = "organization"
    parameter_name = "organization"

    def lookups(self, request, model_admin):
        rows = (
            model_admin.get_queryset(request)
            .exclude(organization__isnull=True)
            .order_by("organization_name")
            .values_list("organization_id", "organization_name")
            .distinct()
        )
        return [(str(pk), name) for pk, name in rows]


class DecisionFilter(admin.SimpleListFilter):
    title = "decision"
    parameter_name = "decision"

    def lookups(self, request, model_admin):
        return [("undecided" if d == Decision.UNDECIDED else d.value, d.label) for d in Decision]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "undecided":
            return queryset.filter(decision=Decision.UNDECIDED)
        if value in Decision.values:
            return queryset.filter(decision=value)
        return queryset


@admin.register(AccessReviewItem)
class AccessReviewItemAdmin(GovernanceAdmin):
    view_perm = "governance.view_accessreviewitem"
    list_display = [
        "subject",
        "kind",
        "organization_name",
        "access",
        "last_login",
        "clients_accessed",
        "denied_attempts",
        "roles_held",
        "decision_shown",
        "decided_by",
        "decided_at",
        "decide_link",
    ]
    list_filter = [CampaignFilter, DecisionFilter, "kind", OrganizationFilter]
    list_select_related = ["campaign", "decided_by"]
    search_fields = ["subject_username", "subject_name", "organization_name"]
    actions = ["decide_selected"]
    list_per_page = 100
    exclude = ["membership", "grant", "subject_user", "organization"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]

    def get_urls(self):
        view = self.admin_site.admin_view(self.decide_view)
        return [path("<path:object_id>/decide/", view, name="governance_decide"), *super().get_urls()]

    # --- columns ------------------------------------------------------------------------------------------

    @admin.display(description="user", ordering="subject_username")
    def subject(self, item) -> str:
        return f"{item.subject_name} ({item.subject_username})" if item.subject_name else item.subject_username

    @admin.display(description="access")
    def access(self, item) -> str:
        if item.kind == ItemKind.MEMBERSHIP:
            return str(ROLE_LABELS.get(item.role, item.role))
        label = {"view_referral": "Referral share", "change_referral": "Referral assignment"}.get(item.permission)
        return f"{label or item.permission}: {item.referral_id}"

    @admin.display(description="last login")
    def last_login(self, item) -> str:
        value = (item.evidence or {}).get("last_login")
        return value[:16].replace("T", " ") if value else "never"

    @admin.display(description="clients read")
    def clients_accessed(self, item):
        return (item.evidence or {}).get("clients_accessed", 0)

    @admin.display(description="denied")
    def denied_attempts(self, item):
        return (item.evidence or {}).get("denied_attempts", 0)

    @admin.display(description="roles held")
    def roles_held(self, item) -> str:
        return roles_text(item.evidence or {}) or "none"

    @admin.display(description="decision", ordering="decision")
    def decision_shown(self, item) -> str:
        if not item.decision:
            return "-"
        label = item.get_decision_display()
        if item.decision == Decision.CHANGE_ROLE:
            label += f" to {ROLE_LABELS.get(item.new_role, item.new_role)}"
        return label

    @admin.display(description="")
    def decide_link(self, item):
        if item.campaign.status != CampaignStatus.OPEN or item.access_removed_at:
            return ""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:governance_decide", args=[item.pk]),
            "Change decision" if item.decision else "Decide",
        )

    # --- deciding -----------------------------------------------------------------------------------------

    def decide_view(self, request, object_id):
        item = self.visible_object(request, object_id)
        form = DecideForm(request.POST or None, initial={"decision": item.decision or None, "note": item.note})
        back = self.changelist_url(campaign=item.campaign_id)
        if request.method == "POST" and form.is_valid():
            try:
                decided = run_service(form, lambda: item_decide(actor=request.user, item=item, **form.cleaned_data))
            except GovernanceError as refused:
                self.message_user(request, refused.message, messages.ERROR)
                return HttpResponseRedirect(back)
            if decided is not None:
                self.message_user(request, f"{decided}: {decided.get_decision_display().lower()}.", messages.SUCCESS)
                return HttpResponseRedirect(back)
        return self.form_page(
            request,
            title=f"Decide: {item}",
            form=form,
            submit_label="Record decision",
            summary=self._summary(item),
        )

    def _summary(self, item) -> list[tuple[str, object]]:
        evidence = item.evidence or {}
        return [
            ("Campaign", item.campaign.name),
            ("User", self.subject(item)),
            ("Organization", item.organization_name or "-"),
            ("Access", self.access(item)),
            ("Last login", self.last_login(item)),
            ("Last activity in the period", (evidence.get("last_activity") or "none")[:16].replace("T", " ")),
            ("Client records read in the period", self.clients_accessed(item)),
            ("Denied attempts in the period", self.denied_attempts(item)),
            *([("Reads of this referral", evidence["referral_reads"])] if "referral_reads" in evidence else []),
            ("Roles held", self.roles_held(item)),
            ("Current decision", self.decision_shown(item)),
        ]

    @admin.action(description="Decide selected items…", permissions=["view"])
    def decide_selected(self, request, queryset):
        form = DecideForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done, refused = 0, []
            for item in queryset.select_related("campaign"):
                try:
                    item_decide(actor=request.user, item=item, **form.cleaned_data)
                    done += 1
                except GovernanceError as error:
                    refused.append(f"{item}: {error.message}")
                except ValidationError as error:
                    refused.append(f"{item}: {' '.join(error.messages)}")
            if done:
                self.message_user(request, f"Recorded the decision on {done} item(s).", messages.SUCCESS)
            for line in refused[:20]:
                self.message_user(request, line, messages.ERROR)
            return None
        hidden = [("action", "decide_selected"), ("apply", "1")]
        hidden += [(helpers.ACTION_CHECKBOX_NAME, item.pk) for item in queryset]
        return self.form_page(
            request,
            title="Decide selected items",
            form=form,
            submit_label="Record decision on all",
            hidden=hidden,
            selected=[str(item) for item in queryset[:200]],
        )
