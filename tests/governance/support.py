"""Helpers shared by the governance tests."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client

from tests.factories import PASSWORD


def item_of(campaign, user, kind="membership"):
    return campaign.items.get(subject_user=user, kind=kind)


def signed_in(user) -> Client:
    """A browser signed in through the real login page (a stored session, as in production)."""
    browser = Client()
    response = browser.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return browser


def token_for(api, user) -> str:
    response = api.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content[:500]
    return response.json()["token"]


def session_users() -> set[str]:
    return {str(s.get_decoded().get(SESSION_KEY)) for s in Session.objects.all()}
