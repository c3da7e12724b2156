"""The only writes of access reviews and sample audits: keyword-only, atomic, audited in the same transaction.

Refusals (not a reviewer, campaign closed, undecided items, revoked already) change nothing and are written to
the audit trail themselves, outside the rolled-back transaction, like refused referral transitions.
"""

from .campaigns import campaign_open
from .decisions import campaign_cancel, campaign_complete, item_decide
from .reminders import REMIND_EVERY, REMINDER_EVENT, campaigns_remind_overdue
from .samples import SAMPLE_MAX_SIZE, sample_draw, sample_item_review

__all__ = [
    "REMINDER_EVENT",
    "REMIND_EVERY",
    "SAMPLE_MAX_SIZE",
    "campaign_cancel",
    "campaign_complete",
    "campaign_open",
    "campaigns_remind_overdue",
    "item_decide",
    "sample_draw",
    "sample_item_review",
]
