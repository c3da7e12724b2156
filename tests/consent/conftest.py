import pytest

from tests.factories import ClientFactory


@pytest.fixture
def person(county):
    """A county client with no consent on file (the shared `county_client` comes with a full consent)."""
    return ClientFactory(organization=county, given_name="Rosa", family_name="Alvarez", postal_code="97402")
