"""Writes to the exception queue: raise, work (transition, assign) and escalate overdue items.

Other apps raise exceptions only through `exception_raise`. Every write is atomic and audited in the
same transaction; notifications go through the persisted outbox when it is installed.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from clients.models import Client
from coordination.access import Action
from coordination.events import InternalEvent
from coordination.outbox import outbox_enqueue
from coordination.roles import Role
from providers.models import Membership, Organization
from referrals.models import Referral

from .choices import (
    ACTIVE_STATUSES,
    DEFAULT_DUE_AFTER,
    DEFAULT_MAX_ESCALATION_LEVEL,
    ExceptionKind,
    ExceptionStatus,
    Severity,
)
from .errors import ExceptionNotFound, InvalidInput, NotAllowed, TransitionConflict
from .models import ExceptionEvent, ExceptionItem
from .workflow import TRANSITIONS

logger = logging.getLogger(__name__)

SUPERVISOR_ROLES = (Role.COUNTY_SUPERVISOR, Role.PROVIDER_SUPERVISOR)
ESCALATION_BATCH = 500


def due_after(severity: str) -> timedelta:
    """Time allowed to resolve an item of `severity` (settings.EXCEPTION_QUEUE_DUE_HOURS overrides)."""
    hours = getattr(settings, "EXCEPTION_QUEUE_DUE_HOURS", None) or {}
    if severity in hours:
        return timedelta(hours=float(hours[severity]))
    return DEFAULT_DUE_AFTER[Severity(severity)]


def max_escalation_level() -> int:
    return int(getattr(settings, "EXCEPTION_QUEUE_MAX_ESCALATION_LEVEL", DEFAULT_MAX_ESCALATION_LEVEL))


def _display(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "System"
    return (user.get_full_name() or user.get_username())[:200]


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _concerning_fields(concerning) -> dict:
    """Point at the object without copying client data: a type, an id and a neutral reference."""
    if concerning is None:
        return {}
    meta = concerning._meta
    reference = getattr(concerning, "reference", None) or str(concerning.pk)[:8].upper()
    fields = {
        "concerning_type": meta.label,
        "concerning_id": str(concerning.pk),
        "concerning_repr": f"{str(meta.verbose_name).capitalize()} {reference}"[:200],
    }
    if isinstance(concerning, Referral):
        fields.update(referral=concerning, client_id=concerning.client_id)
    elif isinstance(concerning, Client):
        fields["client_id"] = concerning.pk
    else:
        for name, model, key in (("referral", Referral, "referral_id"), ("client", Client, "client_id")):
            field = next((f for f in meta.concrete_fields if f.name == name), None)
            if field is not None and field.is_relation and field.related_model is model:
                fields[key] = getattr(concerning, field.attname)
    if fields.get("referral_id") and not fields.get("client_id"):
        referrals = Referral.objects.filter(pk=fields["referral_id"])
        fields["client_id"] = referrals.values_list("client_id", flat=True).first()
    return fields


def _event(item: ExceptionItem, *, name: str, from_status: str, actor, now, note: str = "", detail=None) -> None:
    ExceptionEvent.objects.create(
        item=item,
        name=name,
        from_status=from_status,
        to_status=item.status,
        actor=_user_or_none(actor),
        actor_display=_display(actor),
        occurred_at=now,
        note=note,
        detail=detail or {},
    )


def _validate_raise(kind: str, severity: str, owner_role: str, owner_organization) -> None:
    if kind not in ExceptionKind.values:
        raise InvalidInput(f"Unknown exception kind {kind!r}.")
    if severity not in Severity.values:
        raise InvalidInput(f"Unknown severity {severity!r}.")
    if owner_role not in Role.values:
        raise InvalidInput(f"Unknown owner role {owner_role!r}.")
    if not isinstance(owner_organization, Organization):
        raise InvalidInput("An exception needs an owner organization.")


@transaction.atomic
def exception_raise(
    *,
    kind: str,
    summary: str,
    owner_organization,
    owner_role: str,
    severity: str = "medium",
    concerning=None,
    detail: dict | None = None,
    dedupe_key: str = "",
    actor=None,
    now: datetime | None = None,
) -> ExceptionItem:
    """Open an exception (atomic, audited). With a dedupe_key, returns the existing OPEN/IN_PROGRESS item
    with that key instead of opening a second one. `now` backdates it (demo data, imports)."""
    _validate_raise(kind, severity, owner_role, owner_organization)
    dedupe_key = (dedupe_key or "")[:200]
    if dedupe_key:
        existing = _live_with_key(dedupe_key)
        if existing is not None:
            return existing
    now = now or timezone.now()
    item = ExceptionItem(
        kind=kind,
        summary=(summary or ExceptionKind(kind).label)[:300],
        detail=detail or {},
        owner_organization=owner_organization,
        owner_role=owner_role,
        severity=severity,
        status=ExceptionStatus.OPEN,
        due_at=now + due_after(severity),
        dedupe_key=dedupe_key,
        raised_by=_user_or_none(actor),
        created_at=now,
        **_concerning_fields(concerning),
    )
    item.next_escalation_at = item.due_at
    try:
        # A savepoint: if another transaction opened the same key meanwhile, return its item.
        with transaction.atomic():
            item.save()
    except IntegrityError:
        existing = _live_with_key(dedupe_key) if dedupe_key else None
        if existing is None:
            raise
        return existing
    _event(item, name="raised", from_status="", actor=actor, now=now, detail={"severity": severity})
    audit_record(
        action=AuditAction.EXCEPTION_RAISED,
        actor=actor,
        target=item,
        client_id=item.client_id,
        subtype=kind,
        detail={
            "kind": kind,
            "severity": severity,
            "owner_organization_id": str(owner_organization.pk),
            "owner_role": owner_role,
            "concerning_type": item.concerning_type,
            "concerning_id": item.concerning_id,
            "dedupe_key": dedupe_key,
        },
    )
    return item


def _live_with_key(dedupe_key: str) -> ExceptionItem | None:
    return (
        ExceptionItem.objects.select_for_update()
        .filter(dedupe_key=dedupe_key, status__in=sorted(ACTIVE_STATUSES))
        .first()
    )


def _lock_for_work(*, actor, item) -> ExceptionItem:
    """The item, locked, if the actor may work it; 404 if they cannot even see it."""
    pk = item.pk if isinstance(item, ExceptionItem) else item
    try:
        locked = ExceptionItem.objects.visible_to(actor, Action.VIEW).select_for_update().get(pk=pk)
    except (ExceptionItem.DoesNotExist, ValidationError, ValueError, TypeError):
        raise ExceptionNotFound("Exception not found.") from None
    if not _may_work(actor, locked):
        raise NotAllowed(
            f"Only the {locked.get_owner_role_display().lower()} team, supervisors and data stewards "
            f"of {locked.owner_organization.name} can work this exception."
        )
    return locked


def _may_work(user, item: ExceptionItem) -> bool:
    return ExceptionItem.objects.visible_to(user, Action.CHANGE).filter(pk=item.pk).exists()


def _check_version(item: ExceptionItem, version: int | None) -> None:
    if version is not None and int(version) != item.version:
        raise TransitionConflict("This exception changed since you loaded it. Reload and try again.")


@transaction.atomic
def exception_transition(
    *,
    actor,
    item: ExceptionItem | str,
    name: str,
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> ExceptionItem:
    """Move an item along the lifecycle table (start, resolve, dismiss, reopen)."""
    step = TRANSITIONS.get(name)
    if step is None:
        raise InvalidInput(f"Unknown step {name!r}: use one of {', '.join(TRANSITIONS)}.")
    item = _lock_for_work(actor=actor, item=item)
    _check_version(item, version)
    if item.status not in step.sources:
        raise TransitionConflict(f"An exception that is {item.get_status_display().lower()} cannot be {name}ed.")
    note = (note or "").strip()
    if step.note_required and not note:
        raise InvalidInput(f"A note is required to {name} an exception: say what was done or why.")
    now = now or timezone.now()
    from_status = item.status
    item.status = step.target
    fields = ["status", "version", "updated_at"]
    if step.closes:
        item.resolution_note, item.resolved_by, item.resolved_at = note, actor, now
        item.next_escalation_at = None
        fields += ["resolution_note", "resolved_by", "resolved_at", "next_escalation_at"]
    elif name == "reopen":
        # A reopened item is new work: a fresh due time and escalation from the start.
        item.resolution_note, item.resolved_by, item.resolved_at = "", None, None
        item.due_at = now + due_after(item.severity)
        item.escalation_level, item.escalated_at, item.next_escalation_at = 0, None, item.due_at
        fields += ["resolution_note", "resolved_by", "resolved_at", "due_at"]
        fields += ["escalation_level", "escalated_at", "next_escalation_at"]
    elif name == "start" and item.assigned_to_id is None:
        item.assigned_to = actor
        fields.append("assigned_to")
    item.version += 1
    try:
        with transaction.atomic():
            item.save(update_fields=fields)
    except IntegrityError:
        raise TransitionConflict("Another open exception has the same key: work that one instead.") from None
    _event(item, name=name, from_status=from_status, actor=actor, now=now, note=note)
    audit_record(
        action=AuditAction.EXCEPTION_TRANSITIONED,
        actor=actor,
        target=item,
        client_id=item.client_id,
        subtype=name,
        detail={"from": from_status, "to": item.status, "note_given": bool(note)},
    )
    return item


@transaction.atomic
def exception_assign(*, actor, item: ExceptionItem | str, assignee, version: int | None = None) -> ExceptionItem:
    """Put an item on one worker's desk (or nobody's, with assignee=None)."""
    item = _lock_for_work(actor=actor, item=item)
    _check_version(item, version)
    if not item.is_active:
        raise TransitionConflict("A closed exception cannot be assigned: reopen it first.")
    if assignee is not None and not _may_work(assignee, item):
        raise InvalidInput(f"{_display(assignee)} cannot work exceptions of {item.owner_organization.name}.")
    previous = item.assigned_to_id
    item.assigned_to = assignee
    item.version += 1
    item.save(update_fields=["assigned_to", "version", "updated_at"])
    detail = {"from_user_id": previous, "to_user_id": assignee.pk if assignee else None}
    _event(item, name="assigned", from_status=item.status, actor=actor, now=timezone.now(), detail=detail)
    audit_record(
        action=AuditAction.EXCEPTION_ASSIGNED, actor=actor, target=item, client_id=item.client_id, detail=detail
    )
    return item


def escalation_level_at(item: ExceptionItem, now: datetime) -> int:
    """Level 1 when due; one more for every further due period overdue; capped."""
    if now < item.due_at:
        return 0
    period = due_after(item.severity).total_seconds() or 1
    overdue = (now - item.due_at).total_seconds()
    return min(max_escalation_level(), 1 + math.floor(overdue / period))


def _supervisor_ids(organization_ids) -> dict:
    rows = Membership.objects.filter(
        organization_id__in=organization_ids, active=True, organization__active=True, role__in=SUPERVISOR_ROLES
    ).values_list("organization_id", "user_id")
    by_org: dict = {}
    for organization_id, user_id in rows:
        by_org.setdefault(organization_id, set()).add(user_id)
    return by_org


def _notify_escalated(item: ExceptionItem, user_ids: list) -> None:
    outbox_enqueue(
        InternalEvent.EXCEPTION_ESCALATED,
        subject=item,
        data={
            "exception_id": str(item.pk),
            "kind": item.kind,
            "severity": item.severity,
            "level": item.escalation_level,
            "owner_organization_id": str(item.owner_organization_id),
            "user_ids": user_ids,
        },
    )


@transaction.atomic
def exceptions_escalate_overdue(*, now) -> int:
    """Escalate overdue open/in-progress items, once per level; returns how many were escalated.

    Idempotent: an item's `next_escalation_at` moves past `now` (or to null at the top level), so a
    second sweep at the same time finds nothing. Concurrent sweeps skip each other's locked rows.
    """
    items = list(
        ExceptionItem.objects.select_for_update(skip_locked=True)
        .filter(status__in=sorted(ACTIVE_STATUSES), next_escalation_at__lte=now)
        .order_by("next_escalation_at")[:ESCALATION_BATCH]
    )
    supervisors = _supervisor_ids({i.owner_organization_id for i in items})
    top = max_escalation_level()
    escalated = 0
    for item in items:
        level = escalation_level_at(item, now)
        period = due_after(item.severity)
        if level <= item.escalation_level:
            # Nothing new (e.g. settings changed): just move the next look to the right time.
            current = item.escalation_level
            item.next_escalation_at = None if current >= top else item.due_at + period * current
            item.save(update_fields=["next_escalation_at"])
            continue
        from_level = item.escalation_level
        item.escalation_level, item.escalated_at = level, now
        item.next_escalation_at = None if level >= top else item.due_at + period * level
        item.version += 1
        item.save(update_fields=["escalation_level", "escalated_at", "next_escalation_at", "version", "updated_at"])
        user_ids = sorted(supervisors.get(item.owner_organization_id, ()))
        detail = {"from_level": from_level, "level": level, "due_at": item.due_at.isoformat(), "notified": user_ids}
        _event(item, name="escalated", from_status=item.status, actor=None, now=now, detail=detail)
        audit_record(
            action=AuditAction.EXCEPTION_ESCALATED,
            target=item,
            client_id=item.client_id,
            subtype=f"level-{level}",
            detail=detail,
        )
        _notify_escalated(item, user_ids)
        escalated += 1
    return escalated
