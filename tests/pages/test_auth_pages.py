"""Sign in, sign out, the home page, navigation and the error pages."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from audit.choices import AuditAction, Outcome
from tests.factories import PASSWORD

LOGIN = reverse("login")
LOGOUT = reverse("logout")
HOME = reverse("home")


def _sign_in(client, user, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": user.username, "password": password, **extra})


# Sign in


def test_login_page__renders_the_form_for_anonymous(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assertContains(response, 'name="username"')
    assertContains(response, 'name="password"')
    assertContains(response, 'name="csrfmiddlewaretoken"')
    assertNotContains(response, "Sign out")


def test_login__case_manager_signs_in_and_is_audited(client, case_manager, audit_rows):
    response = _sign_in(client, case_manager)
    assertRedirects(response, HOME)
    assert client.session[SESSION_KEY] == str(case_manager.pk)
    [row] = audit_rows(AuditAction.LOGIN)
    assert (row.actor, row.outcome, row.source) == (case_manager, Outcome.SUCCESS, "page")


def test_login__follows_a_safe_next_url(client, case_manager):
    response = _sign_in(client, case_manager, next=reverse("clients:search"))
    assert response["Location"] == reverse("clients:search")


def test_login__ignores_an_offsite_next_url(client, case_manager):
    response = _sign_in(client, case_manager, next="https://evil.example.com/")
    assert response["Location"] == HOME


def test_login__wrong_password_shows_error_and_is_audited(client, case_manager, audit_rows):
    response = _sign_in(client, case_manager, password="wrong-password-123")
    assert response.status_code == 200
    assertContains(response, "Please enter a correct username and password.")
    assertContains(response, 'role="alert"')
    assert SESSION_KEY not in client.session
    assert audit_rows(AuditAction.LOGIN) == []
    [row] = audit_rows(AuditAction.LOGIN_FAILED)
    assert row.detail == {"username": "cm"}


def test_login__missing_fields_show_errors_next_to_fields(client, db):
    response = client.post(LOGIN, {"username": "", "password": ""})
    assert response.status_code == 200
    assertContains(response, 'id="id_username_error"')
    assertContains(response, 'id="id_password_error"')
    assertContains(response, "This field is required.", count=2)


def test_login__partner_system_account_is_refused_with_a_message(client, partner_system, audit_rows):
    response = _sign_in(client, partner_system)
    assert response.status_code == 200
    assertContains(response, "This is an API account for a partner system: use an API token, not the browser.")
    assert SESSION_KEY not in client.session
    assert audit_rows(AuditAction.LOGIN) == []


def test_login__signed_in_user_is_sent_home(client, case_manager):
    client.force_login(case_manager)
    assertRedirects(client.get(LOGIN), HOME)


# Sign out


def test_logout__post_signs_out_and_is_audited(client, case_manager, audit_rows):
    _sign_in(client, case_manager)
    response = client.post(LOGOUT)
    assertRedirects(response, LOGIN)
    assert SESSION_KEY not in client.session
    [row] = audit_rows(AuditAction.LOGOUT)
    assert row.actor == case_manager
    assert client.get(HOME)["Location"].startswith(LOGIN)


def test_logout__get_is_refused(client, case_manager, audit_rows):
    client.force_login(case_manager)
    assert client.get(LOGOUT).status_code == 405
    assert client.session[SESSION_KEY] == str(case_manager.pk)
    assert audit_rows(AuditAction.LOGOUT) == []


def test_logout__button_is_a_post_form_with_csrf(client, case_manager):
    client.force_login(case_manager)
    response = client.get(HOME)
    assertContains(response, f'<form method="post" action="{LOGOUT}">', html=False)
    assertContains(response, "Sign out")


# Home and navigation


def test_home__anonymous_is_sent_to_login(client, db):
    assertRedirects(client.get(HOME), f"{LOGIN}?next={HOME}")


def test_home__case_manager_sees_role_organization_and_all_links(client, case_manager):
    client.force_login(case_manager)
    response = client.get(HOME)
    assertContains(response, f"Hello, {case_manager.first_name}")
    assertContains(response, "Case manager")
    assertContains(response, "Lakeside County Human Services")
    for url in (reverse("providers:directory"), reverse("clients:search"), reverse("clients:create")):
        assertContains(response, f'href="{url}"')
    assertNotContains(response, 'href="/admin/"')


def test_home__data_steward_cannot_add_clients(client, data_steward):
    client.force_login(data_steward)
    response = client.get(HOME)
    assertContains(response, "Data steward")
    assertContains(response, f'href="{reverse("clients:search")}"')
    assertNotContains(response, f'href="{reverse("clients:create")}"')


def test_home__governance_lead_gets_the_admin_link(client, governance_lead):
    client.force_login(governance_lead)
    response = client.get(HOME)
    assertContains(response, 'href="/admin/"', count=2)  # navigation and quick link
    assertNotContains(response, f'href="{reverse("clients:create")}"')


def test_home__no_role_user_is_told_to_ask_for_a_role(client, no_role_user):
    client.force_login(no_role_user)
    response = client.get(HOME)
    assertContains(response, "You don't have an active role at any organization yet.")
    assertNotContains(response, f'href="{reverse("clients:search")}"')
    assertNotContains(response, f'href="{reverse("providers:directory")}"')


def test_home__multi_org_user_sees_each_membership(client, two_org_worker):
    client.force_login(two_org_worker)
    response = client.get(HOME)
    assertContains(response, "Lakeside County Human Services")
    assertContains(response, "Harbor Community Health")
    assertContains(response, "Provider intake")


def test_navigation__marks_the_current_page(client, case_manager):
    client.force_login(case_manager)
    response = client.get(reverse("providers:directory"))
    assertContains(response, 'aria-current="page"', count=1)
    assert [item.url_name for item in response.context["nav_items"]] == [
        "home",
        "referrals:dashboard",
        "providers:directory",
        "clients:search",
    ]


def test_navigation__highlights_one_section_on_a_page_without_its_own_entry(client, case_manager, make_referral):
    referral = make_referral("sent")
    client.force_login(case_manager)
    body = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert body.count('class="is-current-section"') == 1
    assert 'aria-current="page"' not in body
    assert 'class="is-current-section">Referrals<' in body


def test_navigation__inbox_highlights_only_the_inbox(client, provider_intake):
    client.force_login(provider_intake)
    body = client.get(reverse("referrals:inbox")).content.decode()
    assert body.count('class="is-current-section"') == 1
    assert re.search(r'aria-current="page"\s+class="is-current-section">Inbox<', body)


def test_base__has_landmarks_skip_link_and_local_assets_only(client, case_manager):
    client.force_login(case_manager)
    body = client.get(HOME).content.decode()
    for marker in ('href="#main"', '<main id="main"', "<header", "<nav", "<footer", 'lang="en"'):
        assert marker in body
    assert "http://" not in body
    assert "https://" not in body
    assert "/static/css/portal.css" in body


# Error pages


@pytest.mark.parametrize("path", ["/no-such-page/", "/directory/services/not-a-uuid/"])
def test_404_page__is_friendly_and_keeps_navigation(client, case_manager, path):
    client.force_login(case_manager)
    response = client.get(path)
    assert response.status_code == 404
    assertContains(response, "We couldn't find that page", status_code=404)
    assertContains(response, 'aria-label="Main"', status_code=404)


def test_403_page__explains_and_links_home(client, no_role_user):
    client.force_login(no_role_user)
    response = client.get(reverse("clients:create"))
    assert response.status_code == 403
    assertContains(response, "Your role does not allow adding clients.", status_code=403)
    assertContains(response, f'href="{HOME}"', status_code=403)
