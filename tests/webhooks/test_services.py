"""Endpoint services: who may create, change, rotate, disable and delete, and the audit row of each."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from audit.choices import AuditAction
from audit.models import AuditEvent
from tests.webhooks.test_delivery import make_delivery
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookEndpoint
from webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_disable,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from webhooks.signing import secret_key


def _audit(action) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("recorded_at")


def test_create__by_provider_supervisor_makes_a_secret_and_audits(provider_supervisor, provider):
    endpoint, secret = webhook_endpoint_create(
        actor=provider_supervisor,
        organization=provider,
        url="https://ehr.harbor.example.org/hooks?token=abc",
        description="Harbor EHR",
        events=["referral.accepted", "referral.sent", "referral.sent"],
    )
    assert secret == endpoint.secret and secret.startswith("whsec_") and len(secret_key(secret)) >= 24
    assert endpoint.events == ["referral.sent", "referral.accepted"]  # catalog order, no repeats
    assert (endpoint.created_by, endpoint.updated_by, endpoint.active) == (
        provider_supervisor,
        provider_supervisor,
        True,
    )
    event = _audit(AuditAction.WEBHOOK_ENDPOINT_CREATED)
    assert (event.actor, event.target_id) == (provider_supervisor, str(endpoint.pk))
    # The query string may hold the partner's own token: the audit row keeps the address without it.
    assert event.detail["url"] == "https://ehr.harbor.example.org/hooks"
    assert secret not in str(event.detail)


def test_create__secret_never_enters_model_history(provider_supervisor, provider):
    endpoint, _ = webhook_endpoint_create(
        actor=provider_supervisor, organization=provider, url="https://a.example.org/"
    )
    webhook_endpoint_rotate_secret(actor=provider_supervisor, endpoint=endpoint)
    historical = endpoint.history.model
    assert "secret" not in {f.name for f in historical._meta.fields}
    assert "previous_secret" not in {f.name for f in historical._meta.fields}
    assert endpoint.history.count() == 2 and endpoint.history.first().history_user == provider_supervisor


def test_create__county_supervisor_for_the_agency(county_supervisor, county):
    endpoint, _ = webhook_endpoint_create(actor=county_supervisor, organization=county, url="https://cms.example.org/h")
    assert endpoint.organization == county


@pytest.mark.parametrize("who", ["provider_intake", "other_provider_intake", "case_manager", "county_supervisor"])
def test_create__for_provider_by_anyone_else_is_refused(who, request, provider):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        webhook_endpoint_create(actor=actor, organization=provider, url="https://a.example.org/")
    assert not WebhookEndpoint.objects.exists()


def test_create__by_governance_for_any_organization(governance_lead, other_provider):
    endpoint, _ = webhook_endpoint_create(
        actor=governance_lead, organization=other_provider, url="https://n.example.org/"
    )
    assert endpoint.organization == other_provider


def test_create__invalid_url_and_events_say_why(provider_supervisor, provider):
    production = override_settings(WEBHOOKS_REQUIRE_HTTPS=True, WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=False)
    with production, pytest.raises(ValidationError) as error:
        webhook_endpoint_create(
            actor=provider_supervisor, organization=provider, url="http://10.0.0.1/", events=["referral.gone"]
        )
    assert set(error.value.message_dict) == {"url", "events"}
    assert not AuditEvent.objects.filter(action=AuditAction.WEBHOOK_ENDPOINT_CREATED).exists()


def test_update__changes_and_audits_what_changed(provider_supervisor, provider_endpoint):
    updated = webhook_endpoint_update(
        actor=provider_supervisor,
        endpoint=provider_endpoint,
        url="https://new.example.org/h",
        events=["consent.revoked"],
    )
    assert (updated.url, updated.events, updated.updated_by) == (
        "https://new.example.org/h",
        ["consent.revoked"],
        provider_supervisor,
    )
    event = _audit(AuditAction.WEBHOOK_ENDPOINT_CHANGED)
    assert event.detail["changed"] == ["events", "url"]
    assert event.detail["before"]["url"] == "https://ehr.harbor.example.org/hooks"


def test_update__nothing_changed_writes_nothing(provider_supervisor, provider_endpoint):
    webhook_endpoint_update(actor=provider_supervisor, endpoint=provider_endpoint, url=provider_endpoint.url)
    assert not AuditEvent.objects.filter(action=AuditAction.WEBHOOK_ENDPOINT_CHANGED).exists()


def test_update__turning_off_abandons_what_was_waiting_and_audits_a_disable(provider_supervisor, provider_endpoint):
    waiting = make_delivery(provider_endpoint)
    webhook_endpoint_update(actor=provider_supervisor, endpoint=provider_endpoint, active=False)
    provider_endpoint.refresh_from_db()
    waiting.refresh_from_db()
    assert provider_endpoint.disabled_at is not None and provider_endpoint.disabled_reason == "Turned off by staff."
    assert waiting.status == DeliveryStatus.ABANDONED
    assert _audit(AuditAction.WEBHOOK_ENDPOINT_DISABLED).detail["deliveries_abandoned"] == 1
    webhook_endpoint_update(actor=provider_supervisor, endpoint=provider_endpoint, active=True)
    provider_endpoint.refresh_from_db()
    assert (provider_endpoint.active, provider_endpoint.disabled_at, provider_endpoint.disabled_reason) == (
        True,
        None,
        "",
    )


@pytest.mark.parametrize("who", ["provider_intake", "other_provider_intake", "county_supervisor"])
def test_update_rotate_delete__by_others_are_refused(who, request, provider_endpoint):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        webhook_endpoint_update(actor=actor, endpoint=provider_endpoint, description="mine now")
    with pytest.raises(PermissionDenied):
        webhook_endpoint_rotate_secret(actor=actor, endpoint=provider_endpoint)
    with pytest.raises(PermissionDenied):
        webhook_endpoint_delete(actor=actor, endpoint=provider_endpoint)
    with pytest.raises(PermissionDenied):
        webhook_endpoint_disable(actor=actor, endpoint=provider_endpoint, reason="no")
    provider_endpoint.refresh_from_db()
    assert provider_endpoint.active and provider_endpoint.description == "Partner EHR"


def test_rotate__new_secret_old_one_valid_for_24_hours_audited(provider_supervisor, provider_endpoint):
    old = provider_endpoint.secret
    now = timezone.now()
    endpoint, secret = webhook_endpoint_rotate_secret(actor=provider_supervisor, endpoint=provider_endpoint, now=now)
    assert secret != old and endpoint.secret == secret
    assert (endpoint.previous_secret, endpoint.previous_secret_expires_at) == (old, now + datetime.timedelta(hours=24))
    event = _audit(AuditAction.WEBHOOK_SECRET_ROTATED)
    assert event.actor == provider_supervisor and old not in str(event.detail) and secret not in str(event.detail)


def test_disable__by_governance_is_audited_and_idempotent(governance_lead, provider_endpoint):
    webhook_endpoint_disable(actor=governance_lead, endpoint=provider_endpoint, reason="Partner contract ended.")
    webhook_endpoint_disable(actor=governance_lead, endpoint=provider_endpoint, reason="again")
    provider_endpoint.refresh_from_db()
    assert provider_endpoint.disabled_reason == "Partner contract ended."
    assert AuditEvent.objects.filter(action=AuditAction.WEBHOOK_ENDPOINT_DISABLED).count() == 1


def test_delete__hides_it_from_its_organization_and_keeps_the_log_for_governance(
    provider_supervisor, governance_lead, provider_endpoint
):
    delivery = make_delivery(provider_endpoint)
    webhook_endpoint_delete(actor=provider_supervisor, endpoint=provider_endpoint)
    assert not WebhookEndpoint.objects.visible_to(provider_supervisor).exists()
    assert WebhookEndpoint.objects.visible_to(governance_lead).get() == provider_endpoint
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ABANDONED
    assert _audit(AuditAction.WEBHOOK_ENDPOINT_DELETED).actor == provider_supervisor


def test_delete__governance_cannot_delete(governance_lead, provider_endpoint):
    with pytest.raises(PermissionDenied):
        webhook_endpoint_delete(actor=governance_lead, endpoint=provider_endpoint)
