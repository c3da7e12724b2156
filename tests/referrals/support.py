"""Helpers shared by the referral tests: valid inputs per transition and a "nothing changed" snapshot."""

from __future__ import annotations

import datetime

from django.utils import timezone

from audit.models import AuditEvent
from referrals.models import DUE_TIMES, MILESTONES, Referral, ReferralEvent

# Inputs that make each transition valid when it applies.
VALID_INPUTS = {
    "submit": {},
    "acknowledge": {},
    "accept": {},
    "decline": {"reason_code": "not-eligible", "note": "Income above the program limit."},
    "record_contact_attempt": {"contact_result": "no-answer"},
    "schedule": {"appointment_at": None},  # filled in by `inputs_for` (relative to now)
    "start_service": {},
    "hold": {"reason_code": "waitlisted", "note": "Next opening in two weeks."},
    "resume": {},
    "close": {"outcome_code": "service-completed"},
    "cancel": {"reason_code": "client-request", "note": "Client found help through family."},
    "mark_entered_in_error": {"note": "Created for the wrong client."},
}

SNAPSHOT_FIELDS = (
    "status",
    "version",
    *MILESTONES,
    *DUE_TIMES,
    "decline_reason",
    "outcome",
    "cancel_reason",
    "hold_reason",
    "status_note",
    "contact_attempts",
    "last_contact_result",
    "receiving_organization_id",
    "assigned_worker_id",
    "assigned_to_id",
)


def inputs_for(name: str, now: datetime.datetime | None = None) -> dict:
    inputs = dict(VALID_INPUTS[name])
    if name == "schedule":
        inputs["appointment_at"] = (now or timezone.now()) + datetime.timedelta(days=3)
    return inputs


def snapshot(referral: Referral) -> dict:
    """Everything a refused write must leave alone: the row, its timeline, its history."""
    row = Referral.objects.get(pk=referral.pk)
    return {
        "row": {f: getattr(row, f) for f in SNAPSHOT_FIELDS},
        "events": list(ReferralEvent.objects.filter(referral_id=referral.pk).values_list("pk", flat=True)),
        "history": row.history.count(),
    }


def audit_rows(action: str, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("sequence"))
