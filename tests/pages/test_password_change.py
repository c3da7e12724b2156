"""Changing a password: needs the current one, is audited, and ends the user's other sessions."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from audit.choices import AuditAction
from tests.factories import PASSWORD

LOGIN = reverse("login")
HOME = reverse("home")
CHANGE = reverse("password-change")
NEW_PASSWORD = "a-brand-new-passphrase-42"


def signed_in_client(user) -> Client:
    client = Client()
    assert client.post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def change(client, old=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": confirm or new})


def sessions_of(user) -> int:
    return sum(str(s.get_decoded().get(SESSION_KEY)) == str(user.pk) for s in Session.objects.all())


def test_password_change__anonymous_is_sent_to_login(client, db):
    assertRedirects(client.get(CHANGE), f"{LOGIN}?next={CHANGE}")


def test_password_change__page_asks_for_the_current_password(client, case_manager):
    client.force_login(case_manager)
    response = client.get(CHANGE)
    assertContains(response, 'name="old_password"')
    assertContains(response, 'name="new_password1"')
    assertContains(response, 'name="new_password2"')
    assertContains(response, "Your other signed-in sessions will end.")


def test_password_change__wrong_current_password_changes_nothing(case_manager, audit_rows):
    client, other = signed_in_client(case_manager), signed_in_client(case_manager)

    response = change(client, old="not-my-password-1")

    assert response.status_code == 200
    assertContains(response, "Your old password was entered incorrectly.")
    case_manager.refresh_from_db()
    assert case_manager.check_password(PASSWORD)
    assert audit_rows(AuditAction.PASSWORD_CHANGED) == []
    assert other.get(HOME).status_code == 200


def test_password_change__weak_new_password_is_refused(case_manager, audit_rows):
    client = signed_in_client(case_manager)

    response = change(client, new="short")

    assert response.status_code == 200
    assertContains(response, "This password is too short.")
    assert audit_rows(AuditAction.PASSWORD_CHANGED) == []


def test_password_change__is_audited_keeps_this_session_and_ends_the_others(
    case_manager, county_supervisor, audit_rows
):
    client, other = signed_in_client(case_manager), signed_in_client(case_manager)
    bystander = signed_in_client(county_supervisor)

    response = change(client)

    assert response["Location"] == HOME
    case_manager.refresh_from_db()
    assert case_manager.check_password(NEW_PASSWORD)
    assertContains(client.get(HOME), "Your password has been changed.")
    assert other.get(HOME)["Location"].startswith(LOGIN)
    assert bystander.get(HOME).status_code == 200
    assert sessions_of(case_manager) == 1
    [row] = audit_rows(AuditAction.PASSWORD_CHANGED)
    assert (row.actor, row.target_id, row.source) == (case_manager, str(case_manager.pk), "page")
    assert row.detail == {"username": "cm", "other_sessions_ended": 1}
    assert NEW_PASSWORD not in str(row.detail)
    assert PASSWORD not in str(row.detail)
    # The new password signs in; the old one no longer does.
    assert Client().post(LOGIN, {"username": "cm", "password": NEW_PASSWORD}).status_code == 302
    assert Client().post(LOGIN, {"username": "cm", "password": PASSWORD}).status_code == 200


def test_password_change__set_by_an_administrator_is_audited_and_ends_all_sessions(
    client, superuser, case_manager, audit_rows
):
    victim = signed_in_client(case_manager)
    client.force_login(superuser)

    response = client.post(
        f"/admin/auth/user/{case_manager.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert victim.get(HOME)["Location"].startswith(LOGIN)
    assert sessions_of(case_manager) == 0
    [row] = audit_rows(AuditAction.PASSWORD_CHANGED)
    assert (row.actor, row.target_id, row.source) == (superuser, str(case_manager.pk), "admin")
    assert row.detail == {"username": "cm", "other_sessions_ended": 1}


def test_password_change__new_accounts_and_sign_ins_are_not_password_changes(case_manager, audit_rows):
    signed_in_client(case_manager)
    assert audit_rows(AuditAction.PASSWORD_CHANGED) == []


@pytest.mark.django_db
def test_password_change__url_is_accounts_password():
    assert CHANGE == "/accounts/password/"


def test_password_change__setting_the_same_password_again_is_not_audited(case_manager, audit_rows):
    case_manager.set_password(PASSWORD)
    case_manager.save(update_fields=["password"])

    assert audit_rows(AuditAction.PASSWORD_CHANGED) == []
