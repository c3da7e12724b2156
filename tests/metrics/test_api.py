"""`GET /api/v1/metrics/referrals/`: the hand-checked numbers as JSON, who may ask, bad parameters, audit."""

from __future__ import annotations

import datetime
import uuid

import pytest
import time_machine
import yaml

from audit.choices import AuditAction
from audit.models import AuditEvent
from metrics.definitions import DEFINITIONS_VERSION

from .conftest import NOW, PERIOD
from .expected import NETWORK

URL = "/api/v1/metrics/referrals/"
REQUIRED_KEYS = {
    "sent",
    "acknowledged",
    "acknowledged_within_sla",
    "acknowledgement_rate",
    "accepted",
    "declined",
    "acceptance_rate",
    "decline_reasons",
    "closed",
    "outcomes",
    "loop_closure_rate",
    "time_to_acknowledge",
    "time_to_first_contact",
    "time_to_service_start",
    "sla_breaches",
    "exceptions_opened",
    "definitions_version",
    "period",
    "filters",
    "open_by_age",
    "bottlenecks",
}
# Who gets numbers, and how many of the two `recent` referrals (one to Harbor, one to Northside).
SEES = {"governance_lead": 2, "county_supervisor": 2, "data_steward": 2, "provider_supervisor": 1}
REFUSED = ["case_manager", "provider_intake", "other_provider_intake", "partner_system", "no_role_user"]


def as_user(api, user):
    """Session sign-in (not force_authenticate), so the audit row names the user."""
    api.logout()
    api.force_authenticate(None)
    if user is not None:
        api.force_login(user)
    return api


@pytest.fixture
def recent(build, other_service):
    """One referral sent yesterday to Harbor, one to Northside: inside the default period (the last 90 days)."""
    yesterday = datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(days=1)
    return [build(yesterday), build(yesterday, to=other_service)]


def test_get__governance_gets_every_hand_checked_number(api, network, governance_lead):
    with time_machine.travel(NOW, tick=False):
        response = as_user(api, governance_lead).get(URL, PERIOD)
    assert response.status_code == 200
    body = response.json()
    mismatched = {key: (body[key], value) for key, value in NETWORK.items() if body[key] != value}
    assert not mismatched, mismatched
    assert body["definitions_version"] == DEFINITIONS_VERSION
    assert body["period"] == {**PERIOD, "time_zone": "America/Los_Angeles"}
    assert datetime.datetime.fromisoformat(body["as_of"]) == NOW
    assert body["bottlenecks"]["providers"]["by_decline_rate"][0]["decline_rate"] == 0.4286
    assert set(body) >= REQUIRED_KEYS


def test_get__filters_are_applied_and_echoed(api, network, governance_lead, other_provider):
    params = {**PERIOD, "receiving_organization": str(other_provider.pk), "urgency": "urgent"}
    with time_machine.travel(NOW, tick=False):
        body = as_user(api, governance_lead).get(URL, params).json()
    assert (body["sent"], body["acknowledged"], body["time_to_acknowledge"]["median"]) == (1, 1, 7200)
    assert body["filters"] == {
        "receiving_organization": {"id": str(other_provider.pk), "name": other_provider.name},
        "referring_organization": None,
        "category": None,
        "urgency": "urgent",
    }


@pytest.mark.parametrize(("who", "sent"), SEES.items())
def test_permission__roles_with_metrics_get_their_scope(api, request, recent, who, sent):
    response = as_user(api, request.getfixturevalue(who)).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["sent"] == sent
    assert body["scope"]["network"] is (who == "governance_lead")


@pytest.mark.parametrize("who", REFUSED)
def test_permission__roles_without_metrics_get_403_with_a_message(api, request, recent, who):
    response = as_user(api, request.getfixturevalue(who)).get(URL)
    assert response.status_code == 403
    assert "supervisors, data stewards and governance leads" in response.json()["detail"]
    assert "sent" not in response.json()


