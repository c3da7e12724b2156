import time_machine
from django.conf import settings

from audit.models import AuditEvent
from tests.factories import PASSWORD


def _login(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def test_session__idle_timeout_signs_out(client, case_manager):
    with time_machine.travel("2026-11-21 09:00 +0000", tick=False) as clock:
        _login(client, case_manager)
        assert client.get("/").status_code == 200
        clock.shift(settings.SESSION_IDLE_TIMEOUT - 60)
        assert client.get("/").status_code == 200  # activity refreshes the idle clock
        clock.shift(settings.SESSION_IDLE_TIMEOUT + 1)
        response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert AuditEvent.objects.filter(action="user.logout", actor=case_manager).count() == 1


def test_session__absolute_timeout_signs_out_an_active_user(client, case_manager):
    with time_machine.travel("2026-11-21 08:00 +0000", tick=False) as clock:
        _login(client, case_manager)
        elapsed = 0
        while elapsed < settings.SESSION_ABSOLUTE_TIMEOUT - 600:
            clock.shift(600)
            elapsed += 600
            assert client.get("/").status_code == 200
        clock.shift(1200)
        response = client.get("/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="user.logout", actor=case_manager).count() == 1


def test_session__defaults_are_30_minutes_idle_and_12_hours_absolute():
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_ABSOLUTE_TIMEOUT == settings.SESSION_COOKIE_AGE == 12 * 60 * 60
