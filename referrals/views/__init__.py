"""Referral pages: dashboard, inbox, team view, the new-referral steps and the referral detail with its actions."""

from .create import draft_details, draft_review, draft_service, new
from .detail import assign_worker, detail, reroute, share, transition
from .lists import dashboard, inbox, team

__all__ = [
    "assign_worker",
    "dashboard",
    "detail",
    "draft_details",
    "draft_review",
    "draft_service",
    "inbox",
    "new",
    "reroute",
    "share",
    "team",
    "transition",
]
