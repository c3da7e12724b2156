"""Sign-in events from Django's auth signals, for pages, the admin and the API alike."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from coordination.sessions import SESSION_LAST_SEEN, SESSION_STARTED

from .choices import AuditAction, Outcome
from .services import audit_record


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_STARTED] = now
        request.session[SESSION_LAST_SEEN] = now
    audit_record(action=AuditAction.LOGIN, actor=user)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(action=AuditAction.LOGOUT, actor=user)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        outcome=Outcome.FAILED,
        outcome_reason="invalid credentials",
        actor_display=username,
        detail={"username": username},
    )
