"""Who did or saw what, why, and whether it was allowed. Rows are never changed or deleted."""

import uuid

from django.conf import settings
from django.db import models

from coordination.access import AccessManager, AccessQuerySet

from .choices import ActionCode, AuditAction, Outcome, Source


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEventQuerySet(AccessQuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be updated.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    # The integer key is the sequence number; the UUID is what leaves the system.
    sequence = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recorded_at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=60, choices=AuditAction.choices, db_index=True)
    subtype = models.CharField(max_length=60, blank=True)
    action_code = models.CharField(max_length=1, choices=ActionCode.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    outcome_reason = models.CharField(max_length=300, blank=True)

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_display = models.CharField(max_length=200, blank=True)
    actor_organization_id = models.UUIDField(null=True, blank=True)
    actor_organization_name = models.CharField(max_length=200, blank=True)
    actor_role = models.CharField(max_length=200, blank=True)
    purpose_of_use = models.CharField(max_length=20, blank=True)

    # Generic references: the audit trail outlives (and never cascades with) what it describes.
    client_id = models.UUIDField(null=True, blank=True, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    consents = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SYSTEM)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = AccessManager.from_queryset(AuditEventQuerySet)()

    class Meta:
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["client_id", "recorded_at"]),
            models.Index(fields=["actor", "recorded_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} by {self.actor_display or 'system'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("Audit events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")


class SignInThrottle(models.Model):
    """Recent failed sign-ins for one username or one client address, and the lockout they caused.

    Security state, not history: rows change and are deleted (a success or a governance unlock clears
    them). What happened is in `AuditEvent`; this only remembers enough to refuse the next attempt.
    Kept in the database, not the cache, so every web process and the API share one count.
    """

    class Scope(models.TextChoices):
        USERNAME = "username", "Username"
        ADDRESS = "address", "Client address"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    key = models.CharField(max_length=150, help_text="Lower-cased username, or the client's IP address.")
    # Epoch seconds of the failures still inside the window (never more than the threshold).
    recent_failures = models.JSONField(default=list, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="signinthrottle_unique_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
