"""`/api/v1/clients/`: who sees, creates and changes which client records, and what the audit trail says."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from clients.models import Client
from coordination.roles import Role
from providers.models import Membership
from providers.services import membership_grant, membership_revoke
from tests.api.conftest import EVERY_SIGNED_IN_USER, STAFF_AT
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/clients/"
MISSING_BODY = {"detail": "Not found."}


def detail_url(client_or_id) -> str:
    return f"/api/v1/clients/{getattr(client_or_id, 'pk', client_or_id)}/"


def ids(response) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


def audit_rows(action: str):
    return AuditEvent.objects.filter(action=action).order_by("sequence")


@pytest.fixture
def clients_by_org(county, provider, other_provider):
    """One client per organization, keyed by the organization fixture's name."""
    return {
        "county": ClientFactory(
            organization=county,
            given_name="Ana",
            family_name="Alvarez",
            birth_date=datetime.date(1980, 5, 1),
            identifiers=[("county-case-number", "CC-1001")],
        ),
        "provider": ClientFactory(
            organization=provider,
            given_name="Bo",
            family_name="Berg",
            birth_date=datetime.date(1975, 1, 2),
            identifiers=[("mrn", "MRN-2002")],
        ),
        "other_provider": ClientFactory(
            organization=other_provider,
            given_name="Cy",
            family_name="Castro",
            birth_date=datetime.date(1990, 9, 9),
            identifiers=[("hmis-id", "H-3003")],
        ),
    }


def visible_orgs(who: str) -> set[str]:
    """The organizations whose clients `who` may view (the roles in the cast all carry view_client)."""
    return {STAFF_AT[who]} if who in STAFF_AT else set()


# --- list: permission matrix --------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERY_SIGNED_IN_USER)
def test_client_list__shows_only_clients_of_the_callers_organization(api, cast, who, clients_by_org):
    expected = {str(clients_by_org[org].pk) for org in visible_orgs(who)}

    response = api.as_user(cast(who)).get(LIST_URL)

    assert response.status_code == 200
    assert ids(response) == expected
    assert response.json()["count"] == len(expected)


def test_client_list__anonymous_gets_401(api, clients_by_org):
    response = api.as_user(None).get(LIST_URL)

    assert response.status_code == 401
    assert "Alvarez" not in response.content.decode()
    assert not audit_rows("client.listed").exists()


def test_client_list__staff_of_two_organizations_see_both(api, county, provider, clients_by_org):
    user = UserFactory(username="two-hats")
    membership_grant(actor=None, user=user, organization=county, role=Role.CASE_MANAGER)
    membership_grant(actor=None, user=user, organization=provider, role=Role.PROVIDER_INTAKE)

    response = api.as_user(user).get(LIST_URL)

    assert ids(response) == {str(clients_by_org["county"].pk), str(clients_by_org["provider"].pk)}


def test_client_list__revoked_membership_sees_nothing(api, case_manager, clients_by_org):
    membership_revoke(actor=None, membership=Membership.objects.get(user=case_manager))

    response = api.as_user(case_manager).get(LIST_URL)
    detail = api.get(detail_url(clients_by_org["county"]))

    assert response.json()["count"] == 0
    assert detail.status_code == 404


def test_client_list__inactive_organization_grants_nothing(api, case_manager, county, clients_by_org):
    county.active = False
    county.save()

    response = api.as_user(case_manager).get(LIST_URL)

    assert response.json()["count"] == 0


# --- detail: permission matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("owner", ["county", "provider", "other_provider"])
@pytest.mark.parametrize("who", EVERY_SIGNED_IN_USER)
def test_client_detail__visible_only_to_the_owning_organization(api, cast, who, owner, clients_by_org):
    client = clients_by_org[owner]

    response = api.as_user(cast(who)).get(detail_url(client))

    if owner in visible_orgs(who):
        assert response.status_code == 200
        assert response.json()["id"] == str(client.pk)
        assert response.json()["family_name"] == client.family_name
    else:
        # Same answer as an id that does not exist: nothing leaks.
        assert response.status_code == 404
        assert response.json() == MISSING_BODY
        assert client.family_name not in response.content.decode()


def test_client_detail__other_provider_gets_the_same_404_as_a_missing_id(api, other_provider_intake, clients_by_org):
    api.as_user(other_provider_intake)

    hidden = api.get(detail_url(clients_by_org["county"]))
    missing = api.get(detail_url(uuid.uuid4()))

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == MISSING_BODY


