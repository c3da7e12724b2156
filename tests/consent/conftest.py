import pytest

from tests.factories import ClientFactory


@pytest.fixture
def person(county):
    """A county client with no consent on file (the shared `county_client` comes with a full consent)."""
    # In the area of the shared `service` (97401): sending checks that the service covers the client's postal code.
    return ClientFactory(organization=county, given_name="Rosa", family_name="Alvarez", postal_code="97401")
