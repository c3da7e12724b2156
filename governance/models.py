"""Access reviews (campaigns of keep / revoke / change-role decisions) and sample audit checks.

Written only through `governance.services`. Items keep a snapshot of the access they review (user,
organization, role or permission, referral), because revoking a referral share deletes the grant row.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from audit.models import AuditEvent
from coordination.access import AccessManager
from coordination.context import history_user
from coordination.roles import Role
from providers.models import Membership, Organization
from referrals.models import ReferralUserObjectPermission

from .choices import CampaignStatus, Decision, ItemKind, Verdict


class AccessReviewCampaign(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    organizations = models.ManyToManyField(Organization, related_name="access_review_campaigns")
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="access_review_campaigns")
    # The evidence window: activity between these dates (inclusive, portal time) is counted.
    period_start = models.DateField()
    period_end = models.DateField()
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.OPEN, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="accessreview_period_ordered", condition=Q(period_start__lte=models.F("period_end"))
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AccessReviewItem(models.Model):
    """One access to keep, revoke or change: a membership (role at an organization) or a referral grant."""

    campaign = models.ForeignKey(AccessReviewCampaign, on_delete=models.PROTECT, related_name="items")
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Deleted when a share is revoked: the snapshot below keeps what it was.
    grant = models.ForeignKey(
        ReferralUserObjectPermission, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Snapshot of the access under review, as it was when the campaign opened.
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_username = models.CharField(max_length=150)
    subject_name = models.CharField(max_length=200, blank=True)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organization_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=30, choices=Role.choices, blank=True)
    permission = models.CharField(max_length=100, blank=True, help_text="The grant's permission codename.")
    referral_id = models.UUIDField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)

    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True, default=Decision.UNDECIDED)
    new_role = models.CharField(max_length=30, choices=Role.choices, blank=True)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # When a revoke took effect; from then on the decision stands (restoring access is a new grant).
    access_removed_at = models.DateTimeField(null=True, blank=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["campaign_id", "organization_name", "subject_username", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "membership"],
                condition=Q(membership__isnull=False),
                name="accessreviewitem_unique_membership",
            ),
            models.UniqueConstraint(
                fields=["campaign", "grant"], condition=Q(grant__isnull=False), name="accessreviewitem_unique_grant"
            ),
            models.CheckConstraint(
                name="accessreviewitem_change_role_has_role",
                condition=~Q(decision=Decision.CHANGE_ROLE) | ~Q(new_role=""),
            ),
        ]
        indexes = [models.Index(fields=["campaign", "decision"])]

    def __str__(self) -> str:
        if self.kind == ItemKind.MEMBERSHIP:
            what = self.get_role_display() or self.role
        else:
            what = f"{self.permission} on referral {str(self.referral_id)[:8]}"
        return f"{self.subject_username}: {what} ({self.organization_name})"


class AuditSample(models.Model):
    """N access events drawn at random from a period, for one reviewer to judge."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    period_start = models.DateField()
    period_end = models.DateField()
    size = models.PositiveIntegerField(help_text="How many events were asked for.")
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only events by staff acting for this organization.",
    )
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="auditsample_period_ordered", condition=Q(period_start__lte=models.F("period_end"))
            ),
        ]

    def __str__(self) -> str:
        return f"Sample of {self.size} ({self.period_start:%Y-%m-%d} to {self.period_end:%Y-%m-%d})"


class AuditSampleItem(models.Model):
    sample = models.ForeignKey(AuditSample, on_delete=models.PROTECT, related_name="items")
    # PROTECT: a reviewed event is evidence of the check (the trail refuses deletes anyway).
    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=20, choices=Verdict.choices, blank=True, default=Verdict.UNREVIEWED)
    note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["sample_id", "event_id"]
        constraints = [models.UniqueConstraint(fields=["sample", "event"], name="auditsampleitem_unique_event")]

    def __str__(self) -> str:
        return f"Event #{self.event_id} in {self.sample_id}"
