"""The quality settings, with their defaults (coordination/settings/base.py documents them)."""

from __future__ import annotations

from django.conf import settings


def rejection_rate_threshold() -> float:
    """A sender above this share of refused sends (in a week) has a problem..."""
    return float(getattr(settings, "QUALITY_REJECTION_RATE_THRESHOLD", 0.2))


def min_weekly_submissions() -> int:
    """...if they tried at least this many sends that week (a rate over 2 attempts says little)."""
    return int(getattr(settings, "QUALITY_MIN_WEEKLY_SUBMISSIONS", 10))


def repeated_rejections() -> int:
    """This many refused sends of one referral (or one create-and-send per client and user in 24 hours)
    open a `validation-rejected` exception so a data steward helps."""
    return int(getattr(settings, "QUALITY_REPEATED_REJECTIONS", 3))


def default_weeks() -> int:
    """The quality page shows this many weeks (this one included) unless asked otherwise."""
    return int(getattr(settings, "QUALITY_DEFAULT_WEEKS", 8))
