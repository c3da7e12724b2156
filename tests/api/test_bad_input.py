"""Whatever a client sends, the answer is a JSON 4xx with a message, never a 500."""

import datetime
import json

import pytest
from django.db import connection

from audit.models import AuditEvent
from clients.models import Client
from tests.factories import ClientFactory, ServiceFactory

pytestmark = pytest.mark.django_db

CLIENTS_URL = "/api/v1/clients/"
ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def cm(api, case_manager):
    return api.as_user(case_manager)


@pytest.fixture
def county_client(county):
    return ClientFactory(organization=county, given_name="Ana", family_name="Alvarez")


def assert_validation_error(response, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert field in body["errors"]
    messages = body["errors"][field]
    assert messages
    assert all(isinstance(m, (str, dict)) for m in (messages if isinstance(messages, list) else [messages]))


# --- malformed bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", CLIENTS_URL), ("patch", "client"), ("post", "/api/v1/auth/token/")],
    ids=["client-create", "client-update", "token"],
)
def test_malformed_json__gets_400_with_detail(api, case_manager, county_client, method, url):
    url = f"{CLIENTS_URL}{county_client.pk}/" if url == "client" else url

    response = getattr(api.as_user(case_manager), method)(url, '{"given_name": "Ana",', content_type="application/json")

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert Client.objects.count() == 1


@pytest.mark.parametrize("body", ["[]", '"a string"', "42", "null"])
def test_client_create__json_that_is_not_an_object_gets_400(cm, body):
    response = cm.post(CLIENTS_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Client.objects.exists()


def test_client_create__form_encoded_body_gets_415(cm, client_payload):
    response = cm.post(CLIENTS_URL, client_payload())

    assert response.status_code == 415
    assert not Client.objects.exists()


# --- validation errors: shape and fields ---------------------------------------------------------------


def test_client_create__missing_required_fields_are_listed(cm):
    response = cm.post(CLIENTS_URL, {}, format="json")

    assert_validation_error(response, "given_name")
    assert {"given_name", "family_name", "birth_date"} <= set(response.json()["errors"])
    assert response.json()["errors"]["given_name"] == ["This field is required."]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("given_name", "x" * 5000),
        ("given_name", "   "),
        ("given_name", None),
        ("family_name", "y" * 5000),
        ("address_line", "z" * 5000),
        ("birth_date", "2020-13-45"),
        ("birth_date", 19840317),
        ("birth_date", "1850-01-01"),
        ("phone", "call me"),
        ("postal_code", "abc"),
        ("email", "not-an-email"),
        ("preferred_language", "xx"),
        ("preferred_contact_method", "pigeon"),
        ("interpreter_needed", "maybe"),
        ("identifiers", "MX-9"),
        ("identifiers", [{"system": "ssn", "value": "123"}]),
        ("identifiers", [{"system": "mrn", "value": "v" * 5000}]),
        ("identifiers", [{"system": "mrn", "value": "   "}]),
        ("organization", "o" * 5000),
        ("organization", ["lakeside-county"]),
    ],
)
def test_client_create__invalid_field_gets_400_naming_it(cm, client_payload, field, value):
    response = cm.post(CLIENTS_URL, client_payload(**{field: value}), format="json")

    assert_validation_error(response, field)
    assert not Client.objects.exists()


def test_client_create__future_birth_date_gets_400(cm, client_payload):
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)

    response = cm.post(CLIENTS_URL, client_payload(birth_date=tomorrow.isoformat()), format="json")

    assert_validation_error(response, "birth_date")
    assert "future" in response.json()["errors"]["birth_date"][0]


@pytest.mark.parametrize(("method", "field"), [("email", "email"), ("mail", "address_line"), ("text", "phone")])
def test_client_create__contact_method_needs_its_contact_detail(cm, client_payload, method, field):
    payload = client_payload(preferred_contact_method=method, **{field: ""})

    response = cm.post(CLIENTS_URL, payload, format="json")

    assert_validation_error(response, field)


# --- NUL and other characters a database may refuse ---------------------------------------------------


@pytest.mark.parametrize("field", ["given_name", "family_name", "city", "county", "email", "address_line"])
def test_client_create__nul_character_gets_400(cm, client_payload, field):
    response = cm.post(CLIENTS_URL, client_payload(**{field: "Ana\x00Maria"}), format="json")

    assert_validation_error(response, field)
    assert not Client.objects.exists()


def test_client_create__nul_in_identifier_gets_400(cm, client_payload):
    payload = client_payload(identifiers=[{"system": "mrn", "value": "R-\x001"}])

    response = cm.post(CLIENTS_URL, payload, format="json")

    assert_validation_error(response, "identifiers")