def test_client_detail__anonymous_gets_401(api, clients_by_org):
    response = api.as_user(None).get(detail_url(clients_by_org["county"]))

    assert response.status_code == 401
    assert "Alvarez" not in response.content.decode()


def test_client_detail__non_uuid_id_gets_404(api, case_manager, clients_by_org):
    response = api.as_user(case_manager).get(detail_url("12345"))

    assert response.status_code == 404
    assert response.json() == MISSING_BODY


def test_client_detail__answers_the_documented_fields(api, case_manager, county, clients_by_org):
    client = clients_by_org["county"]

    body = api.as_user(case_manager).get(detail_url(client)).json()

    assert uuid.UUID(body["id"]) == client.pk
    assert body["given_name"] == "Ana"
    assert body["family_name"] == "Alvarez"
    assert body["birth_date"] == "1980-05-01"
    assert body["phone"] == client.phone
    assert body["postal_code"] == client.postal_code
    assert body["preferred_contact_method"] == "phone"
    assert body["preferred_language"] == "en"
    assert body["interpreter_needed"] is False
    assert body["identifiers"] == [{"system": "county-case-number", "value": "CC-1001"}]
    assert body["organization"] == {
        "id": str(county.pk),
        "slug": "lakeside-county",
        "name": "Lakeside County Human Services",
        "partner_category": "county-agency",
    }
    assert "allow_duplicate" not in body
    assert {"created_at", "updated_at", "email", "address_line", "city", "county"} <= set(body)


# --- list: filters ------------------------------------------------------------------------------------


@pytest.fixture
def county_clients(county):
    return {
        "ana": ClientFactory(
            organization=county,
            given_name="Ana",
            family_name="Alvarez",
            birth_date=datetime.date(1980, 5, 1),
            identifiers=[("county-case-number", "CC-1001")],
        ),
        "anabel": ClientFactory(
            organization=county, given_name="Anabel", family_name="Baker", birth_date=datetime.date(1980, 5, 1)
        ),
        "carl": ClientFactory(
            organization=county,
            given_name="Carl",
            family_name="Alvarez",
            birth_date=datetime.date(1966, 2, 2),
            identifiers=[("medicaid-id", "MX-55")],
        ),
    }


def _ids_of(clients, *keys) -> set[str]:
    return {str(clients[key].pk) for key in keys}


def test_client_list__q_matches_given_or_family_name(api, case_manager, county_clients):
    api.as_user(case_manager)

    assert ids(api.get(LIST_URL, {"q": "alvarez"})) == _ids_of(county_clients, "ana", "carl")
    assert ids(api.get(LIST_URL, {"q": "ana"})) == _ids_of(county_clients, "ana", "anabel")
    assert ids(api.get(LIST_URL, {"q": "ana alvarez"})) == _ids_of(county_clients, "ana")


def test_client_list__q_matches_a_whole_identifier_value(api, case_manager, county_clients):
    api.as_user(case_manager)

    assert ids(api.get(LIST_URL, {"q": "cc-1001"})) == _ids_of(county_clients, "ana")
    assert ids(api.get(LIST_URL, {"q": "CC-10"})) == set()


def test_client_list__birth_date_filter(api, case_manager, county_clients):
    response = api.as_user(case_manager).get(LIST_URL, {"birth_date": "1980-05-01"})

    assert ids(response) == _ids_of(county_clients, "ana", "anabel")


def test_client_list__identifier_filter_is_exact_and_case_insensitive(api, case_manager, county_clients):
    api.as_user(case_manager)

    assert ids(api.get(LIST_URL, {"identifier": "mx-55"})) == _ids_of(county_clients, "carl")
    assert ids(api.get(LIST_URL, {"identifier": "MX"})) == set()


