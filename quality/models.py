"""Data quality records: each refused send (with the rules that failed), and the weekly reports.

Append-only by design: a rejection or a weekly report is a record of what happened; nothing edits it, so
no model history is kept. No client data: ids, rule codes and field names only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from coordination.access import AccessManager
from providers.models import Organization
from referrals.models import Referral


class Channel(models.TextChoices):
    PAGE = "page", "Portal page"
    API = "api", "API"
    OTHER = "other", "Other (task, command, admin)"


class ValidationRejection(models.Model):
    """One send of a referral the rule set refused for errors (`referrals.validation.rejection`)."""

    occurred_at = models.DateTimeField(db_index=True)
    # The sending agency: whose quality this counts against.
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Empty for a create-and-send: the refused send left no draft behind.
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="validation_rejections"
    )
    client_id = models.UUIDField(db_index=True)
    codes = models.JSONField(default=list, help_text="The error rule codes, in the order found.")

    objects = AccessManager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "occurred_at"]),
            models.Index(fields=["user", "occurred_at"]),
        ]
        permissions = [
            ("view_quality_report", "View the data quality numbers of one's own organization"),
            ("view_network_quality", "View the data quality numbers of every organization"),
        ]

    def __str__(self) -> str:
        return f"Rejected send {self.pk} ({', '.join(self.codes)})"


class RejectionProblem(models.Model):
    """One error of a rejection: which field, which rule, what kind of problem (missing, invalid, contradictory)."""

    rejection = models.ForeignKey(ValidationRejection, on_delete=models.CASCADE, related_name="problems")
    field = models.CharField(max_length=60)
    code = models.CharField(max_length=60)
    kind = models.CharField(max_length=20)

    objects = AccessManager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["field", "kind"])]

    def __str__(self) -> str:
        return f"{self.field}: {self.code}"


class WeeklyQualityReport(models.Model):
    """One agency's numbers for one week (Monday to Sunday, portal time zone), issued once."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    week_start = models.DateField(help_text="The Monday the week starts on.")
    created_at = models.DateTimeField()
    numbers = models.JSONField(default=dict)

    objects = AccessManager()

    class Meta:
        ordering = ["-week_start", "organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "week_start"], name="quality_report_once_per_week")
        ]

    def __str__(self) -> str:
        return f"Data quality, week of {self.week_start:%Y-%m-%d}: {self.organization}"

    @property
    def reference(self) -> str:
        return f"Q{self.week_start:%Y%m%d}-{self.pk}"


class WeeklyReportEmail(models.Model):
    """The weekly report for one recipient: created once per report and person, sent once (`sent_at`)."""

    report = models.ForeignKey(WeeklyQualityReport, on_delete=models.CASCADE, related_name="emails")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    address = models.EmailField()
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = AccessManager()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["report", "recipient"], name="quality_report_email_once")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(sent_at__isnull=True), name="quality_email_due")
        ]

    def __str__(self) -> str:
        return f"Weekly report {self.report_id} to {self.address} ({'sent' if self.sent_at else 'pending'})"
