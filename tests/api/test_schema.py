"""The OpenAPI document partners generate clients from, and the self-hosted Swagger UI."""

import json
from html.parser import HTMLParser

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/schema/"
DOCS_URL = "/api/docs/"

CLIENT_FIELDS = {
    "id",
    "given_name",
    "family_name",
    "birth_date",
    "phone",
    "email",
    "address_line",
    "city",
    "postal_code",
    "county",
    "preferred_contact_method",
    "preferred_language",
    "interpreter_needed",
    "identifiers",
    "organization",
    "created_at",
    "updated_at",
}
SERVICE_FIELDS = {
    "id",
    "name",
    "organization",
    "category",
    "status",
    "description",
    "eligibility_description",
    "languages",
    "interpretation_services",
    "application_process",
    "postal_codes",
    "counties",
    "minimum_age",
    "maximum_age",
    "capacity_status",
    "capacity_note",
    "capacity_as_of",
    "accepting_referrals",
    "assured_date",
    "assurer_email",
    "stale",
    "locations",
}


@pytest.fixture
def schema(api):
    response = api.as_user(None).get(SCHEMA_URL)
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def parameters(schema, path: str, method: str = "get") -> set[str]:
    return {p["name"] for p in schema["paths"][path][method].get("parameters", [])}


# --- the document -------------------------------------------------------------------------------------


def test_schema__is_openapi_3_yaml_served_to_anyone(api):
    response = api.as_user(None).get(SCHEMA_URL)

    assert response.status_code == 200
    assert "openapi" in response["Content-Type"]
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Case-coordination portal API"


def test_schema__json_format_is_the_same_document(api, schema):
    response = api.get(SCHEMA_URL, {"format": "json"})

    assert response.status_code == 200
    assert json.loads(response.content) == schema


def test_schema__lists_every_api_path(schema):
    assert set(schema["paths"]) == {
        "/api/v1/auth/token/",
        "/api/v1/auth/token/revoke/",
        "/api/v1/organizations/",
        "/api/v1/organizations/{id}/",
        "/api/v1/services/",
        "/api/v1/services/{id}/",
        "/api/v1/clients/",
        "/api/v1/clients/{id}/",
        "/api/v1/clients/{id}/disclosures/",
        "/api/v1/referrals/",
        "/api/v1/referrals/{id}/",
        "/api/v1/referrals/{id}/transitions/",
        "/api/v1/referrals/{id}/events/",
        "/api/v1/referrals/{id}/routing-options/",
        "/api/v1/referrals/{id}/reroute/",
        "/api/v1/referrals/{id}/assign/",
        "/api/v1/referrals/{id}/shares/",
        "/api/v1/referrals/{id}/shares/{user_id}/",
        "/api/v1/referrals/{id}/shares/remove/",
        "/api/v1/referrals/{id}/disclosure-preview/",
        "/api/v1/referrals/{referral_pk}/escalations/",
        "/api/v1/referrals/{referral_pk}/escalations/{id}/acknowledge/",
        "/api/v1/clients/{client_pk}/consents/",
        "/api/v1/consents/{id}/",
        "/api/v1/consents/{id}/revoke/",
        "/api/v1/consents/{id}/entered-in-error/",
        "/api/v1/break-glass/",
        "/api/v1/break-glass/{id}/end/",
        "/api/v1/audit-events/",
        "/api/v1/notifications/",
        "/api/v1/notifications/{id}/read/",
        "/api/v1/notifications/read-all/",
        "/api/v1/exceptions/",
        "/api/v1/exceptions/{id}/",
        "/api/v1/exceptions/{id}/transitions/",
        "/api/v1/exceptions/{id}/assign/",
        "/api/v1/exceptions/{id}/events/",
        "/api/v1/webhook-endpoints/",
        "/api/v1/webhook-endpoints/{id}/",
        "/api/v1/webhook-endpoints/{id}/rotate-secret/",
        "/api/v1/webhook-endpoints/{id}/deliveries/",
        "/api/v1/metrics/referrals/",
    }


