from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Location, Membership, Organization, PostalCode, Service, ServiceArea, ServiceLanguage
from .services import membership_grant, membership_update


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


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    """Role changes go through the membership services: groups stay in step and each change is audited."""

    list_display = ["user", "organization", "role", "active", "updated_at"]
    list_filter = ["role", "active", "organization"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "organization__name"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # User and organization identify a grant; to move someone, revoke and grant anew.
        return [*self.readonly_fields, "user", "organization"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            membership_update(actor=request.user, membership=obj, role=obj.role, active=obj.active)
        else:
            saved = membership_grant(actor=request.user, user=obj.user, organization=obj.organization, role=obj.role)
            obj.pk = saved.pk
            obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the grant's history stays
