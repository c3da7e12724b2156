"""Governance admin for webhooks: every organization's endpoints, changes through the services, secrets once."""

from __future__ import annotations

from django.test import Client

from audit.choices import AuditAction
from audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.webhooks.test_delivery import make_delivery
from webhooks.delivery import delivery_attempt
from webhooks.models import WebhookEndpoint

ENDPOINTS = "/admin/webhooks/webhookendpoint/"
DELIVERIES = "/admin/webhooks/webhookdelivery/"


def admin_for(user) -> Client:
    browser = Client()
    assert browser.login(username=user.username, password=PASSWORD)
    return browser


def test_endpoints__governance_sees_every_organization_and_no_secret(
    governance_lead, provider_endpoint, other_endpoint
):
    browser = admin_for(governance_lead)
    html = browser.get(ENDPOINTS).content.decode()
    assert provider_endpoint.url in html and other_endpoint.url in html
    change = browser.get(f"{ENDPOINTS}{provider_endpoint.pk}/change/").content.decode()
    assert provider_endpoint.url in change and provider_endpoint.secret not in change


def test_admin__supervisors_are_not_let_in(provider_supervisor, provider_endpoint):
    assert admin_for(provider_supervisor).get(ENDPOINTS).status_code in (302, 403)


def test_add__through_the_service_with_the_secret_shown_once(governance_lead, other_provider):
    browser = admin_for(governance_lead)
    response = browser.post(
        f"{ENDPOINTS}add/",
        {
            "organization": other_provider.pk,
            "url": "https://north.example.org/hooks",
            "description": "North EHR",
            "events": ["referral.sent"],
            "active": "on",
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200 and endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert (endpoint.organization, endpoint.events, endpoint.created_by) == (
        other_provider,
        ["referral.sent"],
        governance_lead,
    )
    event = AuditEvent.objects.get(action=AuditAction.WEBHOOK_ENDPOINT_CREATED)
    assert (event.actor, event.source) == (governance_lead, "admin")


def test_add__refuses_an_internal_address_in_production_mode(governance_lead, other_provider, settings):
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    response = admin_for(governance_lead).post(
        f"{ENDPOINTS}add/", {"organization": other_provider.pk, "url": "https://169.254.169.254/", "active": "on"}
    )
    assert response.status_code == 200 and "private, loopback" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_change__goes_through_the_service(governance_lead, provider_endpoint):
    admin_for(governance_lead).post(
        f"{ENDPOINTS}{provider_endpoint.pk}/change/",
        {"url": provider_endpoint.url, "description": "Reviewed", "events": ["consent.revoked"], "active": "on"},
    )
    provider_endpoint.refresh_from_db()
    assert (provider_endpoint.description, provider_endpoint.events) == ("Reviewed", ["consent.revoked"])
    event = AuditEvent.objects.get(action=AuditAction.WEBHOOK_ENDPOINT_CHANGED)
    assert event.actor == governance_lead and event.detail["changed"] == ["description", "events"]


def test_rotate_action__shows_each_new_secret_once(governance_lead, provider_endpoint, other_endpoint):
    response = admin_for(governance_lead).post(
        ENDPOINTS,
        {"action": "rotate_secrets", "_selected_action": [provider_endpoint.pk, other_endpoint.pk]},
    )
    html = response.content.decode()
    for endpoint in (provider_endpoint, other_endpoint):
        fresh = WebhookEndpoint.objects.get(pk=endpoint.pk)
        assert fresh.secret != endpoint.secret and fresh.secret in html
        assert fresh.previous_secret == endpoint.secret and endpoint.secret not in html
    assert AuditEvent.objects.filter(action=AuditAction.WEBHOOK_SECRET_ROTATED).count() == 2


def test_disable_action__turns_off_and_audits(governance_lead, provider_endpoint):
    admin_for(governance_lead).post(
        ENDPOINTS, {"action": "disable_endpoints", "_selected_action": [provider_endpoint.pk]}
    )
    provider_endpoint.refresh_from_db()
    assert provider_endpoint.active is False and provider_endpoint.disabled_reason == "Turned off by governance."
    assert AuditEvent.objects.get(action=AuditAction.WEBHOOK_ENDPOINT_DISABLED).actor == governance_lead


def test_delivery_log__read_only_with_attempts(governance_lead, provider_endpoint, fake_post):
    delivery = make_delivery(provider_endpoint)
    fake_post.answer(503)
    delivery_attempt(delivery_id=delivery.pk)
    browser = admin_for(governance_lead)
    listing = browser.get(f"{DELIVERIES}?endpoint__id__exact={provider_endpoint.pk}").content.decode()
    assert str(delivery.message_id) in listing
    page = browser.get(f"{DELIVERIES}{delivery.pk}/change/")
    assert page.status_code == 200 and "503" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()  # read-only
    assert browser.get(f"{DELIVERIES}add/").status_code == 403
