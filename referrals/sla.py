"""Due times for the referral milestones, stored on the row so lists can sort and filter on them.

The rules live in the `sla` app: which policy applies and when the clocks start (`sla.policy`), how hours,
business days and calendar days are counted in the receiving organization's hours (`sla.calendar`), and when
a stage is owed and overdue (`sla.stages`). This module is what the referral code calls.
"""

from __future__ import annotations

from sla.policy import due_times
from sla.stages import STAGE_LABELS, STAGES, overdue_q, overdue_stages

from .models import Referral

__all__ = ["STAGES", "STAGE_LABELS", "overdue_q", "overdue_stages", "set_due_times"]


def set_due_times(referral: Referral) -> list[str]:
    """Fill the due times from `sent_at` (called once, when the referral is sent); returns the fields it set."""
    if referral.sent_at is None:
        return []
    due = due_times(
        urgency=referral.urgency,
        category=referral.category,
        organization_id=referral.receiving_organization_id,
        sent_at=referral.sent_at,
    )
    for stage, due_field, _ in STAGES:
        setattr(referral, due_field, due[stage])
    return [due_field for _, due_field, _ in STAGES]
