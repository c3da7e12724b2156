"""The people being coordinated."""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from coordination.access import AccessManager
from coordination.context import history_user
from providers.languages import LANGUAGE_CHOICES
from providers.models import Organization, postal_code_validator

from .choices import ContactMethod, IdentifierSystem

# 7 to 20 digits, however punctuated: the lookahead counts digits, not characters ("-------" is no number).
phone_validator = RegexValidator(
    r"^\+?(?=(?:[^0-9]*[0-9]){7,20}[^0-9]*$)[0-9 ().-]+$",
    "Enter a phone number of 7 to 20 digits (spaces, dashes, dots and brackets allowed).",
)


class Client(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="clients")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField(db_index=True)
    phone = models.CharField(max_length=30, blank=True, validators=[phone_validator])
    email = models.EmailField(blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=10, blank=True, validators=[postal_code_validator])
    county = models.CharField(max_length=100, blank=True)
    preferred_contact_method = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.PHONE
    )
    preferred_language = models.CharField(max_length=3, choices=LANGUAGE_CHOICES, default="en")
    interpreter_needed = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["family_name", "given_name", "birth_date"]
        indexes = [models.Index(fields=["organization", "family_name", "given_name"])]
        permissions = [("view_client_disclosures", "Read the disclosure report of the organization's clients")]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class ClientIdentifier(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="identifiers")
    system = models.CharField(max_length=40, choices=IdentifierSystem.choices)
    value = models.CharField(max_length=64)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["system", "value"]
        constraints = [models.UniqueConstraint(fields=["client", "system", "value"], name="client_identifier_unique")]
        indexes = [models.Index(fields=["system", "value"])]

    def __str__(self) -> str:
        return f"{self.system}: {self.value}"
