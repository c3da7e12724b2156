from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from audit.services import audit_hidden_object
from coordination.access import Action

from .access import organizations_granting
from .models import Location, Membership, Organization, PostalCode, Service, ServiceArea, ServiceLanguage
from .services import ADD_PERM, membership_authorize, membership_grant, membership_update


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "kind", "partner_category", "active"]
    list_filter = ["kind", "partner_category", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class ServiceLanguageInline(admin.TabularInline):
    model = ServiceLanguage
    extra = 0


class ServiceAreaInline(admin.TabularInline):
    model = ServiceArea
    extra = 0


@admin.register(Service)
class ServiceAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "organization",
        "category",
        "status",
        "capacity_status",
        "accepting_referrals",
        "assured_date",
    ]
    list_filter = ["category", "status", "capacity_status", "accepting_referrals", "organization"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]
    inlines = [ServiceLanguageInline, ServiceAreaInline]
    filter_horizontal = ["locations"]


@admin.register(Location)
class LocationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "organization", "city", "postal_code"]
    search_fields = ["name", "organization__name", "city"]
    list_select_related = ["organization"]


@admin.register(PostalCode)
class PostalCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "county", "state", "city"]
    list_filter = ["county", "state"]
    search_fields = ["code", "city"]


class MembershipAdminForm(forms.ModelForm):
    """Asks the membership service whether the signed-in user may make this write, so a refusal is a form error."""

    actor = None  # set per request by MembershipAdmin.get_form

    class Meta:
        model = Membership
        fields = ["user", "organization", "role", "active"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        adding = self.instance._state.adding
        user = cleaned.get("user") if adding else self.instance.user
        organization = cleaned.get("organization") if adding else self.instance.organization
        if user is None or organization is None:
            return cleaned
        try:
            membership_authorize(
                actor=self.actor,
                user=user,
                organization=organization,
                role=cleaned.get("role", self.instance.role),
                action=Action.ADD if adding else Action.CHANGE,
                membership=None if adding else self.instance,
            )
        except PermissionDenied as refused:
            raise ValidationError(str(refused)) from None
        return cleaned


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    """Role changes go through the membership services: groups stay in step and each change is audited.

    Scoped like everything else: a governance lead sees and changes the memberships of the organizations where
    their roles carry the membership permissions (and sees their own, read-only), and grants only there.
    """

    form = MembershipAdminForm
    list_display = ["user", "organization", "role", "active", "updated_at"]
    list_filter = ["role", "active", ("organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__first_name", "user__last_name", "organization__name"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user, Action.VIEW)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization":
            kwargs["queryset"] = Organization.objects.filter(pk__in=organizations_granting(request.user, ADD_PERM))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # User and organization identify a grant; to move someone, revoke and grant anew.
        return [*self.readonly_fields, "user", "organization"] if obj else self.readonly_fields

    def has_add_permission(self, request):
        return super().has_add_permission(request) and organizations_granting(request.user, ADD_PERM).exists()

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return True
        # Their own memberships are listed for them, read-only: nobody changes their own grant.
        return obj.user_id != request.user.pk and (
            Membership.objects.visible_to(request.user, Action.CHANGE).filter(pk=obj.pk).exists()
        )

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the grant's history stays

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Django answers a hidden membership as a missing one (back to the index); the trail notes the attempt.
        if self.get_object(request, object_id) is None:
            audit_hidden_object(Membership, pk=object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back to the history table past get_queryset: a hidden membership is a 404.
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history loads the version directly, past get_queryset: check visibility first.
        self._visible_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _visible_or_404(self, request, object_id) -> Membership:
        obj = self.get_object(request, object_id)
        if obj is None:
            audit_hidden_object(Membership, pk=object_id)
            raise Http404("No such membership.")
        return obj

    def save_model(self, request, obj, form, change):
        if change:
            membership_update(actor=request.user, membership=obj, role=obj.role, active=obj.active)
        else:
            saved = membership_grant(actor=request.user, user=obj.user, organization=obj.organization, role=obj.role)
            obj.pk = saved.pk
            obj._state.adding = False
