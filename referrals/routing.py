"""Suggest services for a referral, best first, and say why each one ranks where it does."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from providers.choices import CapacityStatus, ServiceStatus
from providers.languages import ISO_639_1
from providers.models import Service
from providers.selectors import counties_of, directory_services, services_ranked

from .models import Referral

ROUTING_LIMIT = 25


@dataclass(frozen=True)
class RoutingOption:
    service: Service
    reasons: list[str]
    rank: int


def _age_on(birth_date: datetime.date, today: datetime.date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def routable_services(*, actor) -> list:
    """Services a referral may be sent to: listed as active, accepting referrals, run by an active org."""
    return (
        directory_services()
        .visible_to(actor)
        .filter(status=ServiceStatus.ACTIVE, accepting_referrals=True, organization__kind="provider")
    )


def routing_options(
    *, actor, referral: Referral, include_full: bool = False, today: datetime.date | None = None
) -> list[RoutingOption]:
    """Services for the referral's need, ranked by area, language, capacity, age fit and freshness.

    Services with no capacity are left out unless `include_full`; a waitlist ranks below capacity.
    """
    today = today or timezone.localdate()
    client = referral.client
    postal_code = client.postal_code[:5]
    counties = counties_of(postal_code) if postal_code else []
    language = referral.language or client.preferred_language
    age = _age_on(client.birth_date, today)
    services = routable_services(actor=actor).filter(category=referral.category)
    if not include_full:
        services = services.exclude(capacity_status=CapacityStatus.NO_CAPACITY)
    age_fit = Case(
        When(Q(minimum_age__gt=age) | Q(maximum_age__lt=age), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    ranked = (
        services_ranked(services, postal_code=postal_code, counties=counties, language=language, today=today)
        .annotate(age_fit=age_fit)
        .order_by("-area_match", "-language_match", "-capacity_rank", "-age_fit", "-verified_recently", "name", "id")[
            :ROUTING_LIMIT
        ]
    )
    return [
        RoutingOption(
            service=s,
            reasons=_reasons(s, postal_code=postal_code, counties=counties, language=language, age=age, today=today),
            rank=position,
        )
        for position, s in enumerate(ranked, start=1)
    ]


def _reasons(service, *, postal_code, counties, language, age, today) -> list[str]:
    reasons = []
    if not postal_code:
        reasons.append("client has no postal code on file")
    elif service.area_match == 2:
        reasons.append(f"serves {postal_code}")
    elif service.area_match == 1:
        reasons.append(f"serves {' / '.join(counties)} county")
    else:
        reasons.append(f"does not list {postal_code} in its service area")
    language_name = ISO_639_1.get(language, language)
    if service.language_match == 2:
        reasons.append(f"speaks {language}")
    elif service.language_match == 1:
        reasons.append(f"offers interpretation for {language_name}")
    else:
        reasons.append(f"no {language_name} speakers listed")
    reasons.append(
        "not accepting referrals" if not service.accepting_referrals else service.get_capacity_status_display().lower()
    )
    if service.minimum_age is not None or service.maximum_age is not None:
        span = _age_span(service.minimum_age, service.maximum_age)
        reasons.append(f"{span} fits age {age}" if service.age_fit else f"{span}: client is {age}")
    if service.verified_recently:
        reasons.append(f"listing verified {service.assured_date:%Y-%m-%d}")
    else:
        reasons.append("listing not verified in the last year")
    return reasons


def _age_span(minimum: int | None, maximum: int | None) -> str:
    if maximum is None:
        return f"ages {minimum}+"
    return f"ages {minimum or 0}-{maximum}"
