"""The cast: one user per role, at the county agency or at one of two providers.

`county` refers clients; `provider` is the receiving provider; `other_provider` has no business with
the county's clients. Every permission-matrix test picks from these names.
"""

import pytest
from django.db.backends.postgresql.operations import DatabaseOperations
from rest_framework.test import APIClient

from coordination.roles import Role
from providers.services import membership_grant
from tests.factories import PASSWORD, AgencyFactory, OrganizationFactory, UserFactory

EVIDENCE_TABLES = ("audit_auditevent", "audit_auditeventclient", "audit_auditanchor", "audit_disclosure")
_sql_flush = DatabaseOperations.sql_flush


def _sql_flush_past_evidence_triggers(self, style, tables, **kwargs):
    """Transactional tests empty every table between tests; the audit triggers rightly refuse TRUNCATE.

    The test database owner lifts them for the flush only (what an operator with DDL rights could do,
    and what the application, in production a non-owner role, cannot).
    """
    statements = _sql_flush(self, style, tables, **kwargs)
    evidence = [table for table in EVIDENCE_TABLES if table in tables]
    if not statements or not evidence:
        return statements
    return [
        *(f"ALTER TABLE {table} DISABLE TRIGGER USER;" for table in evidence),
        *statements,
        *(f"ALTER TABLE {table} ENABLE TRIGGER USER;" for table in evidence),
    ]


DatabaseOperations.sql_flush = _sql_flush_past_evidence_triggers


def _staff(username: str, organization, role: str, **extra):
    user = UserFactory(username=username, **extra)
    membership_grant(actor=None, user=user, organization=organization, role=role)
    return user


@pytest.fixture
def county(db):
    return AgencyFactory(slug="lakeside-county", name="Lakeside County Human Services")


@pytest.fixture
def provider(db):
    return OrganizationFactory(slug="harbor-health", name="Harbor Community Health", partner_category="healthcare")


@pytest.fixture
def other_provider(db):
    return OrganizationFactory(
        slug="northside-bh", name="Northside Behavioral Health", partner_category="behavioral-health"
    )


@pytest.fixture
def case_manager(county):
    return _staff("cm", county, Role.CASE_MANAGER)


@pytest.fixture
def county_supervisor(county):
    return _staff("sup", county, Role.COUNTY_SUPERVISOR)


@pytest.fixture
def data_steward(county):
    return _staff("steward", county, Role.DATA_STEWARD)


@pytest.fixture
def governance_lead(county):
    return _staff("gov", county, Role.GOVERNANCE_LEAD, is_staff=True)


@pytest.fixture
def provider_intake(provider):
    return _staff("intake", provider, Role.PROVIDER_INTAKE)


@pytest.fixture
def provider_supervisor(provider):
    return _staff("provsup", provider, Role.PROVIDER_SUPERVISOR)


@pytest.fixture
def other_provider_intake(other_provider):
    return _staff("otherintake", other_provider, Role.PROVIDER_INTAKE)


@pytest.fixture
def partner_system(provider):
    return _staff("harbor-ehr", provider, Role.PARTNER_SYSTEM)


@pytest.fixture
def no_role_user(db):
    return UserFactory(username="norole")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` authenticates it (None stays anonymous)."""

    class PortalAPIClient(APIClient):
        def as_user(self, user):
            if user is None:
                self.force_authenticate(None)
                self.logout()
            else:
                self.force_authenticate(user)
            return self

    return PortalAPIClient()


@pytest.fixture
def service(provider):
    """A food service at the receiving provider, serving 97401 in English and Spanish."""
    from tests.factories import ServiceFactory

    return ServiceFactory(
        organization=provider, name="Harbor Food Pantry", languages=["en", "es"], postal_codes=["97401"]
    )


@pytest.fixture
def county_client(county):
    """A county client who consented to coordination of care with every partner category (not Part 2)."""
    from tests.factories import ClientFactory, full_consent

    client = ClientFactory(organization=county, given_name="Maria", family_name="Lopez", postal_code="97401")
    full_consent(client)
    return client


@pytest.fixture
def make_referral(case_manager, provider_intake, county_client, service):
    """`make_referral("accepted", urgency="crisis")`: a county referral to `service` in that status."""
    from tests.factories import referral_in

    def make(status: str = "draft", **kwargs):
        kwargs.setdefault("client", county_client)
        kwargs.setdefault("service", service)
        kwargs.setdefault("created_by", case_manager)
        kwargs.setdefault("assigned_to", case_manager)
        return referral_in(status, referrer=case_manager, receiver=provider_intake, **kwargs)

    return make


@pytest.fixture(autouse=True)
def _celery_as_configured():
    """Each test starts with Celery as the test settings say (eager, a fresh producer pool).

    The outbox and webhook reliability tests point Celery at real and dead brokers and run workers; whatever
    they leave behind in the process-wide app must not reach the next test on the same xdist worker.
    """
    from coordination.celery import app as celery_app
    from tests.outbox_support import _reset_pools

    # Even eager tasks acquire a producer; a worker stopped by an earlier test may have closed the pool.
    celery_app.conf.task_always_eager = True
    _reset_pools()
    yield