def test_client_list__search_never_reaches_other_organizations(api, provider_intake, county_clients):
    api.as_user(provider_intake)

    assert api.get(LIST_URL, {"q": "alvarez"}).json()["count"] == 0
    assert api.get(LIST_URL, {"identifier": "CC-1001"}).json()["count"] == 0
    assert api.get(LIST_URL, {"birth_date": "1980-05-01"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("param", "value"), [("birth_date", "2020-13-45"), ("q", "x" * 5000), ("identifier", "i" * 5000)]
)
def test_client_list__invalid_filter_value_gets_400(api, case_manager, county_clients, param, value):
    response = api.as_user(case_manager).get(LIST_URL, {param: value})

    assert response.status_code == 400
    assert param in response.json()["errors"]


def test_client_list__is_paginated(api, case_manager, county_clients):
    first = api.as_user(case_manager).get(LIST_URL, {"page_size": 2}).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["next"] is not None
    assert api.get(LIST_URL, {"page": 9999}).status_code == 404


# --- create -------------------------------------------------------------------------------------------

CREATORS = ["case_manager", "county_supervisor", "provider_intake", "provider_supervisor", "partner_system"]


@pytest.mark.parametrize("who", CREATORS)
def test_client_create__roles_that_add_clients_create_at_their_organization(api, cast, who, client_payload, request):
    user = cast(who)
    organization = request.getfixturevalue(STAFF_AT[who])

    response = api.as_user(user).post(LIST_URL, client_payload(), format="json")

    assert response.status_code == 201
    client = Client.objects.get(pk=response.json()["id"])
    assert client.organization == organization
    assert client.created_by == user
    assert response.json()["organization"]["slug"] == organization.slug


@pytest.mark.parametrize("who", ["data_steward", "governance_lead", "no_role_user", "superuser"])
def test_client_create__roles_without_add_client_get_403(api, cast, who, client_payload):
    response = api.as_user(cast(who)).post(LIST_URL, client_payload(), format="json")

    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Client.objects.exists()


@pytest.mark.parametrize("who", ["data_steward", "governance_lead"])
def test_client_create__role_without_add_client_naming_its_own_organization_gets_403(
    api, cast, who, county, client_payload
):
    response = api.as_user(cast(who)).post(LIST_URL, client_payload(organization=county.slug), format="json")

    assert not Client.objects.exists()
    assert response.status_code == 403


def test_client_create__anonymous_gets_401(api, county, client_payload):
    response = api.as_user(None).post(LIST_URL, client_payload(organization=county.slug), format="json")

    assert response.status_code == 401
    assert not Client.objects.exists()


@pytest.mark.parametrize("reference", ["slug", "pk"])
def test_client_create__organization_accepts_slug_or_id(api, case_manager, county, client_payload, reference):
    value = str(getattr(county, reference))

    response = api.as_user(case_manager).post(LIST_URL, client_payload(organization=value), format="json")

    assert response.status_code == 201
    assert Client.objects.get().organization == county


@pytest.mark.parametrize("reference", ["slug", "pk"])
def test_client_create__another_organizations_slug_or_id_gets_400(
    api, case_manager, other_provider, client_payload, reference
):
    value = str(getattr(other_provider, reference))

    response = api.as_user(case_manager).post(LIST_URL, client_payload(organization=value), format="json")

    assert response.status_code == 400
    assert "organization" in response.json()["errors"]
    assert not Client.objects.exists()


def test_client_create__unknown_organization_gets_400(api, case_manager, client_payload):
    response = api.as_user(case_manager).post(LIST_URL, client_payload(organization="no-such-org"), format="json")

    assert response.status_code == 400
    assert "organization" in response.json()["errors"]


def test_client_create__staff_of_two_organizations_must_name_one(api, county, provider, client_payload):
    user = UserFactory(username="two-hats")
    membership_grant(actor=None, user=user, organization=county, role=Role.CASE_MANAGER)
    membership_grant(actor=None, user=user, organization=provider, role=Role.PROVIDER_INTAKE)
    api.as_user(user)

    unnamed = api.post(LIST_URL, client_payload(), format="json")
    named = api.post(LIST_URL, client_payload(organization="harbor-health"), format="json")

    assert unnamed.status_code in (400, 403)
    assert "organization" in str(unnamed.json()).lower()
    assert named.status_code == 201
    assert list(Client.objects.values_list("organization__slug", flat=True)) == ["harbor-health"]


def test_client_create__stores_fields_identifiers_and_answers_the_client(api, case_manager, county, client_payload):
    payload = client_payload(
        email="marisol@example.org",
        city="Lakeside",
        postal_code="97401",
        interpreter_needed=True,
        identifiers=[{"system": "medicaid-id", "value": " MX-9 "}, {"system": "mrn", "value": "R-1"}],
    )

    response = api.as_user(case_manager).post(LIST_URL, payload, format="json")

    assert response.status_code == 201
    body = response.json()
    client = Client.objects.get(pk=body["id"])
    assert (client.given_name, client.family_name, client.birth_date) == (
        "Marisol",
        "Quintero",
        datetime.date(1984, 3, 17),
    )
    assert (client.email, client.preferred_language, client.interpreter_needed) == ("marisol@example.org", "es", True)
    assert sorted(client.identifiers.values_list("system", "value")) == [("medicaid-id", "MX-9"), ("mrn", "R-1")]
    assert body["identifiers"] == [{"system": "medicaid-id", "value": "MX-9"}, {"system": "mrn", "value": "R-1"}]
    assert body["organization"]["slug"] == "lakeside-county"
    assert uuid.UUID(body["id"])
    assert "allow_duplicate" not in body
    assert client.history.count() == 1


def test_client_create__repeated_identifier_is_stored_once(api, case_manager, client_payload):
    identifiers = [{"system": "mrn", "value": "R-1"}, {"system": "mrn", "value": " R-1 "}]

    response = api.as_user(case_manager).post(LIST_URL, client_payload(identifiers=identifiers), format="json")

    assert response.status_code == 201
    assert response.json()["identifiers"] == [{"system": "mrn", "value": "R-1"}]
    assert Client.objects.get().identifiers.count() == 1


def test_client_update__identifiers_cannot_be_changed_here(api, case_manager, clients_by_org):
    client = clients_by_org["county"]

    response = api.as_user(case_manager).patch(
        detail_url(client), {"identifiers": [{"system": "mrn", "value": "NEW-1"}]}, format="json"
    )

    assert response.status_code in (400, 403)
    assert list(client.identifiers.values_list("value", flat=True)) == ["CC-1001"]


def test_client_create__writes_client_created_audit_row(signed_in, case_manager, county, client_payload):
    response = signed_in(case_manager).post(LIST_URL, client_payload(), format="json")

    row = audit_rows("client.created").get()
    assert str(row.client_id) == response.json()["id"]
    assert row.actor == case_manager
    assert row.actor_organization_id == county.pk
    assert row.target_type == "clients.Client"
    assert row.source == "api"


# --- create: likely duplicates ------------------------------------------------------------------------


@pytest.fixture
def marisol(county):
    return ClientFactory(
        organization=county,
        given_name="Marisol",
        family_name="Quintero",
        birth_date=datetime.date(1984, 3, 17),
        identifiers=[("medicaid-id", "MX-9")],
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"given_name": "MARISOL", "family_name": "Quintéro"},
        {"given_name": "Quintero", "family_name": "Marisol"},
        {"given_name": "Mari"},
        {
            "given_name": "Someone",
            "family_name": "Else",
            "birth_date": "1999-01-01",
            "identifiers": [{"system": "medicaid-id", "value": "mx-9"}],
        },
    ],
    ids=["same", "case-and-accents", "swapped", "short-given-name", "same-identifier"],
)
def test_client_create__likely_duplicate_gets_409_with_candidates(
    api, case_manager, marisol, client_payload, overrides
):
    response = api.as_user(case_manager).post(LIST_URL, client_payload(**overrides), format="json")

    assert response.status_code == 409
    assert response.json()["detail"]
    assert response.json()["candidates"] == [str(marisol.pk)]
    assert list(Client.objects.all()) == [marisol]
    assert not audit_rows("client.created").exists()


