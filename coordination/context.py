"""Who is acting, from where and why, for audit rows and model history.

The request middleware fills it for web requests; commands and Celery tasks use `acting_as(...)`.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class ActingContext:
    request_id: str = ""
    user: object | None = None
    source: str = "system"
    remote_addr: str = ""
    user_agent: str = ""
    # Why this request reads client data (HL7 ActReason); empty: the actor's role default.
    purpose: str = ""
    # Per-request memo (e.g. the actor's memberships for audit rows); never shared between requests.
    memo: dict = field(default_factory=dict, compare=False, repr=False)


_NOBODY = ActingContext()  # frozen, so safe to share as the default
_current: contextvars.ContextVar[ActingContext] = contextvars.ContextVar("acting", default=_NOBODY)


def current() -> ActingContext:
    return _current.get()


def memoized(key, compute):
    """Compute once per request (or `acting_as` block); outside both, always compute afresh."""
    ctx = current()
    if not ctx.request_id:
        return compute()
    if key not in ctx.memo:
        ctx.memo[key] = compute()
    return ctx.memo[key]


@contextmanager
def acting_as(user=None, *, source: str, request_id: str = "") -> Iterator[ActingContext]:
    ctx = replace(current(), user=user, source=source, request_id=request_id or uuid.uuid4().hex, memo={})
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def _source_for(request: HttpRequest) -> str:
    path = request.path
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/api/"):
        return "api"
    return "page"


class RequestContextMiddleware:
    """Tags each request with an id (echoed as X-Request-ID) and records who acts, from where."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if incoming and len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        request.request_id = request_id
        ctx = ActingContext(
            request_id=request_id,
            # DRF authenticates later; the lazy user is resolved when an audit row is written.
            user=getattr(request, "user", None),
            source=_source_for(request),
            remote_addr=request.META.get("REMOTE_ADDR", ""),
            user_agent=request.headers.get("User-Agent", "")[:300],
        )
        token = _current.set(ctx)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response


def set_request_user(user) -> None:
    """DRF token auth happens after middleware; record the authenticated user on the context."""
    _current.set(replace(current(), user=user, memo={}))


def set_request_purpose(purpose: str) -> None:
    _current.set(replace(current(), purpose=purpose))


def history_user(instance=None, request=None, **kwargs):
    """simple-history `get_user`: the explicit actor, else the acting context, else the request."""
    explicit = getattr(instance, "_history_user", None)
    if explicit is not None:
        return explicit
    user = current().user
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None
