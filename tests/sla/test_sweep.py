"""The sweep: each missed target recorded once, the escalation ladder (who is told at levels 1 and 2), the
re-routing flag, the sla-breach exception, the outbox rows and audit rows, and the heartbeat.

A crisis referral sent at T has its acknowledgement due at T+1h, first contact at T+4h (around the clock); the
second escalation comes the same target again after the due time (acknowledgement: T+2h).
"""

from __future__ import annotations

import datetime

import pytest

from audit.choices import AuditAction
from audit.models import AuditEvent
from coordination.models import OutboxMessage
from coordination.roles import Role
from exceptionqueue.models import ExceptionItem
from notifications.models import Notification
from providers.services import membership_grant
from referrals.services import referral_transition
from sla import sweep as sweep_module
from sla.models import SlaBreach, SlaEscalation, SweepHeartbeat
from sla.sweep import sla_sweep
from tests.factories import UserFactory

from .conftest import local

pytestmark = pytest.mark.django_db

T = local(2026, 5, 1, 9)  # a Friday morning
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)


def at(delta: datetime.timedelta) -> datetime.datetime:
    return T + delta


@pytest.fixture
def crisis(send_at):
    return send_at(T, urgency="crisis")


def outbox(event: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(event=event).order_by("created_at"))


def audits(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


# --- breaches, once ----------------------------------------------------------------------------------------


def test_sweep__before_the_due_time_records_nothing(crisis):
    counts = sla_sweep(now=at(59 * MINUTE))
    assert counts["breaches"] == 0
    assert not SlaBreach.objects.exists()


def test_sweep__records_a_missed_target_once_when_run_twice(crisis):
    first = sla_sweep(now=at(HOUR + MINUTE))
    second = sla_sweep(now=at(HOUR + 2 * MINUTE))

    assert (first["breaches"], second["breaches"]) == (1, 0)
    [breach] = SlaBreach.objects.all()
    assert (breach.referral_id, breach.stage, breach.due_at) == (crisis.pk, "acknowledge", crisis.acknowledge_due_at)
    assert (breach.breached_at, breach.escalation_level) == (at(HOUR + MINUTE), 1)
    assert breach.next_escalation_at == at(2 * HOUR)
    [escalation] = SlaEscalation.objects.all()
    assert (escalation.breach, escalation.level, escalation.stage) == (breach, 1, "acknowledge")
    [message] = outbox("referral.sla_breached")
    assert message.subject_id == str(crisis.pk)
    assert message.data == {
        "referral_id": str(crisis.pk),
        "stage": "acknowledge",
        "level": 1,
        "user_ids": escalation.notified_user_ids,
        "escalation_id": str(escalation.pk),
    }
    [audited] = audits(AuditAction.REFERRAL_SLA_BREACHED)
    assert (audited.target_id, audited.client_id, audited.subtype) == (str(crisis.pk), crisis.client_id, "acknowledge")
    assert audited.detail["escalation_id"] == str(escalation.pk)
    assert audited.actor is None and audited.actor_display == "SLA sweep"


def test_sweep__a_stage_done_in_time_is_never_breached(crisis, provider_intake):
    referral_transition(actor=provider_intake, referral=crisis, name="acknowledge", now=at(30 * MINUTE))
    counts = sla_sweep(now=at(3 * HOUR))
    assert counts["breaches"] == 0
    assert not SlaBreach.objects.exists() and not outbox("referral.sla_breached")


def test_sweep__a_stage_done_late_before_any_sweep_saw_it_is_not_told(crisis, provider_intake):
    referral_transition(actor=provider_intake, referral=crisis, name="accept", now=at(2 * HOUR))
    counts = sla_sweep(now=at(5 * HOUR))
    # Acknowledged late (by accepting) before any sweep saw it: nothing to tell. First contact is still owed.
    assert counts["breaches"] == 1
    assert list(SlaBreach.objects.values_list("stage", flat=True)) == ["first_contact"]


def test_sweep__drafts_and_ended_referrals_are_not_breached(send_at):
    send_at(T, "draft", urgency="crisis")
    send_at(T, "declined", urgency="crisis")
    send_at(T, "cancelled", urgency="crisis")
    assert sla_sweep(now=at(100 * HOUR))["breaches"] == 0


# --- the ladder -----------------------------------------------------------------------------------------


@pytest.fixture
def cast(county, provider, other_provider, case_manager, county_supervisor, provider_intake, provider_supervisor):
    """Everyone who might be told, and those who must not be."""
    worker = UserFactory(username="worker")
    membership_grant(actor=None, user=worker, organization=provider, role=Role.PROVIDER_INTAKE)
    gone = UserFactory(username="gone", is_active=False)
    membership_grant(actor=None, user=gone, organization=provider, role=Role.PROVIDER_SUPERVISOR)
    steward = UserFactory(username="steward2")
    membership_grant(actor=None, user=steward, organization=county, role=Role.DATA_STEWARD)
    elsewhere = UserFactory(username="othersup")
    membership_grant(actor=None, user=elsewhere, organization=other_provider, role=Role.PROVIDER_SUPERVISOR)
    ehr = UserFactory(username="ehr")
    membership_grant(actor=None, user=ehr, organization=provider, role=Role.PARTNER_SYSTEM)
    return {"worker": worker, "others": {gone, steward, elsewhere, ehr}}


def test_ladder__level_1_tells_the_provider_team_and_the_case_manager(
    crisis, cast, case_manager, county_supervisor, provider_intake, provider_supervisor, other_provider_intake
):
    sla_sweep(now=at(HOUR + MINUTE))
    [escalation] = SlaEscalation.objects.all()
    told = set(escalation.notified_user_ids)
    assert told == {case_manager.pk, provider_intake.pk, provider_supervisor.pk, cast["worker"].pk}
    assert not told & {u.pk for u in (county_supervisor, other_provider_intake, *cast["others"])}
    names = {p["name"]: (p["organization"], p["role"]) for p in escalation.notified}
    assert names[provider_supervisor.get_full_name() or "provsup"] == ("Harbor Community Health", "provider_supervisor")


def test_ladder__level_2_tells_the_county_supervisors_and_suggests_rerouting(
    crisis, cast, case_manager, county_supervisor, provider_intake
):
    sla_sweep(now=at(HOUR + MINUTE))
    before_level_2 = sla_sweep(now=at(2 * HOUR - MINUTE))
    counts = sla_sweep(now=at(2 * HOUR))
    again = sla_sweep(now=at(3 * HOUR))

    assert (before_level_2["escalations"], counts["escalations"], again["escalations"]) == (0, 1, 0)
    level_1, level_2 = SlaEscalation.objects.order_by("level")
    assert (level_2.level, level_2.stage, level_2.breach_id) == (2, "acknowledge", level_1.breach_id)
    assert level_2.notified_user_ids == [county_supervisor.pk]
    breach = SlaBreach.objects.get()
    assert (breach.escalation_level, breach.next_escalation_at) == (2, None)
    crisis.refresh_from_db()
    assert crisis.reroute_suggested_at == at(2 * HOUR)
    assert crisis.status == "sent"  # a flag only: the workflow alone moves the status
    [message] = outbox("referral.escalated")
    assert message.data == {
        "referral_id": str(crisis.pk),
        "stage": "acknowledge",
        "level": 2,
        "user_ids": [county_supervisor.pk],
        "escalation_id": str(level_2.pk),
    }
    [audited] = audits(AuditAction.REFERRAL_ESCALATED)
    assert (audited.target_id, audited.detail["level"], audited.detail["notified"]) == (
        str(crisis.pk),
        2,
        [county_supervisor.pk],
    )


def test_ladder__level_2_raises_one_sla_breach_exception_for_the_county_supervisors(crisis, county, county_supervisor):
    sla_sweep(now=at(HOUR + MINUTE))
    sla_sweep(now=at(2 * HOUR))
    sla_sweep(now=at(9 * HOUR))  # first contact climbs too: a second exception, for that stage
    items = ExceptionItem.objects.filter(kind="sla-breach").order_by("created_at")
    assert [(i.owner_organization, i.owner_role, i.referral_id, i.severity) for i in items] == [
        (county, "county_supervisor", crisis.pk, "critical"),
        (county, "county_supervisor", crisis.pk, "critical"),
    ]
    keys = {f"sla-breach:{crisis.pk}:{stage}" for stage in ("acknowledge", "first_contact")}
    assert {i.dedupe_key for i in items} == keys
    assert crisis.client.family_name not in items[0].summary and crisis.client.given_name not in items[0].summary


def test_ladder__no_level_2_once_the_stage_is_done(crisis, provider_intake):
    sla_sweep(now=at(HOUR + MINUTE))
    referral_transition(actor=provider_intake, referral=crisis, name="acknowledge", now=at(90 * MINUTE))
    counts = sla_sweep(now=at(3 * HOUR))
    assert (counts["escalations"], counts["settled"]) == (0, 1)
    breach = SlaBreach.objects.get()
    assert (breach.escalation_level, breach.next_escalation_at) == (1, None)
    crisis.refresh_from_db()
    assert crisis.reroute_suggested_at is None
    assert not outbox("referral.escalated") and not ExceptionItem.objects.exists()


def test_ladder__a_hold_pauses_the_climb_until_resumed(send_at, provider_intake):
    referral = send_at(T, "accepted", urgency="crisis")
    sla_sweep(now=at(4 * HOUR + MINUTE))  # first contact missed
    referral = referral_transition(
        actor=provider_intake, referral=referral, name="hold", reason_code="waitlisted", now=at(5 * HOUR)
    )
    assert sla_sweep(now=at(9 * HOUR))["escalations"] == 0
    breach = SlaBreach.objects.get(stage="first_contact")
    assert breach.next_escalation_at == at(8 * HOUR)  # kept: a hold can end
    referral_transition(actor=provider_intake, referral=referral, name="resume", now=at(10 * HOUR))
    assert sla_sweep(now=at(10 * HOUR + MINUTE))["escalations"] == 1


def test_ladder__a_sweep_that_was_down_catches_up_in_one_run(crisis):
    counts = sla_sweep(now=at(10 * HOUR))
    # Acknowledgement and first contact both missed, and both past their second interval (T+2h, T+8h).
    assert (counts["breaches"], counts["escalations"]) == (2, 2)
    assert sorted(SlaEscalation.objects.values_list("stage", "level")) == [
        ("acknowledge", 1),
        ("acknowledge", 2),
        ("first_contact", 1),
        ("first_contact", 2),
    ]


def test_ladder__notifications_reach_only_the_people_told(
    crisis, cast, django_capture_on_commit_callbacks, case_manager, county_supervisor, other_provider_intake
):
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=at(HOUR + MINUTE))
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=at(2 * HOUR))
    breached = set(Notification.objects.filter(event="referral.sla_breached").values_list("recipient_id", flat=True))
    escalated = set(Notification.objects.filter(event="referral.escalated").values_list("recipient_id", flat=True))
    level_1, level_2 = SlaEscalation.objects.order_by("level")
    assert breached == set(level_1.notified_user_ids) and case_manager.pk in breached
    assert escalated == set(level_2.notified_user_ids) == {county_supervisor.pk}
    everyone = breached | escalated
    assert other_provider_intake.pk not in everyone
    assert not everyone & {u.pk for u in cast["others"]}


