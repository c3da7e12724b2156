"""Referral list pages (dashboard, inbox, team) and who may open which referral page.

The detail actions and the new-referral steps are in test_referral_flow_pages.py.
"""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from audit.choices import AuditAction, Outcome
from coordination.roles import Role
from providers.services import membership_grant
from referrals.models import Referral
from tests.factories import ClientFactory, UserFactory

DASHBOARD = reverse("referrals:dashboard")
INBOX = reverse("referrals:inbox")
TEAM = reverse("referrals:team")
NEW = reverse("referrals:new")


def _detail(referral):
    return reverse("referrals:detail", args=[referral.pk])


def _shown(response) -> list:
    return [row.referral.pk for row in response.context["rows"]]


def _set_sent_at(referral, hours_ago: float) -> None:
    sent_at = timezone.now() - datetime.timedelta(hours=hours_ago)
    Referral.objects.filter(pk=referral.pk).update(sent_at=sent_at)


@pytest.fixture
def sent(make_referral):
    return make_referral("sent")


@pytest.fixture
def users(case_manager, county_supervisor, provider_intake, provider_supervisor, other_provider_intake, no_role_user):
    return {
        "case_manager": case_manager,
        "county_supervisor": county_supervisor,
        "provider_intake": provider_intake,
        "provider_supervisor": provider_supervisor,
        "other_provider_intake": other_provider_intake,
        "no_role_user": no_role_user,
        "anonymous": None,
    }


def _as(client, user):
    if user is not None:
        client.force_login(user)
    return client


# Permission matrix: every page, every member of the cast.

LOGIN = "login"
MATRIX = {
    # page: {user: expected status (or LOGIN)}
    "dashboard": {
        "case_manager": 200,
        "provider_intake": 403,
        "other_provider_intake": 403,
        "no_role_user": 403,
        "anonymous": LOGIN,
    },
    "inbox": {
        "case_manager": 403,
        "provider_intake": 200,
        "other_provider_intake": 200,
        "no_role_user": 403,
        "anonymous": LOGIN,
    },
    "detail": {
        "case_manager": 200,
        "provider_intake": 200,
        "other_provider_intake": 404,
        "no_role_user": 404,
        "anonymous": LOGIN,
    },
    "new": {
        "case_manager": 200,
        "provider_intake": 403,
        "other_provider_intake": 403,
        "no_role_user": 403,
        "anonymous": LOGIN,
    },
    "team": {
        "case_manager": 403,
        "county_supervisor": 200,
        "provider_intake": 403,
        "provider_supervisor": 200,
        "other_provider_intake": 403,
        "no_role_user": 403,
        "anonymous": LOGIN,
    },
}
CASES = [(page, who, expected) for page, row in MATRIX.items() for who, expected in row.items()]


@pytest.mark.parametrize(("page", "who", "expected"), CASES, ids=[f"{p}-{w}" for p, w, _ in CASES])
def test_page_permission_matrix(client, users, sent, page, who, expected):
    url = {"dashboard": DASHBOARD, "inbox": INBOX, "detail": _detail(sent), "new": NEW, "team": TEAM}[page]
    response = _as(client, users[who]).get(url)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        return
    assert response.status_code == expected
    if expected == 200 and page in ("dashboard", "inbox", "team"):
        # Lists show the referral exactly to the people of the two organizations involved.
        visible = who in ("case_manager", "county_supervisor", "provider_intake", "provider_supervisor")
        assert (sent.pk in _shown(response)) is visible
    if expected == 200 and page == "detail":
        assertContains(response, f"Referral {sent.reference}")
        assertContains(response, "Maria")
    if expected in (403, 404):
        assertNotContains(response, "Maria", status_code=expected)


TRANSITION_CASES = {
    # Accepting is the provider's step: the referrer is told so, strangers get the same 404 as for a missing one.
    "provider_intake": (302, "accepted"),
    "case_manager": (403, "sent"),
    "other_provider_intake": (404, "sent"),
    "no_role_user": (404, "sent"),
    "anonymous": (LOGIN, "sent"),
}


@pytest.mark.parametrize(("who", "expected"), TRANSITION_CASES.items(), ids=list(TRANSITION_CASES))
def test_transition_post_permission_matrix(client, users, sent, who, expected):
    status, then = expected
    url = reverse("referrals:transition", args=[sent.pk])
    response = _as(client, users[who]).post(url, {"transition": "accept", "accept-version": sent.version})
    if status == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == status
    if status == 403:
        assertContains(response, "Only the receiving provider can accept this referral.", status_code=403)
    sent.refresh_from_db()
    assert sent.status == then


