"""`audit_record` is the one way to write the audit trail; call it inside the change's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from coordination import context
from coordination.memberships import active_memberships
from coordination.purpose import default_purpose

from .choices import ACTION_CODES, AuditAction, Outcome
from .models import AuditEvent


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
    return AuditEvent.objects.create(
        recorded_at=timezone.now(),
        action=action,
        subtype=subtype,
        action_code=ACTION_CODES[AuditAction(action)],
        outcome=outcome,
        outcome_reason=outcome_reason[:300],
        client_id=client_id,
        consents=list(consents),
        detail=detail or {},
        request_id=ctx.request_id,
        source=ctx.source,
        remote_addr=ctx.remote_addr or None,
        user_agent=ctx.user_agent,
        **fields,
    )


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
