"""Shared pieces for the API tests: the role cast by name, valid payloads, session sign-in."""

import pytest

# Every staff fixture in tests/conftest.py, with the organization fixture it belongs to.
STAFF_AT = {
    "case_manager": "county",
    "county_supervisor": "county",
    "data_steward": "county",
    "governance_lead": "county",
    "provider_intake": "provider",
    "provider_supervisor": "provider",
    "partner_system": "provider",
    "other_provider_intake": "other_provider",
}
EVERY_SIGNED_IN_USER = [*STAFF_AT, "no_role_user", "superuser"]


@pytest.fixture
def cast(request):
    """`cast("case_manager")` -> that fixture's user (None for "anonymous")."""

    def get(name: str):
        return None if name == "anonymous" else request.getfixturevalue(name)

    return get


@pytest.fixture
def signed_in(api):
    """An API client signed in through the session, the way a browser user reaches the API.

    `api.as_user` force-authenticates, which skips the authentication classes; audit rows then carry
    no actor. Tests that assert who an audit row names use this (or a real token) instead.
    """

    def sign_in(user):
        api.as_user(None)
        api.force_login(user)
        return api

    return sign_in


@pytest.fixture
def client_payload():
    def build(**overrides):
        payload = {
            "given_name": "Marisol",
            "family_name": "Quintero",
            "birth_date": "1984-03-17",
            "phone": "541-555-0142",
            "preferred_contact_method": "phone",
            "preferred_language": "es",
        }
        payload.update(overrides)
        return payload

    return build
