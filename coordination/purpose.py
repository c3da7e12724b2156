"""Purpose of use: why a request reads client data (HL7 v3 ActReason), checked against the caller's roles.

Browser sessions and API calls carry one. The default is the role's usual purpose (COC for care
coordination, HOPERAT for governance and data stewards); API clients may send `X-Purpose-Of-Use`, and
a purpose the caller's roles may not use is refused (and audited). Break-the-glass (BTG) also needs a
live emergency access, started with a typed reason.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.utils import timezone

from .context import set_request_purpose
from .memberships import active_memberships
from .roles import Role

HEADER = "X-Purpose-Of-Use"
SESSION_KEY = "purpose_of_use"


class PurposeOfUse(models.TextChoices):
    TREAT = "TREAT", "Treatment"
    COC = "COC", "Coordination of care"
    ETREAT = "ETREAT", "Emergency treatment"
    BTG = "BTG", "Break the glass"
    HPAYMT = "HPAYMT", "Payment"
    ELIGDTRM = "ELIGDTRM", "Eligibility determination"
    ENROLLM = "ENROLLM", "Enrollment"
    HOPERAT = "HOPERAT", "Healthcare operations"
    CAREMGT = "CAREMGT", "Care management"
    HQUALIMP = "HQUALIMP", "Quality improvement"
    PERFMSR = "PERFMSR", "Performance measurement"
    HRESCH = "HRESCH", "Research"
    PUBHLTH = "PUBHLTH", "Public health"
    PATRQT = "PATRQT", "Patient requested"
    HMARKT = "HMARKT", "Marketing"


_CARE = frozenset({PurposeOfUse.COC, PurposeOfUse.TREAT, PurposeOfUse.ETREAT, PurposeOfUse.CAREMGT, PurposeOfUse.BTG})
_OPERATIONS = frozenset({PurposeOfUse.HOPERAT, PurposeOfUse.CAREMGT, PurposeOfUse.HQUALIMP, PurposeOfUse.PERFMSR})
ROLE_PURPOSES: dict[str, frozenset[str]] = {
    Role.CASE_MANAGER: _CARE,
    Role.COUNTY_SUPERVISOR: _CARE,
    Role.PROVIDER_INTAKE: _CARE,
    Role.PROVIDER_SUPERVISOR: _CARE,
    Role.PARTNER_SYSTEM: _CARE - {PurposeOfUse.BTG},
    Role.GOVERNANCE_LEAD: _OPERATIONS,
    Role.DATA_STEWARD: _OPERATIONS,
}
_OPERATIONS_ROLES = {Role.GOVERNANCE_LEAD, Role.DATA_STEWARD}


class PurposeRefused(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def default_purpose(roles) -> str:
    roles = set(roles)
    if roles and roles <= _OPERATIONS_ROLES:
        return PurposeOfUse.HOPERAT
    return PurposeOfUse.COC if roles else ""


def purposes_for(roles) -> frozenset[str]:
    allowed: set[str] = set()
    for role in roles:
        allowed |= ROLE_PURPOSES.get(role, frozenset())
    return frozenset(allowed)


def has_live_break_glass(user, client_id=None) -> bool:
    # Looked up by name: the emergency-access records belong to the consent app, above this framework.
    model = apps.get_model("consent", "BreakGlassAccess")
    live = model.objects.filter(user_id=user.pk, expires_at__gt=timezone.now(), ended_at__isnull=True)
    if client_id is not None:
        live = live.filter(client_id=client_id)
    return live.exists()


def resolve_purpose(user, roles, requested: str | None) -> str:
    """The purpose this request acts under; `PurposeRefused` says why a requested one is not allowed."""
    requested = (requested or "").strip().upper()
    if not requested:
        return default_purpose(roles)
    if requested not in PurposeOfUse.values:
        raise PurposeRefused(f"Unknown purpose of use '{requested[:20]}'.")
    if requested == PurposeOfUse.HMARKT:
        raise PurposeRefused("Marketing (HMARKT) is never a permitted purpose.")
    if requested not in purposes_for(roles):
        raise PurposeRefused(f"Your role may not act for purpose {requested}.")
    if requested == PurposeOfUse.BTG and not has_live_break_glass(user):
        raise PurposeRefused("Break-the-glass (BTG) needs a live emergency access: start one with a reason first.")
    return requested


def active_roles(user) -> list[str]:
    return sorted({m.role for m in active_memberships(user)})


def refuse_purpose(requested: str, refused: PurposeRefused) -> None:
    """Write the refusal to the audit trail (the caller then answers 403)."""
    from audit.choices import AuditAction, Outcome
    from audit.services import audit_record

    audit_record(
        action=AuditAction.PURPOSE_REFUSED,
        outcome=Outcome.DENIED,
        outcome_reason=refused.message,
        purpose_of_use=requested.strip().upper()[:10],
    )


class PurposeMiddleware:
    """Browser requests act under the session's purpose (normally the role default)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            requested = request.session.get(SESSION_KEY, "")
            roles = active_roles(user)
            try:
                purpose = resolve_purpose(user, roles, requested)
            except PurposeRefused:
                # e.g. the emergency access ran out: back to the everyday purpose, quietly.
                request.session.pop(SESSION_KEY, None)
                purpose = default_purpose(roles)
            set_request_purpose(purpose)
        return self.get_response(request)
