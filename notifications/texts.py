"""The one-line texts of notifications and their emails.

They name only what every recipient can already see: the referral's reference, its status, the two
organizations, the response target; never the client's name, need or details.
"""

from __future__ import annotations

from coordination.events import Event
from coordination.models import OutboxMessage
from referrals.choices import Side, Status
from referrals.models import Referral
from referrals.workflow import TRANSITIONS

_DECISIONS = {
    Event.REFERRAL_ACKNOWLEDGED: "acknowledged",
    Event.REFERRAL_ACCEPTED: "accepted",
    Event.REFERRAL_DECLINED: "declined",
}


def _stage(value: object) -> str:
    return str(value or "response").replace("_", " ").replace("-", " ")


def _status(value: object) -> str:
    try:
        return Status(str(value)).label.lower()
    except ValueError:
        return "updated"


def referral_text(message: OutboxMessage, referral: Referral) -> str:
    reference = f"Referral {referral.reference}"
    receiving = referral.receiving_organization.name if referral.receiving_organization else "the provider"
    referring = referral.referring_organization.name
    event, data = message.event, message.data
    if event == Event.REFERRAL_SENT:
        return f"{reference} was sent to {receiving} by {referring}."
    if event in _DECISIONS:
        return f"{reference} was {_DECISIONS[event]} by {receiving}."
    if event == Event.REFERRAL_SLA_BREACHED:
        return f"{reference} to {receiving} missed its {_stage(data.get('stage'))} target."
    if event == Event.REFERRAL_ESCALATED:
        level = data.get("level")
        return f"{reference} to {receiving} was escalated{f' (level {level})' if level else ''}."
    transition = TRANSITIONS.get(str(data.get("transition", "")))
    status = _status(data.get("to") or referral.status)
    if transition is None:
        return f"{reference} is now {status}."
    side = referring if transition.side == Side.REFERRER else receiving
    return f"{reference} is now {status} ({transition.label.lower()} by {side})."


def consent_text(message: OutboxMessage, referral: Referral | None) -> str:
    whose = (
        f"the client of referral {referral.reference}" if referral else "a client whose data your organization received"
    )
    if message.event == Event.CONSENT_REVOKED:
        what = f"{whose[0].upper()}{whose[1:]} revoked their consent to share data with your organization"
    else:
        what = f"The consent of {whose} to share data with your organization has expired"
    return f"{what}: do not use or pass on what you received under it."


def exception_text(message: OutboxMessage, item) -> str:
    """An escalated exception: its reference, type, severity and level (the summary may name a client: left out)."""
    level = message.data.get("level") or item.escalation_level
    return (
        f"Exception {item.reference} ({item.get_kind_display().lower()}, {item.get_severity_display().lower()} "
        f"severity) for {item.owner_organization.name} is overdue: escalated to level {level}."
    )
