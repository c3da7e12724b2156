"""Exceptions owned by the county's data stewards and by the provider's supervisors."""

import pytest

from coordination.roles import Role
from exceptionqueue.services import exception_raise


@pytest.fixture
def raise_exception(county):
    """`raise_exception(kind=..., owner_organization=..., ...)` with county data stewards by default."""

    def make(**kwargs):
        kwargs.setdefault("kind", "validation-rejected")
        kwargs.setdefault("summary", "Referral template rejected: postal code outside the county")
        kwargs.setdefault("owner_organization", county)
        kwargs.setdefault("owner_role", Role.DATA_STEWARD)
        return exception_raise(**kwargs)

    return make


@pytest.fixture
def county_item(raise_exception):
    return raise_exception()


@pytest.fixture
def provider_item(raise_exception, provider):
    return raise_exception(
        kind="partner-downtime",
        summary="Harbor EHR webhook failing",
        owner_organization=provider,
        owner_role=Role.PROVIDER_SUPERVISOR,
        severity="high",
    )
