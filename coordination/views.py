from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views import defaults

from audit.services import audit_refused_request
from coordination.forms import PortalAuthenticationForm


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = PortalAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Needs the current password; audited, and the user's other sessions end (audit/signals.py)."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        form.user._keep_session_key = self.request.session.session_key
        response = super().form_valid(form)  # saves, then keeps this session via update_session_auth_hash
        messages.success(self.request, "Your password has been changed. Your other sessions were signed out.")
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.filter(active=True).select_related("organization")
    return render(request, "home.html", {"memberships": memberships})


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Every page refusal (403) leaves a denied audit row, unless the view recorded its own."""
    audit_refused_request(request=request, status=403, reason=str(exception))
    return defaults.permission_denied(request, exception)
