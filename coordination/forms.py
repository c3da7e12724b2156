from django import forms
from django.contrib.auth.forms import AuthenticationForm

from coordination.roles import BROWSER_ROLES


class PortalAuthenticationForm(AuthenticationForm):
    """Partner-system accounts are API clients: they may not open browser sessions."""

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if user.is_superuser:
            return
        roles = set(user.memberships.filter(active=True).values_list("role", flat=True))
        if roles and not roles & BROWSER_ROLES:
            raise forms.ValidationError(
                "This is an API account for a partner system: use an API token, not the browser.",
                code="api_only",
            )
