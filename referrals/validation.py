"""Rules for the referral template, shared by the model, the page forms and the API serializers."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .choices import EligibilityBasis, RiskFlag


def _validate_codes(value, choices, what: str) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"Give {what} as a list of codes.")
    unknown = sorted(set(value) - set(choices.values))
    if unknown:
        raise ValidationError(
            f"Unknown {what}: {', '.join(unknown)}. Use: {', '.join(choices.values)}.", code="invalid_choice"
        )
    if len(set(value)) != len(value):
        raise ValidationError(f"Each of the {what} may appear once.", code="duplicate")


def validate_risk_flags(value) -> None:
    _validate_codes(value, RiskFlag, "risk flags")


def validate_eligibility_basis(value) -> None:
    _validate_codes(value, EligibilityBasis, "eligibility bases")


def template_errors(data: dict) -> dict[str, list[str]]:
    """Cross-field rules of the template (single fields are checked by their own validators)."""
    errors: dict[str, list[str]] = {}
    if not str(data.get("reason") or "").strip():
        errors["reason"] = ["Say why the client is being referred."]
    basis = data.get("eligibility_basis") or []
    note = str(data.get("eligibility_note") or "").strip()
    if isinstance(basis, list) and EligibilityBasis.OTHER in basis and not note:
        errors["eligibility_note"] = ["Describe the eligibility basis when it is 'other'."]
    return errors
