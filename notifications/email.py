"""Notification emails: thin (the notification's text and a link to the portal), one per recipient per event.

Each `NotificationEmail` row is sent at most once: it is locked (`skip_locked`) while sending and stamped
`sent_at` in the same transaction. Rows are sent right after the notification commits; the periodic sweep
(`notifications.tasks.email_sweep`) sends whatever that missed (worker stopped, mail server down), with
backoff. A crash between the mail server accepting a message and the commit can still resend that one
email: that is the at-least-once edge of SMTP, not a duplicate notification.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from coordination.outbox import retry_delay

from .models import NotificationEmail

logger = logging.getLogger(__name__)


def email_grace() -> datetime.timedelta:
    """How long the sweep leaves a new email to the sending right after commit."""
    return getattr(settings, "NOTIFICATION_EMAIL_GRACE", datetime.timedelta(minutes=2))


def _link(path: str) -> str:
    return f"{getattr(settings, 'PORTAL_BASE_URL', 'http://127.0.0.1:8000').rstrip('/')}{path}"


def email_content(email: NotificationEmail) -> tuple[str, str]:
    notification = email.notification
    lines = [notification.text, ""]
    link = notification.link()
    if link:
        lines.append(f"{link[1]}: {_link(link[0])}")
    lines.append(f"Your notifications: {_link(reverse('notifications:list'))}")
    lines += ["", "You receive this because of your role at your organization in the care coordination portal."]
    return f"[Care Coordination] {notification.text}"[:200], "\n".join(lines)


def pending_email_deliver(pending: QuerySet, *, email_id, content: Callable, now=None, what: str = "email") -> bool:
    """Send one pending email row of `pending` (locked, skipped if another worker holds it); True if sent here.

    A mail failure keeps the row for the sweep with a backoff; `content(row)` answers (subject, body).
    """
    with transaction.atomic():
        email = pending.select_for_update(skip_locked=True, of=("self",)).filter(pk=email_id, sent_at__isnull=True)
        email = email.first()
        if email is None:
            return False
        now = now or timezone.now()
        email.attempts += 1
        subject, body = content(email)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email.address])
        except Exception as error:  # any mail failure: keep the row, retry later
            email.last_error = f"{type(error).__name__}: {error}"[:2000]
            email.next_attempt_at = now + retry_delay(email.attempts)
            email.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            logger.warning("%s %s failed (attempt %d)", what, email.pk, email.attempts, exc_info=True)
            return False
        email.sent_at = now
        email.last_error = ""
        email.save(update_fields=["attempts", "last_error", "sent_at"])
        return True


def email_deliver(*, email_id, now: datetime.datetime | None = None) -> bool:
    """Send one pending notification email; True if this call sent it."""
    pending = NotificationEmail.objects.select_related("notification__referral", "notification__message")
    return pending_email_deliver(pending, email_id=email_id, content=email_content, now=now, what="notification email")


def emails_deliver(email_ids: Iterable) -> int:
    sent = 0
    for email_id in email_ids:
        sent += email_deliver(email_id=email_id)
    return sent


def email_sweep_run(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Send the pending emails that are due; return how many were sent."""
    now = now or timezone.now()
    due = NotificationEmail.objects.filter(sent_at__isnull=True, next_attempt_at__lte=now).order_by("next_attempt_at")
    return emails_deliver(list(due.values_list("pk", flat=True)[:limit]))
