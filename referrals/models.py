"""Referrals, their timeline, and the per-object exceptions (shares and worker assignments)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from guardian.managers import UserObjectPermissionManager
from guardian.models import UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from clients.models import Client
from coordination.access import AccessManager
from coordination.context import history_user
from providers.choices import SdohCategory
from providers.languages import LANGUAGE_CHOICES
from providers.models import Organization, Service

from .choices import (
    CancelReason,
    CloseOutcome,
    ContactResult,
    DeclineReason,
    HoldReason,
    ReferralContactMethod,
    Side,
    Status,
    Urgency,
)
from .validation import (
    template_errors,
    validate_eligibility_basis,
    validate_risk_flags,
    validate_sensitive_categories,
)

MILESTONES = (
    "sent_at",
    "acknowledged_at",
    "responded_at",
    "first_contact_at",
    "appointment_at",
    "service_started_at",
    "closed_at",
)
DUE_TIMES = ("acknowledge_due_at", "first_contact_due_at", "service_start_due_at")


class Referral(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="referrals")
    referring_organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="referrals_made")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The case manager currently responsible on the referring side.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    receiving_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals_received"
    )
    # The provider staff member a supervisor put on the referral (also a guardian grant).
    assigned_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    category = models.CharField(max_length=40, choices=SdohCategory.choices)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    reason = models.TextField(help_text="Why the client is being referred and what they need.")
    risk_flags = models.JSONField(default=list, blank=True, validators=[validate_risk_flags])
    contact_constraints = models.TextField(blank=True)
    safe_contact_times = models.CharField(max_length=200, blank=True)
    eligibility_basis = models.JSONField(default=list, blank=True, validators=[validate_eligibility_basis])
    eligibility_note = models.CharField(max_length=500, blank=True)
    sensitive_categories = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_sensitive_categories],
        help_text="Segmented data in the reason (behavioral health, substance use): consent must cover it.",
    )
    language = models.CharField(max_length=3, choices=LANGUAGE_CHOICES, default="en")
    interpreter_needed = models.BooleanField(default=False)
    # Blank only on rows older than the field and on drafts someone cleared: sending needs it (validation/).
    contact_method = models.CharField(
        max_length=20,
        choices=ReferralContactMethod.choices,
        blank=True,
        help_text="How the provider should reach the client; phone, text, email and mail use the client's record.",
    )

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # Bumped on every change so a stale form or API call is refused instead of overwriting.
    version = models.PositiveIntegerField(default=1)

    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    appointment_at = models.DateTimeField(null=True, blank=True)
    service_started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    acknowledge_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    first_contact_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    service_start_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set by the SLA sweep at the second escalation (a target still missed): the referring agency should
    # consider sending the client elsewhere. A flag only: the status moves through the workflow alone.
    reroute_suggested_at = models.DateTimeField(null=True, blank=True)

    decline_reason = models.CharField(max_length=40, choices=DeclineReason.choices, blank=True)
    outcome = models.CharField(max_length=40, choices=CloseOutcome.choices, blank=True)
    cancel_reason = models.CharField(max_length=40, choices=CancelReason.choices, blank=True)
    hold_reason = models.CharField(max_length=40, choices=HoldReason.choices, blank=True)
    status_note = models.TextField(blank=True, help_text="The note given with the latest status change.")
    contact_attempts = models.PositiveSmallIntegerField(default=0)
    last_contact_result = models.CharField(max_length=20, choices=ContactResult.choices, blank=True)

    rerouted_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rerouted_to"
    )
    # Set by referral_create (which takes `now`), so a backfilled referral keeps its real creation time.
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("mark_entered_in_error", "Mark a referral entered in error"),
            ("share_referral", "Share a referral read-only with a named colleague"),
            ("assign_case_manager", "Assign the referring case manager"),
            ("assign_worker", "Assign a referral to a provider staff member"),
        ]
        indexes = [
            models.Index(fields=["referring_organization", "status"]),
            models.Index(fields=["receiving_organization", "status"]),
            models.Index(fields=["client", "status"]),
            # The performance numbers select a period by sending time (metrics/selectors.py).
            models.Index(fields=["sent_at"], name="referral_sent_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="referral_routed_unless_draft",
                condition=Q(status__in=[Status.DRAFT, Status.CANCELLED, Status.ENTERED_IN_ERROR])
                | Q(service__isnull=False, receiving_organization__isnull=False, sent_at__isnull=False),
            ),
            models.CheckConstraint(
                name="referral_declined_has_reason",
                condition=~Q(status=Status.DECLINED) | ~Q(decline_reason=""),
            ),
            models.CheckConstraint(
                name="referral_closed_has_outcome", condition=~Q(status=Status.CLOSED) | ~Q(outcome="")
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {str(self.pk)[:8]} ({self.get_category_display()}, {self.get_status_display()})"

    def clean(self) -> None:
        errors = template_errors({f: getattr(self, f) for f in ("reason", "eligibility_basis", "eligibility_note")})
        if errors:
            raise ValidationError(errors)

    @property
    def reference(self) -> str:
        """A short id people can read out on the phone."""
        return str(self.pk)[:8].upper()


class ReferralEvent(models.Model):
    """One line of the timeline: a transition, or a change of who holds the referral.

    Written only by the referral services, in the same transaction as the change; never edited.
    """

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    name = models.CharField(max_length=40, help_text="Transition name or event kind.")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    side = models.CharField(max_length=10, choices=Side.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_display = models.CharField(max_length=200, blank=True)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    occurred_at = models.DateTimeField(db_index=True)
    reason_code = models.CharField(max_length=40, blank=True)
    outcome_code = models.CharField(max_length=40, blank=True)
    contact_result = models.CharField(max_length=20, choices=ContactResult.choices, blank=True)
    appointment_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AccessManager()

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["referral", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.name}: {self.from_status or '-'} -> {self.to_status}"


class ReferralGrantManager(AccessManager, UserObjectPermissionManager):
    """The access layer's manager that guardian's helpers (its admin pages, get_users_with_perms) accept."""


class ReferralUserObjectPermission(UserObjectPermissionBase):
    """django-guardian's direct-FK grant table for referrals, with who granted it and until when."""

    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="user_grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = ReferralGrantManager()

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user", "permission"])]
