"""Deactivating a user ends their sessions and API tokens at once, whichever way it is done; audited."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from audit.choices import AuditAction
from audit.models import AuditEvent
from coordination.accounts import user_deactivate
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
HOME = reverse("home")
TOKEN_URL = "/api/v1/auth/token/"
CLIENTS_URL = "/api/v1/clients/"


def signed_in_client(user) -> Client:
    client = Client()
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def obtain_token(api, user) -> str:
    response = api.post(TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()["token"]


def session_user_ids() -> list[str]:
    return sorted(str(s.get_decoded().get(SESSION_KEY)) for s in Session.objects.all())


def assert_refused(browser: Client, api, token: str) -> None:
    response = browser.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(CLIENTS_URL).status_code == 401


def test_user_deactivate__ends_every_session_and_token_now(api, governance_lead, case_manager, county_supervisor):
    first, second = signed_in_client(case_manager), signed_in_client(case_manager)
    bystander = signed_in_client(county_supervisor)
    tokens = [obtain_token(api, case_manager), obtain_token(api, case_manager)]
    other_token = obtain_token(api, county_supervisor)

    ended = user_deactivate(actor=governance_lead, user=case_manager)

    assert ended == {"sessions_ended": 2, "tokens_deleted": 2}
    case_manager.refresh_from_db()
    assert case_manager.is_active is False
    assert session_user_ids() == [str(county_supervisor.pk)]
    assert list(AuthToken.objects.values_list("user", flat=True)) == [county_supervisor.pk]
    assert_refused(first, api, tokens[0])
    assert_refused(second, api, tokens[1])
    assert bystander.get(HOME).status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {other_token}")
    assert api.get(CLIENTS_URL).status_code == 200
    [row] = AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATED)
    assert (row.actor, row.target_type, row.target_id) == (governance_lead, "auth.User", str(case_manager.pk))
    assert row.detail == {"username": "cm", "sessions_ended": 2, "tokens_deleted": 2}


def test_user_deactivate__deactivated_user_cannot_sign_in_again(client, governance_lead, case_manager):
    user_deactivate(actor=governance_lead, user=case_manager)

    response = client.post(LOGIN, {"username": "cm", "password": PASSWORD})

    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_admin__unticking_active_ends_sessions_and_tokens(client, api, superuser, case_manager):
    browser = signed_in_client(case_manager)
    token = obtain_token(api, case_manager)
    client.force_login(superuser)
    url = f"/admin/auth/user/{case_manager.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        date_joined_0=case_manager.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=case_manager.date_joined.strftime("%H:%M:%S"),
        groups=[g.pk for g in case_manager.groups.all()],
        user_permissions=[],
    )
    data.pop("date_joined")
    data.pop("last_login", None)
    data.pop("is_active")  # unticked

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    case_manager.refresh_from_db()
    assert case_manager.is_active is False
    assert_refused(browser, api, token)
    assert str(case_manager.pk) not in session_user_ids()
    assert not AuthToken.objects.filter(user=case_manager).exists()
    [row] = AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATED)
    assert (row.actor, row.source, row.target_id) == (superuser, "admin", str(case_manager.pk))
    assert row.detail == {"username": "cm", "sessions_ended": 1, "tokens_deleted": 1}


def test_admin__deactivate_action_ends_sessions_and_tokens(client, api, superuser, case_manager):
    browser = signed_in_client(case_manager)
    token = obtain_token(api, case_manager)
    client.force_login(superuser)

    response = client.post(
        "/admin/auth/user/", {"action": "deactivate_users", "_selected_action": [case_manager.pk, superuser.pk]}
    )

    assert response.status_code == 302
    superuser.refresh_from_db()
    assert superuser.is_active  # never yourself
    assert_refused(browser, api, token)
    [row] = AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATED)
    assert (row.actor, row.target_id) == (superuser, str(case_manager.pk))


def test_admin__governance_lead_may_not_deactivate(client, governance_lead, case_manager):
    client.force_login(governance_lead)

    client.post("/admin/auth/user/", {"action": "deactivate_users", "_selected_action": [case_manager.pk]})

    case_manager.refresh_from_db()
    assert case_manager.is_active
    assert not AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATED).exists()


def test_saving_an_inactive_user_elsewhere_also_ends_access(api, case_manager):
    browser = signed_in_client(case_manager)
    token = obtain_token(api, case_manager)

    case_manager.is_active = False
    case_manager.save()

    assert_refused(browser, api, token)
    [row] = AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATED)
    assert (row.actor, row.detail["sessions_ended"], row.detail["tokens_deleted"]) == (None, 1, 1)


def test_reactivation_is_audited_and_routine_saves_are_not(governance_lead, case_manager):
    user_deactivate(actor=governance_lead, user=case_manager)
    case_manager.first_name = "Renamed"
    case_manager.save()

    case_manager.is_active = True
    case_manager.save(update_fields=["is_active"])
    case_manager.save()

    rows = AuditEvent.objects.filter(action__startswith="user.", target_id=str(case_manager.pk))
    assert list(rows.values_list("action", flat=True)) == [
        AuditAction.USER_REACTIVATED,
        AuditAction.USER_DEACTIVATED,
    ]


def test_user_rows_loaded_with_deferred_fields_cost_no_extra_queries(case_manager, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    with django_assert_num_queries(1):
        [user] = get_user_model().objects.only("username").filter(pk=case_manager.pk)
    assert user.username == "cm"
