"""Shared by the governance services: refusals audited outside the rolled-back transaction, notes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.choices import AuditAction
from audit.services import audit_record

from ..errors import GovernanceError

NOTE_MAX_LENGTH = 2000
T = TypeVar("T")


def audited_refusal(action: AuditAction, actor, target, subtype: str, run: Callable[[], T]) -> T:
    try:
        with transaction.atomic():
            return run()
    except GovernanceError as refused:
        audit_record(
            action=action,
            actor=actor,
            target=target,
            subtype=subtype[:60],
            outcome=refused.outcome,
            outcome_reason=refused.message,
        )
        raise


def clean_note(note: str, *, required: bool, why: str) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError({"note": [why]})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": [f"Keep the note under {NOTE_MAX_LENGTH} characters."]})
    return note
