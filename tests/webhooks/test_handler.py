"""From outbox events to deliveries: who gets one, exactly once, with a thin payload."""

from __future__ import annotations

import json

import pytest

from coordination.models import OutboxMessage
from coordination.outbox import outbox_enqueue, outbox_process_message
from tests.factories import WebhookEndpointFactory
from webhooks.choices import DeliveryStatus
from webhooks.handlers import webhook_fanout
from webhooks.models import WebhookDelivery


def _message(referral, event: str) -> OutboxMessage:
    return OutboxMessage.objects.filter(event=event, subject_id=str(referral.pk)).latest("created_at")


def test_fanout__referral_event_reaches_both_sides_endpoints_only(
    make_referral, provider_endpoint, county_endpoint, other_endpoint
):
    referral = make_referral("sent")
    created = webhook_fanout(_message(referral, "referral.sent"))
    deliveries = WebhookDelivery.objects.filter(pk__in=created)
    assert {d.endpoint_id for d in deliveries} == {provider_endpoint.pk, county_endpoint.pk}
    assert all(d.status == DeliveryStatus.PENDING and d.next_attempt_at is not None for d in deliveries)
    assert not WebhookDelivery.objects.filter(endpoint=other_endpoint).exists()


def test_fanout__only_active_subscribed_endpoints_get_one(make_referral, provider):
    subscribed = WebhookEndpointFactory(organization=provider, events=["referral.sent", "referral.accepted"])
    WebhookEndpointFactory(organization=provider, events=["consent.revoked"])
    WebhookEndpointFactory(organization=provider, active=False)
    all_events = WebhookEndpointFactory(organization=provider, events=[])
    referral = make_referral("sent")
    webhook_fanout(_message(referral, "referral.sent"))
    assert set(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == {subscribed.pk, all_events.pk}


def test_fanout__twice_gives_exactly_one_delivery_per_endpoint(make_referral, provider_endpoint, county_endpoint):
    referral = make_referral("sent")
    message = _message(referral, "referral.sent")
    first = webhook_fanout(message)
    second = webhook_fanout(message)
    assert len(first) == 2 and second == []
    assert WebhookDelivery.objects.filter(message_id=message.pk).count() == 2


def test_outbox__processing_a_message_twice_delivers_once_per_endpoint(
    make_referral, provider_endpoint, fake_post, django_capture_on_commit_callbacks
):
    referral = make_referral("sent")
    message = _message(referral, "referral.sent")
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_process_message(message_id=message.pk) is True
    # Forced again (as if a second worker had the same message): nothing new, nothing re-sent.
    OutboxMessage.objects.filter(pk=message.pk).update(processed_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_process_message(message_id=message.pk)
    delivery = WebhookDelivery.objects.get(endpoint=provider_endpoint)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert len(fake_post.calls) == 1
    assert fake_post.calls[0][2]["webhook-id"] == str(message.pk)


def test_fanout__hands_over_only_after_commit(
    make_referral, provider_endpoint, fake_post, django_capture_on_commit_callbacks
):
    referral = make_referral("sent")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        webhook_fanout(_message(referral, "referral.sent"))
    assert fake_post.calls == []  # nothing sent inside the transaction
    for callback in callbacks:
        callback()
    assert len(fake_post.calls) == 1


def test_thin_payload__ids_and_codes_only_never_client_data(make_referral, provider_endpoint, county_client):
    referral = make_referral("accepted")
    message = _message(referral, "referral.accepted")
    webhook_fanout(message)
    payload = WebhookDelivery.objects.get(endpoint=provider_endpoint).payload
    assert payload["type"] == "referral.accepted"
    assert payload["timestamp"].endswith("Z")
    assert payload["data"] == {
        "id": str(message.pk),
        "object": "referral",
        "referral": str(referral.pk),
        "status": "accepted",
        "previous_status": "sent",
    }
    text = json.dumps(payload)
    for secret in (county_client.given_name, county_client.family_name, referral.reason, county_client.phone):
        assert secret not in text
    assert "actor" not in text


def test_fanout__consent_event_goes_to_the_named_organizations_with_the_client_id(
    county_client, provider, provider_endpoint, other_endpoint, county_endpoint
):
    message = outbox_enqueue(
        "consent.revoked",
        subject=county_client.consents.first(),
        data={"client_id": str(county_client.pk), "organization_ids": [str(provider.pk)], "actor_id": 7},
    )
    webhook_fanout(message)
    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint_id == provider_endpoint.pk
    assert delivery.payload["data"] == {
        "id": str(message.pk),
        "object": "consent",
        "consent": str(county_client.consents.first().pk),
        "client": str(county_client.pk),
    }
    assert county_client.given_name not in json.dumps(delivery.payload)


@pytest.mark.parametrize("event", ["exception.escalated", "referral.unknown_thing"])
def test_fanout__events_partners_cannot_subscribe_to_make_nothing(event, provider_endpoint, provider):
    message = OutboxMessage.objects.create(event=event, data={"organization_ids": [str(provider.pk)]})
    assert webhook_fanout(message) == []


def test_fanout__deleted_endpoint_gets_nothing(make_referral, provider_endpoint):
    referral = make_referral("sent")
    provider_endpoint.deleted_at = provider_endpoint.created_at
    provider_endpoint.save()
    assert webhook_fanout(_message(referral, "referral.sent")) == []


@pytest.mark.parametrize(
    "data",
    [{"referral_id": "not-a-uuid"}, {"organization_ids": ["nope", None]}, {}],
)
def test_fanout__malformed_event_data_delivers_nothing_and_does_not_raise(data, provider_endpoint):
    for event in ("referral.sent", "consent.revoked"):
        message = OutboxMessage.objects.create(event=event, data=data)
        assert webhook_fanout(message) == []


# --- the receiving side hears only of referrals it was sent -------------------------------------------------


@pytest.mark.parametrize("name", ["cancel", "mark_entered_in_error"])
def test_fanout__a_never_sent_draft_reaches_only_the_referring_side(
    make_referral,
    county_supervisor,
    provider_endpoint,
    county_endpoint,
    fake_post,
    django_capture_on_commit_callbacks,
    name,
):
    from referrals.services import referral_transition
    from tests.referrals.support import inputs_for

    referral = make_referral("draft")
    assert referral.receiving_organization_id == provider_endpoint.organization_id and referral.sent_at is None
    with django_capture_on_commit_callbacks(execute=True):
        referral_transition(actor=county_supervisor, referral=referral, name=name, **inputs_for(name))
    message = _message(referral, "referral.status_changed")
    deliveries = WebhookDelivery.objects.filter(message_id=message.pk)
    # The provider never saw the draft: its endpoint hears nothing, not even that the referral exists.
    assert {d.endpoint_id for d in deliveries} == {county_endpoint.pk}
    assert [url for url, _, _ in fake_post.calls] == [county_endpoint.url]


def test_fanout__cancelled_after_sending_still_reaches_the_provider(
    make_referral, case_manager, provider_endpoint, county_endpoint, fake_post, django_capture_on_commit_callbacks
):
    from referrals.services import referral_transition
    from tests.referrals.support import inputs_for

    referral = make_referral("sent")
    with django_capture_on_commit_callbacks(execute=True):
        referral_transition(actor=case_manager, referral=referral, name="cancel", **inputs_for("cancel"))
    message = _message(referral, "referral.status_changed")
    deliveries = WebhookDelivery.objects.filter(message_id=message.pk)
    assert {d.endpoint_id for d in deliveries} == {provider_endpoint.pk, county_endpoint.pk}
    assert all(d.status == DeliveryStatus.SUCCEEDED for d in deliveries)
