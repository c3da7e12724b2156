"""Access reviews: a second governance lead to review, and a campaign over the county opened by `governance_lead`."""

import datetime

import pytest
from django.utils import timezone

from coordination.roles import Role
from governance.services import campaign_open
from providers.services import membership_grant
from tests.factories import UserFactory


@pytest.fixture
def reviewer(county):
    """A governance lead who reviews (the one who opens the campaign is `governance_lead`)."""
    user = UserFactory(username="reviewer", email="reviewer@example.org", is_staff=True)
    membership_grant(actor=None, user=user, organization=county, role=Role.GOVERNANCE_LEAD)
    return user


@pytest.fixture
def bystander_lead(county):
    """A governance lead who is neither a reviewer nor the opener of the campaigns."""
    user = UserFactory(username="bystander", email="bystander@example.org")
    membership_grant(actor=None, user=user, organization=county, role=Role.GOVERNANCE_LEAD)
    return user


@pytest.fixture
def period():
    today = timezone.localdate()
    return today - datetime.timedelta(days=30), today


@pytest.fixture
def open_campaign(governance_lead, reviewer, county, period):
    def open_(organizations=None, reviewers=None, due_in=datetime.timedelta(days=7), name="Q3 review"):
        return campaign_open(
            actor=governance_lead,
            name=name,
            organizations=organizations or [county],
            reviewers=reviewers or [reviewer],
            period_start=period[0],
            period_end=period[1],
            due_at=timezone.now() + due_in,
        )

    return open_
