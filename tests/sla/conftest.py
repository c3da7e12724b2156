"""Helpers for the SLA tests: local times in the portal's zone, and referrals sent at a chosen moment.

Sending happens under time-machine, so the services stamp `sent_at` (and compute the due times) at that moment;
the sweep is always given its `now` (time-machine does not move PostgreSQL's clock).
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import ClientFactory

ZONE = "America/Los_Angeles"
LA = ZoneInfo(ZONE)


def local(*args) -> datetime.datetime:
    """A wall-clock time in the portal's zone: local(2026, 5, 1, 17) is Friday May 1, 2026, 17:00."""
    return datetime.datetime(*args, tzinfo=LA)


def wall(instant: datetime.datetime) -> datetime.datetime:
    """An instant as the naive local wall-clock time people read (what the tests compare)."""
    return instant.astimezone(LA).replace(tzinfo=None)


@pytest.fixture(autouse=True)
def portal_zone(settings):
    settings.TIME_ZONE = ZONE


@pytest.fixture
def send_at(make_referral, county):
    """`send_at(local(...), "sent", urgency="routine")`: a referral brought to that status at that moment.

    Its client (with a consent dated 30 days before) is made at the same moment, so the consent checkpoint
    judges the consent as of the travelled date.
    """

    def send(when: datetime.datetime, status: str = "sent", **kwargs):
        with time_machine.travel(when, tick=False):
            kwargs.setdefault("client", ClientFactory(organization=county, postal_code="97401"))
            return make_referral(status, **kwargs)

    return send
