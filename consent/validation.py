"""Code-list checks shared by the consent model, its forms and its API serializers."""

from __future__ import annotations

from coordination.validation import validate_code_list
from providers.choices import PartnerCategory

from .choices import DataCategory, PurposeOfUse


def validate_partner_categories(value) -> None:
    validate_code_list(value, PartnerCategory, "partner categories", required=False)


def validate_purposes(value) -> None:
    validate_code_list(value, PurposeOfUse, "purposes of use", required=True)


def validate_data_categories(value) -> None:
    validate_code_list(value, DataCategory, "data categories", required=True)
