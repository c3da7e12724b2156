"""End to end over real HTTP: a partner receiver on 127.0.0.1 gets signed deliveries and verifies them."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from standardwebhooks import Webhook

from coordination.models import OutboxMessage
from coordination.outbox import outbox_process_message
from tests.factories import WebhookEndpointFactory
from webhooks.choices import DeliveryStatus
from webhooks.delivery import delivery_attempt
from webhooks.models import WebhookDelivery
from webhooks.signing import verify
from webhooks.transport import post


@pytest.fixture
def endpoint(provider, receiver):
    return WebhookEndpointFactory(organization=provider, url=receiver.url)


def _send_referral(make_referral, capture):
    referral = make_referral("sent")
    message = OutboxMessage.objects.get(event="referral.sent", subject_id=str(referral.pk))
    with capture(execute=True):
        outbox_process_message(message_id=message.pk)
    return referral, message


def test_receiver__gets_a_signed_thin_delivery_and_verifies_it(
    make_referral, endpoint, receiver, django_capture_on_commit_callbacks
):
    referral, message = _send_referral(make_referral, django_capture_on_commit_callbacks)
    [request] = receiver.requests
    assert request.path == "/hooks/"
    assert request.headers["webhook-id"] == str(message.pk)
    assert request.headers["content-type"] == "application/json"
    # The partner's side: the reference library and the spec's algorithm both accept it.
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    verify(endpoint.secret, request.headers, request.body)
    assert payload["type"] == "referral.sent"
    assert payload["data"]["referral"] == str(referral.pk)
    assert referral.client.family_name not in request.body.decode()
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.last_response_code) == (DeliveryStatus.SUCCEEDED, 204)
    attempt = delivery.attempts.get()
    assert attempt.response_code == 204 and attempt.duration_ms >= 0


def test_receiver__a_tampered_body_fails_verification(
    make_referral, endpoint, receiver, django_capture_on_commit_callbacks
):
    _send_referral(make_referral, django_capture_on_commit_callbacks)
    [request] = receiver.requests
    tampered = json.dumps({**json.loads(request.body), "type": "referral.accepted"}).encode()
    with pytest.raises(Exception, match=r"No matching signature"):
        Webhook(endpoint.secret).verify(tampered, request.headers)


def test_receiver__error_then_success_retries_with_the_same_id(
    make_referral, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.answer(500)
    _send_referral(make_referral, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.last_response_code) == (DeliveryStatus.FAILED, 500)
    delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    Webhook(endpoint.secret).verify(second.body, second.headers)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 2)


def test_receiver__410_disables_the_endpoint(make_referral, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.answer(410)
    _send_referral(make_referral, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.active is False and "410" in endpoint.disabled_reason


def test_receiver__redirects_are_not_followed(endpoint, receiver):
    receiver.answer(307)
    result = post(receiver.url, b"{}", {"content-type": "application/json"})
    assert result.status == 307 and not result.ok
    assert len(receiver.requests) == 1  # the Location was not visited


@override_settings(WEBHOOK_READ_TIMEOUT=0.3)
def test_receiver__a_slow_partner_times_out(receiver):
    receiver.delay = 1.0
    result = post(receiver.url, b"{}", {"content-type": "application/json"})
    assert (result.status, result.error) == (None, "timeout")
    assert result.duration_ms < 1000


def test_transport__a_closed_port_is_a_connection_error(receiver):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = post(f"http://127.0.0.1:{port}/", b"{}", {})
    assert result.status is None and "ConnectionRefused" in result.error


@override_settings(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=False)
def test_transport__in_production_mode_refuses_a_name_that_resolves_to_loopback(receiver):
    url = receiver.url.replace("127.0.0.1", "localhost")
    result = post(url, b"{}", {})
    assert result.status is None and "non-public address" in result.error
    assert receiver.requests == []


@override_settings(WEBHOOKS_REQUIRE_HTTPS=True)
def test_transport__with_https_required_refuses_a_plain_http_address(receiver):
    result = post(receiver.url, b"{}", {})
    assert result.status is None and not result.ok
    assert "https" in result.error and "not sent" in result.error
    assert receiver.requests == []


def test_delivery__an_http_endpoint_stored_before_https_was_required_is_not_sent_in_plain_text(
    make_referral, endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    """The check at save time cannot help an endpoint saved earlier: sending refuses it, and logs why."""
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    _send_referral(make_referral, django_capture_on_commit_callbacks)
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_response_code is None
    assert "https" in delivery.last_error
    attempt = delivery.attempts.get()
    assert not attempt.succeeded and attempt.response_code is None and attempt.error == delivery.last_error
