"""In-portal notifications, their emails, and the marker that a consent's expiry was announced.

No simple-history here: a notification is a derived, per-user message (its cause is the audited change and
the outbox row); only `read_at` ever changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from consent.models import Consent
from coordination.access import AccessManager
from coordination.events import Event, InternalEvent
from coordination.models import OutboxMessage
from referrals.models import Referral


class Notification(models.Model):
    """One outbox message told to one user. Unique per (message, recipient): processing twice adds nothing."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=80, choices=[*Event.choices, *InternalEvent.choices])
    message = models.ForeignKey(OutboxMessage, on_delete=models.PROTECT, related_name="notifications")
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Shown to the recipient as is: only what they can already see (references, organization names).
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = AccessManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["message", "recipient"], name="notification_once_per_recipient")]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
            # The unread badge on every page: a count over this partial index.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} for {self.recipient_id}: {self.text}"

    def link(self) -> tuple[str, str] | None:
        """Where the notification points (path, link text): its referral, or the exception it is about."""
        if self.referral_id:
            return reverse("referrals:detail", args=[self.referral_id]), f"Open referral {self.referral.reference}"
        if self.event == InternalEvent.EXCEPTION_ESCALATED:
            return reverse("exceptionqueue:detail", args=[self.message.subject_id]), "Open the exception"
        return None

    @property
    def read(self) -> bool:
        return self.read_at is not None


class NotificationEmail(models.Model):
    """The email for one notification: created with it, sent once (`sent_at`), retried with backoff."""

    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="email")
    address = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)

    objects = AccessManager()

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(sent_at__isnull=True), name="notification_email_due")
        ]

    def __str__(self) -> str:
        return f"Email to {self.address} ({'sent' if self.sent_at else 'pending'})"


class ConsentExpiryNotice(models.Model):
    """Marks a consent whose period ended as announced (`consent.expired`), so it is announced once."""

    consent = models.OneToOneField(Consent, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(OutboxMessage, on_delete=models.PROTECT, related_name="+")
    announced_at = models.DateTimeField(default=timezone.now)

    objects = AccessManager()

    class Meta:
        ordering = ["-announced_at"]

    def __str__(self) -> str:
        return f"Consent {self.consent_id} expiry announced {self.announced_at:%Y-%m-%d}"
