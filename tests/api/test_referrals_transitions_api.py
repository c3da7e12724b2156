"""`POST /api/v1/referrals/{id}/transitions/`: the workflow over the API, its refusals, and two people at once."""

import datetime
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from referrals import services
from referrals.models import Referral, ReferralEvent
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def url(referral) -> str:
    return f"/api/v1/referrals/{referral.pk}/transitions/"


def state(referral) -> tuple:
    """Everything a refused transition must leave as it was."""
    fresh = Referral.objects.get(pk=referral.pk)
    return (
        fresh.status,
        fresh.version,
        fresh.sent_at,
        fresh.acknowledged_at,
        fresh.responded_at,
        fresh.closed_at,
        fresh.decline_reason,
        fresh.cancel_reason,
        fresh.status_note,
        list(ReferralEvent.objects.filter(referral=referral).values_list("name", flat=True)),
    )


def post(api, user, referral, **payload):
    return api.as_user(user).post(url(referral), payload, format="json")


# --- the happy path -------------------------------------------------------------------------------------


def test_transitions__full_lifecycle(api, case_manager, provider_intake, make_referral):
    referral = make_referral("draft")

    body = post(api, case_manager, referral, name="submit").json()
    assert body["status"] == "sent"
    assert body["sent_at"] is not None
    assert body["sla"]["acknowledge_due_at"] is not None
    assert body["allowed_transitions"] == ["cancel"]

    body = post(api, provider_intake, referral, name="acknowledge", version=body["version"]).json()
    assert body["status"] == "acknowledged"
    assert body["acknowledged_at"] is not None
    assert body["responded_at"] is None

    body = post(api, provider_intake, referral, name="accept", note="We can help.").json()
    assert body["status"] == "accepted"
    assert body["responded_at"] is not None
    assert body["status_note"] == "We can help."

    body = post(api, provider_intake, referral, name="record_contact_attempt", contact_result="no-answer").json()
    first_contact = body["first_contact_at"]
    assert body["status"] == "in_progress"
    assert first_contact is not None
    assert body["contact_attempts"] == 1
    assert body["last_contact_result"] == "no-answer"

    body = post(api, provider_intake, referral, name="record_contact_attempt", contact_result="reached").json()
    assert body["contact_attempts"] == 2
    assert body["first_contact_at"] == first_contact  # the first attempt keeps the milestone

    appointment = (timezone.now() + datetime.timedelta(days=3)).replace(microsecond=0)
    body = post(api, provider_intake, referral, name="schedule", appointment_at=appointment.isoformat()).json()
    assert body["status"] == "in_progress"
    assert datetime.datetime.fromisoformat(body["appointment_at"]) == appointment

    body = post(api, provider_intake, referral, name="start_service").json()
    assert body["service_started_at"] is not None

    body = post(api, provider_intake, referral, name="hold", reason_code="waitlisted").json()
    assert (body["status"], body["hold_reason"]) == ("on_hold", "waitlisted")
    assert body["allowed_transitions"] == ["start_service", "resume", "close"]

    body = post(api, provider_intake, referral, name="resume").json()
    assert (body["status"], body["hold_reason"]) == ("in_progress", "")

    body = post(api, provider_intake, referral, name="close", outcome_code="service-completed").json()
    assert (body["status"], body["outcome"]) == ("closed", "service-completed")
    assert body["closed_at"] is not None
    assert body["allowed_transitions"] == []

    names = list(ReferralEvent.objects.filter(referral=referral).values_list("name", flat=True))
    assert names == [
        "submit",
        "acknowledge",
        "accept",
        "record_contact_attempt",
        "record_contact_attempt",
        "schedule",
        "start_service",
        "hold",
        "resume",
        "close",
    ]
    referral.refresh_from_db()
    assert referral.version == body["version"] == 11


def test_transition__writes_the_audit_row_with_its_subtype(api, signed_in, provider_intake, provider, make_referral):
    referral = make_referral("sent")

    signed_in(provider_intake).post(url(referral), {"name": "accept"}, format="json")

    row = AuditEvent.objects.get(action="referral.transitioned", subtype="accept", actor=provider_intake)
    assert row.client_id == referral.client_id
    assert row.target_id == str(referral.pk)
    assert row.detail == {"from": "sent", "to": "accepted"}
    assert row.actor_organization_id == provider.pk
    assert row.source == "api"


def test_decline__stores_the_reason_and_note(api, provider_intake, make_referral):
    referral = make_referral("acknowledged")

    response = post(api, provider_intake, referral, name="decline", reason_code="outside-service-area", note="Lane Co.")

    assert response.status_code == 200
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason, referral.status_note) == (
        "declined",
        "outside-service-area",
        "Lane Co.",
    )
    event = ReferralEvent.objects.get(referral=referral, name="decline")
    assert (event.reason_code, event.note) == ("outside-service-area", "Lane Co.")


