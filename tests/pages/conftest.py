"""Helpers for the page tests: audit rows by action, and a user with roles at two organizations."""

import pytest

from audit.models import AuditEvent
from coordination.roles import Role
from providers.services import membership_grant
from tests.factories import UserFactory


@pytest.fixture
def audit_rows():
    def rows(action, **filters):
        return list(AuditEvent.objects.filter(action=action, **filters).order_by("sequence"))

    return rows


@pytest.fixture
def two_org_worker(county, provider):
    user = UserFactory(username="twohats")
    membership_grant(actor=None, user=user, organization=county, role=Role.CASE_MANAGER)
    membership_grant(actor=None, user=user, organization=provider, role=Role.PROVIDER_INTAKE)
    return user