def test_transition__get_is_not_allowed(client, case_manager, sent):
    client.force_login(case_manager)
    assert client.get(reverse("referrals:transition", args=[sent.pk])).status_code == 405


def test_transition__without_csrf_token_is_refused(case_manager, provider_intake, sent):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(provider_intake)
    url = reverse("referrals:transition", args=[sent.pk])
    response = strict.post(url, {"transition": "accept", "accept-version": sent.version})
    assert response.status_code == 403
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_detail__invisible_referral_is_404_and_audited_as_denied(client, other_provider_intake, sent, audit_rows):
    client.force_login(other_provider_intake)
    response = client.get(_detail(sent))
    assert response.status_code == 404
    denied = audit_rows(AuditAction.OBJECT_ACCESS_DENIED)
    assert len(denied) == 1
    assert denied[0].outcome == Outcome.DENIED
    assert denied[0].detail["lookup"] == {"pk": str(sent.pk)}
    assert audit_rows(AuditAction.REFERRAL_VIEWED) == []


def test_detail__missing_referral_is_404_and_not_audited(client, case_manager, audit_rows):
    client.force_login(case_manager)
    assert client.get(reverse("referrals:detail", args=[uuid.uuid4()])).status_code == 404
    assert audit_rows(AuditAction.OBJECT_ACCESS_DENIED) == []


def test_navigation_shows_each_role_its_referral_pages(client, case_manager, provider_intake, county_supervisor):
    def labels(user):
        client.force_login(user)
        return [item.label for item in client.get(reverse("home")).context["nav_items"]]

    assert "Referrals" in labels(case_manager)
    assert "Inbox" not in labels(case_manager)
    assert "Team" not in labels(case_manager)
    assert "Inbox" in labels(provider_intake)
    assert "Referrals" not in labels(provider_intake)
    assert {"Referrals", "Team"} <= set(labels(county_supervisor))


def test_home_links_to_referral_pages_by_role(client, case_manager, provider_intake):
    client.force_login(case_manager)
    response = client.get(reverse("home"))
    assertContains(response, f'href="{NEW}"')
    assertNotContains(response, f'href="{INBOX}"')
    client.force_login(provider_intake)
    response = client.get(reverse("home"))
    assertContains(response, f'href="{INBOX}"')
    assertNotContains(response, f'href="{NEW}"')


# Dashboard


def test_dashboard__lists_open_referrals_with_status_urgency_provider_and_overdue(client, case_manager, make_referral):
    late = make_referral("sent", urgency="crisis")
    _set_sent_at(late, hours_ago=3)
    Referral.objects.filter(pk=late.pk).update(acknowledge_due_at=timezone.now() - datetime.timedelta(hours=2))
    fresh = make_referral("accepted")
    closed = make_referral("closed")
    client.force_login(case_manager)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert _shown(response) == [late.pk, fresh.pk]  # overdue first
    row = response.context["rows"][0]
    assert row.overdue == ["acknowledgement"]
    html = response.content.decode()
    assert "Overdue: acknowledgement" in html
    assert 'class="badge badge--urg-crisis"' in html
    assert "Harbor Food Pantry" in html
    assert f"Ref. {closed.reference}" not in html

    closed_page = client.get(DASHBOARD, {"state": "closed"})
    assert _shown(closed_page) == [closed.pk]
    assertContains(closed_page, '<span class="badge badge--st-closed">Closed</span>')


def test_dashboard__filters_by_status_urgency_text_and_overdue(client, case_manager, make_referral, county):
    other = ClientFactory(organization=county, given_name="Nguyen", family_name="Tran")
    crisis = make_referral("sent", urgency="crisis")
    accepted = make_referral("accepted", client=other)
    Referral.objects.filter(pk=crisis.pk).update(acknowledge_due_at=timezone.now() - datetime.timedelta(minutes=5))
    client.force_login(case_manager)
    assert _shown(client.get(DASHBOARD, {"status": "accepted"})) == [accepted.pk]
    assert _shown(client.get(DASHBOARD, {"urgency": "crisis"})) == [crisis.pk]
    assert _shown(client.get(DASHBOARD, {"q": "nguyen"})) == [accepted.pk]
    assert _shown(client.get(DASHBOARD, {"overdue": "true"})) == [crisis.pk]
    assert _shown(client.get(DASHBOARD, {"overdue": "false"})) == [accepted.pk]
    assert _shown(client.get(DASHBOARD, {"category": "housing-instability"})) == []
    bad = client.get(DASHBOARD, {"status": "nonsense"})
    assert bad.status_code == 400
    assertContains(bad, "Select a valid choice", status_code=400)


