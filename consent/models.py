"""Consent records modelled on FHIR R4 Consent: who may see which of a client's data, for what, until when."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from simple_history.models import HistoricalRecords

from clients.models import Client
from coordination.access import AccessManager
from coordination.context import history_user
from providers.models import Organization

from .choices import ConsentMethod, ConsentStatus, ProvisionType, RevocationMethod
from .validation import validate_data_categories, validate_partner_categories, validate_purposes


class Consent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="consents")
    # The custodian: the organization that recorded the consent and answers for it.
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="consents_held")
    status = models.CharField(max_length=20, choices=ConsentStatus.choices, default=ConsentStatus.ACTIVE)
    method = models.CharField(max_length=20, choices=ConsentMethod.choices)
    date = models.DateField(help_text="When the client gave (or refused) consent.")
    signed_form = models.FileField(
        upload_to="consent-forms/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["pdf", "png", "jpg", "jpeg"])],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revocation_method = models.CharField(max_length=20, choices=RevocationMethod.choices, blank=True)
    revocation_reason = models.TextField(blank=True)
    # A record that should never have existed (wrong client, typed twice): kept, but it permits nothing.
    error_marked_at = models.DateTimeField(null=True, blank=True)
    error_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error_reason = models.TextField(blank=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-date", "-created_at"]
        indexes = [models.Index(fields=["client", "status"])]
        constraints = [
            models.CheckConstraint(
                name="consent_revocation_complete",
                condition=models.Q(revoked_at__isnull=True) | ~models.Q(revocation_method=""),
            )
        ]

    def __str__(self) -> str:
        return f"Consent {str(self.pk)[:8]} ({self.get_status_display()}) for {self.client}"


class ConsentProvision(models.Model):
    """One permit or deny rule: to whom (partner categories and/or named organizations), why, what, when."""

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="provisions")
    type = models.CharField(max_length=10, choices=ProvisionType.choices, default=ProvisionType.PERMIT)
    partner_categories = models.JSONField(default=list, blank=True, validators=[validate_partner_categories])
    organizations = models.ManyToManyField(Organization, blank=True, related_name="+")
    purposes = models.JSONField(default=list, validators=[validate_purposes])
    data_categories = models.JSONField(default=list, validators=[validate_data_categories])
    start = models.DateField()
    end = models.DateField(null=True, blank=True, help_text="Last day the provision applies; empty: no end.")

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user, m2m_fields=[organizations])

    class Meta:
        ordering = ["consent", "id"]
        constraints = [
            models.CheckConstraint(
                name="provision_period_ordered",
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {', '.join(self.data_categories)} for {', '.join(self.purposes)}"


class BreakGlassAccess(models.Model):
    """A time-boxed emergency override (purpose BTG) for one client, with the reason typed by the user.

    It opens the client's data that consent withholds on referrals the user can already see; it never
    widens which referrals they see. Starting one alerts the custodian's governance leads.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="break_glass")
    reason = models.TextField()
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "client", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                name="break_glass_expires_after_start", condition=models.Q(expires_at__gt=models.F("started_at"))
            )
        ]

    def __str__(self) -> str:
        return f"Break-glass by {self.user} for {self.client} until {self.expires_at:%Y-%m-%d %H:%M}"


class ExchangeUseCase(models.Model):
    """The exchange catalog: for one use case, which data elements each receiving role gets, and why.

    Governance keeps it in the admin. A provider's view of a referral shows only the elements its use case
    lists for the viewer's role (minimum necessary), further narrowed by the client's consent.
    """

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    referral_categories = models.JSONField(
        default=list, blank=True, help_text="SDOH needs this use case covers (empty: any need)."
    )
    receiving_role = models.CharField(max_length=30, help_text="The role of the receiving staff member.")
    data_elements = models.JSONField(default=list, help_text="Client and referral fields that role receives.")
    purpose = models.CharField(max_length=10, default="COC")
    sending_party = models.CharField(max_length=200, blank=True)
    receiving_party = models.CharField(max_length=200, blank=True)
    consent_rule = models.TextField(blank=True)
    testing_notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
