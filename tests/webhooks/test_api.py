"""`/api/v1/webhook-endpoints/`: the permission matrix, the secret shown once, rotation, delivery logs."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.choices import AuditAction
from audit.models import AuditEvent
from tests.factories import WebhookEndpointFactory
from tests.webhooks.test_delivery import make_delivery
from webhooks.delivery import delivery_attempt
from webhooks.models import WebhookEndpoint
from webhooks.signing import secret_key

LIST = "/api/v1/webhook-endpoints/"


def detail(endpoint) -> str:
    return f"{LIST}{endpoint.pk}/"


@pytest.fixture
def logged(provider_endpoint, fake_post):
    """Two deliveries of the provider's endpoint: one succeeded after a 500, one still failing."""
    first, second = make_delivery(provider_endpoint), make_delivery(provider_endpoint, event="referral.accepted")
    fake_post.answer(500)
    delivery_attempt(delivery_id=first.pk)
    delivery_attempt(delivery_id=first.pk, now=first.__class__.objects.get(pk=first.pk).next_attempt_at)
    fake_post.answer(503)
    delivery_attempt(delivery_id=second.pk)
    return first, second


# --- who sees what ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("provider_supervisor", {"provider"}),
        ("county_supervisor", {"county"}),
        ("governance_lead", {"provider", "county", "other"}),
        ("provider_intake", set()),
        ("other_provider_intake", set()),
        ("case_manager", set()),
        ("partner_system", set()),
        ("no_role_user", set()),
    ],
)
def test_list__each_role_sees_only_its_organizations_endpoints(
    who, sees, request, api, provider_endpoint, county_endpoint, other_endpoint
):
    names = {provider_endpoint.pk: "provider", county_endpoint.pk: "county", other_endpoint.pk: "other"}
    response = api.as_user(request.getfixturevalue(who)).get(LIST)
    assert response.status_code == 200
    assert {names[uuid.UUID(row["id"])] for row in response.json()["results"]} == sees
    assert all("secret" not in row for row in response.json()["results"])


def test_list__anonymous_gets_401(api, provider_endpoint):
    assert api.as_user(None).get(LIST).status_code == 401


def test_list__query_count_does_not_grow_with_endpoints(api, provider_supervisor, provider):
    WebhookEndpointFactory.create_batch(2, organization=provider)
    client = api.as_user(provider_supervisor)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    WebhookEndpointFactory.create_batch(10, organization=provider)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(LIST).json()["results"]) == 12
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("provider_supervisor", 200),
        ("governance_lead", 200),
        ("county_supervisor", 404),
        ("provider_intake", 404),
        ("other_provider_intake", 404),
        ("no_role_user", 404),
        ("anonymous", 401),
    ],
)
def test_retrieve_and_deliveries__matrix(who, expected, cast, api, provider_endpoint, logged):
    client = api.as_user(cast(who))
    assert client.get(detail(provider_endpoint)).status_code == expected
    assert client.get(f"{detail(provider_endpoint)}deliveries/").status_code == expected


def test_retrieve__never_shows_the_secret(api, provider_supervisor, provider_endpoint):
    body = api.as_user(provider_supervisor).get(detail(provider_endpoint)).json()
    assert "secret" not in body and provider_endpoint.secret not in str(body)
    assert body["organization"] == "harbor-health" and body["events"] == []


# --- create -----------------------------------------------------------------------------------------------


def test_create__shows_the_secret_once_and_audits(signed_in, provider_supervisor, provider):
    client = signed_in(provider_supervisor)
    response = client.post(
        LIST, {"url": "https://ehr.example.org/h", "events": ["referral.sent"], "description": "EHR"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert body["secret"] == endpoint.secret and len(secret_key(body["secret"])) == 32
    assert (body["organization"], body["events"], body["active"]) == ("harbor-health", ["referral.sent"], True)
    assert "secret" not in client.get(detail(endpoint)).json()
    event = AuditEvent.objects.get(action=AuditAction.WEBHOOK_ENDPOINT_CREATED)
    assert (event.actor, event.target_id, event.source) == (provider_supervisor, str(endpoint.pk), "api")


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("provider_intake", 403),
        ("case_manager", 403),
        ("no_role_user", 403),
        ("partner_system", 403),
        ("anonymous", 401),
    ],
)
def test_create__without_the_role(who, expected, cast, api, db):
    response = api.as_user(cast(who)).post(LIST, {"url": "https://x.example.org/"}, format="json")
    assert response.status_code == expected
    assert not WebhookEndpoint.objects.exists()


