"""What the referral pages share: role gates, the one audited read of a referral, rows for the lists."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from audit.services import audit_hidden_object
from coordination.access import Action
from sla.selectors import escalation_levels

from ..access import ReferralActor
from ..choices import TERMINAL_STATUSES, EligibilityBasis, RiskFlag, SensitiveCategory
from ..disclosure import DisclosureCache, ReferralDisclosure, audit_disclosure, audit_listing, referral_disclosure
from ..errors import ReferralNotFound
from ..models import Referral
from ..selectors import ReferralRoles, referral_get, referral_roles
from ..sla import STAGE_LABELS, overdue_stages
from ..workflow import TRANSITIONS

PAGE_SIZE = 25
QUICK_ACTIONS = ("acknowledge", "accept")


def roles(request: HttpRequest) -> ReferralRoles:
    return referral_roles(actor=request.user)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def load_referral(request: HttpRequest, pk, action: Action = Action.VIEW) -> Referral:
    """The referral if the user may see it; otherwise the same 404 as a missing one, with the denial audited."""
    try:
        return referral_get(actor=request.user, referral_id=pk, action=action)
    except ReferralNotFound:
        audit_hidden_object(Referral, pk=pk)
        raise Http404("No such referral.") from None


def audit_viewed(
    referral: Referral, disclosure: ReferralDisclosure | None = None, subtype: str = "", extra: dict | None = None
) -> None:
    audit_disclosure(referral, disclosure, subtype=subtype, extra=extra)


def audit_listed(rows, *, subtype: str, query: dict) -> None:
    """One row per list page, naming every client (and referral) on it and what consent withheld."""
    audit_listing([(row.referral, row.disclosure) for row in rows], subtype=subtype, query=query)


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@dataclass
class Row:
    """A referral as a list shows it: the client only as disclosed to this viewer, its overdue stages."""

    referral: Referral
    disclosure: ReferralDisclosure
    overdue: list[str]
    waiting_since: datetime.datetime
    quick_actions: list = field(default_factory=list)
    # The SLA escalation the referral is on (0: none), shown as a badge.
    escalation_level: int = 0

    @property
    def client(self) -> dict:
        return self.disclosure.client

    @property
    def client_name(self) -> str:
        name = f"{self.client.get('given_name', '')} {self.client.get('family_name', '')}".strip()
        return name or "Name withheld (no consent)"


def build_rows(user, referrals, *, quick: bool = False) -> list[Row]:
    """Rows for one page of referrals with a fixed number of queries (memberships and grants load once)."""
    referrals = list(referrals)
    actor = ReferralActor(user).load_grants(referrals)
    cache = DisclosureCache(referrals)
    levels = escalation_levels(referrals)
    now = timezone.now()
    rows = []
    for referral in referrals:
        sides = actor.sides(referral)
        actions = []
        if quick:
            actions = [TRANSITIONS[name] for name in QUICK_ACTIONS if actor.may(referral, TRANSITIONS[name])]
        rows.append(
            Row(
                referral=referral,
                disclosure=referral_disclosure(referral, sides, actor.organization_ids, cache),
                overdue=[STAGE_LABELS[s] for s in overdue_stages(referral, now)],
                waiting_since=referral.sent_at or referral.created_at,
                quick_actions=actions,
                escalation_level=levels.get(referral.pk, 0),
            )
        )
    return rows


def resume_url_name(referral: Referral) -> str:
    """Where a draft continues: choose a service first, then review."""
    return "referrals:draft_review" if referral.service_id else "referrals:draft_service"


MILESTONE_LABELS = (
    ("Sent", "sent_at", None),
    ("Acknowledged", "acknowledged_at", "acknowledge_due_at"),
    ("Accepted or declined", "responded_at", None),
    ("First contact", "first_contact_at", "first_contact_due_at"),
    ("Service started", "service_started_at", "service_start_due_at"),
    ("Closed", "closed_at", None),
)


def template_context(referral: Referral) -> dict:
    """Labels for the referral template's coded lists and its milestones (done, or when due)."""
    open_ = referral.status not in TERMINAL_STATUSES
    return {
        "risk_flag_labels": [_label(RiskFlag, code) for code in referral.risk_flags],
        "eligibility_labels": [_label(EligibilityBasis, code) for code in referral.eligibility_basis],
        "sensitive_labels": [_label(SensitiveCategory, code) for code in referral.sensitive_categories],
        "milestones": [
            (label, getattr(referral, done), getattr(referral, due) if due and open_ else None)
            for label, done, due in MILESTONE_LABELS
        ],
        "is_terminal": not open_,
    }


def _label(choices, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code
