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
