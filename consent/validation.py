"""Code-list checks shared by the consent model, its forms and its API serializers."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from providers.choices import PartnerCategory

from .choices import DataCategory, PurposeOfUse


def _validate_codes(value, choices, what: str, *, required: bool) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"Give {what} as a list of codes.")
    if required and not value:
        raise ValidationError(f"Name at least one of the {what}.", code="required")
    unknown = sorted(set(value) - set(choices.values))
    if unknown:
        raise ValidationError(
            f"Unknown {what}: {', '.join(unknown)}. Use: {', '.join(choices.values)}.", code="invalid_choice"
        )


def validate_partner_categories(value) -> None:
    _validate_codes(value, PartnerCategory, "partner categories", required=False)


def validate_purposes(value) -> None:
    _validate_codes(value, PurposeOfUse, "purposes of use", required=True)


def validate_data_categories(value) -> None:
    _validate_codes(value, DataCategory, "data categories", required=True)