def test_decline__other_needs_a_note(api, provider_intake, make_referral):
    referral = make_referral("sent")
    before = state(referral)

    refused = post(api, provider_intake, referral, name="decline", reason_code="other")

    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "The request has invalid fields.",
        "errors": {"note": ["Explain 'other' in a note."]},
    }
    assert state(referral) == before

    accepted = post(api, provider_intake, referral, name="decline", reason_code="other", note="Program paused.")

    assert accepted.status_code == 200
    assert (accepted.json()["decline_reason"], accepted.json()["status_note"]) == ("other", "Program paused.")


def test_mark_entered_in_error__county_supervisor_only(api, case_manager, county_supervisor, make_referral):
    referral = make_referral("sent")
    before = state(referral)

    refused = post(api, case_manager, referral, name="mark_entered_in_error", note="Wrong client.")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert state(referral) == before

    done = post(api, county_supervisor, referral, name="mark_entered_in_error", note="Wrong client.")
    assert done.json()["status"] == "entered_in_error"


def test_partner_system_at_the_provider_answers_as_the_receiver(api, partner_system, make_referral):
    referral = make_referral("sent")

    response = post(api, partner_system, referral, name="accept")

    assert response.status_code == 200
    assert Referral.objects.get(pk=referral.pk).status == "accepted"


