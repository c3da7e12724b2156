"""`/api/v1/notifications/`: your own only, newest first; another user's answers 404; anonymous 401."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification

LIST = "/api/v1/notifications/"


def _read(pk) -> str:
    return f"/api/v1/notifications/{pk}/read/"


def test_list__own_only_newest_first_with_the_documented_fields(
    api, case_manager, provider_intake, notify, make_referral
):
    referral = make_referral("sent")
    old = notify(case_manager, text="old", minutes_ago=30, read=True)
    new = notify(case_manager, text="new", referral=referral)
    notify(provider_intake, text="someone else's")
    response = api.as_user(case_manager).get(LIST)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [new.pk, old.pk]
    assert set(rows[0]) == {"id", "event", "referral", "created_at", "read", "text"}
    assert rows[0]["referral"] == str(referral.pk) and rows[0]["read"] is False and rows[0]["text"] == "new"
    assert rows[1]["referral"] is None and rows[1]["read"] is True


def test_list__unread_filter(api, case_manager, notify):
    notify(case_manager, text="seen", read=True)
    unread = notify(case_manager, text="unseen")
    rows = api.as_user(case_manager).get(LIST, {"unread": "true"}).json()["results"]
    assert [r["id"] for r in rows] == [unread.pk]


@pytest.mark.parametrize("user", ["provider_intake", "other_provider_intake", "no_role_user", "county_supervisor"])
def test_list__other_users_see_none_of_mine(api, case_manager, notify, request, user):
    notify(case_manager)
    response = api.as_user(request.getfixturevalue(user)).get(LIST)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_list__anonymous_gets_401(api, case_manager, notify):
    notify(case_manager)
    assert api.as_user(None).get(LIST).status_code == 401


def test_list__queries_do_not_grow_with_rows(api, case_manager, notify, make_referral):
    referral = make_referral("sent")

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert api.as_user(case_manager).get(LIST).status_code == 200
        return len(queries)

    for _ in range(2):
        notify(case_manager, referral=referral)
    few = count_queries()
    for _ in range(10):
        notify(case_manager, referral=referral)
    assert count_queries() == few


def test_read__marks_own_read_once(api, case_manager, notify):
    notification = notify(case_manager)
    response = api.as_user(case_manager).post(_read(notification.pk))
    assert response.status_code == 200 and response.json()["read"] is True
    first = Notification.objects.get(pk=notification.pk).read_at
    assert first is not None
    assert api.as_user(case_manager).post(_read(notification.pk)).status_code == 200
    assert Notification.objects.get(pk=notification.pk).read_at == first


@pytest.mark.parametrize("user", ["provider_intake", "other_provider_intake", "no_role_user", "county_supervisor"])
def test_read__another_users_notification_returns_404(api, case_manager, notify, request, user):
    notification = notify(case_manager)
    response = api.as_user(request.getfixturevalue(user)).post(_read(notification.pk))
    assert response.status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_read__missing_or_malformed_id_returns_404(api, case_manager):
    assert api.as_user(case_manager).post(_read(999999)).status_code == 404
    assert api.as_user(case_manager).post(_read("abc")).status_code == 404


def test_read__anonymous_gets_401(api, case_manager, notify):
    notification = notify(case_manager)
    assert api.as_user(None).post(_read(notification.pk)).status_code == 401
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_read_all__marks_only_own(api, case_manager, provider_intake, notify):
    mine = [notify(case_manager), notify(case_manager), notify(case_manager, read=True)]
    theirs = notify(provider_intake)
    response = api.as_user(case_manager).post("/api/v1/notifications/read-all/")
    assert response.status_code == 200 and response.json() == {"marked_read": 2}
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_read_all__anonymous_gets_401(api, db):
    assert api.as_user(None).post("/api/v1/notifications/read-all/").status_code == 401


def test_list__get_only_no_detail_or_writes(api, case_manager, notify):
    notification = notify(case_manager)
    client = api.as_user(case_manager)
    assert client.post(LIST, {}, format="json").status_code == 405
    assert client.delete(_read(notification.pk)).status_code == 405
    assert client.get(f"{LIST}{notification.pk}/").status_code == 404
