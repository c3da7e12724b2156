"""The outbox handler that turns events into in-portal notifications and pending emails.

Runs inside the outbox's processing transaction; the (message, recipient) unique constraint and the
"already notified" check make a second run add nothing. Emails are only recorded here and sent after
that transaction commits (`notifications.email`), so a rolled-back attempt never sends one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from coordination.events import Event, InternalEvent
from coordination.models import OutboxMessage
from coordination.outbox import outbox_handler
from exceptionqueue.models import ExceptionItem
from exceptionqueue.services import SUPERVISOR_ROLES
from providers.models import Membership
from referrals.models import Referral

from .email import email_grace, emails_deliver
from .models import Notification, NotificationEmail
from .recipients import consent_recipients, referral_recipients, user_organizations
from .texts import consent_text, exception_text, referral_text

REFERRAL_EVENTS = frozenset(e for e in Event if e.startswith("referral."))
CONSENT_EVENTS = frozenset({Event.CONSENT_REVOKED, Event.CONSENT_EXPIRED})


@dataclass(frozen=True)
class Planned:
    recipient: object
    text: str
    referral_id: object = None
    client_id: object = None


def _referral_plan(message: OutboxMessage) -> list[Planned]:
    referral_id = message.data.get("referral_id") or message.subject_id
    referral = (
        Referral.objects.select_related("referring_organization", "receiving_organization")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        return []
    user_ids = message.data.get("user_ids")
    recipients = referral_recipients(referral, actor_id=message.data.get("actor_id"), user_ids=user_ids)
    text = referral_text(message, referral)
    return [Planned(user, text, referral.pk, referral.client_id) for user in recipients]


def _consent_plan(message: OutboxMessage) -> list[Planned]:
    client_id = message.data.get("client_id")
    organization_ids = [str(pk) for pk in message.data.get("organization_ids") or []]
    recipients = consent_recipients(organization_ids, actor_id=message.data.get("actor_id"))
    if not recipients or not client_id:
        return []
    # Each recipient is pointed at the latest referral their organization received for the client: one they
    # can already open, so the text names no client.
    latest: dict = {}
    received = (
        Referral.objects.filter(client_id=client_id, receiving_organization_id__in=organization_ids)
        .exclude(sent_at=None)
        .order_by("sent_at")
    )
    for referral in received:
        latest[str(referral.receiving_organization_id)] = referral
    organization_of = user_organizations([u.pk for u in recipients], organization_ids)
    plans = []
    for user in recipients:
        referral = latest.get(str(organization_of.get(user.pk)))
        plans.append(Planned(user, consent_text(message, referral), referral.pk if referral else None, client_id))
    return plans


def _exception_plan(message: OutboxMessage) -> list[Planned]:
    """The owner's supervisors named at escalation who still supervise there; no client or referral named."""
    item = ExceptionItem.objects.filter(pk=message.subject_id).first()
    if item is None:
        return []
    still_supervising = Membership.objects.filter(
        organization_id=item.owner_organization_id, active=True, organization__active=True, role__in=SUPERVISOR_ROLES
    ).values("user_id")
    recipients = (
        get_user_model()
        .objects.filter(pk__in=message.data.get("user_ids") or [], is_active=True)
        .filter(pk__in=still_supervising)
    )
    text = exception_text(message, item)
    return [Planned(user, text) for user in recipients.order_by("pk")]


@outbox_handler
def notify(message: OutboxMessage) -> None:
    if message.event in REFERRAL_EVENTS:
        plans = _referral_plan(message)
    elif message.event in CONSENT_EVENTS:
        plans = _consent_plan(message)
    elif message.event == InternalEvent.EXCEPTION_ESCALATED:
        plans = _exception_plan(message)
    else:
        return
    notifications_create(message=message, plans=plans)


def notifications_create(*, message: OutboxMessage, plans: list[Planned]) -> list[Notification]:
    """Create the notifications (and pending emails) not created yet for this message."""
    done = set(Notification.objects.filter(message=message).values_list("recipient_id", flat=True))
    now = timezone.now()
    new = [
        Notification(
            recipient=plan.recipient,
            event=message.event,
            message=message,
            referral_id=plan.referral_id,
            client_id=plan.client_id,
            text=plan.text[:300],
            created_at=now,
        )
        for plan in plans
        if plan.recipient.pk not in done
    ]
    Notification.objects.bulk_create(new)
    emails = NotificationEmail.objects.bulk_create(
        NotificationEmail(
            notification=n, address=n.recipient.email, created_at=now, next_attempt_at=now + email_grace()
        )
        for n in new
        if n.recipient.email
    )
    if emails:
        transaction.on_commit(partial(emails_deliver, [e.pk for e in emails]))
    return new