def test_client_create__allow_duplicate_creates_and_records_the_override(api, case_manager, marisol, client_payload):
    response = api.as_user(case_manager).post(LIST_URL, client_payload(allow_duplicate=True), format="json")

    assert response.status_code == 201
    assert Client.objects.count() == 2
    assert audit_rows("client.created").get().detail == {"duplicate_override_of": [str(marisol.pk)]}


def test_client_create__different_birth_date_is_not_a_duplicate(api, case_manager, marisol, client_payload):
    response = api.as_user(case_manager).post(LIST_URL, client_payload(birth_date="1984-03-18"), format="json")

    assert response.status_code == 201
    assert Client.objects.count() == 2


def test_client_create__another_organizations_client_is_never_offered_as_a_duplicate(
    api, provider_intake, marisol, client_payload
):
    """The duplicate check only compares what the caller may see: no 409 that would reveal the county's client."""
    payload = client_payload(identifiers=[{"system": "medicaid-id", "value": "MX-9"}])

    response = api.as_user(provider_intake).post(LIST_URL, payload, format="json")

    assert response.status_code == 201
    assert str(marisol.pk) not in response.content.decode()
    assert Client.objects.filter(organization__slug="harbor-health").count() == 1


# --- update -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "owner"),
    [
        ("case_manager", "county"),
        ("county_supervisor", "county"),
        ("data_steward", "county"),
        ("provider_intake", "provider"),
        ("provider_supervisor", "provider"),
        ("partner_system", "provider"),
    ],
)
def test_client_update__roles_that_change_clients_update_their_organizations_client(
    api, cast, who, owner, clients_by_org
):
    client = clients_by_org[owner]

    response = api.as_user(cast(who)).patch(detail_url(client), {"city": "Riverton"}, format="json")

    assert response.status_code == 200
    assert response.json()["city"] == "Riverton"
    client.refresh_from_db()
    assert client.city == "Riverton"


