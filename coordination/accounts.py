"""Ending a user's access: sessions and API tokens go at once, and the trail says who did it.

`user_deactivate` is the service. Unticking "active" anywhere else (the admin's user form, a shell)
reaches `user_access_end` through the `post_save` receiver in audit/signals.py, so no path leaves a
deactivated user's sessions or tokens behind.
"""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from audit.choices import AuditAction
from audit.services import audit_record


def user_sessions_end(*, user, keep_session_key: str | None = None) -> int:
    """Delete every stored session signed in as `user` (but `keep_session_key`); answer how many.

    Sessions are opaque rows, so this decodes each live one: fine for a rare, deliberate act.
    """
    user_id = str(user.pk)
    doomed = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.session_key != keep_session_key and str(session.get_decoded().get(SESSION_KEY)) == user_id
    ]
    if doomed:
        Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


def user_tokens_delete(*, user) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def user_access_end(*, actor, user) -> dict[str, int]:
    """End every session and token of a (just) deactivated user, with one USER_DEACTIVATED row."""
    ended = {"sessions_ended": user_sessions_end(user=user), "tokens_deleted": user_tokens_delete(user=user)}
    audit_record(
        action=AuditAction.USER_DEACTIVATED,
        actor=actor,
        target=user,
        detail={"username": user.get_username(), **ended},
    )
    return ended


@transaction.atomic
def user_deactivate(*, actor, user) -> dict[str, int]:
    """Deactivate `user`: they cannot sign in, and their open sessions and API tokens stop working now."""
    was_active = get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("is_active", flat=True)
    if was_active.get() or user.is_active:
        user.is_active = False
        user._access_end_handled = True  # the post_save receiver leaves this save to us
        user.save(update_fields=["is_active"])
    return user_access_end(actor=actor, user=user)
