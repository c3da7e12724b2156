"""The notifications page, its mark-read buttons, and the unread badge on every page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification

LIST = reverse("notifications:list")


def test_page__lists_own_newest_first_with_links(client, case_manager, provider_intake, notify, make_referral):
    referral = make_referral("sent")
    notify(case_manager, text="Older news", minutes_ago=5, read=True)
    notify(case_manager, text="Newer news", referral=referral)
    notify(provider_intake, text="Not for the case manager")
    client.force_login(case_manager)
    response = client.get(LIST)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("Newer news") < body.index("Older news")
    assert "Not for the case manager" not in body
    assert reverse("referrals:detail", args=[referral.pk]) in body
    assert body.count("Mark read</button>") == 1


def test_page__unread_only(client, case_manager, notify):
    notify(case_manager, text="Seen already", read=True)
    notify(case_manager, text="Still new")
    client.force_login(case_manager)
    body = client.get(LIST, {"unread": "true"}).content.decode()
    assert "Still new" in body and "Seen already" not in body


def test_page__anonymous_is_sent_to_sign_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_mark_read__own(client, case_manager, notify):
    notification = notify(case_manager)
    client.force_login(case_manager)
    response = client.post(reverse("notifications:mark_read", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == LIST
    assert Notification.objects.get(pk=notification.pk).read_at is not None


@pytest.mark.parametrize("user", ["provider_intake", "other_provider_intake", "no_role_user"])
def test_mark_read__another_users_returns_404(client, case_manager, notify, request, user):
    notification = notify(case_manager)
    client.force_login(request.getfixturevalue(user))
    response = client.post(reverse("notifications:mark_read", args=[notification.pk]))
    assert response.status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_mark_read__anonymous_is_sent_to_sign_in(client, case_manager, notify):
    notification = notify(case_manager)
    response = client.post(reverse("notifications:mark_read", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_mark_read__get_is_not_allowed(client, case_manager, notify):
    notification = notify(case_manager)
    client.force_login(case_manager)
    assert client.get(reverse("notifications:mark_read", args=[notification.pk])).status_code == 405


def test_mark_all_read__own_only_back_to_the_same_list(client, case_manager, provider_intake, notify):
    mine = [notify(case_manager), notify(case_manager)]
    theirs = notify(provider_intake)
    client.force_login(case_manager)
    response = client.post(reverse("notifications:mark_all_read"), {"unread": "true"})
    assert response["Location"] == f"{LIST}?unread=true"
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_badge__shows_own_unread_count_on_every_page(client, case_manager, provider_intake, notify):
    notify(case_manager)
    notify(case_manager)
    notify(case_manager, read=True)
    notify(provider_intake)
    client.force_login(case_manager)
    body = client.get(reverse("home")).content.decode()
    assert '<span class="count-badge" id="notifications-unread">2<' in body


def test_badge__absent_when_nothing_unread(client, case_manager, notify):
    notify(case_manager, read=True)
    client.force_login(case_manager)
    body = client.get(reverse("home")).content.decode()
    assert 'id="notifications-link"' in body and "notifications-unread" not in body


def test_badge__not_shown_signed_out(client, db):
    assert "notifications-link" not in client.get(reverse("login")).content.decode()


def test_badge__one_query_however_many_notifications(client, case_manager, notify):
    client.force_login(case_manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("home"))
        return sum("notifications_notification" in q["sql"] for q in captured.captured_queries)

    notify(case_manager)
    assert queries() == 1
    for _ in range(10):
        notify(case_manager)
    assert queries() == 1


def test_page__queries_do_not_grow_with_rows(client, case_manager, notify, make_referral):
    referral = make_referral("sent")
    client.force_login(case_manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    for _ in range(2):
        notify(case_manager, referral=referral)
    few = queries()
    for _ in range(10):
        notify(case_manager, referral=referral)
    assert queries() == few