def test_client_update__governance_lead_sees_but_gets_403(api, governance_lead, clients_by_org):
    client = clients_by_org["county"]

    response = api.as_user(governance_lead).patch(detail_url(client), {"city": "Riverton"}, format="json")

    assert response.status_code == 403
    client.refresh_from_db()
    assert client.city != "Riverton"
    assert not audit_rows("client.updated").exists()


@pytest.mark.parametrize("who", ["provider_intake", "other_provider_intake", "no_role_user", "superuser"])
def test_client_update__other_organization_or_no_role_gets_404(api, cast, who, clients_by_org):
    client = clients_by_org["county"]

    response = api.as_user(cast(who)).patch(detail_url(client), {"city": "Riverton"}, format="json")

    assert response.status_code == 404
    assert response.json() == MISSING_BODY
    client.refresh_from_db()
    assert client.city != "Riverton"


def test_client_update__anonymous_gets_401(api, clients_by_org):
    client = clients_by_org["county"]

    response = api.as_user(None).patch(detail_url(client), {"city": "Riverton"}, format="json")

    assert response.status_code == 401
    client.refresh_from_db()
    assert client.city != "Riverton"


def test_client_update__writes_client_updated_audit_row_with_the_changed_fields(
    signed_in, case_manager, clients_by_org
):
    client = clients_by_org["county"]

    signed_in(case_manager).patch(detail_url(client), {"city": "Riverton", "given_name": "Ana"}, format="json")

    row = audit_rows("client.updated").get()
    assert row.client_id == client.pk
    assert row.actor == case_manager
    assert row.detail == {"fields": ["city"]}


def test_client_update__without_changes_writes_no_audit_row(api, case_manager, clients_by_org):
    client = clients_by_org["county"]

    response = api.as_user(case_manager).patch(detail_url(client), {"given_name": "Ana"}, format="json")

    assert response.status_code == 200
    assert not audit_rows("client.updated").exists()


def test_client_update__invalid_value_gets_400_and_changes_nothing(api, case_manager, clients_by_org):
    client = clients_by_org["county"]
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)

    response = api.as_user(case_manager).patch(
        detail_url(client), {"city": "Riverton", "birth_date": tomorrow.isoformat()}, format="json"
    )

    assert response.status_code == 400
    assert "birth_date" in response.json()["errors"]
    client.refresh_from_db()
    assert client.city != "Riverton"


def test_client_update__cannot_move_a_client_to_another_organization(api, case_manager, other_provider, clients_by_org):
    client = clients_by_org["county"]

    response = api.as_user(case_manager).patch(detail_url(client), {"organization": "northside-bh"}, format="json")

    assert response.status_code in (400, 403)
    client.refresh_from_db()
    assert client.organization.slug == "lakeside-county"


def test_client_update__put_replaces_the_editable_fields(api, case_manager, clients_by_org, client_payload):
    client = clients_by_org["county"]

    response = api.as_user(case_manager).put(detail_url(client), client_payload(), format="json")

    assert response.status_code == 200
    client.refresh_from_db()
    assert (client.given_name, client.family_name, client.preferred_language) == ("Marisol", "Quintero", "es")
    assert client.organization.slug == "lakeside-county"


@pytest.mark.parametrize("who", ["case_manager", "governance_lead", "other_provider_intake"])
def test_client_delete__is_not_allowed(api, cast, who, clients_by_org):
    client = clients_by_org["county"]

    response = api.as_user(cast(who)).delete(detail_url(client))

    assert response.status_code == 405
    assert Client.objects.filter(pk=client.pk).exists()


