"""Directory reads: search and ranking shared by the directory page and the API."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from coordination.access import Action

from .choices import CapacityStatus, ServiceAreaKind, ServiceStatus
from .models import PostalCode, Service, ServiceArea, ServiceLanguage

CAPACITY_RANK = {
    CapacityStatus.CAPACITY: 3,
    CapacityStatus.WAITLIST: 2,
    CapacityStatus.ADDITIONAL_ASSESSMENT_REQUIRED: 1,
    CapacityStatus.NO_CAPACITY: 0,
}
LISTED_STATUSES = (ServiceStatus.ACTIVE, ServiceStatus.TEMPORARILY_CLOSED)


def directory_services() -> QuerySet[Service]:
    """Listed services with what a directory entry shows; not yet scoped to a user."""
    return (
        Service.objects.filter(organization__active=True)
        .select_related("organization")
        .prefetch_related("language_entries", "areas", "locations")
    )


def service_list(*, actor) -> QuerySet[Service]:
    return directory_services().visible_to(actor, Action.VIEW)


def counties_of(postal_code: str) -> list[str]:
    """The counties a postal code lies in, from the reference table (none if it is unknown)."""
    return list(PostalCode.objects.filter(code=postal_code).values_list("county", flat=True))


def _serves_postal_code(postal_code: str) -> Exists:
    return Exists(
        ServiceArea.objects.filter(service=OuterRef("pk"), kind=ServiceAreaKind.POSTAL_CODE, value=postal_code)
    )


def _serves_county(counties: list[str]) -> Exists:
    return Exists(ServiceArea.objects.filter(service=OuterRef("pk"), kind=ServiceAreaKind.COUNTY, value__in=counties))


def _speaks(language: str) -> Exists:
    return Exists(ServiceLanguage.objects.filter(service=OuterRef("pk"), code=language))


def services_serving(
    services: QuerySet[Service], postal_code: str, counties: list[str] | None = None
) -> QuerySet[Service]:
    """Services whose area lists the postal code, or the county it lies in."""
    counties = counties_of(postal_code) if counties is None else counties
    return services.filter(Q(_serves_postal_code(postal_code)) | Q(_serves_county(counties)))


def services_in_language(services: QuerySet[Service], language: str) -> QuerySet[Service]:
    """Services that speak the language, or offer interpretation."""
    return services.filter(Q(_speaks(language)) | ~Q(interpretation_services=""))


def services_matching_text(services: QuerySet[Service], q: str) -> QuerySet[Service]:
    for term in q.split()[:8]:
        services = services.filter(
            Q(name__icontains=term)
            | Q(description__icontains=term)
            | Q(organization__name__icontains=term)
            | Q(eligibility_description__icontains=term)
        )
    return services


def services_ranked(
    services: QuerySet[Service],
    *,
    postal_code: str = "",
    counties: list[str] | None = None,
    language: str = "",
    today: datetime.date | None = None,
) -> QuerySet[Service]:
    """Best match first: serves the postal code, speaks the language, has capacity, recently verified."""
    today = today or timezone.localdate()
    if postal_code and counties is None:
        counties = counties_of(postal_code)
    area_match = (
        Case(
            When(_serves_postal_code(postal_code), then=Value(2)),
            When(_serves_county(counties), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        if postal_code
        else Value(0, output_field=IntegerField())
    )
    language_match = (
        Case(
            When(_speaks(language), then=Value(2)),
            When(~Q(interpretation_services=""), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        if language
        else Value(0, output_field=IntegerField())
    )
    capacity_rank = Case(
        When(accepting_referrals=False, then=Value(0)),
        *[When(capacity_status=status, then=Value(rank)) for status, rank in CAPACITY_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    verified = Case(
        When(assured_date__gte=today - settings.DIRECTORY_STALE_AFTER, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return services.annotate(
        area_match=area_match, language_match=language_match, capacity_rank=capacity_rank, verified_recently=verified
    ).order_by("-area_match", "-language_match", "-capacity_rank", "-verified_recently", "name", "id")
