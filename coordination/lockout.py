"""Failed-sign-in lockout, per username (case-insensitive) and per client address.

After `LOCKOUT_THRESHOLD` failures within `LOCKOUT_WINDOW`, that username or address is refused for
`LOCKOUT_DURATION`, even with the right password. Keys are the submitted strings, never looked up, so
an unknown username behaves exactly like a known one. The sign-in page and the token API call
`lockout_until` before authenticating and `lockout_refuse` when it answers; failures are counted by
`lockout_record_failure` from Django's `user_login_failed` signal (audit/signals.py), so every
`authenticate()` caller counts the same way. Refused attempts are not counted: an attacker who keeps
trying cannot stretch the lockout beyond its duration.

A success clears the username's counter only. The address counter is left alone: otherwise anyone
holding one good account could reset it between guesses at other people's passwords.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.models import SignInThrottle
from audit.services import audit_record
from coordination import context

Scope = SignInThrottle.Scope


def _keys(username: str, address: str) -> dict[str, str]:
    keys = {Scope.USERNAME: (username or "").strip().lower()[:150], Scope.ADDRESS: (address or "")[:150]}
    return {scope: key for scope, key in keys.items() if key}


def _threshold(scope) -> int:
    return settings.LOCKOUT_ADDRESS_THRESHOLD if scope == Scope.ADDRESS else settings.LOCKOUT_THRESHOLD


def _current_address() -> str:
    return context.current().remote_addr


def lockout_message(until: datetime.datetime) -> str:
    return f"Too many failed sign-ins. Try again after {timezone.localtime(until):%H:%M} or ask your supervisor."


def lockout_until(*, username: str, address: str | None = None) -> datetime.datetime | None:
    """When the lockout covering this username or address ends, or None if there is none (one query)."""
    keys = _keys(username, _current_address() if address is None else address)
    if not keys:
        return None
    match = Q(pk__in=[])
    for scope, key in keys.items():
        match |= Q(scope=scope, key=key)
    return SignInThrottle.objects.filter(match, locked_until__gt=timezone.now()).aggregate(until=Max("locked_until"))[
        "until"
    ]


def lockout_refuse(*, username: str, until: datetime.datetime) -> None:
    """Audit an attempt refused because of a lockout (its password was never checked)."""
    username = str(username)[:150]
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        outcome=Outcome.DENIED,
        outcome_reason="locked out",
        actor_display=username,
        detail={"username": username, "locked_until": until.isoformat()},
    )


@transaction.atomic
def lockout_record_failure(*, username: str, address: str | None = None) -> datetime.datetime | None:
    """Count one failed sign-in; when it reaches the threshold, lock and audit it. Returns the new lock's end."""
    now = timezone.now()
    window_start = (now - settings.LOCKOUT_WINDOW).timestamp()
    address = _current_address() if address is None else address
    locked = []
    for scope, key in _keys(username, address).items():
        throttle, _ = SignInThrottle.objects.select_for_update().get_or_create(scope=scope, key=key)
        if throttle.locked_until and throttle.locked_until > now:
            continue  # a concurrent attempt got here first; refused attempts do not extend a lock
        failures = [t for t in throttle.recent_failures if t > window_start] + [now.timestamp()]
        throttle.locked_until = None
        if len(failures) >= _threshold(scope):
            throttle.locked_until = now + settings.LOCKOUT_DURATION
            failures = []
            locked.append(str(scope))
        throttle.recent_failures = failures
        throttle.save(update_fields=["recent_failures", "locked_until", "updated_at"])
    if not locked:
        return None
    until = now + settings.LOCKOUT_DURATION
    username = str(username)[:150]
    audit_record(
        action=AuditAction.USER_LOCKED_OUT,
        outcome=Outcome.DENIED,
        outcome_reason=f"{_threshold(locked[0])} failed sign-ins within {settings.LOCKOUT_WINDOW}",
        actor_display=username,
        detail={"username": username, "address": address, "scopes": locked, "locked_until": until.isoformat()},
    )
    return until


def lockout_clear(*, username: str) -> None:
    """A successful sign-in forgets the username's failures (not the address's: see the module notes)."""
    key = _keys(username, "").get(Scope.USERNAME)
    if key:
        SignInThrottle.objects.filter(scope=Scope.USERNAME, key=key).delete()


@transaction.atomic
def lockout_unlock(*, actor, user) -> bool:
    """Governance lifts a user's lockout and forgets their failures; audited. True if they were locked."""
    key = _keys(user.get_username(), "")[Scope.USERNAME]
    rows = SignInThrottle.objects.select_for_update().filter(scope=Scope.USERNAME, key=key)
    was_locked = any(row.locked_until and row.locked_until > timezone.now() for row in rows)
    rows.delete()
    audit_record(
        action=AuditAction.USER_UNLOCKED,
        actor=actor,
        target=user,
        detail={"username": user.get_username(), "was_locked": was_locked},
    )
    return was_locked
