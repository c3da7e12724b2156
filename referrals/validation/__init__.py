"""Rules for the referral template, shared by the model, the page forms and the API serializers.

This module holds the single-field validators the model and the serializers attach to fields. The rule set
that decides whether a referral may be saved as a draft or sent (required values, formats, contradictions,
warnings) is `referrals.validation.rules`; it is run by the services only, so pages, the API and anything
else that writes referrals get the same answers (see `docs/architecture.md`, "Validation at the edge").
"""

from __future__ import annotations

from coordination.validation import validate_code_list

from ..choices import EligibilityBasis, RiskFlag, SensitiveCategory

REASON_REQUIRED = "Say why the client is being referred."
OTHER_NEEDS_NOTE = "Describe the eligibility basis when it is 'other'."


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
        errors["reason"] = [REASON_REQUIRED]
    basis = data.get("eligibility_basis") or []
    note = str(data.get("eligibility_note") or "").strip()
    if isinstance(basis, list) and EligibilityBasis.OTHER in basis and not note:
        errors["eligibility_note"] = [OTHER_NEEDS_NOTE]
    return errors
