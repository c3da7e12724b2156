"""The catalog of outbox event names: what the in-portal, email and webhook channels announce.

Referral transitions map onto the first four by name; every other transition is `referral.status_changed`.
"""

from django.db import models


class Event(models.TextChoices):
    REFERRAL_SENT = "referral.sent", "Referral sent"
    REFERRAL_ACKNOWLEDGED = "referral.acknowledged", "Referral acknowledged"
    REFERRAL_ACCEPTED = "referral.accepted", "Referral accepted"
    REFERRAL_DECLINED = "referral.declined", "Referral declined"
    REFERRAL_STATUS_CHANGED = "referral.status_changed", "Referral status changed"
    REFERRAL_SLA_BREACHED = "referral.sla_breached", "Referral missed a response target"
    REFERRAL_ESCALATED = "referral.escalated", "Referral escalated"
    CONSENT_REVOKED = "consent.revoked", "Consent revoked"
    CONSENT_EXPIRED = "consent.expired", "Consent expired"


class InternalEvent(models.TextChoices):
    """Told to portal users only (in the portal and by email), never offered to partner webhooks."""

    EXCEPTION_ESCALATED = "exception.escalated", "Exception escalated (overdue)"


TRANSITION_EVENTS: dict[str, str] = {
    "submit": Event.REFERRAL_SENT,
    "acknowledge": Event.REFERRAL_ACKNOWLEDGED,
    "accept": Event.REFERRAL_ACCEPTED,
    "decline": Event.REFERRAL_DECLINED,
}


def transition_event(transition_name: str) -> str:
    return str(TRANSITION_EVENTS.get(transition_name, Event.REFERRAL_STATUS_CHANGED))