def test_schema__read_only_endpoints_document_only_reads(schema):
    for path in ["/api/v1/services/", "/api/v1/services/{id}/", "/api/v1/organizations/{id}/"]:
        assert set(schema["paths"][path]) == {"get"}
    assert set(schema["paths"]["/api/v1/clients/{id}/"]) == {"get", "put", "patch"}
    assert set(schema["paths"]["/api/v1/clients/"]) == {"get", "post"}


def test_schema__validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert yaml.safe_load(target.read_text())["paths"]


def test_schema__documents_token_authentication(schema):
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]

    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": scheme["description"],
    }
    assert "Token" in scheme["description"]
    assert {"tokenAuth": []} in schema["paths"]["/api/v1/clients/"]["get"]["security"]
    assert schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["200"]


# --- clients ------------------------------------------------------------------------------------------


def test_schema__client_has_the_documented_fields(schema):
    client = schema["components"]["schemas"]["Client"]

    assert set(client["properties"]) == CLIENT_FIELDS
    assert client["properties"]["id"] == {"type": "string", "format": "uuid", "readOnly": True}
    assert client["properties"]["birth_date"]["format"] == "date"
    assert {"given_name", "family_name", "birth_date"} <= set(client["required"])


def test_schema__client_request_takes_allow_duplicate_but_no_server_fields(schema):
    request = schema["components"]["schemas"]["ClientRequest"]

    assert request["properties"]["allow_duplicate"]["type"] == "boolean"
    assert request["properties"]["allow_duplicate"]["writeOnly"] is True
    assert not {"id", "created_at", "updated_at"} & set(request["properties"])
    assert set(request["required"]) == {"given_name", "family_name", "birth_date"}


def test_schema__client_request_organization_is_a_slug_or_id_string(schema):
    organization = schema["components"]["schemas"]["ClientRequest"]["properties"]["organization"]

    assert organization.get("type") == "string"


def test_schema__client_list_documents_filters_and_pagination(schema):
    assert {"q", "birth_date", "identifier", "page", "page_size"} <= parameters(schema, "/api/v1/clients/")
    page = schema["components"]["schemas"]["PaginatedClientList"]
    assert {"count", "next", "previous", "results"} <= set(page["properties"])


def test_schema__client_create_documents_the_409_duplicate_answer(schema):
    responses = schema["paths"]["/api/v1/clients/"]["post"]["responses"]
    duplicate = schema["components"]["schemas"]["DuplicateCandidates"]

    assert set(responses) >= {"201", "409"}
    assert responses["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/DuplicateCandidates")
    assert set(duplicate["properties"]) == {"detail", "candidates"}
    assert duplicate["properties"]["candidates"]["items"]["format"] == "uuid"


# --- services -----------------------------------------------------------------------------------------


def test_schema__service_has_the_documented_fields(schema):
    service = schema["components"]["schemas"]["Service"]

    assert set(service["properties"]) == SERVICE_FIELDS
    assert service["properties"]["languages"]["type"] == "array"
    assert service["properties"]["stale"]["type"] == "boolean"


def test_schema__service_list_documents_every_filter(schema):
    assert {
        "category",
        "postal_code",
        "language",
        "capacity_status",
        "organization",
        "q",
        "status",
        "page",
        "page_size",
    } <= parameters(schema, "/api/v1/services/")


# --- Swagger UI ---------------------------------------------------------------------------------------


class _AssetCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.assets.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.assets.append(attributes["href"])


@pytest.fixture
def docs_html(api) -> str:
    response = api.as_user(None).get(DOCS_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_docs__swagger_ui_loads_only_local_static_assets(docs_html):
    collector = _AssetCollector()
    collector.feed(docs_html)

    assert len(collector.assets) >= 3  # css, bundle, preset (and favicon)
    assert all(asset.startswith("/static/") for asset in collector.assets), collector.assets
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in collector.assets)
    assert "http://" not in docs_html
    assert "https://" not in docs_html


def test_docs__points_swagger_ui_at_the_local_schema(docs_html):
    assert f'url: "{SCHEMA_URL}"' in docs_html


def test_docs__static_assets_are_served(api, docs_html):
    collector = _AssetCollector()
    collector.feed(docs_html)

    for asset in collector.assets:
        response = api.get(asset)
        assert response.status_code == 200, asset
        if hasattr(response, "close"):
            response.close()