# --- audit of reads -----------------------------------------------------------------------------------


def test_client_list__writes_one_client_listed_row_with_the_page_ids(signed_in, case_manager, county_clients):
    api = signed_in(case_manager)

    first = api.get(LIST_URL, {"page_size": 2})
    second = api.get(LIST_URL, {"page_size": 2, "page": 2})

    rows = list(audit_rows("client.listed"))
    assert len(rows) == 2
    assert rows[0].detail["client_ids"] == [r["id"] for r in first.json()["results"]]
    assert rows[1].detail["client_ids"] == [r["id"] for r in second.json()["results"]]
    assert len(rows[0].detail["client_ids"]) == 2
    assert rows[0].detail["query"] == {"page_size": "2"}
    assert rows[0].actor == case_manager
    assert rows[0].outcome == "success"
    assert rows[0].request_id == first["X-Request-ID"]


def test_client_list__empty_answer_is_still_audited(signed_in, other_provider_intake, county_clients):
    signed_in(other_provider_intake).get(LIST_URL, {"q": "alvarez"})

    row = audit_rows("client.listed").get()
    assert row.detail["client_ids"] == []
    assert row.actor == other_provider_intake


def test_client_detail__writes_client_viewed_row(signed_in, case_manager, clients_by_org):
    client = clients_by_org["county"]

    response = signed_in(case_manager).get(detail_url(client))

    row = audit_rows("client.viewed").get()
    assert row.client_id == client.pk
    assert row.target_id == str(client.pk)
    assert row.actor == case_manager
    assert row.request_id == response["X-Request-ID"]
    assert not audit_rows("object.access_denied").exists()


def test_client_detail__invisible_client_writes_access_denied_row(signed_in, other_provider_intake, clients_by_org):
    client = clients_by_org["county"]

    signed_in(other_provider_intake).get(detail_url(client))

    row = audit_rows("object.access_denied").get()
    assert row.outcome == "denied"
    assert row.client_id == client.pk
    assert row.actor == other_provider_intake
    assert row.detail["model"] == "clients.Client"
    assert not audit_rows("client.viewed").exists()


def test_client_detail__missing_id_writes_no_access_denied_row(api, other_provider_intake, clients_by_org):
    response = api.as_user(other_provider_intake).get(detail_url(uuid.uuid4()))

    assert response.status_code == 404
    assert not audit_rows("object.access_denied").exists()
    assert not audit_rows("client.viewed").exists()


def test_client_update__invisible_client_writes_access_denied_row(api, provider_intake, clients_by_org):
    client = clients_by_org["county"]

    api.as_user(provider_intake).patch(detail_url(client), {"city": "Riverton"}, format="json")

    row = audit_rows("object.access_denied").get()
    assert (row.outcome, row.client_id) == ("denied", client.pk)


# --- query budget -------------------------------------------------------------------------------------


def _populate(count: int, organization) -> None:
    for index in range(count):
        ClientFactory(
            organization=organization,
            family_name=f"Example{index:02d}",
            identifiers=[("mrn", f"M-{index}"), ("hmis-id", f"H-{index}")],
        )


@pytest.mark.parametrize("params", [{}, {"q": "example"}], ids=["plain", "search"])
def test_client_list__query_count_does_not_grow_with_rows(api, case_manager, county, params):
    _populate(3, county)
    api.as_user(case_manager)
    with CaptureQueriesContext(connection) as few:
        assert api.get(LIST_URL, {**params, "page_size": 100}).json()["count"] == 3
    _populate(27, county)

    with CaptureQueriesContext(connection) as many:
        response = api.get(LIST_URL, {**params, "page_size": 100})

    assert response.json()["count"] == 30
    assert len(response.json()["results"]) == 30
    assert len(many) == len(few)


def test_client_list__query_budget(api, case_manager, county, django_assert_max_num_queries):
    _populate(30, county)
    api.as_user(case_manager)

    # count + page + identifiers + the actor's memberships (for the audit row) + the audit row's chain link,
    # its insert and the one bulk insert indexing the listed clients.
    with django_assert_max_num_queries(7):
        response = api.get(LIST_URL, {"page_size": 100})

    assert response.json()["count"] == 30
    assert len(audit_rows("client.listed").get().detail["client_ids"]) == 30
