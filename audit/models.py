"""Who did or saw what, why, and whether it was allowed. Rows are never changed or deleted."""

import uuid

from django.conf import settings
from django.db import models

from coordination.access import AccessManager, AccessQuerySet

from .choices import ActionCode, AuditAction, Outcome, Source


class AuditLogIsAppendOnly(Exception):
    pass


class AppendOnlyQuerySet(AccessQuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly(f"{self.model._meta.verbose_name} rows cannot be updated.")

    def delete(self):
        raise AuditLogIsAppendOnly(f"{self.model._meta.verbose_name} rows cannot be deleted.")


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

    # PROTECT: nulling the actor would rewrite history (and break the hash chain); deactivate users instead.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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

    # The hash chain (audit/chain.py): row_hash = sha256(prev_hash + canonical content).
    prev_hash = models.CharField(max_length=64, editable=False)
    row_hash = models.CharField(max_length=64, editable=False)

    objects = AccessManager.from_queryset(AppendOnlyQuerySet)()

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


class AppendOnlyModel(models.Model):
    """Rows that are evidence: written once, never changed or deleted (PostgreSQL triggers agree)."""

    objects = AccessManager.from_queryset(AppendOnlyQuerySet)()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly(f"{self._meta.verbose_name} rows cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly(f"{self._meta.verbose_name} rows cannot be deleted.")


class AuditEventClient(AppendOnlyModel):
    """One client a list read showed: lets "who saw this client" find list reads by index.

    Derived from the event's `detail["client_ids"]` (which the hash covers), in one bulk insert per event.
    """

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="listed_clients")
    client_id = models.UUIDField()

    class Meta:
        indexes = [models.Index(fields=["client_id", "event"])]

    def __str__(self) -> str:
        return f"#{self.event_id} {self.client_id}"


class AuditChainHead(models.Model):
    """The latest row hash, one row: updating it serialises writers so the chain has a single order."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64, blank=True)

    objects = AccessManager()

    def __str__(self) -> str:
        return self.last_hash


class AuditAnchor(AppendOnlyModel):
    """A witness of the chain head at a point in time, so a wholesale rewrite of the chain shows."""

    created_at = models.DateTimeField(db_index=True)
    sequence = models.BigIntegerField(help_text="The last audit event at the time of the anchor.")
    row_hash = models.CharField(max_length=64)
    event_count = models.BigIntegerField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"anchor #{self.sequence} {self.row_hash[:12]}"


class DisclosureKind(models.TextChoices):
    REFERRAL_SENT = "referral_sent", "Referral sent"
    REFERRAL_READ = "referral_read", "Referral read by the recipient"
    NOTIFICATION = "notification", "Partner notification"
    API_READ = "api_read", "API read by a partner system"
    FHIR_READ = "fhir_read", "FHIR read by a partner system"


class Disclosure(AppendOnlyModel):
    """Accounting of disclosures (ONC 170.315(d)(11)): client data that reached another organization.

    Kept six years; references are generic (ids and names as they were) so the ledger outlives its objects.
    """

    disclosed_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=DisclosureKind.choices)
    client_id = models.UUIDField()
    recipient_organization_id = models.UUIDField(null=True, blank=True)
    recipient_organization_name = models.CharField(max_length=200, blank=True)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient_display = models.CharField(max_length=200, blank=True)
    categories = models.JSONField(default=list, blank=True, help_text="Data categories disclosed.")
    description = models.CharField(max_length=300, blank=True)
    purpose_of_use = models.CharField(max_length=20, blank=True)
    consents = models.JSONField(default=list, blank=True, help_text="Ids of the consents relied on.")
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    event = models.ForeignKey(AuditEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures")

    class Meta:
        ordering = ["-disclosed_at"]
        indexes = [
            models.Index(fields=["client_id", "disclosed_at"]),
            models.Index(fields=["recipient_organization_id", "disclosed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_organization_name or '?'} at {self.disclosed_at:%Y-%m-%d}"


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
