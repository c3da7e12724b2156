"""Consent in the governance admin: the exchange catalog (kept here, with history), consents (read-only,
scoped and audited like the portal's pages) and break-glass accesses (read-only, for review)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html_join
from simple_history.admin import SimpleHistoryAdmin

from audit.choices import AuditAction
from coordination.access import Action, is_active_user
from coordination.admin_reads import AuditedReadOnlyAdmin
from coordination.roles import Role
from providers.access import holds_permission
from providers.choices import SdohCategory

from .catalog import data_element_choices, validate_data_elements
from .choices import FORBIDDEN_PURPOSES, PurposeOfUse
from .models import BreakGlassAccess, Consent, ConsentProvision, ExchangeUseCase

# --- the exchange catalog -------------------------------------------------------------------------------


def _purpose_choices() -> list[tuple[str, str]]:
    return [(code, f"{code}: {label}") for code, label in PurposeOfUse.choices if code not in FORBIDDEN_PURPOSES]


class ExchangeUseCaseForm(forms.ModelForm):
    """Codes are picked from lists, so an entry can only name needs, roles and fields the portal knows."""

    referral_categories = forms.MultipleChoiceField(
        choices=SdohCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The needs this use case covers. None ticked: any need.",
    )
    receiving_role = forms.ChoiceField(choices=Role.choices, help_text="The role of the receiving staff member.")
    data_elements = forms.MultipleChoiceField(
        choices=data_element_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The client and referral fields that role receives, before consent narrows them further.",
    )
    purpose = forms.ChoiceField(choices=_purpose_choices, initial=PurposeOfUse.COC)

    class Meta:
        model = ExchangeUseCase
        fields = [
            "name",
            "slug",
            "referral_categories",
            "receiving_role",
            "data_elements",
            "purpose",
            "sending_party",
            "receiving_party",
            "consent_rule",
            "testing_notes",
            "active",
        ]

    def clean_data_elements(self) -> list[str]:
        value = list(self.cleaned_data["data_elements"])
        validate_data_elements(value)
        return value

    def clean_referral_categories(self) -> list[str]:
        return list(self.cleaned_data["referral_categories"])


class ReceivingRoleFilter(admin.SimpleListFilter):
    title = "receiving role"
    parameter_name = "receiving_role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        return queryset.filter(receiving_role=self.value()) if self.value() else queryset


class NeedFilter(admin.SimpleListFilter):
    """Entries that apply to a need: those listing it and those covering any need."""

    title = "need"
    parameter_name = "need"

    def lookups(self, request, model_admin):
        return SdohCategory.choices

    def queryset(self, request, queryset):
        if not self.value() or self.value() not in SdohCategory.values:
            return queryset
        # JSON "contains" differs between databases; the catalog is small enough to filter here.
        ids = [u.pk for u in queryset if not u.referral_categories or self.value() in u.referral_categories]
        return queryset.filter(pk__in=ids)


@admin.register(ExchangeUseCase)
class ExchangeUseCaseAdmin(SimpleHistoryAdmin):
    """Governance leads keep the catalog; entries are retired (unticked "active"), never deleted."""

    form = ExchangeUseCaseForm
    list_display = ["name", "receiving_role_label", "needs", "elements", "purpose", "active", "updated_at"]
    list_filter = [ReceivingRoleFilter, NeedFilter, "purpose", "active"]
    search_fields = ["name", "slug", "sending_party", "receiving_party", "consent_rule", "testing_notes"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user, Action.VIEW)

    # Asked of the access policy (the roles), like every other write, not of Django's model permissions.
    def has_view_permission(self, request, obj=None):
        return is_active_user(request.user)

    def has_add_permission(self, request):
        return request.user.is_superuser or holds_permission(request.user, "consent.add_exchangeusecase")

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        if obj is None:
            return holds_permission(request.user, "consent.change_exchangeusecase")
        return ExchangeUseCase.objects.visible_to(request.user, Action.CHANGE).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="receiving role", ordering="receiving_role")
    def receiving_role_label(self, use_case: ExchangeUseCase) -> str:
        return str(dict(Role.choices).get(use_case.receiving_role, use_case.receiving_role))

    @admin.display(description="needs")
    def needs(self, use_case: ExchangeUseCase) -> str:
        labels = dict(SdohCategory.choices)
        return ", ".join(str(labels.get(c, c)) for c in use_case.referral_categories) or "Any need"

    @admin.display(description="data elements")
    def elements(self, use_case: ExchangeUseCase):
        return format_html_join(", ", "<code>{}</code>", ((name,) for name in use_case.data_elements))


# --- consents (read-only) -------------------------------------------------------------------------------


class ConsentProvisionInline(admin.TabularInline):
    model = ConsentProvision
    extra = 0
    can_delete = False
    fields = ["type", "partner_categories", "organizations", "purposes", "data_categories", "start", "end"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Rendered only inside a consent loaded through visible_to: its provisions come with it.
        return True


@admin.register(Consent)
class ConsentAdmin(AuditedReadOnlyAdmin):
    """Read-only for governance, scoped to the custodian organizations and audited like the consent pages."""

    list_display = ["client", "organization", "status", "method", "date", "revoked_at", "updated_at"]
    list_filter = ["status", "method", "organization"]
    search_fields = ["client__family_name", "client__given_name"]
    list_select_related = ["client", "organization"]
    date_hierarchy = "date"
    exclude = ["signed_form"]  # the scanned form is opened from the consent page, where its reads are audited
    inlines = [ConsentProvisionInline]
    listed_action = AuditAction.CONSENT_LISTED
    viewed_action = AuditAction.CONSENT_VIEWED

    @staticmethod
    def client_id_of(consent):
        return consent.client_id


# --- break-glass accesses (read-only review) ------------------------------------------------------------


class BreakGlassStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("ended", "Ended early"), ("expired", "Ran out")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "live":
            return queryset.filter(ended_at__isnull=True, expires_at__gt=now)
        if self.value() == "ended":
            return queryset.filter(ended_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(ended_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(BreakGlassAccess)
class BreakGlassAccessAdmin(AuditedReadOnlyAdmin):
    """Who broke the glass on which client, why and for how long: governance reviews each one.

    Reads are audited as consent reads (an emergency access overrides consent) naming the access reviewed.
    """

    list_display = ["started_at", "user", "client", "state", "reason_excerpt", "expires_at", "ended_at"]
    list_filter = [BreakGlassStateFilter]
    search_fields = ["user__username", "user__last_name", "client__family_name", "client__given_name", "reason"]
    list_select_related = ["user", "client"]
    date_hierarchy = "started_at"
    listed_action = AuditAction.BREAK_GLASS_LISTED
    viewed_action = AuditAction.BREAK_GLASS_VIEWED

    @staticmethod
    def client_id_of(access):
        return access.client_id

    @admin.display(description="state")
    def state(self, access: BreakGlassAccess) -> str:
        if access.ended_at is not None:
            return "Ended early"
        return "Live" if access.expires_at > timezone.now() else "Ran out"

    @admin.display(description="reason")
    def reason_excerpt(self, access: BreakGlassAccess) -> str:
        return access.reason if len(access.reason) <= 80 else access.reason[:79] + "…"