def test_dashboard__shows_drafts_with_a_link_to_resume(client, case_manager, make_referral):
    draft = make_referral("draft")
    client.force_login(case_manager)
    response = client.get(DASHBOARD)
    assert draft.pk in _shown(response)
    assertContains(response, f'href="{reverse("referrals:draft_review", args=[draft.pk])}"')
    assertContains(response, "Continue draft")


def test_dashboard__paginates(client, case_manager, make_referral, monkeypatch):
    monkeypatch.setattr("referrals.views.lists.PAGE_SIZE", 2)
    made = [make_referral("sent") for _ in range(3)]
    client.force_login(case_manager)
    first = client.get(DASHBOARD)
    second = client.get(DASHBOARD, {"page": 2})
    assert len(_shown(first)) == 2
    assert set(_shown(first)) | set(_shown(second)) == {r.pk for r in made}
    assertContains(first, "Page 1 of 2")


def test_dashboard__writes_one_listed_audit_row_with_the_clients_shown(
    client, case_manager, make_referral, county, audit_rows
):
    other = ClientFactory(organization=county)
    first = make_referral("sent")
    second = make_referral("accepted", client=other)
    client.force_login(case_manager)
    client.get(DASHBOARD)
    rows = audit_rows(AuditAction.REFERRAL_LISTED)
    assert len(rows) == 1
    assert rows[0].detail["client_ids"] == sorted([str(first.client_id), str(second.client_id)])
    assert set(rows[0].detail["referral_ids"]) == {str(first.pk), str(second.pk)}
    assert rows[0].subtype == "dashboard"
    assert rows[0].actor == case_manager
    client.get(DASHBOARD, {"state": "closed"})
    rows = audit_rows(AuditAction.REFERRAL_LISTED)
    assert len(rows) == 2
    assert rows[1].detail["client_ids"] == []
    assert rows[1].detail["query"]["state"] == "closed"


def _make_many(make_referral, county, n: int, status: str = "sent") -> list:
    return [make_referral(status, client=ClientFactory(organization=county)) for _ in range(n)]


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured), response


@pytest.mark.parametrize(
    ("url", "viewer"), [(DASHBOARD, "case_manager"), (INBOX, "provider_intake")], ids=["dashboard", "inbox"]
)
def test_list_query_count_does_not_grow_with_rows(client, users, make_referral, county, url, viewer):
    client.force_login(users[viewer])
    _make_many(make_referral, county, 3)
    _make_many(make_referral, county, 1, status="accepted")
    few, response = _queries(client, url)
    assert len(response.context["rows"]) == 4
    _make_many(make_referral, county, 10)
    _make_many(make_referral, county, 1, status="accepted")
    many, response = _queries(client, url)
    assert len(response.context["rows"]) == 15
    assert many == few


def test_team_query_count_does_not_grow_with_rows(client, county_supervisor, make_referral, county):
    client.force_login(county_supervisor)
    _make_many(make_referral, county, 3)
    few, _ = _queries(client, TEAM)
    _make_many(make_referral, county, 12)
    many, response = _queries(client, TEAM)
    assert len(response.context["rows"]) == 15
    assert many == few


# Inbox


def test_inbox__awaiting_acknowledgement_first_crisis_on_top_then_longest_waiting(
    client, provider_intake, make_referral, county
):
    def made(status, hours_ago, **kwargs):
        referral = make_referral(status, client=ClientFactory(organization=county), **kwargs)
        _set_sent_at(referral, hours_ago)
        return referral

    accepted = made("accepted", 100)
    routine_old = made("sent", 30)
    routine_new = made("sent", 2)
    crisis_newest = made("sent", 0.5, urgency="crisis")
    urgent = made("sent", 10, urgency="urgent")
    acknowledged = made("acknowledged", 50)
    in_progress = made("in_progress", 200)
    made("closed", 300)
    client.force_login(provider_intake)
    response = client.get(INBOX)
    assert _shown(response) == [
        crisis_newest.pk,
        urgent.pk,
        routine_old.pk,
        routine_new.pk,
        acknowledged.pk,
        in_progress.pk,
        accepted.pk,
    ]


