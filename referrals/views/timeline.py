"""The timeline in plain language: what happened, who did it, when, and why (codes shown by their labels)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from ..choices import CancelReason, CloseOutcome, ContactResult, DeclineReason, EventKind, HoldReason, Status
from ..disclosure import shown_note
from ..models import ReferralEvent
from ..workflow import TRANSITIONS

# What the timeline says happened, per transition or event kind.
EVENT_TITLES = {
    "submit": "Sent to provider",
    "acknowledge": "Receipt acknowledged",
    "accept": "Accepted",
    "decline": "Declined",
    "record_contact_attempt": "Contact attempt recorded",
    "schedule": "Appointment scheduled",
    "start_service": "Service started",
    "hold": "Put on hold",
    "resume": "Resumed",
    "close": "Closed",
    "cancel": "Cancelled",
    "mark_entered_in_error": "Marked entered in error",
    EventKind.CREATED: "Draft created",
    EventKind.EDITED: "Draft edited",
    EventKind.REROUTED: "Rerouted to another service",
    EventKind.ASSIGNED: "Assigned",
    EventKind.SHARED: "Shared",
    EventKind.UNSHARED: "Share removed",
}
REASON_CODES = {"decline": DeclineReason, "hold": HoldReason, "cancel": CancelReason}
FIELD_LABELS = {"service": "service", "reason": "reason", "category": "need", "urgency": "urgency"}


@dataclass
class TimelineEntry:
    name: str
    title: str
    occurred_at: datetime.datetime
    who: str
    organization: str
    to_status: str
    status_changed: bool
    details: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""

    @property
    def to_status_label(self) -> str:
        return Status(self.to_status).label if self.to_status else ""


def _label(choices, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def _details(event: ReferralEvent) -> list[tuple[str, str]]:
    details: list[tuple[str, str]] = []
    if event.reason_code:
        details.append(("Reason", _label(REASON_CODES.get(event.name, DeclineReason), event.reason_code)))
    if event.outcome_code:
        details.append(("Outcome", _label(CloseOutcome, event.outcome_code)))
    if event.contact_result:
        details.append(("Result", _label(ContactResult, event.contact_result)))
    if event.appointment_at:
        when = timezone.localtime(event.appointment_at)
        details.append(("Appointment", f"{when:%a %b} {when.day}, {when:%Y, %H:%M}"))
    extra = event.detail or {}
    if event.name == EventKind.ASSIGNED:
        details.append(("Now with", extra.get("to_name") or "nobody"))
    elif event.name in (EventKind.SHARED, EventKind.UNSHARED):
        details.append(("Colleague", extra.get("colleague_name", "")))
    elif event.name == EventKind.REROUTED:
        details.append(("New service", extra.get("service", "")))
    elif event.name == EventKind.EDITED and extra.get("fields"):
        details.append(("Changed", ", ".join(FIELD_LABELS.get(f, f.replace("_", " ")) for f in extra["fields"])))
    elif event.name == EventKind.CREATED and extra.get("rerouted_from"):
        details.append(("Rerouted from", str(extra["rerouted_from"])[:8].upper()))
    return details


def timeline_entries(events, *, disclosure, own_organization_ids) -> list[TimelineEntry]:
    entries = []
    for event in events:
        fallback = TRANSITIONS[event.name].label if event.name in TRANSITIONS else event.name
        entries.append(
            TimelineEntry(
                name=event.name,
                title=EVENT_TITLES.get(event.name, fallback),
                occurred_at=event.occurred_at,
                who=event.actor_display or "System",
                organization=event.organization.name if event.organization else "",
                to_status=event.to_status,
                status_changed=bool(event.from_status) and event.from_status != event.to_status,
                details=_details(event),
                note=shown_note(event, disclosure, own_organization_ids),
            )
        )
    return entries