def test_permission__partner_system_token_gets_403(api, recent, partner_system):
    response = api.as_user(partner_system).get(URL)
    assert response.status_code == 403


def test_permission__anonymous_gets_401(api, recent):
    response = as_user(api, None).get(URL)
    assert response.status_code == 401
    assert "sent" not in response.json()


def test_get__default_period_is_the_last_90_days(api, county_supervisor):
    with time_machine.travel(NOW, tick=False):
        body = as_user(api, county_supervisor).get(URL).json()
    assert body["period"]["until"] == "2026-02-20"
    assert body["period"]["since"] == "2025-11-23"  # 89 days before: 90 days, both ends included
    assert body["sent"] == 0
    assert body["acknowledgement_rate"] is None


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"since": "yesterday"}, {"since": ["Enter a date as YYYY-MM-DD, for example 2026-01-31."]}),
        ({"until": "2026-13-01"}, {"until": ["Enter a date as YYYY-MM-DD, for example 2026-01-31."]}),
        (
            {"since": "2026-02-10", "until": "2026-02-01"},
            {"since": ["The period starts after it ends: choose a day on or before 2026-02-01."]},
        ),
        (
            {"since": "2016-01-01", "until": "2026-02-01"},
            {"since": ["A period covers at most 1830 days: choose a later start."]},
        ),
        ({"receiving_organization": "harbor"}, {"receiving_organization": ["No organization with this id."]}),
        (
            {"referring_organization": str(uuid.UUID(int=7))},
            {"referring_organization": ["No organization with this id."]},
        ),
        ({"category": "food"}, {"category": ["Unknown need 'food': use a service category code."]}),
        ({"urgency": "high"}, {"urgency": ["Unknown urgency 'high': use routine, urgent or crisis."]}),
        ({"min_volume": "0"}, {"min_volume": ["Ensure this value is greater than or equal to 1."]}),
        ({"min_volume": "many"}, {"min_volume": ["Enter a whole number of referrals."]}),
        (
            {"since": "x", "urgency": "high"},
            {
                "since": ["Enter a date as YYYY-MM-DD, for example 2026-01-31."],
                "urgency": ["Unknown urgency 'high': use routine, urgent or crisis."],
            },
        ),
    ],
)
def test_get__bad_parameters_answer_400_with_a_message_per_field(api, county_supervisor, params, errors):
    response = as_user(api, county_supervisor).get(URL, params)
    assert response.status_code == 400
    assert response.json() == {"detail": "The request has invalid fields.", "errors": errors}
    assert not AuditEvent.objects.filter(action=AuditAction.METRICS_VIEWED).exists()


def test_get__a_provider_referring_organization_is_not_an_agency(api, county_supervisor, provider):
    response = as_user(api, county_supervisor).get(URL, {"referring_organization": str(provider.pk)})
    assert response.status_code == 400
    assert response.json()["errors"] == {"referring_organization": ["No organization with this id."]}


def test_get__writes_one_light_audit_row_without_client_data(api, recent, data_steward, county, provider):
    with time_machine.travel(NOW, tick=False):
        response = as_user(api, data_steward).get(URL, {**PERIOD, "receiving_organization": str(provider.pk)})
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.METRICS_VIEWED)
    assert event.actor_id == data_steward.pk
    assert event.subtype == "api"
    assert event.action_code == "R"
    assert event.client_id is None
    assert event.detail == {"query": {**PERIOD, "receiving_organization": str(provider.pk)}, "network": False}


def test_schema__documents_the_endpoint_parameters_and_every_required_key(api):
    schema = yaml.safe_load(api.get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/metrics/referrals/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "since",
        "until",
        "receiving_organization",
        "referring_organization",
        "category",
        "urgency",
        "min_volume",
    }
    assert set(operation["responses"]) == {"200", "400", "403"}
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    assert set(component["properties"]) >= REQUIRED_KEYS
    assert set(component["required"]) >= REQUIRED_KEYS
