"""The referral template's rule set: what a draft needs, and what sending needs.

One set, run by the referral services (`referral_create`, `referral_update_draft`, the `submit` transition), so
the pages, the API and every later channel get the same answer with the same message per field. The forms and
serializers only parse (types, known codes); they never decide what is missing or contradictory.

- A **draft** needs what routing and the lists need: the need (category), the urgency, the language (with an
  interpreter ticked, the language is what is missing) and the reason; an "other" eligibility basis needs its
  note. Anything else may be missing or contradictory until sending, so a case manager can save and come back.
- **Sending** needs everything below. Errors block; warnings (a crisis without a risk flag, a duplicate open
  referral) need an explicit confirmation.

Client facts (contact details, address, birth date) are checked as they will travel to the provider: the
client's record is read at sending, and its fields are named `client.<field>` in the answer.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from clients.models import Client, phone_validator
from coordination.access import Action
from providers.choices import ServiceAreaKind
from providers.models import PostalCode, Service, postal_code_validator

from ..choices import (
    CRISIS_RISK_FLAGS,
    DIRECT_CONTACT_METHODS,
    OPEN_STATUSES,
    EligibilityBasis,
    ReferralContactMethod,
    RiskFlag,
    Status,
    Urgency,
)
from ..models import Referral
from . import OTHER_NEEDS_NOTE, REASON_REQUIRED
from .codes import CheckResult, Mode, Problem, Rule

SERVICE_REQUIRED = "Choose a service before sending the referral."
# Where a direct contact method finds its detail on the client's record, and what that detail is called.
CONTACT_DETAIL = {
    ReferralContactMethod.PHONE: ("phone", "phone number"),
    ReferralContactMethod.TEXT: ("phone", "phone number"),
    ReferralContactMethod.EMAIL: ("email", "email address"),
}
# Sent and not finished: a second referral for the same need would reach a provider twice.
DUPLICATE_STATUSES = sorted(OPEN_STATUSES - {Status.DRAFT})
OLDEST_PLAUSIBLE_AGE = 130


def _problem(field: str, code: str, message: str, **extra) -> Problem:
    return Problem(field=field, code=str(code), message=message, **extra)


def default_contact_method(client: Client, risk_flags: Iterable[str]) -> str:
    """The method a new referral starts with: none direct when flagged so, else the client's preference."""
    if RiskFlag.DO_NOT_CONTACT_DIRECTLY in set(risk_flags or ()):
        return ReferralContactMethod.THROUGH_REFERRER
    preferred = client.preferred_contact_method
    if preferred in ReferralContactMethod.values:
        return preferred
    # The client asked not to be contacted ("none"): the case manager relays.
    return ReferralContactMethod.THROUGH_REFERRER


def check_referral(
    referral: Referral, *, mode: str = Mode.SUBMIT, actor=None, now: datetime.datetime | None = None
) -> CheckResult:
    """Every problem of the referral for `mode`; the client and service are read as they are now."""
    today = timezone.localdate(now or timezone.now())
    problems = list(_template_problems(referral, mode))
    if mode == Mode.SUBMIT:
        client = referral.client
        counties = _known_counties(client)
        problems += _client_problems(client, today, counties)
        problems += _contact_problems(referral, client)
        if referral.service_id is None:
            problems.append(_problem("service", Rule.REQUIRED, SERVICE_REQUIRED))
        else:
            problems += _service_problems(referral.service, client, today, counties)
        problems += _warnings(referral, actor)
    return CheckResult(mode=str(mode), problems=tuple(problems))


def _template_problems(referral: Referral, mode: str) -> Iterator[Problem]:
    if not referral.category:
        yield _problem("category", Rule.REQUIRED, "Choose the need.")
    if not referral.urgency:
        yield _problem("urgency", Rule.REQUIRED, "Choose the urgency: routine, urgent or crisis.")
    if not str(referral.reason or "").strip():
        yield _problem("reason", Rule.REQUIRED, REASON_REQUIRED)
    if not referral.language:
        if referral.interpreter_needed:
            yield _problem(
                "language", Rule.INTERPRETER_WITHOUT_LANGUAGE, "An interpreter is needed: say for which language."
            )
        else:
            yield _problem("language", Rule.REQUIRED, "Choose the language the provider should use.")
    basis = referral.eligibility_basis or []
    if EligibilityBasis.OTHER in basis and not str(referral.eligibility_note or "").strip():
        yield _problem("eligibility_note", Rule.REQUIRED, OTHER_NEEDS_NOTE)
    if mode != Mode.SUBMIT:
        return
    if not referral.contact_method:
        yield _problem("contact_method", Rule.REQUIRED, "Choose how the provider should reach the client.")
    if not basis:
        yield _problem("eligibility_basis", Rule.REQUIRED, "Name at least one eligibility basis.")


def _known_counties(client: Client) -> list[str]:
    """The counties of the client's postal code in the reference table (empty: unknown or malformed)."""
    code = (client.postal_code or "").strip()
    if not code or not _valid(postal_code_validator, code):
        return []
    return list(PostalCode.objects.filter(code=code[:5]).values_list("county", flat=True))


def _valid(validator, value) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


