"""The referral state machine against the issue's table: every status x transition, both sides, and the inputs."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from referrals.access import ReferralActor
from referrals.errors import ReferralNotFound, TransitionConflict, WrongSide
from referrals.models import MILESTONES, Referral, ReferralEvent
from referrals.services import referral_transition
from referrals.workflow import TRANSITIONS
from tests.factories import PATH_TO_STATUS, ReferralFactory

from .support import audit_rows, inputs_for, snapshot

STATUSES = list(PATH_TO_STATUS)
NON_TERMINAL = {"draft", "sent", "acknowledged", "accepted", "in_progress", "on_hold"}
WORKING = {"accepted", "in_progress"}

# The issue's table, written out independently of referrals/workflow.py: sources, target, side.
SPEC = {
    "submit": ({"draft"}, "sent", "referrer"),
    "acknowledge": ({"sent"}, "acknowledged", "receiver"),
    "accept": ({"sent", "acknowledged"}, "accepted", "receiver"),
    "decline": ({"sent", "acknowledged"}, "declined", "receiver"),
    "record_contact_attempt": (WORKING, "in_progress", "receiver"),
    "schedule": (WORKING, "in_progress", "receiver"),
    "start_service": (WORKING | {"on_hold"}, "in_progress", "receiver"),
    "hold": (WORKING, "on_hold", "receiver"),
    "resume": ({"on_hold"}, "in_progress", "receiver"),
    "close": (WORKING | {"on_hold"}, "closed", "receiver"),
    "cancel": (NON_TERMINAL, "cancelled", "referrer"),
    "mark_entered_in_error": (NON_TERMINAL, "entered_in_error", "referrer"),
}
# Milestones each transition stamps when they are still empty.
STAMPS = {
    "submit": {"sent_at"},
    "acknowledge": {"acknowledged_at"},
    "accept": {"acknowledged_at", "responded_at"},
    "decline": {"acknowledged_at", "responded_at"},
    "record_contact_attempt": {"first_contact_at"},
    "start_service": {"service_started_at"},
    "close": {"closed_at"},
    "cancel": {"closed_at"},
    "mark_entered_in_error": {"closed_at"},
}
# Where each transition's code lands on the referral.
CODE_FIELDS = {
    "decline": ("reason_code", "decline_reason"),
    "hold": ("reason_code", "hold_reason"),
    "close": ("outcome_code", "outcome"),
    "cancel": ("reason_code", "cancel_reason"),
    "record_contact_attempt": ("contact_result", "last_contact_result"),
}
PAIRS = [(status, name) for status in STATUSES for name in SPEC]


def _right_actor(name, case_manager, county_supervisor, provider_intake):
    if name == "mark_entered_in_error":
        return county_supervisor
    return case_manager if SPEC[name][2] == "referrer" else provider_intake


def test_table__matches_the_issue():
    assert set(TRANSITIONS) == set(SPEC)
    for name, (sources, target, side) in SPEC.items():
        transition = TRANSITIONS[name]
        assert ({str(s) for s in transition.sources}, str(transition.target), str(transition.side)) == (
            sources,
            target,
            side,
        ), name
    assert TRANSITIONS["mark_entered_in_error"].permission == "referrals.mark_entered_in_error"


def _assert_refused(referral, before, *, actor, name, outcome):
    assert snapshot(referral) == before
    [row] = audit_rows(AuditAction.REFERRAL_TRANSITION_REFUSED, target_id=str(referral.pk))
    assert (row.actor, row.subtype, row.outcome) == (actor, name, outcome)
    assert row.outcome_reason


@pytest.mark.parametrize(("status", "name"), PAIRS)
def test_transition__by_the_right_side(
    status, name, make_referral, case_manager, county_supervisor, provider_intake, county, provider
):
    referral = make_referral(status)
    actor = _right_actor(name, case_manager, county_supervisor, provider_intake)
    sources, target, side = SPEC[name]
    before = snapshot(referral)
    transitioned_before = len(audit_rows(AuditAction.REFERRAL_TRANSITIONED))
    now = timezone.now()
    inputs = inputs_for(name, now)

    if status not in sources:
        if side == "receiver" and status == "draft":
            # Providers never see drafts: the answer is "no such referral", and nothing changes.
            with pytest.raises(ReferralNotFound):
                referral_transition(actor=actor, referral=referral, name=name, now=now, **inputs)
            _assert_refused(referral, before, actor=actor, name=name, outcome=Outcome.DENIED)
        else:
            with pytest.raises(TransitionConflict) as refused:
                referral_transition(actor=actor, referral=referral, name=name, now=now, **inputs)
            assert referral.get_status_display().lower() in refused.value.message
            _assert_refused(referral, before, actor=actor, name=name, outcome=Outcome.FAILED)
        assert len(audit_rows(AuditAction.REFERRAL_TRANSITIONED)) == transitioned_before
        return

    result = referral_transition(actor=actor, referral=referral, name=name, now=now, **inputs)
    row = Referral.objects.get(pk=referral.pk)
    assert result.status == row.status == target
    assert row.version == before["row"]["version"] + 1

    for field in MILESTONES:
        if field == "appointment_at" and name == "schedule":
            assert row.appointment_at == inputs["appointment_at"]
        elif field in STAMPS.get(name, ()) and before["row"][field] is None:
            assert getattr(row, field) == now, field
        else:
            assert getattr(row, field) == before["row"][field], field
    if name in CODE_FIELDS:
        input_name, field = CODE_FIELDS[name]
        assert getattr(row, field) == inputs[input_name]
    assert row.status_note == inputs.get("note", "")

    organization = county if side == "referrer" else provider
    [event] = ReferralEvent.objects.filter(referral=row).exclude(pk__in=before["events"])
    assert (event.name, event.from_status, event.to_status, event.side) == (name, status, target, side)
    assert (event.actor, event.organization, event.occurred_at) == (actor, organization, now)
    assert event.actor_display == actor.get_full_name()
    assert event.note == inputs.get("note", "")
    assert event.reason_code == inputs.get("reason_code", "")
    assert event.outcome_code == inputs.get("outcome_code", "")
    assert event.contact_result == inputs.get("contact_result", "")
    assert event.appointment_at == inputs.get("appointment_at")

    new_rows = audit_rows(AuditAction.REFERRAL_TRANSITIONED)[transitioned_before:]
    assert len(new_rows) == 1
    audit = new_rows[0]
    assert (audit.subtype, audit.actor, audit.outcome) == (name, actor, Outcome.SUCCESS)
    assert (audit.target_type, audit.target_id, audit.client_id) == ("referrals.Referral", str(row.pk), row.client_id)
    assert audit.actor_organization_id == organization.pk
    assert audit.detail["from"] == status and audit.detail["to"] == target
    assert not audit_rows(AuditAction.REFERRAL_TRANSITION_REFUSED)

    assert row.history.count() == before["history"] + 1
    latest = row.history.first()
    assert (latest.status, latest.history_user) == (target, actor)


@pytest.mark.parametrize(("status", "name"), PAIRS)
def test_transition__by_the_wrong_side_is_refused(status, name, make_referral, case_manager, provider_intake):
    referral = make_referral(status)
    side = SPEC[name][2]
    actor = provider_intake if side == "referrer" else case_manager
    before = snapshot(referral)
    if actor == provider_intake and status == "draft":
        with pytest.raises(ReferralNotFound):
            referral_transition(actor=actor, referral=referral, name=name, **inputs_for(name))
        _assert_refused(referral, before, actor=actor, name=name, outcome=Outcome.DENIED)
        return
    with pytest.raises(WrongSide) as refused:
        referral_transition(actor=actor, referral=referral, name=name, **inputs_for(name))
    assert ("referring agency" if side == "referrer" else "receiving provider") in refused.value.message
    _assert_refused(referral, before, actor=actor, name=name, outcome=Outcome.DENIED)


@pytest.mark.parametrize("status", sorted(NON_TERMINAL))
def test_mark_entered_in_error__by_a_case_manager_is_refused(status, make_referral, case_manager):
    referral = make_referral(status)
    before = snapshot(referral)
    with pytest.raises(WrongSide) as refused:
        referral_transition(actor=case_manager, referral=referral, name="mark_entered_in_error", note="Oops.")
    assert "county supervisor" in refused.value.message
    _assert_refused(referral, before, actor=case_manager, name="mark_entered_in_error", outcome=Outcome.DENIED)


@pytest.mark.parametrize("name", ["accept", "decline", "acknowledge"])
def test_receiver_step__by_a_county_supervisor_is_refused(name, make_referral, county_supervisor):
    referral = make_referral("sent")
    before = snapshot(referral)
    with pytest.raises(WrongSide):
        referral_transition(actor=county_supervisor, referral=referral, name=name, **inputs_for(name))
    assert snapshot(referral) == before


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize(
    "who", ["case_manager", "county_supervisor", "provider_intake", "provider_supervisor", "other_provider_intake"]
)
def test_allowed_transitions__agree_with_the_table(status, who, make_referral, request):
    referral = make_referral(status)
    user = request.getfixturevalue(who)
    if who in ("case_manager", "county_supervisor"):
        sides = {"referrer"}
    elif who in ("provider_intake", "provider_supervisor") and status != "draft":
        sides = {"receiver"}
    else:
        sides = set()
    expected = {
        name
        for name, (sources, _, side) in SPEC.items()
        if status in sources and side in sides and (name != "mark_entered_in_error" or who == "county_supervisor")
    }
    assert set(ReferralActor(user).load_grants([referral]).allowed_transitions(referral)) == expected


# Milestones and codes across several steps


def test_accept__from_sent_sets_acknowledged_at_too(make_referral, provider_intake):
    referral = make_referral("sent")
    now = timezone.now()
    referral = referral_transition(actor=provider_intake, referral=referral, name="accept", now=now)
    assert referral.acknowledged_at == referral.responded_at == now


def test_accept__after_acknowledge_keeps_the_acknowledgement_time(make_referral, provider_intake):
    referral = make_referral("acknowledged")
    acknowledged_at = referral.acknowledged_at
    later = timezone.now() + datetime.timedelta(hours=2)
    referral = referral_transition(actor=provider_intake, referral=referral, name="accept", now=later)
    assert (referral.acknowledged_at, referral.responded_at) == (acknowledged_at, later)


def test_contact_attempts__first_sets_first_contact_later_ones_do_not(make_referral, provider_intake):
    referral = make_referral("accepted")
    first = timezone.now()
    referral = referral_transition(
        actor=provider_intake, referral=referral, name="record_contact_attempt", contact_result="no-answer", now=first
    )
    second = first + datetime.timedelta(hours=3)
    referral = referral_transition(
        actor=provider_intake, referral=referral, name="record_contact_attempt", contact_result="reached", now=second
    )
    row = Referral.objects.get(pk=referral.pk)
    assert (row.first_contact_at, row.contact_attempts, row.last_contact_result) == (first, 2, "reached")
    results = list(row.events.filter(name="record_contact_attempt").values_list("contact_result", "occurred_at"))
    assert results == [("no-answer", first), ("reached", second)]


@pytest.mark.parametrize("leave_by", ["resume", "start_service"])
def test_leaving_a_hold__clears_the_hold_reason(leave_by, make_referral, provider_intake):
    referral = make_referral("on_hold")
    assert referral.hold_reason == "waitlisted"
    referral = referral_transition(actor=provider_intake, referral=referral, name=leave_by)
    row = Referral.objects.get(pk=referral.pk)
    assert (row.status, row.hold_reason) == ("in_progress", "")


def test_close__from_hold_keeps_the_hold_reason_as_history(make_referral, provider_intake):
    referral = make_referral("on_hold")
    referral = referral_transition(actor=provider_intake, referral=referral, name="close", outcome_code="no-show")
    assert (referral.status, referral.hold_reason, referral.outcome) == ("closed", "waitlisted", "no-show")


def test_start_service__twice_keeps_the_first_start(make_referral, provider_intake):
    referral = make_referral("in_progress")
    started = referral.service_started_at
    referral = referral_transition(
        actor=provider_intake, referral=referral, name="start_service", now=timezone.now() + datetime.timedelta(days=1)
    )
    assert referral.service_started_at == started


def test_submit__routes_to_the_service_and_sets_due_times(make_referral, case_manager, provider):
    referral = make_referral("draft", urgency="crisis")
    now = timezone.now()
    referral = referral_transition(actor=case_manager, referral=referral, name="submit", now=now)
    assert (referral.status, referral.sent_at, referral.receiving_organization) == ("sent", now, provider)
    assert referral.acknowledge_due_at == now + datetime.timedelta(hours=1)


def test_submit__without_a_service_is_refused(case_manager, county_client):
    referral = ReferralFactory(client=county_client, service=None, receiving_organization=None)
    before = snapshot(referral)
    with pytest.raises(ValidationError) as refused:
        referral_transition(actor=case_manager, referral=referral, name="submit")
    assert "service" in refused.value.message_dict
    assert snapshot(referral) == before


@pytest.mark.parametrize(
    "change",
    [{"accepting_referrals": False}, {"status": "inactive"}, {"status": "temporarily closed"}],
    ids=["not-accepting", "inactive", "temporarily-closed"],
)
def test_submit__to_a_service_that_stopped_taking_referrals_is_refused(change, make_referral, case_manager, service):
    referral = make_referral("draft")
    for field, value in change.items():
        setattr(service, field, value)
    service.save()
    before = snapshot(referral)
    with pytest.raises(ValidationError) as refused:
        referral_transition(actor=case_manager, referral=referral, name="submit")
    assert "not active or not accepting" in refused.value.message_dict["service"][0]
    assert snapshot(referral) == before


def test_submit__to_a_deactivated_provider_is_refused(make_referral, case_manager, provider):
    referral = make_referral("draft")
    provider.active = False
    provider.save()
    with pytest.raises(ValidationError):
        referral_transition(actor=case_manager, referral=referral, name="submit")
    assert Referral.objects.get(pk=referral.pk).status == "draft"


# Inputs


def _refused_with(referral, actor, name, field, **inputs):
    before = snapshot(referral)
    with pytest.raises(ValidationError) as refused:
        referral_transition(actor=actor, referral=referral, name=name, **inputs)
    assert field in refused.value.message_dict, refused.value.message_dict
    assert snapshot(referral) == before
    return refused.value.message_dict[field][0]


@pytest.mark.parametrize(
    ("name", "status", "field", "inputs"),
    [
        ("decline", "sent", "reason_code", {}),
        ("decline", "sent", "reason_code", {"reason_code": "too-busy"}),
        ("decline", "sent", "reason_code", {"reason_code": "service-completed"}),
        ("decline", "sent", "note", {"reason_code": "other"}),
        ("decline", "sent", "note", {"reason_code": "other", "note": "   "}),
        ("close", "in_progress", "outcome_code", {}),
        ("close", "in_progress", "outcome_code", {"outcome_code": "no-capacity"}),
        ("close", "in_progress", "note", {"outcome_code": "other"}),
        ("cancel", "sent", "reason_code", {}),
        ("cancel", "sent", "note", {"reason_code": "other"}),
        ("hold", "accepted", "reason_code", {}),
        ("hold", "accepted", "reason_code", {"reason_code": "no-capacity"}),
        ("record_contact_attempt", "accepted", "contact_result", {}),
        ("record_contact_attempt", "accepted", "contact_result", {"contact_result": "busy"}),
        ("mark_entered_in_error", "sent", "note", {}),
        ("schedule", "accepted", "appointment_at", {}),
        ("schedule", "accepted", "appointment_at", {"appointment_at": "2030-01-01T10:00:00Z"}),
        ("accept", "sent", "reason_code", {"reason_code": "no-capacity"}),
        ("acknowledge", "sent", "appointment_at", {"appointment_at": timezone.now()}),
        ("close", "in_progress", "reason_code", {"reason_code": "service-completed", "outcome_code": "no-show"}),
        ("decline", "sent", "outcome_code", {"reason_code": "no-capacity", "outcome_code": "no-show"}),
        ("start_service", "accepted", "contact_result", {"contact_result": "reached"}),
        ("accept", "sent", "status", {"status": "closed"}),
        ("accept", "sent", "note", {"note": "x" * 2001}),
    ],
)
def test_inputs__missing_unknown_or_not_applying_are_refused(
    name, status, field, inputs, make_referral, case_manager, county_supervisor, provider_intake
):
    referral = make_referral(status)
    actor = _right_actor(name, case_manager, county_supervisor, provider_intake)
    _refused_with(referral, actor, name, field, **inputs)


@pytest.mark.parametrize("name", ["decline", "close", "cancel", "hold"])
def test_other__with_a_note_is_accepted(name, make_referral, case_manager, provider_intake):
    status = {"decline": "sent", "close": "in_progress", "cancel": "sent", "hold": "accepted"}[name]
    referral = make_referral(status)
    actor = case_manager if name == "cancel" else provider_intake
    field = CODE_FIELDS[name][0]
    referral = referral_transition(actor=actor, referral=referral, name=name, note=" Explained. ", **{field: "other"})
    assert referral.status_note == "Explained."
    assert referral.events.get(name=name).note == "Explained."


def test_schedule__naive_time_is_refused(make_referral, provider_intake):
    referral = make_referral("accepted")
    naive = datetime.datetime.now() + datetime.timedelta(days=2)
    message = _refused_with(referral, provider_intake, "schedule", "appointment_at", appointment_at=naive)
    assert "time zone" in message


def test_schedule__before_sending_is_refused(make_referral, provider_intake):
    referral = make_referral("accepted")
    message = _refused_with(
        referral,
        provider_intake,
        "schedule",
        "appointment_at",
        appointment_at=referral.sent_at - datetime.timedelta(minutes=1),
    )
    assert "before the referral was sent" in message


def test_schedule__more_than_two_years_ahead_is_refused(make_referral, provider_intake):
    referral = make_referral("accepted")
    _refused_with(
        referral,
        provider_intake,
        "schedule",
        "appointment_at",
        appointment_at=timezone.now() + datetime.timedelta(days=800),
    )


def test_schedule__stores_the_appointment_and_a_reschedule_moves_it(make_referral, provider_intake):
    referral = make_referral("accepted")
    first = timezone.now() + datetime.timedelta(days=2)
    referral = referral_transition(actor=provider_intake, referral=referral, name="schedule", appointment_at=first)
    second = first + datetime.timedelta(days=1)
    referral = referral_transition(actor=provider_intake, referral=referral, name="schedule", appointment_at=second)
    assert (referral.status, Referral.objects.get(pk=referral.pk).appointment_at) == ("in_progress", second)
    assert list(referral.events.filter(name="schedule").values_list("appointment_at", flat=True)) == [first, second]


def test_unknown_transition__is_refused(make_referral, case_manager):
    referral = make_referral("sent")
    before = snapshot(referral)
    with pytest.raises(ValidationError) as refused:
        referral_transition(actor=case_manager, referral=referral, name="approve")
    assert "Unknown transition 'approve'" in refused.value.message_dict["name"][0]
    assert snapshot(referral) == before


def test_stale_version__is_a_conflict(make_referral, provider_intake):
    referral = make_referral("sent")
    loaded_version = referral.version
    referral_transition(actor=provider_intake, referral=referral, name="acknowledge", expected_version=loaded_version)
    before = snapshot(referral)
    with pytest.raises(TransitionConflict) as refused:
        referral_transition(actor=provider_intake, referral=referral, name="accept", expected_version=loaded_version)
    assert "changed since you loaded it" in refused.value.message
    assert snapshot(referral) == before
    [row] = audit_rows(AuditAction.REFERRAL_TRANSITION_REFUSED)
    assert (row.subtype, row.outcome) == ("accept", Outcome.FAILED)


def test_full_lifecycle__timeline_reads_in_order(make_referral, case_manager, provider_intake):
    referral = make_referral("draft")
    start = timezone.now()
    steps = [
        (case_manager, "submit", {}),
        (provider_intake, "acknowledge", {}),
        (provider_intake, "accept", {}),
        (provider_intake, "record_contact_attempt", {"contact_result": "left-message"}),
        (provider_intake, "record_contact_attempt", {"contact_result": "reached"}),
        (provider_intake, "schedule", {"appointment_at": start + datetime.timedelta(days=5)}),
        (provider_intake, "hold", {"reason_code": "awaiting-documents"}),
        (provider_intake, "resume", {}),
        (provider_intake, "start_service", {}),
        (provider_intake, "close", {"outcome_code": "service-completed"}),
    ]
    for minutes, (actor, name, inputs) in enumerate(steps, start=1):
        now = start + datetime.timedelta(minutes=minutes)
        referral = referral_transition(actor=actor, referral=referral, name=name, now=now, **inputs)
    row = Referral.objects.get(pk=referral.pk)
    assert row.status == "closed" and row.version == 1 + len(steps)
    assert row.first_contact_at == start + datetime.timedelta(minutes=4)
    assert row.closed_at == start + datetime.timedelta(minutes=10)
    timeline = list(row.events.values_list("name", "from_status", "to_status"))
    assert timeline == [
        ("submit", "draft", "sent"),
        ("acknowledge", "sent", "acknowledged"),
        ("accept", "acknowledged", "accepted"),
        ("record_contact_attempt", "accepted", "in_progress"),
        ("record_contact_attempt", "in_progress", "in_progress"),
        ("schedule", "in_progress", "in_progress"),
        ("hold", "in_progress", "on_hold"),
        ("resume", "on_hold", "in_progress"),
        ("start_service", "in_progress", "in_progress"),
        ("close", "in_progress", "closed"),
    ]
    assert [r.subtype for r in audit_rows(AuditAction.REFERRAL_TRANSITIONED)] == [name for _, name, _ in steps]
