"""Failed-sign-in lockout: per username and per address, time-boxed, shared by the page and the token API."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent, SignInThrottle
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
TOKEN_URL = "/api/v1/auth/token/"
WRONG = "wrong-password-123"
START = "2030-01-15 09:00 +0000"  # 01:00 in the portal's time zone (America/Los_Angeles)
LOCKED_MESSAGE = "Too many failed sign-ins. Try again after 01:15 or ask your supervisor."


def page(client, username, password=WRONG, address="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def token(api, username, password=WRONG, address="10.0.0.1"):
    return api.post(TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


def fail(client, username, times, address="10.0.0.1"):
    for _ in range(times):
        response = page(client, username, address=address)
        assert response.status_code == 200
        assert SESSION_KEY not in client.session


def signed_in(client, user) -> bool:
    return client.session.get(SESSION_KEY) == str(user.pk)


def rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def test_lockout__defaults_are_5_attempts_in_15_minutes_locking_15_minutes():
    assert settings.LOCKOUT_THRESHOLD == 5
    assert settings.LOCKOUT_WINDOW == settings.LOCKOUT_DURATION == datetime.timedelta(minutes=15)


# --- threshold and window ------------------------------------------------------------------------------


def test_lockout__fewer_than_threshold_failures_still_sign_in(client, case_manager):
    with time_machine.travel(START, tick=False):
        fail(client, "cm", settings.LOCKOUT_THRESHOLD - 1)
        response = page(client, "cm", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client, case_manager)
    assert rows(AuditAction.USER_LOCKED_OUT) == []


def test_lockout__threshold_failures_refuse_the_right_password_and_audit_exactly(client, case_manager):
    with time_machine.travel(START, tick=False):
        fail(client, "cm", settings.LOCKOUT_THRESHOLD)
        response = page(client, "cm", PASSWORD)

    assert response.status_code == 200
    assert not signed_in(client, case_manager)
    assert response.context["form"].non_field_errors() == [LOCKED_MESSAGE]
    assert LOCKED_MESSAGE in response.content.decode()
    assert rows(AuditAction.LOGIN) == []
    failed = rows(AuditAction.LOGIN_FAILED)
    assert [(r.outcome, r.outcome_reason) for r in failed] == [(Outcome.FAILED, "invalid credentials")] * 5 + [
        (Outcome.DENIED, "locked out")
    ]
    assert failed[-1].detail == {"username": "cm", "locked_until": "2030-01-15T09:15:00+00:00"}
    [locked] = rows(AuditAction.USER_LOCKED_OUT)
    assert locked.outcome == Outcome.DENIED
    assert locked.sequence == failed[4].sequence + 1  # written at the fifth failure, once
    assert locked.detail == {
        "username": "cm",
        "address": "10.0.0.1",
        "scopes": ["username"],
        "locked_until": "2030-01-15T09:15:00+00:00",
    }
    assert (locked.actor, locked.actor_display, locked.source) == (None, "cm", "page")
    assert str(locked.remote_addr) == "10.0.0.1"


def test_lockout__failures_outside_the_window_do_not_count(client, case_manager):
    with time_machine.travel(START, tick=False) as clock:
        fail(client, "cm", settings.LOCKOUT_THRESHOLD - 1)
        clock.shift(settings.LOCKOUT_WINDOW + datetime.timedelta(seconds=1))
        fail(client, "cm", settings.LOCKOUT_THRESHOLD - 1)
        assert rows(AuditAction.USER_LOCKED_OUT) == []
        fail(client, "cm", 1)  # five inside the last fifteen minutes
        response = page(client, "cm", PASSWORD)
    assert not signed_in(client, case_manager)
    assert "Too many failed sign-ins." in response.content.decode()
    assert len(rows(AuditAction.USER_LOCKED_OUT)) == 1


def test_lockout__window_slides_rather_than_resetting(client, case_manager):
    with time_machine.travel(START, tick=False) as clock:
        fail(client, "cm", 3)
        clock.shift(datetime.timedelta(minutes=10))
        fail(client, "cm", 1)
        clock.shift(datetime.timedelta(minutes=6))  # the first three are now out of the window
        fail(client, "cm", 3)
        assert rows(AuditAction.USER_LOCKED_OUT) == []
        fail(client, "cm", 1)  # 1 + 4 within 15 minutes
    assert len(rows(AuditAction.USER_LOCKED_OUT)) == 1


def test_lockout__username_is_case_insensitive_and_spans_addresses(client, case_manager):
    with time_machine.travel(START, tick=False):
        for n, name in enumerate(["cm", "CM", "Cm", " cm", "cM"]):
            page(client, name, address=f"10.0.1.{n}")
        response = page(client, "cm", PASSWORD, address="10.0.2.1")
    assert not signed_in(client, case_manager)
    assert LOCKED_MESSAGE in response.content.decode()
    [locked] = rows(AuditAction.USER_LOCKED_OUT)
    assert locked.detail["scopes"] == ["username"]
    assert SignInThrottle.objects.filter(scope="address", locked_until__isnull=False).count() == 0


def test_lockout__one_address_guessing_many_usernames_is_locked_out(client, case_manager, settings):
    settings.LOCKOUT_ADDRESS_THRESHOLD = 5
    with time_machine.travel(START, tick=False):
        for name in ["alice", "bob", "carol", "dave", "erin"]:
            page(client, name, address="10.9.9.9")
        refused = page(client, "cm", PASSWORD, address="10.9.9.9")
        elsewhere = page(client, "cm", PASSWORD, address="10.9.9.10")
    assert LOCKED_MESSAGE in refused.content.decode()
    assert elsewhere.status_code == 302
    assert signed_in(client, case_manager)
    [locked] = rows(AuditAction.USER_LOCKED_OUT)
    assert (locked.detail["scopes"], locked.detail["username"]) == (["address"], "erin")


# --- duration ------------------------------------------------------------------------------------------


def test_lockout__ends_after_its_duration_and_refused_attempts_do_not_extend_it(client, case_manager):
    with time_machine.travel(START, tick=False) as clock:
        fail(client, "cm", settings.LOCKOUT_THRESHOLD)
        clock.shift(settings.LOCKOUT_DURATION - datetime.timedelta(minutes=5))
        for _ in range(3):
            assert "Too many failed sign-ins." in page(client, "cm", PASSWORD).content.decode()
        clock.shift(datetime.timedelta(minutes=5) - datetime.timedelta(seconds=1))
        assert "Too many failed sign-ins." in page(client, "cm", PASSWORD).content.decode()
        clock.shift(datetime.timedelta(seconds=2))
        response = page(client, "cm", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client, case_manager)
    assert len(rows(AuditAction.USER_LOCKED_OUT)) == 1
    assert [r.outcome for r in rows(AuditAction.LOGIN_FAILED)] == [Outcome.FAILED] * 5 + [Outcome.DENIED] * 4
    assert not SignInThrottle.objects.filter(scope="username").exists()


def test_lockout__a_successful_sign_in_clears_the_username_counter(client, case_manager):
    with time_machine.travel(START, tick=False):
        fail(client, "cm", settings.LOCKOUT_THRESHOLD - 1)
        assert page(client, "cm", PASSWORD).status_code == 302
        client.logout()
        fail(client, "cm", settings.LOCKOUT_THRESHOLD - 1, address="10.0.0.2")
        assert page(client, "cm", PASSWORD, address="10.0.0.2").status_code == 302
    assert rows(AuditAction.USER_LOCKED_OUT) == []


# --- no username oracle --------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["cm", "nobody-here"], ids=["known", "unknown"])
def test_lockout__unknown_username_behaves_exactly_like_a_known_one(client, case_manager, username):
    with time_machine.travel(START, tick=False):
        responses = [page(client, username, address=f"10.1.0.{n}") for n in range(settings.LOCKOUT_THRESHOLD)]
        refused = page(client, username, PASSWORD, address="10.1.1.1")
    assert [r.context["form"].non_field_errors() for r in responses] == [
        ["Please enter a correct username and password. Note that both fields may be case-sensitive."]
    ] * 5
    assert refused.context["form"].non_field_errors() == [LOCKED_MESSAGE]
    [locked] = rows(AuditAction.USER_LOCKED_OUT)
    assert (locked.detail["username"], locked.detail["scopes"], locked.actor) == (username, ["username"], None)
    assert [r.outcome for r in rows(AuditAction.LOGIN_FAILED)] == [Outcome.FAILED] * 5 + [Outcome.DENIED]


# --- token API -----------------------------------------------------------------------------------------


def test_lockout__token_api_refuses_with_429_locked_out(api, partner_system):
    with time_machine.travel(START, tick=False):
        for _ in range(settings.LOCKOUT_THRESHOLD):
            assert token(api, "harbor-ehr").status_code == 400
        response = token(api, "harbor-ehr", PASSWORD)

    assert response.status_code == 429
    assert response.json() == {"detail": LOCKED_MESSAGE, "code": "locked_out"}
    assert response["Retry-After"] == str(15 * 60)
    assert not AuthToken.objects.exists()
    assert rows(AuditAction.TOKEN_ISSUED) == []
    [locked] = rows(AuditAction.USER_LOCKED_OUT)
    assert (locked.source, locked.detail["username"]) == ("api", "harbor-ehr")
    assert [r.outcome for r in rows(AuditAction.LOGIN_FAILED)] == [Outcome.FAILED] * 5 + [Outcome.DENIED]


def test_lockout__token_api_unknown_username_gets_the_same_answer(api, partner_system):
    with time_machine.travel(START, tick=False):
        for n in range(settings.LOCKOUT_THRESHOLD):
            token(api, "nobody-here", address=f"10.2.0.{n}")
        response = token(api, "nobody-here", PASSWORD, address="10.2.1.1")
    assert response.status_code == 429
    assert response.json() == {"detail": LOCKED_MESSAGE, "code": "locked_out"}


def test_lockout__page_and_api_share_one_count(client, api, partner_system, case_manager):
    with time_machine.travel(START, tick=False) as clock:
        fail(client, "harbor-ehr", 3)
        token(api, "harbor-ehr")
        token(api, "harbor-ehr")
        assert token(api, "harbor-ehr", PASSWORD).status_code == 429
        clock.shift(settings.LOCKOUT_DURATION + datetime.timedelta(seconds=1))
        response = token(api, "harbor-ehr", PASSWORD)
    assert response.status_code == 200
    assert AuthToken.objects.get().user == partner_system
    assert not SignInThrottle.objects.filter(scope="username").exists()  # success cleared it


# --- governance unlock ---------------------------------------------------------------------------------


def test_lockout__governance_unlocks_a_user_in_the_admin_and_it_is_audited(client, governance_lead, case_manager):
    with time_machine.travel(START, tick=False):
        fail(client, "cm", settings.LOCKOUT_THRESHOLD, address="10.3.0.1")
        assert "Too many failed sign-ins." in page(client, "cm", PASSWORD, address="10.3.0.2").content.decode()

        client.force_login(governance_lead)
        response = client.post(
            "/admin/auth/user/", {"action": "unlock_sign_in", "_selected_action": [case_manager.pk]}, follow=True
        )
        assert response.status_code == 200
        assert "Unlocked: cm." in response.content.decode()
        client.logout()

        assert page(client, "cm", PASSWORD, address="10.3.0.2").status_code == 302
    assert signed_in(client, case_manager)
    [unlocked] = rows(AuditAction.USER_UNLOCKED)
    assert (unlocked.actor, unlocked.target_id, unlocked.source) == (governance_lead, str(case_manager.pk), "admin")
    assert unlocked.detail == {"username": "cm", "was_locked": True}


def test_lockout__lock_time_is_shown_in_the_portal_time_zone(client, case_manager):
    with time_machine.travel(START, tick=False):
        fail(client, "cm", settings.LOCKOUT_THRESHOLD)
        response = page(client, "cm", PASSWORD)
        until = SignInThrottle.objects.get(scope="username").locked_until
    assert until == datetime.datetime(2030, 1, 15, 9, 15, tzinfo=datetime.UTC)
    assert f"Try again after {timezone.localtime(until):%H:%M}" in response.content.decode()


def test_lockout__counters_are_not_readable_through_the_access_layer(client, governance_lead, superuser):
    fail(client, "cm", 1)
    assert SignInThrottle.objects.count() == 2
    assert not SignInThrottle.objects.visible_to(governance_lead).exists()
    assert not SignInThrottle.objects.visible_to(superuser).exists()  # like the trail: through a role only


def test_lockout__an_address_needs_more_failures_than_a_username(client, case_manager, settings):
    """An office behind one address: five typos by five people must not lock everyone out."""
    with time_machine.travel(START, tick=False):
        for name in ["alice", "bob", "carol", "dave", "erin", "frank"]:
            page(client, name, address="10.7.7.7")
        response = page(client, "cm", PASSWORD, address="10.7.7.7")
    assert response.status_code == 302
    assert signed_in(client, case_manager)
    assert rows(AuditAction.USER_LOCKED_OUT) == []
    assert settings.LOCKOUT_ADDRESS_THRESHOLD == 20