# --- running it ---------------------------------------------------------------------------------------------


def test_sweep__writes_the_heartbeat(crisis):
    sla_sweep(now=at(HOUR + MINUTE))
    sla_sweep(now=at(HOUR + 2 * MINUTE))
    beat = SweepHeartbeat.objects.get(name="sla_sweep")
    assert (beat.runs, beat.last_as_of, beat.counts["breaches"]) == (2, at(HOUR + 2 * MINUTE), 0)


def test_sweep__escalates_overdue_exceptions_in_the_same_run(crisis, monkeypatch):
    seen = []
    monkeypatch.setattr(sweep_module, "exceptions_escalate_overdue", lambda *, now: seen.append(now) or 3)
    assert sla_sweep(now=at(MINUTE))["exceptions_escalated"] == 3
    assert seen == [at(MINUTE)]


def test_sweep__a_failing_exception_queue_still_leaves_a_heartbeat(crisis, monkeypatch):
    def broken(*, now):
        raise RuntimeError("queue down")

    monkeypatch.setattr(sweep_module, "exceptions_escalate_overdue", broken)
    counts = sla_sweep(now=at(HOUR + MINUTE))
    assert (counts["breaches"], counts["exceptions_escalated"], counts["errors"]) == (1, 0, 1)
    assert SweepHeartbeat.objects.get().counts["errors"] == 1


