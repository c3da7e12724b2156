"""Sends and refusals placed at chosen times, for counting; a second agency with its own data steward."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from coordination.roles import Role
from providers.services import membership_grant
from quality.models import RejectionProblem, ValidationRejection
from referrals.models import ReferralEvent
from tests.factories import AgencyFactory, ClientFactory, ReferralFactory, UserFactory


def local(year, month, day, hour=12, minute=0) -> datetime.datetime:
    """A wall-clock time in the portal's time zone."""
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


@pytest.fixture
def other_agency(db):
    return AgencyFactory(slug="ridge-county", name="Ridge County Social Services")


@pytest.fixture
def other_steward(other_agency):
    user = UserFactory(username="ridgesteward")
    membership_grant(actor=None, user=user, organization=other_agency, role=Role.DATA_STEWARD)
    return user


@pytest.fixture
def case_manager2(county):
    user = UserFactory(username="cm2", first_name="David", last_name="Chen")
    membership_grant(actor=None, user=user, organization=county, role=Role.CASE_MANAGER)
    return user


@pytest.fixture
def record():
    """`record.sends(org, user, when, n)` and `record.refusals(org, user, when, n, problems)`: rows as the
    referral services leave them (a `submit` timeline entry; a counted rejection with its errors)."""
    referrals = {}

    class Recorder:
        @staticmethod
        def _referral(organization):
            if organization.pk not in referrals:
                client = ClientFactory(organization=organization)
                referrals[organization.pk] = ReferralFactory(client=client, referring_organization=organization)
            return referrals[organization.pk]

        def sends(self, organization, user, when, n=1):
            referral = self._referral(organization)
            for _ in range(n):
                ReferralEvent.objects.create(
                    referral=referral,
                    name="submit",
                    from_status="draft",
                    to_status="sent",
                    side="referrer",
                    actor=user,
                    organization=organization,
                    occurred_at=when,
                )

        def refusals(self, organization, user, when, n=1, problems=(("eligibility_basis", "required", "missing"),)):
            referral = self._referral(organization)
            for _ in range(n):
                rejection = ValidationRejection.objects.create(
                    occurred_at=when,
                    organization=organization,
                    user=user,
                    channel="page",
                    referral=referral,
                    client_id=referral.client_id,
                    codes=list(dict.fromkeys(code for _, code, _ in problems)),
                )
                RejectionProblem.objects.bulk_create(
                    RejectionProblem(rejection=rejection, field=f, code=c, kind=k) for f, c, k in problems
                )

    return Recorder()
