"""Client data rules shared by the page form and the API serializer."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

# Which field a preferred contact method cannot do without.
CONTACT_NEEDS = {"phone": "phone", "text": "phone", "email": "email", "mail": "address_line"}
CONTACT_LABELS = {"phone": "phone call", "text": "text message", "email": "email", "mail": "mail"}


def validate_birth_date(value: datetime.date) -> datetime.date:
    today = timezone.localdate()
    if value > today:
        raise ValidationError("A birth date cannot be in the future.")
    if value.year < today.year - 130:
        raise ValidationError("A birth date more than 130 years ago is not plausible.")
    return value


def missing_contact_detail(method: str | None, values: dict) -> tuple[str, str] | None:
    """The (field, message) a preferred contact method lacks, if any."""
    needed = CONTACT_NEEDS.get(method or "")
    if needed and not values.get(needed):
        return needed, f"Required when the preferred contact method is {CONTACT_LABELS[method]}."
    return None
