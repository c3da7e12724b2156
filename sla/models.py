"""Response targets (policy, opening hours, holidays) and what the sweep records (breaches, escalations, heartbeat)."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from coordination.access import AccessManager
from coordination.context import history_user
from providers.choices import SdohCategory
from providers.models import Organization
from referrals.choices import Urgency
from referrals.models import Referral

from .choices import Unit, Weekday
from .stages import Stage

MIDNIGHT = datetime.time(0, 0)


def _amount(help_text: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(999)], help_text=help_text
    )


def _unit() -> models.CharField:
    return models.CharField(max_length=20, choices=Unit.choices)


class SlaPolicy(models.Model):
    """Targets for one urgency, optionally narrowed to one need (the most specific row wins).

    The due times are computed once, when the referral is sent, and stored on it: editing a policy changes
    the targets of referrals sent afterwards, not of those already under way.
    """

    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    category = models.CharField(
        max_length=40,
        choices=SdohCategory.choices,
        blank=True,
        help_text="The need this policy is for. Empty: every need without a policy of its own.",
    )
    around_the_clock = models.BooleanField(
        default=False,
        help_text="Count hours on the wall clock, nights, weekends and holidays included (crisis). Otherwise hours "
        "count only while the receiving organization is open.",
    )
    acknowledge_amount = _amount("Time to acknowledge receipt.")
    acknowledge_unit = _unit()
    first_contact_amount = _amount("Time to the first contact attempt.")
    first_contact_unit = _unit()
    service_start_amount = _amount("Time to the start of service.")
    service_start_unit = _unit()
    escalation_multiplier = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="The second escalation (county supervisors, re-routing suggested) comes this many times the "
        "stage's target after the first.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        ordering = ["urgency", "category"]
        constraints = [models.UniqueConstraint(fields=["urgency", "category"], name="sla_policy_one_per_urgency_need")]

    def __str__(self) -> str:
        need = self.get_category_display() if self.category else "any need"
        return f"{self.get_urgency_display()} ({need})"

    def clean(self) -> None:
        if self.around_the_clock:
            errors = {
                f"{stage}_unit": "Around the clock there are no business days: use hours or calendar days."
                for stage in Stage.values
                if getattr(self, f"{stage}_unit") == Unit.BUSINESS_DAYS
            }
            if errors:
                raise ValidationError(errors)


class OpeningHours(models.Model):
    """One opening interval of an organization on one weekday, in the portal's time zone.

    An organization with no rows keeps the default hours (`settings.SLA_DEFAULT_BUSINESS_HOURS`). Several rows
    on one day make a split day (a lunch closure). A closing time of 00:00 means midnight at the end of the day.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name_plural = "opening hours"
        ordering = ["organization__name", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                name="sla_opening_hours_closes_after_opening", condition=Q(closes__gt=F("opens")) | Q(closes=MIDNIGHT)
            ),
            models.UniqueConstraint(fields=["organization", "weekday", "opens"], name="sla_opening_hours_unique"),
        ]

    def __str__(self) -> str:
        closes = "24:00" if self.closes == MIDNIGHT else f"{self.closes:%H:%M}"
        return f"{self.organization}: {self.get_weekday_display()} {self.opens:%H:%M}-{closes}"

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None and self.closes != MIDNIGHT and self.closes <= self.opens:
            raise ValidationError({"closes": "Closing must come after opening (00:00 means midnight)."})


class Holiday(models.Model):
    """A day business time does not count: for everyone (no organization) or one organization's closure."""

    date = models.DateField(db_index=True)
    name = models.CharField(max_length=100)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="holidays",
        help_text="Empty: every organization is closed that day.",
    )

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["date", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["date"], condition=Q(organization__isnull=True), name="sla_holiday_one_per_day"
            ),
            models.UniqueConstraint(
                fields=["date", "organization"],
                condition=Q(organization__isnull=False),
                name="sla_holiday_one_per_day_per_organization",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class SlaBreach(models.Model):
    """A stage missed its due time: recorded once per (referral, stage) by the sweep, whatever happens next.

    `escalation_level` is the highest rung reached (1 at the breach, 2 after the second interval);
    `next_escalation_at` is when the sweep looks again, null once nothing further can happen.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="sla_breaches")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    due_at = models.DateTimeField()
    breached_at = models.DateTimeField(help_text="When the sweep recorded the breach.")
    escalation_level = models.PositiveSmallIntegerField(default=1)
    next_escalation_at = models.DateTimeField(null=True, blank=True)

    objects = AccessManager()

    class Meta:
        verbose_name = "SLA breach"
        ordering = ["due_at", "stage"]
        constraints = [models.UniqueConstraint(fields=["referral", "stage"], name="sla_breach_once_per_stage")]
        indexes = [
            models.Index(
                fields=["next_escalation_at"], condition=Q(next_escalation_at__isnull=False), name="sla_breach_next_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.referral} missed {self.get_stage_display().lower()} (due {self.due_at:%Y-%m-%d %H:%M})"


class SlaEscalation(models.Model):
    """One rung of the ladder: who was told about a breach, when, and who acknowledged it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="sla_escalations")
    breach = models.ForeignKey(SlaBreach, on_delete=models.CASCADE, related_name="escalations")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    level = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    # [{"id", "name", "organization", "role"}]: who was told, as they were then.
    notified = models.JSONField(default=list, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = "SLA escalation"
        ordering = ["created_at", "level"]
        constraints = [models.UniqueConstraint(fields=["breach", "level"], name="sla_escalation_once_per_level")]
        indexes = [models.Index(fields=["referral", "level"], name="sla_escalation_referral_idx")]

    def __str__(self) -> str:
        return f"Level {self.level} escalation of {self.referral} ({self.get_stage_display().lower()})"

    @property
    def notified_user_ids(self) -> list[int]:
        return [int(person["id"]) for person in self.notified if str(person.get("id", "")).isdigit()]


class SweepHeartbeat(models.Model):
    """The last run of a periodic job, so /health/ and the supervisors' banner can tell a stopped scheduler."""

    name = models.CharField(max_length=60, unique=True)
    last_run_at = models.DateTimeField(help_text="Wall-clock time the run finished.")
    last_as_of = models.DateTimeField(help_text="The `now` the run judged due times against (differs on replays).")
    duration_ms = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    runs = models.PositiveBigIntegerField(default=0)

    objects = AccessManager()

    def __str__(self) -> str:
        return f"{self.name} at {self.last_run_at:%Y-%m-%d %H:%M:%S}"
