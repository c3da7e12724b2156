"""Exceptions as owned work items, and the timeline of what was done to each."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clients.models import Client
from coordination.access import AccessManager
from coordination.context import history_user
from coordination.roles import Role
from providers.models import Organization
from referrals.models import Referral

from .choices import ACTIVE_STATUSES, ExceptionKind, ExceptionStatus, Severity


class ExceptionItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40, choices=ExceptionKind.choices)
    summary = models.CharField(max_length=300)
    # Identifiers and codes only: the queue points at client data, it does not copy it.
    detail = models.JSONField(default=dict, blank=True)

    # What the exception concerns, generically ("referrals.Referral", pk, str()), plus the two
    # links the queue filters on and the detail page follows.
    concerning_type = models.CharField(max_length=100, blank=True)
    concerning_id = models.CharField(max_length=64, blank=True)
    concerning_repr = models.CharField(max_length=200, blank=True)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="exceptions")

    # Who must work it: a role (team) at one organization.
    owner_organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="exceptions")
    owner_role = models.CharField(max_length=40, choices=Role.choices)

    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=20, choices=ExceptionStatus.choices, default=ExceptionStatus.OPEN)
    due_at = models.DateTimeField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # When the sweep next looks at it; null once closed or at the top escalation level.
    next_escalation_at = models.DateTimeField(null=True, blank=True)

    dedupe_key = models.CharField(max_length=200, blank=True, db_index=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped on every change so a stale page or API call is refused instead of overwriting.
    version = models.PositiveIntegerField(default=1)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["due_at", "created_at"]
        indexes = [
            models.Index(fields=["owner_organization", "status", "due_at"], name="exc_owner_status_due"),
            models.Index(fields=["status", "due_at"], name="exc_status_due"),
            models.Index(fields=["next_escalation_at"], name="exc_next_escalation"),
            models.Index(fields=["kind", "status"], name="exc_kind_status"),
        ]
        constraints = [
            # At most one live item per dedupe key: two racing raises cannot both open one.
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~Q(dedupe_key="") & Q(status__in=sorted(ACTIVE_STATUSES)),
                name="exception_one_live_per_dedupe_key",
            ),
            models.CheckConstraint(
                name="exception_closed_has_note",
                condition=Q(status__in=sorted(ACTIVE_STATUSES)) | ~Q(resolution_note=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Exception {self.reference} ({self.get_kind_display()}, {self.get_status_display()})"

    @property
    def reference(self) -> str:
        return str(self.pk)[:8].upper()

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def is_overdue(self, now=None) -> bool:
        return self.is_active and self.due_at <= (now or timezone.now())


class ExceptionEvent(models.Model):
    """One line of an item's timeline; written only by the services, in the change's transaction."""

    item = models.ForeignKey(ExceptionItem, on_delete=models.CASCADE, related_name="events")
    name = models.CharField(max_length=40, help_text="raised, a transition name, assigned or escalated.")
    from_status = models.CharField(max_length=20, choices=ExceptionStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ExceptionStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_display = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    note = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AccessManager()

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["item", "occurred_at"], name="exc_event_item_time")]

    def __str__(self) -> str:
        return f"{self.name}: {self.from_status or '-'} -> {self.to_status}"
