"""Referrals in the governance admin: read-only, scoped by `visible_to`, every read audited."""

from django.contrib import admin

from audit.choices import AuditAction
from coordination.admin_reads import AuditedReadOnlyAdmin

from .models import Referral, ReferralEvent, ReferralUserObjectPermission


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Inlines render only inside a referral loaded through visible_to: its timeline and grants come with it.
        return True


class ReferralEventInline(ReadOnlyInline):
    model = ReferralEvent
    fields = [
        "occurred_at",
        "name",
        "from_status",
        "to_status",
        "actor_display",
        "organization",
        "reason_code",
        "outcome_code",
        "contact_result",
        "note",
    ]
    readonly_fields = fields
    ordering = ["occurred_at", "id"]


class ReferralGrantInline(ReadOnlyInline):
    """The django-guardian object permissions on this referral (shares and worker assignment)."""

    model = ReferralUserObjectPermission
    fields = ["user", "permission", "granted_by", "granted_at", "expires_at"]
    readonly_fields = fields
    verbose_name = "object permission"
    verbose_name_plural = "object permissions (shares and assignments)"


@admin.register(Referral)
class ReferralAdmin(AuditedReadOnlyAdmin):
    list_display = [
        "reference",
        "client",
        "status",
        "urgency",
        "category",
        "referring_organization",
        "receiving_organization",
        "sent_at",
        "updated_at",
    ]
    list_filter = ["status", "urgency", "category", "referring_organization", "receiving_organization"]
    search_fields = ["client__family_name", "client__given_name", "service__name"]
    list_select_related = ["client", "referring_organization", "receiving_organization"]
    date_hierarchy = "created_at"
    inlines = [ReferralEventInline, ReferralGrantInline]
    listed_action = AuditAction.REFERRAL_LISTED
    viewed_action = AuditAction.REFERRAL_VIEWED

    @staticmethod
    def client_id_of(referral):
        return referral.client_id
