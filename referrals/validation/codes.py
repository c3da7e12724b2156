"""The vocabulary of the referral rule set: rule codes, what kind of problem each is, and a check's result.

Codes are stable: API answers and the data quality counts (the `quality` app) use them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import models


class Mode(models.TextChoices):
    DRAFT = "draft", "Saving a draft"
    SUBMIT = "submit", "Sending"


class Severity(models.TextChoices):
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"


class Kind(models.TextChoices):
    MISSING = "missing", "Missing"
    INVALID = "invalid", "Invalid format"
    CONTRADICTORY = "contradictory", "Contradictory"


class Rule(models.TextChoices):
    """Rule codes: stable, in API answers and in the quality counts (never renamed, only added)."""

    REQUIRED = "required", "Required value missing"
    CONTACT_WITHOUT_DETAIL = "contact-method-without-detail", "Contact method without the matching detail"
    DIRECT_CONTACT_NOT_ALLOWED = "direct-contact-not-allowed", "Direct contact although flagged not to"
    INTERPRETER_WITHOUT_LANGUAGE = "interpreter-without-language", "Interpreter needed but no language"
    INVALID_PHONE = "invalid-phone", "Phone number not valid"
    INVALID_EMAIL = "invalid-email", "Email address not valid"
    INVALID_POSTAL_CODE = "invalid-postal-code", "Postal code not valid"
    UNKNOWN_POSTAL_CODE = "unknown-postal-code", "Postal code not in the county table"
    BIRTH_DATE_IN_FUTURE = "birth-date-in-future", "Birth date in the future"
    IMPLAUSIBLE_BIRTH_DATE = "implausible-birth-date", "Birth date not plausible"
    APPOINTMENT_IN_PAST = "appointment-in-past", "Appointment in the past"
    AGE_OUTSIDE_SERVICE_RANGE = "age-outside-service-range", "Client's age outside the service's range"
    OUTSIDE_SERVICE_AREA = "outside-service-area", "Postal code outside the service's area"
    CRISIS_WITHOUT_RISK_FLAG = "crisis-without-risk-flag", "Crisis urgency without a risk flag"
    DUPLICATE_OPEN_REFERRAL = "duplicate-open-referral", "Duplicate open referral"


SPECS: dict[str, tuple[str, str]] = {
    Rule.REQUIRED: (Kind.MISSING, Severity.ERROR),
    Rule.CONTACT_WITHOUT_DETAIL: (Kind.CONTRADICTORY, Severity.ERROR),
    Rule.DIRECT_CONTACT_NOT_ALLOWED: (Kind.CONTRADICTORY, Severity.ERROR),
    Rule.INTERPRETER_WITHOUT_LANGUAGE: (Kind.CONTRADICTORY, Severity.ERROR),
    Rule.INVALID_PHONE: (Kind.INVALID, Severity.ERROR),
    Rule.INVALID_EMAIL: (Kind.INVALID, Severity.ERROR),
    Rule.INVALID_POSTAL_CODE: (Kind.INVALID, Severity.ERROR),
    Rule.UNKNOWN_POSTAL_CODE: (Kind.INVALID, Severity.ERROR),
    Rule.BIRTH_DATE_IN_FUTURE: (Kind.INVALID, Severity.ERROR),
    Rule.IMPLAUSIBLE_BIRTH_DATE: (Kind.INVALID, Severity.ERROR),
    Rule.APPOINTMENT_IN_PAST: (Kind.INVALID, Severity.ERROR),
    Rule.AGE_OUTSIDE_SERVICE_RANGE: (Kind.CONTRADICTORY, Severity.ERROR),
    Rule.OUTSIDE_SERVICE_AREA: (Kind.CONTRADICTORY, Severity.ERROR),
    Rule.CRISIS_WITHOUT_RISK_FLAG: (Kind.CONTRADICTORY, Severity.WARNING),
    Rule.DUPLICATE_OPEN_REFERRAL: (Kind.CONTRADICTORY, Severity.WARNING),
}

# What each field is called on the pages (the API uses the keys).
FIELD_LABELS = {
    "category": "Need",
    "urgency": "Urgency",
    "reason": "Reason for referral",
    "risk_flags": "Risk flags",
    "contact_method": "How the provider contacts the client",
    "eligibility_basis": "Eligibility basis",
    "eligibility_note": "Eligibility note",
    "language": "Language",
    "service": "Service",
    "client.address_line": "Client's address",
    "client.postal_code": "Client's postal code",
    "client.phone": "Client's phone",
    "client.email": "Client's email",
    "client.birth_date": "Client's birth date",
    "appointment_at": "Appointment",
}


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: str
    # The other referral a duplicate warning is about.
    referral_id: uuid.UUID | None = None

    @property
    def kind(self) -> str:
        return SPECS[self.code][0]

    @property
    def severity(self) -> str:
        return SPECS[self.code][1]

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.field, self.field.replace("_", " ").capitalize())

    @property
    def fix_step(self) -> str:
        """Where a person fixes it: the client's record, the service step or the details step."""
        if self.field.startswith("client."):
            return "client"
        return "service" if self.field == "service" else "details"


@dataclass(frozen=True)
class CheckResult:
    mode: str
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.WARNING]

    def blocks(self, *, confirm_warnings: bool) -> bool:
        return bool(self.errors) or (bool(self.warnings) and not confirm_warnings)

    def message_dict(self) -> dict[str, list[str]]:
        """Errors per field (the shape of Django's and DRF's validation errors)."""
        messages: dict[str, list[str]] = {}
        for problem in self.errors:
            messages.setdefault(problem.field, []).append(problem.message)
        return messages

    def code_dict(self) -> dict[str, list[str]]:
        codes: dict[str, list[str]] = {}
        for problem in self.errors:
            codes.setdefault(problem.field, []).append(problem.code)
        return codes