def test_sweep__one_failing_referral_does_not_stop_the_others(send_at, monkeypatch):
    broken = send_at(T, urgency="crisis")
    fine = send_at(T, urgency="crisis")
    real = sweep_module.RECIPIENTS[1]

    def recipients(referral):
        if referral.pk == broken.pk:
            raise RuntimeError("boom")
        return real(referral)

    monkeypatch.setitem(sweep_module.RECIPIENTS, 1, recipients)
    counts = sla_sweep(now=at(HOUR + MINUTE))
    assert (counts["breaches"], counts["errors"]) == (1, 1)
    assert list(SlaBreach.objects.values_list("referral_id", flat=True)) == [fine.pk]
    monkeypatch.setitem(sweep_module.RECIPIENTS, 1, real)
    assert sla_sweep(now=at(HOUR + 2 * MINUTE))["breaches"] == 1  # the next run records it


def test_sweep__refuses_a_naive_now():
    with pytest.raises(ValueError, match="aware"):
        sla_sweep(now=datetime.datetime(2026, 5, 1, 9))


def test_sweep__the_soft_time_limit_stops_the_run_and_still_leaves_a_heartbeat(send_at, monkeypatch):
    """Celery's soft time limit is an Exception too: it must not be swallowed like one bad referral."""
    from celery.exceptions import SoftTimeLimitExceeded

    send_at(T, urgency="crisis")
    send_at(T, urgency="crisis")
    calls = []

    def out_of_time(referral):
        calls.append(referral.pk)
        raise SoftTimeLimitExceeded()

    monkeypatch.setitem(sweep_module.RECIPIENTS, 1, out_of_time)
    with pytest.raises(SoftTimeLimitExceeded):
        sla_sweep(now=at(HOUR + MINUTE))
    assert len(calls) == 1  # the run stopped at once, not after trying every other referral
    assert not SlaBreach.objects.exists()
    assert SweepHeartbeat.objects.get().last_as_of == at(HOUR + MINUTE)
