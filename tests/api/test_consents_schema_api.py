"""What the OpenAPI document says about the consent endpoints (partners generate clients from it)."""

import pytest
import yaml

pytestmark = pytest.mark.django_db

LIST_PATH = "/api/v1/clients/{client_pk}/consents/"
DETAIL_PATH = "/api/v1/consents/{id}/"
REVOKE_PATH = "/api/v1/consents/{id}/revoke/"


@pytest.fixture
def schema(api):
    response = api.as_user(None).get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def component(schema, name: str) -> dict:
    return schema["components"]["schemas"][name]


def test_schema__consent_paths_document_only_their_methods(schema):
    assert set(schema["paths"][LIST_PATH]) == {"get", "post"}
    assert set(schema["paths"][DETAIL_PATH]) == {"get"}
    assert set(schema["paths"][REVOKE_PATH]) == {"post"}


def test_schema__client_pk_is_a_uuid_path_parameter(schema):
    for method in ("get", "post"):
        parameter = next(p for p in schema["paths"][LIST_PATH][method]["parameters"] if p["name"] == "client_pk")
        assert (parameter["in"], parameter["required"], parameter["schema"]["format"]) == ("path", True, "uuid")


def test_schema__create_takes_json_or_multipart_and_answers_every_refusal(schema):
    post = schema["paths"][LIST_PATH]["post"]

    assert set(post["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert set(post["responses"]) == {"201", "400", "403", "404"}
    assert post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/Consent")


def test_schema__create_request_fields(schema):
    request = component(schema, "ConsentCreateRequest")
    provision = component(schema, "ProvisionWriteRequest")

    assert set(request["properties"]) == {"method", "date", "status", "provisions", "signed_form"}
    assert set(request["required"]) == {"method", "date", "provisions"}
    assert request["properties"]["signed_form"]["format"] == "binary"
    assert component(schema, "RecordableConsentStatusEnum")["enum"] == ["active", "draft", "rejected"]
    assert set(provision["properties"]) == {
        "type",
        "partner_categories",
        "organizations",
        "purposes",
        "data_categories",
        "start",
        "end",
    }
    assert set(provision["required"]) == {"type", "purposes", "data_categories", "start"}
    assert provision["properties"]["organizations"]["items"]["type"] == "string"


def test_schema__consent_read_fields(schema):
    consent = component(schema, "Consent")

    assert set(consent["properties"]) == {
        "id",
        "client",
        "organization",
        "status",
        "method",
        "date",
        "recorded_by",
        "revoked_at",
        "revoked_by",
        "revocation_method",
        "revocation_reason",
        "error_marked_at",
        "error_reason",
        "created_at",
        "signed_form",
        "provisions",
    }
    assert consent["properties"]["signed_form"]["type"] == "boolean"
    assert set(component(schema, "ConsentOrganization")["properties"]) == {"id", "slug", "name"}
    assert set(component(schema, "ConsentPerson")["properties"]) == {"id", "username", "name"}
    assert component(schema, "ConsentStatusEnum")["enum"] == [
        "draft",
        "active",
        "inactive",
        "rejected",
        "entered-in-error",
    ]


def test_schema__codes_are_enumerated(schema):
    def codes(name: str) -> set[str]:
        items = component(schema, "ProvisionWriteRequest")["properties"][name]["items"]
        return set(component(schema, items["$ref"].rsplit("/", 1)[1])["enum"] if "$ref" in items else items["enum"])

    assert {"COC", "TREAT", "HMARKT"} <= codes("purposes")
    assert {"demographics", "substance-use"} <= codes("data_categories")
    assert {"healthcare", "housing"} <= codes("partner_categories")


def test_schema__revoke_takes_reason_and_method(schema):
    post = schema["paths"][REVOKE_PATH]["post"]
    request = component(schema, "ConsentRevokeRequest")

    assert set(post["requestBody"]["content"]) == {"application/json"}
    assert set(post["responses"]) == {"200", "400", "403", "404"}
    assert set(request["properties"]) == {"reason", "method"}
    assert set(request["required"]) == {"reason", "method"}
    assert component(schema, "RevocationMethodEnum")["enum"] == ["written", "verbal", "electronic"]
