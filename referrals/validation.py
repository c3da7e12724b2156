"""Rules for the referral template, shared by the model, the page forms and the API serializers."""

from __future__ import annotations

from coordination.validation import validate_code_list

from .choices import EligibilityBasis, RiskFlag, SensitiveCategory


def validate_risk_flags(value) -> None:
    validate_code_list(value, RiskFlag, "risk flags")


def validate_sensitive_categories(value) -> None:
    validate_code_list(value, SensitiveCategory, "sensitive data categories")


def validate_eligibility_basis(value) -> None:
    validate_code_list(value, EligibilityBasis, "eligibility bases")


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