def test_create__for_another_organization_is_refused(api, provider_supervisor, other_provider):
    response = api.as_user(provider_supervisor).post(
        LIST, {"url": "https://x.example.org/", "organization": other_provider.slug}, format="json"
    )
    assert response.status_code == 400 and "organization" in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_create__governance_must_name_the_organization(api, governance_lead, other_provider):
    client = api.as_user(governance_lead)
    assert client.post(LIST, {"url": "https://x.example.org/"}, format="json").status_code == 400
    response = client.post(LIST, {"url": "https://x.example.org/", "organization": other_provider.slug}, format="json")
    assert response.status_code == 201 and response.json()["organization"] == other_provider.slug


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "not a url"}, "url"),
        ({"url": "https://a:b@x.example.org/"}, "url"),
        ({"url": "https://x.example.org/", "events": ["referral.deleted"]}, "events"),
        ({}, "url"),
    ],
)
def test_create__invalid_input_is_400_with_the_field(payload, field, api, provider_supervisor):
    response = api.as_user(provider_supervisor).post(LIST, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_create__http_refused_in_production_mode(api, provider_supervisor, settings):
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    client = api.as_user(provider_supervisor)
    for url in ("http://x.example.org/", "https://127.0.0.1/", "https://localhost/h"):
        assert client.post(LIST, {"url": url}, format="json").status_code == 400, url
    assert not WebhookEndpoint.objects.exists()


# --- change, rotate, delete -------------------------------------------------------------------------------


def test_patch__changes_and_audits(signed_in, provider_supervisor, provider_endpoint):
    response = signed_in(provider_supervisor).patch(
        detail(provider_endpoint), {"events": ["consent.revoked"], "active": False}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["events"], response.json()["active"]) == (["consent.revoked"], False)
    assert AuditEvent.objects.filter(action=AuditAction.WEBHOOK_ENDPOINT_DISABLED, actor=provider_supervisor).exists()


def test_put__is_not_allowed(api, provider_supervisor, provider_endpoint):
    response = api.as_user(provider_supervisor).put(detail(provider_endpoint), {"url": "https://y.example.org/"})
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("who", "expected"),
    [("county_supervisor", 404), ("provider_intake", 404), ("other_provider_intake", 404), ("anonymous", 401)],
)
def test_writes__by_others_change_nothing(who, expected, cast, api, provider_endpoint):
    client = api.as_user(cast(who))
    assert client.patch(detail(provider_endpoint), {"description": "x"}, format="json").status_code == expected
    assert client.post(f"{detail(provider_endpoint)}rotate-secret/").status_code == expected
    assert client.delete(detail(provider_endpoint)).status_code == expected
    fresh = WebhookEndpoint.objects.get(pk=provider_endpoint.pk)
    assert (fresh.description, fresh.secret, fresh.deleted_at) == ("Partner EHR", provider_endpoint.secret, None)


def test_rotate__shows_the_new_secret_once(signed_in, provider_supervisor, provider_endpoint):
    response = signed_in(provider_supervisor).post(f"{detail(provider_endpoint)}rotate-secret/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    fresh = WebhookEndpoint.objects.get(pk=provider_endpoint.pk)
    assert response.json()["secret"] == fresh.secret != provider_endpoint.secret
    assert fresh.previous_secret == provider_endpoint.secret
    assert response.json()["previous_secret_expires_at"] is not None
    assert AuditEvent.objects.filter(action=AuditAction.WEBHOOK_SECRET_ROTATED, actor=provider_supervisor).exists()


def test_delete__by_owner_then_gone_for_them_but_not_governance(
    api, provider_supervisor, governance_lead, provider_endpoint
):
    client = api.as_user(provider_supervisor)
    assert client.delete(detail(provider_endpoint)).status_code == 204
    assert client.get(detail(provider_endpoint)).status_code == 404
    assert api.as_user(governance_lead).get(detail(provider_endpoint)).json()["active"] is False


def test_delete__governance_gets_403(api, governance_lead, provider_endpoint):
    assert api.as_user(governance_lead).delete(detail(provider_endpoint)).status_code == 403


# --- delivery log -----------------------------------------------------------------------------------------


def test_deliveries__list_each_attempt_newest_first(api, provider_supervisor, provider_endpoint, logged):
    first, second = logged
    response = api.as_user(provider_supervisor).get(f"{detail(provider_endpoint)}deliveries/")
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [str(second.pk), str(first.pk)]
    assert rows[1]["event_id"] == str(first.message_id) and rows[1]["status"] == "succeeded"
    assert [(a["number"], a["response_code"], a["succeeded"]) for a in rows[1]["attempts"]] == [
        (1, 500, False),
        (2, 200, True),
    ]
    assert (rows[0]["status"], rows[0]["next_attempt_at"] is not None) == ("failed", True)
    failing = api.as_user(provider_supervisor).get(f"{detail(provider_endpoint)}deliveries/?status=failed")
    assert [row["id"] for row in failing.json()["results"]] == [str(second.pk)]
    assert api.as_user(provider_supervisor).get(f"{detail(provider_endpoint)}deliveries/?status=x").status_code == 400
