"""Referrals in the governance admin: read-only, scoped by `visible_to`, every read audited.

The one thing governance changes here is django-guardian object permissions ("Object permissions" on a
referral): guardian's pages, with the form's save going through `referral_grants_set` (audited per grant).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from guardian.admin import AdminUserObjectPermissionsForm, GuardedModelAdminMixin

from audit.choices import AuditAction
from audit.services import audit_hidden_object
from coordination.admin_reads import AuditedReadOnlyAdmin
from providers.access import holds_permission

from .assignment import GOVERNABLE_GRANTS, referral_grants_set
from .models import Referral, ReferralEvent, ReferralUserObjectPermission

_MANAGE_GRANTS = "referrals.change_referraluserobjectpermission"


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


def grants_form_for(actor) -> type[AdminUserObjectPermissionsForm]:
    class GrantsForm(AdminUserObjectPermissionsForm):
        """Only the permissions the access layer honours; saved by the audited service."""

        def get_obj_perms_field_choices(self):
            return [(c, label) for c, label in super().get_obj_perms_field_choices() if c in GOVERNABLE_GRANTS]

        def save_obj_perms(self) -> None:
            chosen = set(self.cleaned_data[self.get_obj_perms_field_name()])
            referral_grants_set(actor=actor, referral=self.obj, user=self.user, codenames=chosen)

    return GrantsForm


class ReferralGrantsAdminMixin(GuardedModelAdminMixin):
    """guardian's object-permission pages, for governance leads, on referrals they can see."""

    def _grants_view(self, request, object_pk, view, *args):
        if not holds_permission(request.user, _MANAGE_GRANTS):
            raise PermissionDenied
        if self.get_queryset(request).filter(pk=object_pk).first() is None:
            audit_hidden_object(self.model, pk=object_pk)
        request._managing_grants = True  # guardian asks has_change_permission(request, None) first
        try:
            return view(request, object_pk, *args)
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
            return redirect(request.path)

    def obj_perms_manage_view(self, request, object_pk):
        return self._grants_view(request, object_pk, super().obj_perms_manage_view)

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        return self._grants_view(request, object_pk, super().obj_perms_manage_user_view, user_id)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        raise PermissionDenied("Referral permissions are granted to named users only.")

    def get_obj_perms_manage_user_form(self, request):
        return grants_form_for(request.user)

    def has_change_permission(self, request, obj=None):
        return obj is None and getattr(request, "_managing_grants", False)


@admin.register(Referral)
class ReferralAdmin(ReferralGrantsAdminMixin, AuditedReadOnlyAdmin):
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
