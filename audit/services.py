"""`audit_record` is the one way to write the audit trail; call it inside the change's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from coordination import context
from coordination.memberships import active_memberships
from coordination.purpose import default_purpose

from . import chain
from .choices import ACTION_CODES, AuditAction, Outcome
from .models import AuditEvent, AuditEventClient


def default_purpose_of_use(roles: Iterable[str]) -> str:
    return str(default_purpose(roles))


def _describe_actor(user, organization) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    memberships = active_memberships(user)
    if organization is not None:
        memberships = [m for m in memberships if m.organization_id == organization.pk] or memberships
    orgs = {m.organization_id: m.organization for m in memberships}
    single_org = next(iter(orgs.values())) if len(orgs) == 1 else None
    return {
        "actor": user,
        "actor_display": (user.get_full_name() or user.get_username())[:200],
        "actor_organization_id": single_org.pk if single_org else None,
        "actor_organization_name": (single_org.name if single_org else ", ".join(o.name for o in orgs.values()))[:200],
        "actor_role": ", ".join(sorted({m.role for m in memberships}))[:200],
        "purpose_of_use": default_purpose_of_use(m.role for m in memberships),
    }


def _resolve_user(actor):
    if actor is None:
        actor = context.current().user
    # Lazy request users resolve here, after authentication has run.
    if actor is not None and not getattr(actor, "is_authenticated", False):
        return None
    return actor


def audit_record(
    *,
    action: AuditAction | str,
    actor=None,
    target: models.Model | None = None,
    client_id=None,
    outcome: Outcome | str = Outcome.SUCCESS,
    outcome_reason: str = "",
    subtype: str = "",
    organization=None,
    purpose_of_use: str = "",
    consents: Iterable[str] = (),
    detail: dict | None = None,
    actor_display: str = "",
) -> AuditEvent:
    ctx = context.current()
    user = _resolve_user(actor)
    fields = _describe_actor(user, organization)
    if actor_display and not fields.get("actor_display"):
        fields["actor_display"] = actor_display[:200]
    if purpose_of_use:
        fields["purpose_of_use"] = purpose_of_use
    elif ctx.purpose and fields:
        fields["purpose_of_use"] = ctx.purpose
    if target is not None:
        fields.update(
            target_type=target._meta.label,
            target_id=str(target.pk),
            target_repr=str(target)[:200],
        )
    event = AuditEvent(
        recorded_at=timezone.now(),
        action=action,
        subtype=subtype,
        action_code=ACTION_CODES[AuditAction(action)],
        outcome=outcome,
        outcome_reason=outcome_reason[:300],
        client_id=_uuid_or_none(client_id),
        consents=[str(c) for c in consents],
        detail=detail or {},
        request_id=ctx.request_id,
        source=ctx.source,
        remote_addr=_address(ctx.remote_addr),
        user_agent=ctx.user_agent,
        **fields,
    )
    # One transaction from taking the chain head to the last insert: in autocommit (a page's read row) the
    # head's row lock would otherwise be released before the row exists, and a concurrent writer could link
    # in between. Inside a caller's transaction it joins that one (no savepoint: a failed audit write must
    # fail the change it describes), and the lock lasts until its commit.
    with transaction.atomic(savepoint=False):
        event.prev_hash, event.row_hash = chain.link(chain.canonical(_chained_values(event)))
        event.save(force_insert=True)
        _link_listed_clients(event)
    if outcome == Outcome.DENIED and ctx.request_id:
        ctx.memo[_DENIAL_RECORDED] = True
    return event


_DENIAL_RECORDED = "audit.denial_recorded"


def audit_refused_request(*, request, status: int, reason: str) -> None:
    """A 403 that no service or view recorded yet: one denied row, so no refusal goes unrecorded.

    Anonymous requests are left out (they are refused before any data is looked at, and would let anyone
    flood the trail); views that audit their own refusals are not recorded twice.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or context.current().memo.get(_DENIAL_RECORDED):
        return
    audit_record(
        action=AuditAction.REQUEST_REFUSED,
        actor=user,
        outcome=Outcome.DENIED,
        outcome_reason=(reason or "permission denied")[:300],
        detail={"path": request.path[:300], "method": request.method, "status": status},
    )


def _chained_values(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in chain.CHAINED_FIELDS}


def _uuid_or_none(value) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _address(value: str | None) -> str | None:
    """Stored the way the database gives it back, so the hash of what was written can be checked later."""
    if not value:
        return None
    return clean_ipv6_address(value) if ":" in value else value


def _link_listed_clients(event: AuditEvent) -> None:
    """A list read names its clients in `detail["client_ids"]`; index them in one insert."""
    listed = event.detail.get("client_ids") if isinstance(event.detail, dict) else None
    if not listed:
        return
    ids = set()
    for value in listed:
        try:
            ids.add(_uuid_or_none(value))
        except (ValueError, TypeError, AttributeError):
            continue
    ids.discard(None)
    AuditEventClient.objects.bulk_create([AuditEventClient(event=event, client_id=i) for i in sorted(ids)])


def audit_hidden_object(model: type[models.Model], **lookup) -> None:
    """Record a denied read when `lookup` names a row the user may not see.

    The one unrestricted existence check in the portal: its answer goes only to the audit trail,
    while the user gets the same 404 as for a missing row.
    """
    try:
        exists = model._base_manager.filter(**lookup).exists()
    except (ValueError, TypeError, ValidationError):
        return
    if not exists:
        return
    pk = lookup.get("pk", lookup.get("id"))
    audit_record(
        action=AuditAction.OBJECT_ACCESS_DENIED,
        outcome=Outcome.DENIED,
        outcome_reason="not visible to this user",
        client_id=pk if model._meta.label == "clients.Client" else None,
        detail={"model": model._meta.label, "lookup": {k: str(v) for k, v in lookup.items()}},
    )
