"""Escalations on the pages: the referral page (ladder, who was told, acknowledge button, re-routing flag) and the
escalation badge where referrals are listed (inbox, team view, dashboard)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from sla.models import SlaEscalation
from sla.sweep import sla_sweep

from .conftest import local

pytestmark = pytest.mark.django_db

T = local(2026, 5, 1, 9)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def breached(send_at, provider_supervisor, county_supervisor):
    referral = send_at(T, urgency="crisis")
    sla_sweep(now=T + HOUR + datetime.timedelta(minutes=1))
    return referral


def page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def detail_url(referral) -> str:
    return reverse("referrals:detail", args=[referral.pk])


def ack_url(escalation) -> str:
    return reverse("sla:escalation_acknowledge", args=[escalation.pk])


def test_detail__shows_the_ladder_and_an_acknowledge_button_for_those_told(client, provider_intake, breached):
    html = page(client, provider_intake, detail_url(breached))
    escalation = SlaEscalation.objects.get()
    assert 'id="sla-escalations"' in html and f'data-escalation="{escalation.pk}"' in html
    assert "Escalated · level 1" in html
    assert f'action="{ack_url(escalation)}"' in html


def test_detail__no_button_for_someone_not_told(client, county_supervisor, breached):
    html = page(client, county_supervisor, detail_url(breached))
    assert 'id="sla-escalations"' in html
    assert ack_url(SlaEscalation.objects.get()) not in html


def test_detail__nothing_when_no_target_was_missed(client, provider_intake, send_at):
    referral = send_at(T, urgency="crisis")
    assert 'id="sla"' not in page(client, provider_intake, detail_url(referral))


def test_acknowledge_button__records_it_and_returns_to_the_referral(client, provider_intake, breached):
    escalation = SlaEscalation.objects.get()
    client.force_login(provider_intake)
    response = client.post(ack_url(escalation))
    assert response.status_code == 302 and response["Location"] == detail_url(breached)
    escalation.refresh_from_db()
    assert escalation.acknowledged_by == provider_intake
    html = client.get(detail_url(breached)).content.decode()
    assert "Acknowledged by" in html and ack_url(escalation) not in html


@pytest.mark.parametrize(("who", "expected"), [("county_supervisor", 403), ("other_provider_intake", 404)])
def test_acknowledge_button__refused_for_others(who, expected, client, request, breached):
    escalation = SlaEscalation.objects.get()
    client.force_login(request.getfixturevalue(who))
    assert client.post(ack_url(escalation)).status_code == expected
    escalation.refresh_from_db()
    assert escalation.acknowledged_at is None


def test_acknowledge_button__anonymous_goes_to_sign_in(client, breached):
    response = client.post(ack_url(SlaEscalation.objects.get()))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_detail__level_2_suggests_rerouting_to_the_referring_side(client, case_manager, breached):
    sla_sweep(now=T + 2 * HOUR)
    html = page(client, case_manager, detail_url(breached))
    assert 'id="reroute-suggested"' in html and "Escalated · level 2" in html
    assert "sending the client to another service" in html


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("provider_intake", "referrals:inbox"),
        ("provider_supervisor", "referrals:team"),
        ("county_supervisor", "referrals:team"),
        ("case_manager", "referrals:dashboard"),
    ],
)
def test_lists__show_the_escalation_badge(who, url, client, request, breached, send_at):
    on_time = send_at(T + 10 * HOUR, urgency="routine")
    html = page(client, request.getfixturevalue(who), reverse(url))
    row = html[html.index(f'id="referral-{breached.pk}"') :]
    assert "Escalated · level 1" in row[: row.index("</tr>")]
    quiet = html[html.index(f'id="referral-{on_time.pk}"') :]
    assert "Escalated" not in quiet[: quiet.index("</tr>")]