def test_inbox__quick_actions_acknowledge_and_accept_redirect_back(client, provider_intake, make_referral):
    referral = make_referral("sent")
    client.force_login(provider_intake)
    response = client.get(INBOX)
    assert [t.name for t in response.context["rows"][0].quick_actions] == ["acknowledge", "accept"]
    assertContains(response, f'aria-label="Acknowledge receipt: referral {referral.reference}"')

    url = reverse("referrals:transition", args=[referral.pk])
    response = client.post(
        url, {"transition": "acknowledge", "acknowledge-version": referral.version, "next": f"{INBOX}?page=1"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{INBOX}?page=1"
    referral.refresh_from_db()
    assert referral.status == "acknowledged"
    assert referral.acknowledged_at is not None

    page = client.get(INBOX)
    assertContains(page, f"Acknowledge receipt: referral {referral.reference} is now acknowledged.")
    assert [t.name for t in page.context["rows"][0].quick_actions] == ["accept"]
    response = client.post(url, {"transition": "accept", "accept-version": referral.version, "next": INBOX})
    assert response["Location"] == INBOX
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert client.get(INBOX).context["rows"][0].quick_actions == []


def test_inbox__next_pointing_elsewhere_is_ignored(client, provider_intake, make_referral):
    referral = make_referral("sent")
    client.force_login(provider_intake)
    response = client.post(
        reverse("referrals:transition", args=[referral.pk]),
        {"transition": "accept", "accept-version": referral.version, "next": "https://evil.example/"},
    )
    assert response["Location"] == _detail(referral)


def test_inbox__closed_tab_lists_finished_referrals(client, provider_intake, make_referral):
    declined = make_referral("declined")
    open_one = make_referral("sent")
    client.force_login(provider_intake)
    assert _shown(client.get(INBOX, {"state": "closed"})) == [declined.pk]
    assert _shown(client.get(INBOX)) == [open_one.pk]


def test_inbox__audits_one_listed_row_per_request(client, provider_intake, make_referral, audit_rows):
    referral = make_referral("sent")
    make_referral("draft")  # never sent: not the provider's business
    client.force_login(provider_intake)
    client.get(INBOX)
    rows = audit_rows(AuditAction.REFERRAL_LISTED)
    assert len(rows) == 1
    assert rows[0].subtype == "inbox"
    assert rows[0].detail["referral_ids"] == [str(referral.pk)]
    assert rows[0].detail["client_ids"] == [str(referral.client_id)]


# Team view


def test_team__county_supervisor_sees_workload_per_case_manager(
    client, county_supervisor, case_manager, make_referral, county
):
    colleague = UserFactory(username="cm2", first_name="Ana", last_name="Berg")
    membership_grant(actor=None, user=colleague, organization=county, role=Role.CASE_MANAGER)
    mine = [make_referral("sent") for _ in range(2)]
    theirs = make_referral("accepted", assigned_to=colleague)
    Referral.objects.filter(pk=mine[0].pk).update(acknowledge_due_at=timezone.now() - datetime.timedelta(hours=1))
    make_referral("closed")
    client.force_login(county_supervisor)
    response = client.get(TEAM)
    people = {p["name"]: (p["open"], p["overdue"]) for p in response.context["people"]}
    assert people == {case_manager.get_full_name(): (2, 1), "Ana Berg": (1, 0)}
    assert set(_shown(response)) == {mine[0].pk, mine[1].pk, theirs.pk}

    response = client.get(TEAM, {"person": str(colleague.pk)})
    assert _shown(response) == [theirs.pk]
    assertContains(response, "1 open referral for Ana Berg")


def test_team__provider_supervisor_sees_workload_per_worker(client, provider_supervisor, make_referral):
    make_referral("sent")
    accepted = make_referral("accepted")
    client.force_login(provider_supervisor)
    response = client.get(TEAM)
    assert response.context["side"] == "receiver"
    assert response.context["people"] == [{"id": "none", "name": "Unassigned", "open": 2, "overdue": 0}]
    assert accepted.pk in _shown(response)
    assert len(_shown(client.get(TEAM, {"person": "none"}))) == 2