# --- 400: invalid input, nothing changes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "payload", "errors"),
    [
        ("sent", {"name": "teleport"}, {"name"}),
        ("sent", {}, {"name"}),
        ("sent", {"name": "decline"}, {"reason_code"}),
        ("sent", {"name": "decline", "reason_code": "too-busy"}, {"reason_code"}),
        ("sent", {"name": "accept", "reason_code": "no-capacity"}, {"reason_code"}),
        ("sent", {"name": "accept", "colour": "blue"}, {"colour"}),
        ("sent", {"name": "accept", "version": "two"}, {"version"}),
        ("sent", {"name": "accept", "note": "x" * 2001}, {"note"}),
        ("accepted", {"name": "schedule"}, {"appointment_at"}),
        ("accepted", {"name": "schedule", "appointment_at": "next tuesday"}, {"appointment_at"}),
        ("accepted", {"name": "schedule", "appointment_at": "2020-01-01T09:00:00Z"}, {"appointment_at"}),
        ("accepted", {"name": "record_contact_attempt", "contact_result": "ghosted"}, {"contact_result"}),
        ("accepted", {"name": "close", "outcome_code": "other"}, {"note"}),
        ("accepted", {"name": "hold"}, {"reason_code"}),
    ],
)
def test_transition__invalid_input_answers_400_and_changes_nothing(
    api, provider_intake, make_referral, start, payload, errors
):
    referral = make_referral(start)
    before = state(referral)
    transitions_audited = AuditEvent.objects.filter(action="referral.transitioned").count()

    response = api.as_user(provider_intake).post(url(referral), payload, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "The request has invalid fields."
    assert set(response.json()["errors"]) == errors
    assert state(referral) == before
    assert AuditEvent.objects.filter(action="referral.transitioned").count() == transitions_audited


def test_transition__non_object_body_answers_400(api, provider_intake, make_referral):
    referral = make_referral("sent")

    response = api.as_user(provider_intake).post(url(referral), ["accept"], format="json")

    assert response.status_code == 400
    assert Referral.objects.get(pk=referral.pk).status == "sent"


def test_submit__without_a_service_answers_400(api, case_manager, make_referral):
    referral = make_referral("draft", service=None)
    before = state(referral)

    response = post(api, case_manager, referral, name="submit")

    assert response.status_code == 400
    assert response.json()["errors"] == {"service": ["Choose a service before sending the referral."]}
    assert state(referral) == before


def test_submit__to_a_service_that_stopped_accepting_answers_400(api, case_manager, make_referral, service):
    referral = make_referral("draft")
    service.accepting_referrals = False
    service.save()
    before = state(referral)

    response = post(api, case_manager, referral, name="submit")

    assert response.status_code == 400
    assert "service" in response.json()["errors"]
    assert state(referral) == before


# --- 403 wrong side, 409 wrong state or stale, 404 not yours --------------------------------------------


@pytest.mark.parametrize(
    ("who", "start", "payload"),
    [
        ("provider_intake", "sent", {"name": "cancel", "reason_code": "client-request"}),
        ("provider_supervisor", "accepted", {"name": "cancel", "reason_code": "client-request"}),
        ("case_manager", "sent", {"name": "accept"}),
        ("county_supervisor", "accepted", {"name": "close", "outcome_code": "service-completed"}),
        ("case_manager", "accepted", {"name": "hold", "reason_code": "waitlisted"}),
    ],
)
def test_transition__wrong_side_answers_403_and_changes_nothing(
    api, signed_in, cast, make_referral, who, start, payload
):
    referral = make_referral(start)
    before = state(referral)

    response = signed_in(cast(who)).post(url(referral), payload, format="json")

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "forbidden"
    assert body["detail"].startswith("Only the ")
    assert state(referral) == before
    refused = AuditEvent.objects.get(action="referral.transition_refused")
    assert (refused.subtype, refused.outcome, refused.actor) == (payload["name"], "denied", cast(who))


@pytest.mark.parametrize(
    ("who", "start", "payload"),
    [
        ("provider_intake", "accepted", {"name": "accept"}),
        ("provider_intake", "declined", {"name": "accept"}),
        ("provider_intake", "closed", {"name": "resume"}),
        ("provider_intake", "sent", {"name": "resume"}),
        ("case_manager", "sent", {"name": "submit"}),
        ("case_manager", "cancelled", {"name": "cancel", "reason_code": "client-request"}),
    ],
)
def test_transition__wrong_state_answers_409_and_changes_nothing(api, cast, make_referral, who, start, payload):
    referral = make_referral(start)
    before = state(referral)

    response = api.as_user(cast(who)).post(url(referral), payload, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["detail"].startswith("Cannot ")
    assert state(referral) == before


def test_transition__stale_version_answers_409_and_changes_nothing(api, provider_intake, make_referral):
    referral = make_referral("sent")
    loaded = api.as_user(provider_intake).get(f"/api/v1/referrals/{referral.pk}/").json()["version"]
    post(api, provider_intake, referral, name="acknowledge", version=loaded)
    before = state(referral)

    response = post(api, provider_intake, referral, name="accept", version=loaded)

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This referral changed since you loaded it (it is now acknowledged). Reload it and try again.",
        "code": "conflict",
    }
    assert state(referral) == before


def test_transition__current_version_is_accepted(api, provider_intake, make_referral):
    referral = make_referral("sent")

    response = post(api, provider_intake, referral, name="accept", version=referral.version)

    assert response.status_code == 200
    assert response.json()["version"] == referral.version + 1


@pytest.mark.parametrize("who", ["other_provider_intake", "no_role_user", "data_steward"])
def test_transition__by_someone_who_cannot_see_it_answers_404(api, cast, make_referral, who):
    referral = make_referral("sent")
    before = state(referral)

    response = post(api, cast(who), referral, name="accept")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert state(referral) == before


def test_transition__on_a_draft_by_the_provider_answers_404(api, provider_intake, make_referral):
    referral = make_referral("draft")
    before = state(referral)

    response = post(api, provider_intake, referral, name="accept")

    assert response.status_code == 404
    assert state(referral) == before


def test_transition__referral_sent_elsewhere_is_404_for_this_provider(
    api, provider_intake, make_referral, other_provider
):
    referral = make_referral("sent", service=ServiceFactory(organization=other_provider))
    before = state(referral)

    response = post(api, provider_intake, referral, name="accept")

    assert response.status_code == 404
    assert state(referral) == before


def test_transition__anonymous_gets_401(api, make_referral):
    referral = make_referral("sent")
    before = state(referral)

    response = api.as_user(None).post(url(referral), {"name": "accept"}, format="json")

    assert response.status_code == 401
    assert state(referral) == before


# --- two people at once (PostgreSQL row locks) ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_transition__two_accepts_at_once_one_wins(make_referral, provider_intake, provider_supervisor, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (select_for_update) to race on")
    referral = make_referral("sent")
    barrier = threading.Barrier(2)
    locked_first = threading.Event()
    real_lock = services.lock_visible_referral

    waits = []

    def slow_lock(actor, referral_):
        started = time.monotonic()
        locked = real_lock(actor, referral_)
        if not locked_first.is_set():
            locked_first.set()
            time.sleep(0.5)  # hold the row lock so the other request has to wait on it
        else:
            waits.append(time.monotonic() - started)
        return locked

    monkeypatch.setattr(services, "lock_visible_referral", slow_lock)
    responses = {}

    def accept(user):
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait(timeout=5)
            responses[user.username] = client.post(url(referral), {"name": "accept"}, format="json")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (provider_intake, provider_supervisor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    codes = sorted(r.status_code for r in responses.values())
    assert codes == [200, 409]
    assert len(waits) == 1 and waits[0] > 0.2, "the second request should have queued on the first one's row lock"
    loser = next(r for r in responses.values() if r.status_code == 409)
    assert loser.json()["code"] == "conflict"
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert referral.version == 3
    assert ReferralEvent.objects.filter(referral=referral, name="accept").count() == 1
