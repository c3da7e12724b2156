"""API tokens: issue, use, revoke, expire; hashed at rest; every issue and failure audited."""

import datetime
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from knox.models import AuthToken

from audit.models import AuditEvent
from tests.factories import ClientFactory, ServiceFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REVOKE_URL = "/api/v1/auth/token/revoke/"
CLIENTS_URL = "/api/v1/clients/"


@pytest.fixture
def obtain(api, password):
    def get_token(user) -> str:
        response = api.post(TOKEN_URL, {"username": user.username, "password": password}, format="json")
        assert response.status_code == 200, response.content
        return response.json()["token"]

    return get_token


def with_token(api, token: str):
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


# --- issue --------------------------------------------------------------------------------------------


def test_token_obtain__valid_credentials_answer_a_token_and_its_expiry(api, partner_system, password):
    before = timezone.now()

    response = api.post(TOKEN_URL, {"username": "harbor-ehr", "password": password}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    assert len(body["token"]) >= 32
    expiry = datetime.datetime.fromisoformat(body["expiry"])
    assert before + settings.API_TOKEN_TTL <= expiry <= timezone.now() + settings.API_TOKEN_TTL
    assert AuthToken.objects.get().user == partner_system


def test_token_obtain__writes_token_issued_audit_row(api, partner_system, obtain):
    token = obtain(partner_system)

    row = AuditEvent.objects.get(action="user.token_issued")
    assert row.actor == partner_system
    assert row.outcome == "success"
    assert row.source == "api"
    assert row.actor_role == "partner_system"
    assert row.detail == {"token_prefix": token[:15]}
    assert token not in str(row.detail)


def test_token_obtain__tokens_are_stored_hashed(api, partner_system, obtain):
    token = obtain(partner_system)

    stored = AuthToken.objects.get()
    assert stored.digest != token
    assert token not in stored.digest
    assert token.startswith(stored.token_key)
    assert len(stored.token_key) < len(token)
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert stored.digest in dump.getvalue()  # the dump does include the token table
    assert token not in dump.getvalue()


@pytest.mark.parametrize(
    ("username", "password"),
    [("harbor-ehr", "wrong-password-123"), ("nobody-here", "correct-horse-battery-9"), ("harbor-ehr", "")],
    ids=["wrong-password", "unknown-user", "empty-password"],
)
def test_token_obtain__bad_credentials_get_400_and_no_token(api, partner_system, username, password):
    response = api.post(TOKEN_URL, {"username": username, "password": password}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"]
    assert "token" not in response.json()
    assert not AuthToken.objects.exists()
    assert not AuditEvent.objects.filter(action="user.token_issued").exists()


@pytest.mark.parametrize("username", ["harbor-ehr", "nobody-here"])
def test_token_obtain__failed_credentials_write_login_failed_audit_row(api, partner_system, username):
    api.post(TOKEN_URL, {"username": username, "password": "wrong-password-123"}, format="json")

    row = AuditEvent.objects.get(action="user.login_failed")
    assert row.outcome == "failed"
    assert row.detail["username"] == username
    assert row.actor is None
    assert "wrong-password-123" not in str(row.detail)


def test_token_obtain__inactive_user_gets_400(api, partner_system, password):
    partner_system.is_active = False
    partner_system.save()

    response = api.post(TOKEN_URL, {"username": "harbor-ehr", "password": password}, format="json")

    assert response.status_code == 400
    assert not AuthToken.objects.exists()


def test_token_obtain__missing_fields_get_400_per_field(api):
    response = api.post(TOKEN_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


# --- use ----------------------------------------------------------------------------------------------


def test_token__authenticates_requests_as_its_user(api, partner_system, provider, county, obtain):
    own = ClientFactory(organization=provider)
    ClientFactory(organization=county)
    token = obtain(partner_system)

    response = with_token(api, token).get(CLIENTS_URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(own.pk)]


def test_token__audit_rows_name_the_tokens_user(api, partner_system, provider, obtain):
    client = ClientFactory(organization=provider)
    token = obtain(partner_system)

    with_token(api, token).get(f"{CLIENTS_URL}{client.pk}/")

    row = AuditEvent.objects.get(action="client.viewed")
    assert row.actor == partner_system
    assert row.source == "api"
    assert row.actor_organization_id == provider.pk


def test_token__user_without_membership_reads_directory_but_no_clients(api, no_role_user, county, obtain):
    ServiceFactory(name="Pantry")
    ClientFactory(organization=county)
    token = obtain(no_role_user)
    with_token(api, token)

    assert [s["name"] for s in api.get("/api/v1/services/").json()["results"]] == ["Pantry"]
    assert api.get(CLIENTS_URL).json()["count"] == 0


@pytest.mark.parametrize(
    "header",
    ["Token not-a-real-token", "Token ", "Token", "Bearer {token}", "{token}", "Token {token}x"],
    ids=["garbage", "empty", "no-key", "bearer-scheme", "no-scheme", "altered"],
)
def test_token__malformed_or_unknown_token_gets_401(api, partner_system, obtain, header):
    token = obtain(partner_system)
    api.credentials(HTTP_AUTHORIZATION=header.format(token=token))

    response = api.get(CLIENTS_URL)

    assert response.status_code == 401
    assert "results" not in response.json()


def test_token__expired_token_gets_401(api, partner_system, obtain):
    token = obtain(partner_system)
    stored = AuthToken.objects.get()
    stored.expiry = timezone.now() - datetime.timedelta(seconds=1)
    stored.save()

    response = with_token(api, token).get(CLIENTS_URL)

    assert response.status_code == 401


def test_token__deactivated_user_gets_401(api, partner_system, obtain):
    token = obtain(partner_system)
    partner_system.is_active = False
    partner_system.save()

    response = with_token(api, token).get(CLIENTS_URL)

    assert response.status_code == 401


# --- revoke -------------------------------------------------------------------------------------------


def test_token_revoke__answers_204_and_the_token_stops_working(api, partner_system, obtain):
    token = obtain(partner_system)
    with_token(api, token)
    assert api.get(CLIENTS_URL).status_code == 200

    response = api.post(REVOKE_URL)

    assert response.status_code == 204
    assert not AuthToken.objects.exists()
    assert api.get(CLIENTS_URL).status_code == 401
    assert api.post(REVOKE_URL).status_code == 401


def test_token_revoke__writes_token_revoked_audit_row(api, partner_system, obtain):
    token = obtain(partner_system)

    with_token(api, token).post(REVOKE_URL)

    row = AuditEvent.objects.get(action="user.token_revoked")
    assert row.actor == partner_system
    assert row.detail == {"token_prefix": token[:15]}


def test_token_revoke__leaves_the_users_other_tokens_alone(api, partner_system, obtain):
    first = obtain(partner_system)
    second = obtain(partner_system)

    with_token(api, first).post(REVOKE_URL)

    assert with_token(api, first).get(CLIENTS_URL).status_code == 401
    assert with_token(api, second).get(CLIENTS_URL).status_code == 200
    assert AuthToken.objects.count() == 1


def test_token_revoke__anonymous_gets_401(api, partner_system, obtain):
    obtain(partner_system)

    response = api.post(REVOKE_URL)

    assert response.status_code == 401
    assert AuthToken.objects.count() == 1
