"""Checks for lists of codes (risk flags, purposes of use, data categories...) kept in JSON fields."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

# Codes of our own: a model or form field swaps a validator's message for its own when the code is one of
# its error codes ("invalid_choice", "required"), and would say "Value %(value)r is not a valid choice.".
UNKNOWN_CODE = "unknown_code"
NO_CODE = "no_code"
REPEATED_CODE = "repeated_code"


def validate_code_list(value, choices: type[models.TextChoices], what: str, *, required: bool = False) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"Give {what} as a list of codes.")
    if required and not value:
        raise ValidationError(f"Name at least one of the {what}.", code=NO_CODE)
    unknown = sorted(set(value) - set(choices.values))
    if unknown:
        raise ValidationError(
            f"Unknown {what}: {', '.join(unknown)}. Use: {', '.join(choices.values)}.", code=UNKNOWN_CODE
        )
    if len(set(value)) != len(value):
        raise ValidationError(f"Each of the {what} may appear once.", code=REPEATED_CODE)
