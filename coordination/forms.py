from django import forms
from django.contrib.auth.forms import AuthenticationForm

from coordination.lockout import lockout_clear, lockout_message, lockout_refuse, lockout_until
from coordination.roles import BROWSER_ROLES


class PortalAuthenticationForm(AuthenticationForm):
    """Refuses locked-out usernames and addresses before checking the password, and API-only accounts.

    Partner-system accounts are API clients: they may not open browser sessions.
    """

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and self.cleaned_data.get("password"):
            until = lockout_until(username=username)
            if until is not None:
                lockout_refuse(username=username, until=until)
                raise forms.ValidationError(lockout_message(until), code="locked_out")
        cleaned_data = super().clean()
        if self.user_cache is not None:
            lockout_clear(username=username)
        return cleaned_data

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
