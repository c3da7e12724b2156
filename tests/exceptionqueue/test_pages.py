"""`/exceptions/`: who sees the queue and which items, filters, counts, the detail page and its actions."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from audit.models import AuditEvent
from coordination.roles import Role
from exceptionqueue.models import ExceptionItem
from exceptionqueue.services import exception_transition

pytestmark = pytest.mark.django_db

QUEUE = reverse("exceptionqueue:queue")


def detail_url(item) -> str:
    return reverse("exceptionqueue:detail", args=[item.pk])


def shown(response) -> set:
    return {item.pk for item in response.context["rows"]}


def signed_in(client, user):
    client.force_login(user)
    return client


# -- access ----------------------------------------------------------------------------------------


def test_queue__anonymous_is_sent_to_sign_in(client, county_item):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    response = client.get(detail_url(county_item))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("data_steward", True),
        ("county_supervisor", True),
        ("governance_lead", True),
        ("case_manager", False),
        ("provider_supervisor", False),
        ("provider_intake", False),
        ("other_provider_intake", False),
        ("no_role_user", False),
    ],
)
def test_queue_and_detail__visibility_matrix(client, request, county_item, who, sees):
    user = request.getfixturevalue(who)
    response = signed_in(client, user).get(QUEUE)
    assert response.status_code == 200
    assert (county_item.pk in shown(response)) is sees
    page = client.get(detail_url(county_item))
    assert page.status_code == (200 if sees else 404)
    if not sees:
        assertNotContains(page, county_item.summary, status_code=404)


def test_detail__other_org_attempt_is_audited(client, county_item, provider_supervisor):
    signed_in(client, provider_supervisor).get(detail_url(county_item))
    denied = AuditEvent.objects.get(action="object.access_denied")
    assert denied.detail["model"] == "exceptionqueue.ExceptionItem"


@pytest.mark.parametrize(
    ("who", "shows"), [("data_steward", True), ("county_supervisor", True), ("case_manager", False)]
)
def test_navigation__shows_exceptions_to_queue_roles(client, request, who, shows):
    response = signed_in(client, request.getfixturevalue(who)).get(reverse("home"))
    labels = [item.label for item in response.context["nav_items"]]
    assert ("Exceptions" in labels) is shows


# -- list, filters, counts -------------------------------------------------------------------------


@pytest.fixture
def queue(raise_exception, data_steward, county_supervisor):
    critical = raise_exception(kind="partner-downtime", severity="critical", summary="Harbor EHR down")
    low = raise_exception(kind="duplicate-client", severity="low", owner_role=Role.COUNTY_SUPERVISOR)
    done = raise_exception(kind="sla-breach", summary="Resolved breach")
    exception_transition(actor=data_steward, item=done, name="resolve", note="fixed")
    mine = raise_exception(kind="sla-breach", severity="high")
    exception_transition(actor=data_steward, item=mine, name="start")
    late = raise_exception(kind="wrong-routing")
    ExceptionItem.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=2))
    return {"critical": critical, "low": low, "done": done, "mine": mine, "late": late}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"critical", "low", "mine", "late"}),  # opens on the work still to do
        ({"status": ""}, {"critical", "low", "done", "mine", "late"}),
        ({"status": "resolved"}, {"done"}),
        ({"kind": "sla-breach", "status": ""}, {"done", "mine"}),
        ({"severity": "critical"}, {"critical"}),
        ({"owner_role": "county_supervisor"}, {"low"}),
        ({"overdue": "true"}, {"late"}),
        ({"mine": "true"}, {"mine"}),
    ],
)
def test_queue__filters(client, data_steward, queue, params, expected):
    response = signed_in(client, data_steward).get(QUEUE, params)
    assert response.status_code == 200
    assert shown(response) == {queue[name].pk for name in expected}


def test_queue__sorted_by_due_time_with_counts(client, data_steward, queue):
    response = signed_in(client, data_steward).get(QUEUE)
    rows = response.context["rows"]
    assert [r.due_at for r in rows] == sorted(r.due_at for r in rows)
    assert rows[0].pk == queue["late"].pk
    assert response.context["counts"] == {"open": 3, "in_progress": 1, "overdue": 1, "mine": 1, "critical": 1}
    assertContains(response, '<span class="tabs__count" id="count-overdue">1</span>', html=True)
    assertContains(response, "Overdue by")


def test_queue__bad_filter_is_400_with_message(client, data_steward):
    response = signed_in(client, data_steward).get(QUEUE, {"severity": "urgent"})
    assert response.status_code == 400
    assertContains(response, "Some filter values are not valid", status_code=400)


def test_queue__each_organization_counts_only_its_own(client, queue, provider_supervisor, provider_item):
    response = signed_in(client, provider_supervisor).get(QUEUE)
    assert shown(response) == {provider_item.pk}
    assert response.context["counts"]["open"] == 1


def test_queue__is_audited(client, data_steward, raise_exception, county_client):
    item = raise_exception(kind="duplicate-client", concerning=county_client)
    signed_in(client, data_steward).get(QUEUE, {"kind": "duplicate-client"})
    row = AuditEvent.objects.get(action="exception.listed")
    assert (row.actor, row.subtype) == (data_steward, "page")
    assert row.detail["client_ids"] == [str(county_client.pk)]
    assert row.detail["exception_ids"] == [str(item.pk)]


def test_queue__query_count_does_not_grow_with_rows(client, data_steward, raise_exception, make_referral):
    referral = make_referral("sent")
    for _ in range(2):
        raise_exception(concerning=referral)
    signed_in(client, data_steward)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(QUEUE).context["rows"]) == 2
    for _ in range(10):
        raise_exception(concerning=referral)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(QUEUE).context["rows"]) == 12
    assert len(many) == len(few)


# -- detail and actions ----------------------------------------------------------------------------


def test_detail__shows_item_timeline_and_actions(client, county_item, data_steward):
    response = signed_in(client, data_steward).get(detail_url(county_item))
    assertContains(response, county_item.summary)
    assertContains(response, 'id="action-start"')
    assertContains(response, 'id="action-resolve"')
    assertContains(response, 'id="action-dismiss"')
    assertContains(response, "Assign to me")
    assertNotContains(response, 'id="action-reopen"')
    assert [e["event"].name for e in response.context["timeline"]] == ["raised"]
    row = AuditEvent.objects.get(action="exception.viewed")
    assert (row.actor, row.target_id) == (data_steward, str(county_item.pk))


def test_detail__links_referral_only_when_visible(
    client, raise_exception, make_referral, county_supervisor, data_steward
):
    referral = make_referral("sent")
    item = raise_exception(kind="sla-breach", concerning=referral)
    link = reverse("referrals:detail", args=[referral.pk])
    assertContains(signed_in(client, county_supervisor).get(detail_url(item)), link)
    response = signed_in(client, data_steward).get(detail_url(item))
    assertNotContains(response, link)
    assertContains(response, item.concerning_repr)


def test_detail__governance_reads_without_actions(client, county_item, governance_lead):
    response = signed_in(client, governance_lead).get(detail_url(county_item))
    assert response.status_code == 200
    assertNotContains(response, 'id="action-start"')
    assertNotContains(response, "Assign to me")


def post_step(client, item, name, note="", version=None):
    return client.post(
        reverse("exceptionqueue:transition", args=[item.pk]),
        {"transition": name, f"{name}-version": version or item.version, f"{name}-note": note},
    )


def test_actions__start_then_resolve_with_note(client, county_item, data_steward):
    signed_in(client, data_steward)
    response = post_step(client, county_item, "start")
    assert response.status_code == 302
    county_item.refresh_from_db()
    assert (county_item.status, county_item.assigned_to) == ("in_progress", data_steward)
    response = post_step(client, county_item, "resolve", note="Postal code corrected with the caseworker")
    assert response.status_code == 302
    county_item.refresh_from_db()
    assert county_item.status == "resolved"
    assert county_item.resolved_by == data_steward
    page = client.get(detail_url(county_item))
    assertContains(page, "Postal code corrected with the caseworker")
    assertContains(page, 'id="action-reopen"')
    assert [e["event"].name for e in page.context["timeline"]] == ["raised", "start", "resolve"]


@pytest.mark.parametrize("name", ["resolve", "dismiss"])
def test_actions__note_required(client, county_item, data_steward, name):
    response = post_step(signed_in(client, data_steward), county_item, name, note="  ")
    assert response.status_code == 400
    assertContains(response, f"A note is required to {name} an exception.", status_code=400)
    county_item.refresh_from_db()
    assert county_item.status == "open"


def test_actions__stale_page_is_refused_with_message(client, county_item, data_steward, county_supervisor):
    exception_transition(actor=county_supervisor, item=county_item, name="start")
    response = post_step(signed_in(client, data_steward), county_item, "dismiss", note="dup", version=1)
    assert response.status_code == 409
    assertContains(response, "changed since you loaded it", status_code=409)
    county_item.refresh_from_db()
    assert county_item.status == "in_progress"


def test_actions__wrong_state_is_refused(client, county_item, data_steward):
    response = post_step(signed_in(client, data_steward), county_item, "reopen")
    assert response.status_code == 409
    assertContains(response, "cannot be reopen", status_code=409)


def test_actions__unknown_step_is_400(client, county_item, data_steward):
    response = post_step(signed_in(client, data_steward), county_item, "explode")
    assert response.status_code == 400


def test_actions__governance_is_403(client, county_item, governance_lead):
    response = post_step(signed_in(client, governance_lead), county_item, "start")
    assert response.status_code == 403
    county_item.refresh_from_db()
    assert county_item.status == "open"


def test_actions__other_org_is_404(client, county_item, provider_supervisor):
    response = post_step(signed_in(client, provider_supervisor), county_item, "start")
    assert response.status_code == 404
    county_item.refresh_from_db()
    assert county_item.status == "open"


def test_assign__to_me_then_release(client, county_item, data_steward):
    signed_in(client, data_steward)
    url = reverse("exceptionqueue:assign", args=[county_item.pk])
    assert client.post(url, {"version": 1, "take": "true"}).status_code == 302
    county_item.refresh_from_db()
    assert county_item.assigned_to == data_steward
    assertContains(client.get(detail_url(county_item)), "Unassign me")
    assert client.post(url, {"version": county_item.version}).status_code == 302
    county_item.refresh_from_db()
    assert county_item.assigned_to is None
    assert AuditEvent.objects.filter(action="exception.assigned", actor=data_steward).count() == 2


def test_assign__other_org_is_404(client, county_item, provider_supervisor):
    url = reverse("exceptionqueue:assign", args=[county_item.pk])
    assert signed_in(client, provider_supervisor).post(url, {"version": 1, "take": "true"}).status_code == 404


# -- governance admin ------------------------------------------------------------------------------


def test_admin__governance_lists_read_only_and_audited(client, county_item, provider_item, governance_lead):
    signed_in(client, governance_lead)
    response = client.get(reverse("admin:exceptionqueue_exceptionitem_changelist"))
    assert response.status_code == 200
    assert {row.pk for row in response.context["cl"].result_list} == {county_item.pk, provider_item.pk}
    assert AuditEvent.objects.filter(action="exception.listed", subtype="admin").exists()
    change = client.get(reverse("admin:exceptionqueue_exceptionitem_change", args=[county_item.pk]))
    assert change.status_code == 200
    assert not change.context["has_change_permission"]
    assert client.get(reverse("admin:exceptionqueue_exceptionitem_add")).status_code == 403


def test_admin__data_steward_is_refused(client, county_item, data_steward):
    response = signed_in(client, data_steward).get(reverse("admin:exceptionqueue_exceptionitem_changelist"))
    assert response.status_code in (302, 403)
