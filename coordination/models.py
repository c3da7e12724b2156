"""Framework models: the persisted outbox of side effects."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from coordination.access import AccessManager


class OutboxMessage(models.Model):
    """One side effect to carry out after the change that caused it has committed.

    Written in the same transaction as that change (`coordination.outbox.outbox_enqueue`), handed to Celery
    after commit, re-handed by the periodic sweep until every registered handler has run once
    (`processed_at`). The id is the event id partners and handlers dedupe on (Standard Webhooks `webhook-id`).
    `data` carries ids and codes only, never client data.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.CharField(max_length=80, db_index=True)
    subject_type = models.CharField(max_length=100, blank=True, help_text="app_label.Model of the subject.")
    subject_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    handed_over_at = models.DateTimeField(null=True, blank=True, help_text="Last hand-over to the task queue.")
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Processing attempts, failed or not.")
    last_error = models.TextField(blank=True)
    # When the sweep may hand it over (again): shortly after creation in case the hand-over after commit
    # never happens, later after a hand-over, with backoff after a failure.
    next_attempt_at = models.DateTimeField(default=timezone.now)

    objects = AccessManager()

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # The sweep's query: unprocessed and due. Partial, so processed history does not weigh on it.
            models.Index(fields=["next_attempt_at"], condition=Q(processed_at__isnull=True), name="outbox_due_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="outbox_subject_idx"),
        ]

    def __str__(self) -> str:
        state = "processed" if self.processed_at else f"pending ({self.attempts} attempts)"
        return f"{self.event} {self.subject_type}:{self.subject_id} [{state}]"
