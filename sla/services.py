"""Writes of the SLA app: the sweep (`sla.sweep`) and a notified user's acknowledgement of an escalation."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.access import Action

from .errors import AlreadyAcknowledged, EscalationNotFound, NotNotified
from .models import SlaEscalation
from .sweep import sla_sweep

__all__ = ["escalation_acknowledge", "sla_sweep"]


def _display(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "someone"


@transaction.atomic
def escalation_acknowledge(
    *, actor, escalation_id, referral_id=None, now: datetime.datetime | None = None
) -> SlaEscalation:
    """Say "I have seen this and am on it". Only a user the escalation notified may; once per escalation.

    404 (`EscalationNotFound`) when the actor cannot see the referral (or it is not this referral's), 403
    (`NotNotified`) for a colleague who was not told, 409 (`AlreadyAcknowledged`) the second time.
    """
    escalations = SlaEscalation.objects.visible_to(actor, Action.VIEW).select_for_update(of=("self",))
    if referral_id is not None:
        escalations = escalations.filter(referral_id=referral_id)
    try:
        escalation = escalations.select_related("referral", "acknowledged_by").get(pk=escalation_id)
    except (SlaEscalation.DoesNotExist, ValidationError, ValueError, TypeError):
        raise EscalationNotFound("No such escalation.") from None
    if actor.pk not in escalation.notified_user_ids:
        raise NotNotified("Only someone this escalation notified can acknowledge it.")
    if escalation.acknowledged_at is not None:
        when = timezone.localtime(escalation.acknowledged_at)
        raise AlreadyAcknowledged(
            f"{_display(escalation.acknowledged_by)} already acknowledged this escalation on {when:%b %d at %H:%M}."
        )
    escalation.acknowledged_by = actor
    escalation.acknowledged_at = now or timezone.now()
    escalation._history_user = actor
    escalation.save(update_fields=["acknowledged_by", "acknowledged_at"])
    referral = escalation.referral
    audit_record(
        action=AuditAction.REFERRAL_ESCALATION_ACKNOWLEDGED,
        actor=actor,
        target=referral,
        client_id=referral.client_id,
        subtype=escalation.stage,
        detail={"escalation_id": str(escalation.pk), "stage": escalation.stage, "level": escalation.level},
    )
    return escalation
