"""The referral API's `sla` block, the escalations endpoint and acknowledging an escalation (with its matrix)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime

from audit.models import AuditEvent
from referrals.services import referral_transition
from sla.models import SlaEscalation
from sla.sweep import sla_sweep

from .conftest import local

pytestmark = pytest.mark.django_db

T = local(2026, 5, 1, 9)
HOUR = datetime.timedelta(hours=1)
LIST = "/api/v1/referrals/"


def detail(referral) -> str:
    return f"/api/v1/referrals/{referral.pk}/"


def escalations(referral) -> str:
    return f"/api/v1/referrals/{referral.pk}/escalations/"


def acknowledge(referral, escalation) -> str:
    return f"/api/v1/referrals/{referral.pk}/escalations/{escalation.pk}/acknowledge/"


@pytest.fixture
def breached(send_at):
    """A crisis referral whose acknowledgement was missed (level 1: the provider team and the case manager)."""
    referral = send_at(T, urgency="crisis")
    sla_sweep(now=T + HOUR + datetime.timedelta(minutes=1))
    return referral


@pytest.fixture
def level_1(breached):
    return SlaEscalation.objects.get(referral=breached, level=1)


# --- the sla block --------------------------------------------------------------------------------------


def test_sla_block__shows_due_times_breaches_and_level(api, case_manager, breached):
    sla = api.as_user(case_manager).get(detail(breached)).json()["sla"]

    assert parse_datetime(sla["acknowledge_due_at"]) == breached.acknowledge_due_at
    assert parse_datetime(sla["first_contact_due_at"]) == breached.first_contact_due_at
    assert parse_datetime(sla["service_start_due_at"]) == breached.service_start_due_at
    [breach] = sla["breaches"]
    assert breach["stage"] == "acknowledge"
    assert parse_datetime(breach["due_at"]) == breached.acknowledge_due_at
    assert parse_datetime(breach["breached_at"]) == T + HOUR + datetime.timedelta(minutes=1)
    assert (sla["escalation_level"], sla["reroute_suggested_at"]) == (1, None)


def test_sla_block__level_2_flags_rerouting(api, case_manager, breached):
    sla_sweep(now=T + 2 * HOUR)
    sla = api.as_user(case_manager).get(detail(breached)).json()["sla"]
    assert sla["escalation_level"] == 2
    assert parse_datetime(sla["reroute_suggested_at"]) == T + 2 * HOUR


def test_sla_block__level_drops_to_0_once_the_stage_is_done_but_the_breach_stays(api, provider_intake, breached):
    referral_transition(actor=provider_intake, referral=breached, name="acknowledge")
    sla = api.as_user(provider_intake).get(detail(breached)).json()["sla"]
    assert sla["escalation_level"] == 0
    assert [b["stage"] for b in sla["breaches"]] == ["acknowledge"]


def test_sla_block__not_breached_is_empty(api, case_manager, send_at):
    referral = send_at(T, urgency="crisis")
    sla = api.as_user(case_manager).get(detail(referral)).json()["sla"]
    assert (sla["breaches"], sla["escalation_level"], sla["reroute_suggested_at"]) == ([], 0, None)


def _list_queries(api, user) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.as_user(user).get(LIST, {"page_size": 50})
    assert response.status_code == 200
    return len(queries)


def test_list__queries_do_not_grow_with_breached_referrals(api, case_manager, send_at):
    for _ in range(2):
        send_at(T, urgency="crisis")
    sla_sweep(now=T + 5 * HOUR)
    few = _list_queries(api, case_manager)
    for _ in range(10):
        send_at(T, urgency="crisis")
    sla_sweep(now=T + 5 * HOUR)
    many = _list_queries(api, case_manager)
    body = api.as_user(case_manager).get(LIST, {"page_size": 50}).json()
    assert {len(r["sla"]["breaches"]) for r in body["results"]} == {2}
    assert many == few


# --- the escalations endpoint ---------------------------------------------------------------------------


def test_escalations__list_the_ladder_with_who_was_told(
    api, provider_intake, case_manager, provider_supervisor, breached
):
    sla_sweep(now=T + 2 * HOUR)
    body = api.as_user(provider_intake).get(escalations(breached)).json()

    assert [(e["stage"], e["level"]) for e in body] == [("acknowledge", 1), ("acknowledge", 2)]
    told = {p["id"] for p in body[0]["notified"]}
    assert told == {case_manager.pk, provider_intake.pk, provider_supervisor.pk}
    assert body[0]["can_acknowledge"] is True and body[1]["can_acknowledge"] is False
    assert body[0]["acknowledged_by"] is None and body[0]["acknowledged_at"] is None


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("case_manager", 200),
        ("provider_intake", 200),
        ("county_supervisor", 200),
        ("other_provider_intake", 404),
        ("no_role_user", 404),
        (None, 401),
    ],
)
def test_escalations__list_permission_matrix(who, expected, api, request, breached):
    user = request.getfixturevalue(who) if who else None
    response = api.as_user(user).get(escalations(breached))
    assert response.status_code == expected
    if expected == 200:
        assert len(response.json()) == 1
    else:
        assert "notified" not in response.content.decode()


# --- acknowledging ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("provider_intake", 200),  # notified at level 1
        ("case_manager", 200),  # notified at level 1
        ("county_supervisor", 403),  # sees the referral, was not told at level 1
        ("other_provider_intake", 404),
        ("no_role_user", 404),
        (None, 401),
    ],
)
def test_acknowledge__permission_matrix(who, expected, api, request, breached, level_1):
    user = request.getfixturevalue(who) if who else None
    response = api.as_user(user).post(acknowledge(breached, level_1))
    assert response.status_code == expected, response.content
    level_1.refresh_from_db()
    acknowledged = AuditEvent.objects.filter(action="referral.escalation_acknowledged")
    if expected == 200:
        assert (level_1.acknowledged_by, level_1.acknowledged_at is not None) == (user, True)
        assert response.json()["acknowledged_by"]["id"] == user.pk
        [audited] = acknowledged
        assert (audited.actor, audited.target_id, audited.detail["escalation_id"]) == (
            user,
            str(breached.pk),
            str(level_1.pk),
        )
    else:
        assert level_1.acknowledged_at is None and not acknowledged.exists()


def test_acknowledge__a_second_time_answers_409_naming_who_did(api, provider_intake, case_manager, breached, level_1):
    api.as_user(provider_intake).post(acknowledge(breached, level_1))
    response = api.as_user(case_manager).post(acknowledge(breached, level_1))
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    level_1.refresh_from_db()
    assert level_1.acknowledged_by == provider_intake
    assert AuditEvent.objects.filter(action="referral.escalation_acknowledged").count() == 1


def test_acknowledge__through_another_referrals_path_is_404(api, provider_intake, breached, level_1, send_at):
    other = send_at(T, urgency="crisis")
    response = api.as_user(provider_intake).post(acknowledge(other, level_1))
    assert response.status_code == 404
    level_1.refresh_from_db()
    assert level_1.acknowledged_at is None


def test_acknowledge__unknown_escalation_is_404(api, provider_intake, breached):
    response = api.as_user(provider_intake).post(
        f"/api/v1/referrals/{breached.pk}/escalations/00000000-0000-0000-0000-000000000000/acknowledge/"
    )
    assert response.status_code == 404