def _client_problems(client: Client, today: datetime.date, counties: list[str]) -> Iterator[Problem]:
    if not (client.address_line or "").strip():
        yield _problem(
            "client.address_line",
            Rule.REQUIRED,
            "The client's record has no address. Add one (a shelter or general delivery address will do).",
        )
    code = (client.postal_code or "").strip()
    if not code:
        yield _problem("client.postal_code", Rule.REQUIRED, "The client's record has no postal code. Add one.")
    elif not _valid(postal_code_validator, code):
        yield _problem(
            "client.postal_code",
            Rule.INVALID_POSTAL_CODE,
            "The postal code on the client's record is not a 5-digit postal code (or ZIP+4).",
        )
    elif not counties:
        yield _problem(
            "client.postal_code",
            Rule.UNKNOWN_POSTAL_CODE,
            f"Postal code {code[:10]} is not in the county's postal code table. Check the client's address.",
        )
    if client.phone and not _valid(phone_validator, client.phone):
        yield _problem(
            "client.phone",
            Rule.INVALID_PHONE,
            "The phone number on the client's record is not a valid phone number (7 to 20 digits).",
        )
    if client.email and not _valid(validate_email, client.email):
        yield _problem("client.email", Rule.INVALID_EMAIL, "The email address on the client's record is not valid.")
    if client.birth_date and client.birth_date > today:
        yield _problem(
            "client.birth_date", Rule.BIRTH_DATE_IN_FUTURE, "The client's birth date is in the future. Correct it."
        )
    elif client.birth_date and client.birth_date.year < today.year - OLDEST_PLAUSIBLE_AGE:
        yield _problem(
            "client.birth_date",
            Rule.IMPLAUSIBLE_BIRTH_DATE,
            f"The client's birth date is more than {OLDEST_PLAUSIBLE_AGE} years ago. Correct it.",
        )


def _contact_problems(referral: Referral, client: Client) -> Iterator[Problem]:
    method = referral.contact_method
    if not method:
        return
    if method in DIRECT_CONTACT_METHODS and RiskFlag.DO_NOT_CONTACT_DIRECTLY in (referral.risk_flags or []):
        yield _problem(
            "contact_method",
            Rule.DIRECT_CONTACT_NOT_ALLOWED,
            "The risk flags say the client must not be contacted directly: "
            f"choose “{ReferralContactMethod.THROUGH_REFERRER.label}”.",
        )
        return
    if method in CONTACT_DETAIL:
        field, detail = CONTACT_DETAIL[method]
        if not getattr(client, field):
            label = ReferralContactMethod(method).label.lower()
            yield _problem(
                "contact_method",
                Rule.CONTACT_WITHOUT_DETAIL,
                f"The client's record has no {detail}, so the provider cannot reach them by {label}. "
                "Add it to the client's record or choose another way to reach them.",
            )


def age_on(birth_date: datetime.date, today: datetime.date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _age_span(minimum: int | None, maximum: int | None) -> str:
    if maximum is None:
        return f"ages {minimum}+"
    return f"ages {minimum or 0} to {maximum}"


def _service_problems(service: Service, client: Client, today: datetime.date, counties: list[str]) -> Iterator[Problem]:
    minimum, maximum = service.minimum_age, service.maximum_age
    if client.birth_date and client.birth_date <= today and (minimum is not None or maximum is not None):
        age = age_on(client.birth_date, today)
        if (minimum is not None and age < minimum) or (maximum is not None and age > maximum):
            yield _problem(
                "service",
                Rule.AGE_OUTSIDE_SERVICE_RANGE,
                f"{service.name} serves {_age_span(minimum, maximum)}; the client is {age}. Choose another service.",
            )
    if not counties:
        return  # an unknown postal code is already an error; with no area to compare, nothing contradicts
    areas = [(area.kind, area.value) for area in service.areas.all()]
    if not areas:
        return  # a listing without a service area does not restrict it
    code = client.postal_code.strip()[:5]
    serves = any(
        (kind == ServiceAreaKind.POSTAL_CODE and value == code)
        or (kind == ServiceAreaKind.COUNTY and value in counties)
        for kind, value in areas
    )
    if not serves:
        yield _problem(
            "service",
            Rule.OUTSIDE_SERVICE_AREA,
            f"{service.name} does not serve postal code {code}. Choose a service that covers the client's area.",
        )


def _warnings(referral: Referral, actor) -> Iterator[Problem]:
    if referral.urgency == Urgency.CRISIS and not CRISIS_RISK_FLAGS & set(referral.risk_flags or ()):
        yield _problem(
            "risk_flags",
            Rule.CRISIS_WITHOUT_RISK_FLAG,
            "Crisis urgency without a risk flag: tick the risk that makes this a crisis, or confirm that it is one.",
        )
    others = Referral.objects.visible_to(actor, Action.VIEW) if actor is not None else Referral.objects.all()
    duplicate = (
        others.filter(client_id=referral.client_id, category=referral.category, status__in=DUPLICATE_STATUSES)
        .exclude(pk=referral.pk)
        .order_by("-sent_at")
        .only("id", "status")
        .first()
    )
    if duplicate is not None:
        yield _problem(
            "category",
            Rule.DUPLICATE_OPEN_REFERRAL,
            f"Referral {duplicate.reference} for the same client and need is still open "
            f"({duplicate.get_status_display().lower()}). Check it before sending another.",
            referral_id=duplicate.pk,
        )


def appointment_problem(value: datetime.datetime, *, now: datetime.datetime) -> Problem | None:
    """An appointment given to the `schedule` step must not be in the past (record a contact instead)."""
    if value < now:
        return _problem("appointment_at", Rule.APPOINTMENT_IN_PAST, "The appointment cannot be in the past.")
    return None
