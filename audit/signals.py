"""Sign-in events from Django's auth signals, for pages, the admin and the API alike.

Also the user-row changes that matter to security, whichever path makes them (pages, admin, shell):
a password change (audited; the user's other sessions end) and deactivation (sessions and tokens end).
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_init, post_save
from django.dispatch import receiver

from coordination.accounts import user_access_end, user_sessions_end
from coordination.lockout import lockout_record_failure
from coordination.sessions import SESSION_LAST_SEEN, SESSION_STARTED

from .choices import AuditAction, Outcome
from .services import audit_record

User = get_user_model()


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
    lockout_record_failure(username=username)


_PRIVILEGE_FLAGS = ("is_staff", "is_superuser")
_syncing_role_groups: ContextVar[bool] = ContextVar("syncing_role_groups", default=False)


@contextmanager
def role_groups_sync() -> Iterator[None]:
    """Group changes that mirror memberships (providers.services) are not privilege changes of their own."""
    token = _syncing_role_groups.set(True)
    try:
        yield
    finally:
        _syncing_role_groups.reset(token)


# What the row held when loaded or last saved. Read from __dict__ so a deferred field costs no query.
@receiver(post_init, sender=User)
def _remember_user_state(sender, instance, **kwargs) -> None:
    instance._saved_is_active = instance.__dict__.get("is_active")
    instance._saved_password = instance.__dict__.get("password")
    instance._saved_flags = {flag: instance.__dict__.get(flag) for flag in _PRIVILEGE_FLAGS}


def _saves(update_fields, field: str) -> bool:
    return update_fields is None or field in update_fields


@receiver(post_save, sender=User)
def _on_user_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    if not created:
        _audit_password_change(instance, update_fields)
        _follow_active_flag(instance, update_fields)
    _audit_privilege_flags(instance, created)
    instance._saved_is_active = instance.is_active
    instance._saved_password = instance.password
    instance._saved_flags = {flag: getattr(instance, flag) for flag in _PRIVILEGE_FLAGS}
    instance._access_end_handled = False


def _audit_password_change(user, update_fields) -> None:
    # `set_password` leaves the raw password in `_password` until the save; a hash upgrade at sign-in
    # clears it first, so only real changes land here. A new account's first password is not a change,
    # nor is setting the one it already had (the demo seed does that on every run).
    raw = getattr(user, "_password", None)
    if raw is None or not _saves(update_fields, "password") or not user._saved_password:
        return
    if check_password(raw, user._saved_password):
        return
    ended = user_sessions_end(user=user, keep_session_key=getattr(user, "_keep_session_key", None))
    audit_record(
        action=AuditAction.PASSWORD_CHANGED,
        target=user,
        detail={"username": user.get_username(), "other_sessions_ended": ended},
    )


def _follow_active_flag(user, update_fields) -> None:
    if not _saves(update_fields, "is_active") or user._saved_is_active is None:
        return
    if user._saved_is_active and not user.is_active and not getattr(user, "_access_end_handled", False):
        user_access_end(actor=None, user=user)
    elif not user._saved_is_active and user.is_active:
        audit_record(action=AuditAction.USER_REACTIVATED, target=user, detail={"username": user.get_username()})


def _audit_privilege_flags(user, created: bool) -> None:
    """ONC (d)(2): privilege changes are logged, whichever path makes them (admin form, shell, command)."""
    before = getattr(user, "_saved_flags", {})
    changed = {}
    for flag in _PRIVILEGE_FLAGS:
        now, then = getattr(user, flag), (None if created else before.get(flag))
        if (created and now) or (then is not None and then != now):
            changed[flag] = {"before": then, "after": now}
    if changed:
        audit_record(
            action=AuditAction.ADMIN_PRIVILEGE_CHANGED,
            target=user,
            detail={"username": user.get_username(), "changed": changed},
        )


@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=User.user_permissions.through)
def _on_user_groups_or_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    if _syncing_role_groups.get():  # the membership change that caused it is audited already
        return
    if action not in ("post_add", "post_remove", "post_clear") or (action != "post_clear" and not pk_set):
        return
    relation = "groups" if sender is User.groups.through else "user_permissions"
    users = [instance] if not reverse else list(User.objects.filter(pk__in=pk_set or ()))
    names = [] if reverse else sorted(str(obj) for obj in model.objects.filter(pk__in=pk_set or ()))
    for user in users:
        audit_record(
            action=AuditAction.ADMIN_PRIVILEGE_CHANGED,
            target=user,
            detail={
                "username": user.get_username(),
                relation: {action.removeprefix("post_"): names or [str(instance)]},
            },
        )