def test_client_create__nul_in_organization_gets_400(cm, client_payload):
    response = cm.post(CLIENTS_URL, client_payload(organization="lakeside-county\x00"), format="json")

    assert_validation_error(response, "organization")
    assert not Client.objects.exists()


def test_client_create__lone_surrogate_gets_400(cm, client_payload):
    body = json.dumps(client_payload(given_name="Ana\ud800"))

    response = cm.post(CLIENTS_URL, body, content_type="application/json")

    assert_validation_error(response, "given_name")


def test_client_update__nul_character_gets_400(cm, county_client):
    response = cm.patch(f"{CLIENTS_URL}{county_client.pk}/", {"family_name": "Al\x00varez"}, format="json")

    assert_validation_error(response, "family_name")
    county_client.refresh_from_db()
    assert county_client.family_name == "Alvarez"


@pytest.mark.parametrize(
    ("url", "param"),
    [
        (CLIENTS_URL, "q"),
        (CLIENTS_URL, "identifier"),
        (CLIENTS_URL, "birth_date"),
        ("/api/v1/services/", "q"),
        ("/api/v1/services/", "organization"),
        ("/api/v1/services/", "postal_code"),
        ("/api/v1/organizations/", "q"),
    ],
)
def test_filter__nul_character_gets_400(cm, county_client, url, param):
    response = cm.get(url, {param: "ab\x00c"})

    assert_validation_error(response, param)


@pytest.mark.parametrize("param", ["utm_source", "page_size"])
def test_client_list__nul_in_an_unfiltered_parameter_is_not_a_500(cm, county_client, param):
    response = cm.get(CLIENTS_URL, {param: "x\x00y"})

    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["count"] == 1
        assert AuditEvent.objects.filter(action="client.listed").count() == 1


def test_token_obtain__nul_in_username_gets_400(api):
    response = api.post("/api/v1/auth/token/", {"username": "cm\x00", "password": "x"}, format="json")

    assert_validation_error(response, "username")


@pytest.mark.parametrize("field", ["username", "password"])
def test_token_obtain__oversized_credentials_get_400(api, field):
    payload = {"username": "cm", "password": "correct-horse-battery-9", field: "u" * 5000}

    response = api.post("/api/v1/auth/token/", payload, format="json")

    assert_validation_error(response, field)


# --- filters ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "param", "value"),
    [
        ("/api/v1/services/", "capacity_status", "bogus"),
        ("/api/v1/services/", "language", "xx"),
        ("/api/v1/services/", "postal_code", "abc"),
        ("/api/v1/services/", "q", "q" * 5000),
        (CLIENTS_URL, "birth_date", "2020-13-45"),
        (CLIENTS_URL, "q", "q" * 5000),
    ],
)
def test_filter__invalid_value_gets_400_naming_the_parameter(cm, county_client, url, param, value):
    ServiceFactory()

    response = cm.get(url, {param: value})

    assert_validation_error(response, param)


def test_client_list__rejected_filter_writes_no_listed_audit_row(cm, county_client):
    cm.get(CLIENTS_URL, {"birth_date": "2020-13-45"})

    assert not AuditEvent.objects.filter(action="client.listed").exists()


# --- pagination and ids -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [CLIENTS_URL, "/api/v1/services/", "/api/v1/organizations/"])
@pytest.mark.parametrize("page", ["9999", "0", "-1", "abc", "1e9"])
def test_list__page_out_of_range_or_not_a_number_gets_404(cm, county_client, url, page):
    ServiceFactory()

    response = cm.get(url, {"page": page})

    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize("page_size", ["100000", "-5", "abc"])
def test_list__odd_page_size_falls_back_within_limits(cm, county, page_size):
    for _ in range(3):
        ClientFactory(organization=county)

    response = cm.get(CLIENTS_URL, {"page_size": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_list__page_size_is_capped_at_100(cm, county):
    for _ in range(101):
        ClientFactory(organization=county, birth_date=datetime.date(1970, 1, 1))

    response = cm.get(CLIENTS_URL, {"page_size": 5000})

    assert response.json()["count"] == 101
    assert len(response.json()["results"]) == 100


@pytest.mark.parametrize("url", [CLIENTS_URL, "/api/v1/services/", "/api/v1/organizations/"])
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "1", "' OR 1=1 --", "7d3c9a52-1f0e-4b7a-9c1d-2e5f8a6b4c3", "%00"])
def test_detail__non_uuid_id_gets_404(cm, county_client, url, bad_id):
    response = cm.get(f"{url}{bad_id}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_client_update__non_uuid_id_gets_404(cm, county_client):
    response = cm.patch(f"{CLIENTS_URL}not-a-uuid/", {"city": "Riverton"}, format="json")

    assert response.status_code == 404
