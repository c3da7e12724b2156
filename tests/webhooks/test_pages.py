"""`/settings/webhooks/` pages: who may use them, adding with the secret shown once, edit, rotate, delete, log."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from audit.choices import AuditAction
from audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.webhooks.test_delivery import make_delivery
from webhooks.delivery import delivery_attempt
from webhooks.models import WebhookEndpoint

LIST = "/settings/webhooks/"


def page(user) -> Client:
    browser = Client()
    if user is not None:
        assert browser.login(username=user.username, password=PASSWORD)
    return browser


def url(endpoint, suffix: str = "") -> str:
    return f"{LIST}{endpoint.pk}/{suffix}"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("provider_supervisor", 200),
        ("county_supervisor", 200),
        ("governance_lead", 200),
        ("provider_intake", 403),
        ("case_manager", 403),
        ("no_role_user", 403),
    ],
)
def test_list__who_may_open_it(who, expected, cast, provider_endpoint):
    response = page(cast(who)).get(LIST)
    assert response.status_code == expected
    shown = provider_endpoint.url in response.content.decode()
    assert shown is (who in ("provider_supervisor", "governance_lead"))


def test_list__anonymous_goes_to_sign_in(db):
    response = Client().get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_nav__shows_webhooks_to_supervisors_only(provider_supervisor, provider_intake):
    assert 'href="/settings/webhooks/"' in page(provider_supervisor).get("/").content.decode()
    assert 'href="/settings/webhooks/"' not in page(provider_intake).get("/").content.decode()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("provider_supervisor", 200),
        ("governance_lead", 200),
        ("county_supervisor", 404),
        ("provider_intake", 403),
        ("other_provider_intake", 403),
    ],
)
def test_endpoint_pages__matrix(who, expected, cast, provider_endpoint):
    browser = page(cast(who))
    for suffix in ("", "edit/", "rotate-secret/"):
        assert browser.get(url(provider_endpoint, suffix)).status_code == expected, suffix


def test_add__shows_the_secret_once_and_audits(provider_supervisor):
    browser = page(provider_supervisor)
    assert browser.get(f"{LIST}new/").status_code == 200
    response = browser.post(
        f"{LIST}new/",
        {"url": "https://ehr.harbor.example.org/in", "description": "EHR", "events": ["referral.sent"], "active": "on"},
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get()
    html = response.content.decode()
    assert endpoint.secret in html
    assert (endpoint.events, endpoint.description, endpoint.active) == (["referral.sent"], "EHR", True)
    # Never again: neither the list nor the endpoint's page shows it.
    assert endpoint.secret not in browser.get(LIST).content.decode()
    assert endpoint.secret not in browser.get(url(endpoint)).content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.WEBHOOK_ENDPOINT_CREATED, actor=provider_supervisor).exists()


def test_add__errors_are_shown_and_nothing_saved(provider_supervisor, settings):
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    response = page(provider_supervisor).post(f"{LIST}new/", {"url": "http://ehr.example.org/in"})
    assert response.status_code == 200
    assert "Use an https:// address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_add__governance_picks_the_organization(governance_lead, other_provider):
    browser = page(governance_lead)
    form = browser.get(f"{LIST}new/").content.decode()
    assert 'name="organization"' in form
    browser.post(f"{LIST}new/", {"organization": other_provider.pk, "url": "https://n.example.org/h", "active": "on"})
    assert WebhookEndpoint.objects.get().organization == other_provider


def test_add__intake_gets_403(provider_intake):
    assert page(provider_intake).post(f"{LIST}new/", {"url": "https://x.example.org/"}).status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_edit__saves_through_the_service(provider_supervisor, provider_endpoint):
    response = page(provider_supervisor).post(
        url(provider_endpoint, "edit/"), {"url": provider_endpoint.url, "description": "New EHR", "events": []}
    )
    assert response.status_code == 302
    provider_endpoint.refresh_from_db()
    assert (provider_endpoint.description, provider_endpoint.active) == ("New EHR", False)  # unticked: turned off
    assert AuditEvent.objects.filter(action=AuditAction.WEBHOOK_ENDPOINT_DISABLED, actor=provider_supervisor).exists()


def test_rotate__confirm_then_new_secret_shown(provider_supervisor, provider_endpoint):
    browser = page(provider_supervisor)
    assert "Rotate the signing secret?" in browser.get(url(provider_endpoint, "rotate-secret/")).content.decode()
    response = browser.post(url(provider_endpoint, "rotate-secret/"))
    provider_endpoint.refresh_from_db()
    html = response.content.decode()
    assert provider_endpoint.secret in html and provider_endpoint.previous_secret not in html
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.filter(action=AuditAction.WEBHOOK_SECRET_ROTATED).count() == 1


def test_rotate__other_org_post_is_404_and_changes_nothing(county_supervisor, provider_endpoint):
    assert page(county_supervisor).post(url(provider_endpoint, "rotate-secret/")).status_code == 404
    assert WebhookEndpoint.objects.get(pk=provider_endpoint.pk).secret == provider_endpoint.secret


def test_delete__by_owner_then_404(provider_supervisor, provider_endpoint):
    browser = page(provider_supervisor)
    assert browser.post(url(provider_endpoint, "delete/")).status_code == 302
    assert browser.get(url(provider_endpoint)).status_code == 404
    assert WebhookEndpoint.objects.get(pk=provider_endpoint.pk).deleted_at is not None


def test_delete__governance_403(governance_lead, provider_endpoint):
    assert page(governance_lead).post(url(provider_endpoint, "delete/")).status_code == 403


def test_detail__shows_deliveries_with_attempts_and_no_secret(provider_supervisor, provider_endpoint, fake_post):
    delivery = make_delivery(provider_endpoint)
    fake_post.answer(503)
    delivery_attempt(delivery_id=delivery.pk)
    html = page(provider_supervisor).get(url(provider_endpoint)).content.decode()
    assert str(delivery.message_id) in html
    assert re.search(r"#1 .*HTTP 503", html)
    assert provider_endpoint.secret not in html
