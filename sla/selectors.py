"""Reads of the SLA records, always through the referral's visibility."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from coordination.access import Action
from referrals.choices import TERMINAL_STATUSES

from .models import SlaBreach, SlaEscalation
from .stages import STAGE_LABELS, stage_owed

# Prefetch for referral lists that show the `sla` block (one query for the whole page).
REFERRAL_PREFETCH = ("sla_breaches",)


def escalation_level(referral, breaches: Iterable[SlaBreach] | None = None) -> int:
    """The rung the referral is on now: the highest level reached on a stage it still owes (0: none).

    A breach whose stage was done since stays in the record (`breaches`) but no longer counts here.
    """
    breaches = referral.sla_breaches.all() if breaches is None else breaches
    return max((b.escalation_level for b in breaches if stage_owed(referral, b.stage)), default=0)


def escalation_levels(referrals: Iterable) -> dict:
    """{referral id: current escalation level} for a page of referrals, in one query."""
    referrals = list(referrals)
    by_referral: dict = {}
    rows = SlaBreach.objects.filter(referral_id__in=[r.pk for r in referrals]).only(
        "referral_id", "stage", "escalation_level"
    )
    for breach in rows:
        by_referral.setdefault(breach.referral_id, []).append(breach)
    return {r.pk: escalation_level(r, by_referral.get(r.pk, ())) for r in referrals}


def referral_escalations(*, actor, referral) -> QuerySet[SlaEscalation]:
    return (
        SlaEscalation.objects.visible_to(actor, Action.VIEW)
        .filter(referral_id=referral.pk)
        .select_related("acknowledged_by")
        .order_by("created_at", "level")
    )


@dataclass(frozen=True)
class EscalationRow:
    escalation: SlaEscalation
    stage_label: str
    may_acknowledge: bool


def referral_sla_context(*, actor, referral) -> dict:
    """What the referral page shows about missed targets: the breaches, the ladder, the re-routing flag."""
    escalations = list(referral_escalations(actor=actor, referral=referral))
    breaches = list(SlaBreach.objects.visible_to(actor, Action.VIEW).filter(referral_id=referral.pk))
    rows = [
        EscalationRow(
            escalation=e,
            stage_label=STAGE_LABELS[e.stage],
            may_acknowledge=e.acknowledged_at is None and actor.pk in e.notified_user_ids,
        )
        for e in escalations
    ]
    return {
        "sla_breaches": [(STAGE_LABELS[b.stage], b, stage_owed(referral, b.stage)) for b in breaches],
        "sla_escalations": rows,
        "sla_level": escalation_level(referral, breaches),
        "sla_reroute_suggested": referral.reroute_suggested_at is not None and referral.status not in TERMINAL_STATUSES,
        "sla_now": timezone.now(),
    }
