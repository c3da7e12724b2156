"""The admin is the governance workspace: governance leads and superusers only."""

from functools import wraps

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from coordination.roles import ADMIN_ROLES

from .admin_audit import AuditedAdminMixin


def is_governance(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return user.memberships.filter(active=True, organization__active=True, role__in=ADMIN_ROLES).exists()


class GovernanceAdminSite(admin.AdminSite):
    site_header = "Case-coordination portal: governance"
    site_title = "Governance"
    index_title = "Access reviews, audit and directory administration"

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every model admin records its saves in the audit trail (coordination/admin_audit.py).
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(
                admin_class.__name__, (AuditedAdminMixin, admin_class), {"__module__": admin_class.__module__}
            )
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request: HttpRequest) -> bool:
        return is_governance(request.user)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        # A signed-in user who is not governance is refused outright (403, audited by the 403 handler)
        # rather than sent round to a sign-in page they are already past.
        @wraps(view)
        def gate(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied("The admin is for governance leads.")
            return inner(request, *args, **kwargs)

        gate.admin_site = self
        return gate

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            raise PermissionDenied("The admin is for governance leads.")
        # One sign-in page for everyone (it refuses API-only accounts and audits attempts).
        return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME, "/admin/"))
