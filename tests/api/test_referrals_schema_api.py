"""The referral endpoints in the OpenAPI document: every path, its methods, and the bodies partners code against."""

import pytest
import yaml

pytestmark = pytest.mark.django_db

REFERRAL_PATHS = {
    "/api/v1/referrals/": {"get", "post"},
    "/api/v1/referrals/{id}/": {"get", "patch"},
    "/api/v1/referrals/{id}/transitions/": {"post"},
    "/api/v1/referrals/{id}/events/": {"get"},
    "/api/v1/referrals/{id}/routing-options/": {"get"},
    "/api/v1/referrals/{id}/reroute/": {"post"},
    "/api/v1/referrals/{id}/assign/": {"post"},
    "/api/v1/referrals/{id}/shares/": {"post"},
    "/api/v1/referrals/{id}/shares/{user_id}/": {"delete"},
    "/api/v1/referrals/{id}/shares/remove/": {"post"},
    "/api/v1/referrals/{id}/disclosure-preview/": {"get"},
    "/api/v1/referrals/{referral_pk}/escalations/": {"get"},
    "/api/v1/referrals/{referral_pk}/escalations/{id}/acknowledge/": {"post"},
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiYamlRenderer

    with django_db_blocker.unblock():
        document = SchemaGenerator().get_schema(request=None, public=True)
    return yaml.safe_load(OpenApiYamlRenderer().render(document))


def components(schema):
    return schema["components"]["schemas"]


def body_ref(operation, code: str) -> str:
    return operation["responses"][code]["content"]["application/json"]["schema"]


def test_schema__every_referral_endpoint_with_its_methods(schema):
    paths = {p: set(ops) - {"parameters"} for p, ops in schema["paths"].items() if p.startswith("/api/v1/referrals")}

    assert paths == REFERRAL_PATHS


def test_schema__referral_read_shape(schema):
    referral = components(schema)["Referral"]["properties"]

    assert {
        "id",
        "status",
        "version",
        "client",
        "referring_organization",
        "receiving_organization",
        "service",
        "assigned_to",
        "assigned_worker",
        "sla",
        "allowed_transitions",
        "rerouted_from",
        "sent_at",
        "closed_at",
        "decline_reason",
        "outcome",
        "risk_flags",
        "eligibility_basis",
    } <= set(referral)
    assert referral["allowed_transitions"]["items"] == {"$ref": "#/components/schemas/TransitionNameEnum"}
    assert components(schema)["ReferralClient"]["required"] == ["id"]
    assert set(components(schema)["Sla"]["properties"]) == {
        "acknowledge_due_at",
        "first_contact_due_at",
        "service_start_due_at",
        "overdue",
        "breaches",
        "escalation_level",
        "reroute_suggested_at",
    }


def test_schema__create_and_transition_request_bodies(schema):
    create = components(schema)["ReferralCreateRequest"]
    transition = components(schema)["TransitionRequestRequest"]

    assert {"client", "service", "submit", "referring_organization", "risk_flags"} <= set(create["properties"])
    assert set(create["required"]) == {"client", "category", "reason"}
    assert create["properties"]["referring_organization"]["type"] == "string"
    assert set(transition["properties"]) == {
        "name",
        "reason_code",
        "outcome_code",
        "contact_result",
        "appointment_at",
        "note",
        "version",
        "confirm_warnings",
    }
    assert transition["properties"]["appointment_at"]["format"] == "date-time"


def test_schema__documents_error_answers_and_list_filters(schema):
    transitions = schema["paths"]["/api/v1/referrals/{id}/transitions/"]["post"]
    listing = schema["paths"]["/api/v1/referrals/"]["get"]

    assert set(transitions["responses"]) == {"200", "400", "403", "404", "409"}
    assert body_ref(transitions, "409") == {"$ref": "#/components/schemas/ReferralRefusal"}
    assert body_ref(transitions, "400") == {"$ref": "#/components/schemas/TemplateRejection"}
    assert {p["name"] for p in listing["parameters"]} >= {
        "status",
        "urgency",
        "category",
        "client",
        "receiving_organization",
        "referring_organization",
        "sent_after",
        "sent_before",
        "overdue",
        "q",
        "page",
        "page_size",
    }
    events = schema["paths"]["/api/v1/referrals/{id}/events/"]["get"]
    assert {p["name"] for p in events["parameters"]} == {"id"}  # no list filters or paging on the timeline
    assert body_ref(events, "200") == {"type": "array", "items": {"$ref": "#/components/schemas/ReferralEvent"}}
