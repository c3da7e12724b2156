"""The provider directory, HSDS 3.0 shaped, plus staff memberships with roles."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from coordination.access import AccessManager
from coordination.context import history_user
from coordination.roles import Role

from .choices import (
    CapacityStatus,
    LocationType,
    OrganizationKind,
    PartnerCategory,
    SdohCategory,
    ServiceAreaKind,
    ServiceStatus,
)
from .languages import LANGUAGE_CHOICES

postal_code_validator = RegexValidator(r"^\d{5}(-\d{4})?$", "Enter a 5-digit postal code (or ZIP+4).")


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=OrganizationKind.choices)
    partner_category = models.CharField(max_length=40, choices=PartnerCategory.choices)
    description = models.TextField()
    alternate_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PostalCode(models.Model):
    """Reference table: which county a postal code lies in (for county-wide service areas)."""

    code = models.CharField(max_length=10, primary_key=True, validators=[postal_code_validator])
    county = models.CharField(max_length=100, db_index=True)
    state = models.CharField(max_length=2)
    city = models.CharField(max_length=100, blank=True)

    objects = AccessManager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.county})"


class Location(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200)
    location_type = models.CharField(max_length=20, choices=LocationType.choices, default=LocationType.PHYSICAL)
    address_1 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state_province = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True, validators=[postal_code_validator])
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=40, choices=SdohCategory.choices, db_index=True)
    status = models.CharField(max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE)
    url = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    eligibility_description = models.TextField(blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(130)])
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(130)])
    interpretation_services = models.CharField(
        max_length=300, blank=True, help_text="HSDS: how interpretation is offered, if at all."
    )
    application_process = models.TextField(blank=True)
    locations = models.ManyToManyField(Location, blank=True, related_name="services")
    capacity_status = models.CharField(
        max_length=40, choices=CapacityStatus.choices, default=CapacityStatus.CAPACITY, db_index=True
    )
    capacity_note = models.CharField(max_length=500, blank=True)
    capacity_as_of = models.DateTimeField(default=timezone.now)
    accepting_referrals = models.BooleanField(default=True)
    assured_date = models.DateField(null=True, blank=True, help_text="When this listing was last verified.")
    assurer_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user, m2m_fields=[locations])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minimum_age__isnull=True)
                | models.Q(maximum_age__isnull=True)
                | models.Q(minimum_age__lte=models.F("maximum_age")),
                name="service_age_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"

    def is_stale(self, today=None) -> bool:
        if self.assured_date is None:
            return True
        today = today or timezone.localdate()
        return today - self.assured_date > settings.DIRECTORY_STALE_AFTER


class ServiceLanguage(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="language_entries")
    code = models.CharField(max_length=3, choices=LANGUAGE_CHOICES)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="service_language_unique")]
        indexes = [models.Index(fields=["code", "service"])]

    def __str__(self) -> str:
        return self.code


class ServiceArea(models.Model):
    """HSDS service_area as a list: each row is one postal code or one county the service covers."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="areas")
    kind = models.CharField(max_length=20, choices=ServiceAreaKind.choices)
    value = models.CharField(max_length=100)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["service", "kind", "value"], name="service_area_unique")]
        indexes = [models.Index(fields=["kind", "value", "service"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


class Membership(models.Model):
    """A user's role at an organization. Written only through providers.services."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessManager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["organization__name", "role"]
        constraints = [models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique_role")]
        indexes = [models.Index(fields=["user", "active", "role", "organization"])]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} at {self.organization}"
