"""The referral state machine as a table. `referral_transition` is the only code that assigns a status.

Each row names the states it leaves from, the state it enters, which side may perform it, the
coded field it needs, and the milestone it stamps. Pages, the API and `allowed_transitions` all read
this table, so a transition cannot exist in one face and not in another.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from .choices import (
    TERMINAL_STATUSES,
    CancelReason,
    CloseOutcome,
    ContactResult,
    DeclineReason,
    HoldReason,
    Side,
    Status,
)

NON_TERMINAL = frozenset(Status) - TERMINAL_STATUSES


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[Status]
    target: Status
    side: Side
    # The coded field the transition needs and its choices ("reason_code", "outcome_code", ...).
    code_field: str = ""
    codes: type[models.TextChoices] | None = None
    needs_appointment: bool = False
    note_required: bool = False
    # A further permission beyond being on the right side (e.g. supervisors only).
    permission: str = ""
    # Milestones stamped with the transition time, only if not set yet.
    stamps: tuple[str, ...] = ()
    # Shown as a warning-styled action that asks for confirmation.
    danger: bool = False
    help_text: str = ""
    # What the step does, for messages: "Only the receiving provider can {verb}."
    verb: str = ""

    def note_needed(self, code: str) -> bool:
        return self.note_required or code == "other"


def _t(*sources: Status) -> frozenset[Status]:
    return frozenset(sources)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "submit",
            "Send to provider",
            _t(Status.DRAFT),
            Status.SENT,
            Side.REFERRER,
            verb="send this referral",
            stamps=("sent_at",),
            help_text="Routes the referral to the chosen service; it must be active and accepting referrals.",
        ),
        Transition(
            "acknowledge",
            "Acknowledge receipt",
            _t(Status.SENT),
            Status.ACKNOWLEDGED,
            Side.RECEIVER,
            verb="acknowledge this referral",
            stamps=("acknowledged_at",),
        ),
        Transition(
            "accept",
            "Accept",
            _t(Status.SENT, Status.ACKNOWLEDGED),
            Status.ACCEPTED,
            Side.RECEIVER,
            verb="accept this referral",
            stamps=("acknowledged_at", "responded_at"),
        ),
        Transition(
            "decline",
            "Decline",
            _t(Status.SENT, Status.ACKNOWLEDGED),
            Status.DECLINED,
            Side.RECEIVER,
            verb="decline this referral",
            code_field="reason_code",
            codes=DeclineReason,
            stamps=("acknowledged_at", "responded_at"),
            danger=True,
        ),
        Transition(
            "record_contact_attempt",
            "Record contact attempt",
            _t(Status.ACCEPTED, Status.IN_PROGRESS),
            Status.IN_PROGRESS,
            Side.RECEIVER,
            verb="record contact attempts on this referral",
            code_field="contact_result",
            codes=ContactResult,
            stamps=("first_contact_at",),
        ),
        Transition(
            "schedule",
            "Schedule appointment",
            _t(Status.ACCEPTED, Status.IN_PROGRESS),
            Status.IN_PROGRESS,
            Side.RECEIVER,
            verb="schedule appointments for this referral",
            needs_appointment=True,
        ),
        Transition(
            "start_service",
            "Start service",
            _t(Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD),
            Status.IN_PROGRESS,
            Side.RECEIVER,
            verb="start service on this referral",
            stamps=("service_started_at",),
        ),
        Transition(
            "hold",
            "Put on hold",
            _t(Status.ACCEPTED, Status.IN_PROGRESS),
            Status.ON_HOLD,
            Side.RECEIVER,
            verb="put this referral on hold",
            code_field="reason_code",
            codes=HoldReason,
        ),
        Transition(
            "resume",
            "Resume",
            _t(Status.ON_HOLD),
            Status.IN_PROGRESS,
            Side.RECEIVER,
            verb="resume this referral",
        ),
        Transition(
            "close",
            "Close",
            _t(Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD),
            Status.CLOSED,
            Side.RECEIVER,
            verb="close this referral",
            code_field="outcome_code",
            codes=CloseOutcome,
            stamps=("closed_at",),
        ),
        Transition(
            "cancel",
            "Cancel referral",
            _t(Status.DRAFT, Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD),
            Status.CANCELLED,
            Side.REFERRER,
            verb="cancel this referral",
            code_field="reason_code",
            codes=CancelReason,
            stamps=("closed_at",),
            danger=True,
        ),
        Transition(
            "mark_entered_in_error",
            "Mark entered in error",
            NON_TERMINAL,
            Status.ENTERED_IN_ERROR,
            Side.REFERRER,
            verb="mark this referral entered in error",
            note_required=True,
            permission="referrals.mark_entered_in_error",
            stamps=("closed_at",),
            danger=True,
            help_text="For a referral that should never have existed. County supervisors only.",
        ),
    )
}

# Inputs a transition request may carry; anything else is refused.
TRANSITION_INPUTS = ("reason_code", "outcome_code", "contact_result", "appointment_at", "note")


def transitions_from(status: Status | str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]
