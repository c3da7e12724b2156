"""`/api/v1/exceptions/`: permission matrix, filters, transitions and assignment, audit, query budget."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from coordination.roles import Role
from exceptionqueue.models import ExceptionItem

pytestmark = pytest.mark.django_db

LIST = "/api/v1/exceptions/"


def detail(item) -> str:
    return f"{LIST}{item.pk}/"


def as_user(api, user):
    """Session sign-in (not force_authenticate) so audit rows name the user."""
    api.logout()
    api.force_authenticate(None)
    if user is not None:
        api.force_login(user)
    return api


def ids(response) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


# -- permission matrix -----------------------------------------------------------------------------

SEES_COUNTY_ITEM = {"data_steward": True, "county_supervisor": True, "governance_lead": True}
MATRIX = [
    "data_steward",
    "county_supervisor",
    "governance_lead",
    "case_manager",
    "provider_intake",
    "provider_supervisor",
    "other_provider_intake",
    "partner_system",
    "no_role_user",
]


@pytest.mark.parametrize("who", MATRIX)
def test_list__shows_county_item_only_to_its_queue_and_governance(api, request, county_item, who):
    response = as_user(api, request.getfixturevalue(who)).get(LIST)
    assert response.status_code == 200
    assert (str(county_item.pk) in ids(response)) is SEES_COUNTY_ITEM.get(who, False)


@pytest.mark.parametrize("who", MATRIX)
def test_retrieve__county_item_is_404_outside_its_queue(api, request, county_item, who):
    response = as_user(api, request.getfixturevalue(who)).get(detail(county_item))
    if SEES_COUNTY_ITEM.get(who):
        assert response.status_code == 200
        assert response.json()["id"] == str(county_item.pk)
    else:
        assert response.status_code == 404
        assert "Lakeside" not in response.content.decode()


def test_anonymous__list_and_detail_are_refused(api, county_item):
    assert as_user(api, None).get(LIST).status_code in (401, 403)
    assert api.get(detail(county_item)).status_code in (401, 403)
    response = api.post(f"{detail(county_item)}transitions/", {"name": "start"}, format="json")
    assert response.status_code in (401, 403)
    county_item.refresh_from_db()
    assert county_item.status == "open"


def test_list__each_organization_sees_only_its_own(api, county_item, provider_item, data_steward, provider_supervisor):
    assert ids(as_user(api, data_steward).get(LIST)) == {str(county_item.pk)}
    assert ids(as_user(api, provider_supervisor).get(LIST)) == {str(provider_item.pk)}


def test_list__owner_role_holder_sees_items_of_their_team(api, raise_exception, provider, provider_intake):
    item = raise_exception(owner_organization=provider, owner_role=Role.PROVIDER_INTAKE)
    raise_exception(owner_organization=provider, owner_role=Role.PROVIDER_SUPERVISOR)
    assert ids(as_user(api, provider_intake).get(LIST)) == {str(item.pk)}


def test_retrieve__other_org_attempt_is_audited_as_denied(api, county_item, provider_supervisor):
    as_user(api, provider_supervisor).get(detail(county_item))
    row = AuditEvent.objects.get(action="object.access_denied")
    assert row.detail["model"] == "exceptionqueue.ExceptionItem"


# -- shape and audit of reads ----------------------------------------------------------------------


def test_retrieve__shape_and_audit(api, raise_exception, make_referral, county_supervisor):
    referral = make_referral("sent")
    item = raise_exception(kind="sla-breach", severity="high", concerning=referral)
    body = as_user(api, county_supervisor).get(detail(item)).json()
    assert body["kind"] == "sla-breach"
    assert body["severity"] == "high"
    assert body["status"] == "open"
    assert body["owner_role"] == "data_steward"
    assert body["owner_organization"]["slug"] == "lakeside-county"
    assert body["concerning"] == {"type": "referrals.Referral", "id": str(referral.pk), "label": item.concerning_repr}
    assert body["referral"] == str(referral.pk)  # the supervisor's agency made the referral
    assert body["can_work"] is True
    assert body["allowed_transitions"] == ["start", "resolve", "dismiss"]
    row = AuditEvent.objects.get(action="exception.viewed")
    assert (row.actor, row.target_id, row.client_id) == (county_supervisor, str(item.pk), referral.client_id)


def test_retrieve__data_steward_gets_no_referral_link(api, raise_exception, make_referral, data_steward):
    # Data stewards work the queue but do not read referrals: the item names it, it does not open it.
    item = raise_exception(kind="sla-breach", concerning=make_referral("sent"))
    body = as_user(api, data_steward).get(detail(item)).json()
    assert body["referral"] is None
    assert body["concerning"]["label"] == item.concerning_repr


def test_retrieve__referral_id_hidden_when_the_referral_is_not_visible(
    api, raise_exception, make_referral, provider, provider_supervisor
):
    referral = make_referral("draft")  # a draft is not visible to the provider
    item = raise_exception(owner_organization=provider, owner_role=Role.PROVIDER_SUPERVISOR, concerning=referral)
    body = as_user(api, provider_supervisor).get(detail(item)).json()
    assert body["referral"] is None


def test_retrieve__governance_sees_but_may_not_work(api, county_item, governance_lead):
    body = as_user(api, governance_lead).get(detail(county_item)).json()
    assert body["can_work"] is False
    assert body["allowed_transitions"] == []


def test_list__is_audited_with_the_clients_named(api, raise_exception, county_client, data_steward):
    with_client = raise_exception(kind="duplicate-client", concerning=county_client)
    raise_exception()
    as_user(api, data_steward).get(LIST, {"kind": "duplicate-client"})
    row = AuditEvent.objects.get(action="exception.listed")
    assert row.actor == data_steward
    assert row.detail["client_ids"] == [str(county_client.pk)]
    assert row.detail["exception_ids"] == [str(with_client.pk)]
    assert row.detail["query"] == {"kind": "duplicate-client"}


# -- filters ---------------------------------------------------------------------------------------


@pytest.fixture
def mixed_queue(raise_exception, data_steward):
    from exceptionqueue.services import exception_transition

    critical = raise_exception(kind="partner-downtime", severity="critical")
    low = raise_exception(kind="duplicate-client", severity="low", owner_role=Role.COUNTY_SUPERVISOR)
    done = raise_exception(kind="sla-breach")
    exception_transition(actor=data_steward, item=done, name="resolve", note="fixed")
    started = raise_exception(kind="sla-breach", severity="high")
    exception_transition(actor=data_steward, item=started, name="start")  # assigns the steward
    overdue = raise_exception(kind="wrong-routing")
    ExceptionItem.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(hours=1))
    return {"critical": critical, "low": low, "done": done, "started": started, "overdue": overdue}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"critical", "low", "done", "started", "overdue"}),
        ({"kind": "sla-breach"}, {"done", "started"}),
        ({"status": "active"}, {"critical", "low", "started", "overdue"}),
        ({"status": "resolved"}, {"done"}),
        ({"status": "in_progress"}, {"started"}),
        ({"severity": "critical"}, {"critical"}),
        ({"owner_role": "county_supervisor"}, {"low"}),
        ({"overdue": "true"}, {"overdue"}),
        ({"mine": "true"}, {"started"}),
        ({"kind": "sla-breach", "status": "active"}, {"started"}),
    ],
)
def test_list__filters(api, data_steward, mixed_queue, params, expected):
    response = as_user(api, data_steward).get(LIST, params)
    assert response.status_code == 200
    assert ids(response) == {str(mixed_queue[name].pk) for name in expected}


def test_list__sorted_by_due_time(api, data_steward, mixed_queue):
    rows = as_user(api, data_steward).get(LIST).json()["results"]
    due = [row["due_at"] for row in rows]
    assert due == sorted(due)
    assert rows[0]["id"] == str(mixed_queue["overdue"].pk)


@pytest.mark.parametrize("params", [{"kind": "nonsense"}, {"status": "closed"}, {"severity": "urgent"}])
def test_list__bad_filter_is_400_with_message(api, data_steward, params):
    response = as_user(api, data_steward).get(LIST, params)
    assert response.status_code == 400
    assert next(iter(params)) in response.json()["errors"]


# -- transitions and assignment --------------------------------------------------------------------


def post(api, user, item, path, payload):
    return as_user(api, user).post(f"{detail(item)}{path}/", payload, format="json")


def test_transitions__lifecycle(api, county_item, data_steward):
    body = post(api, data_steward, county_item, "transitions", {"name": "start", "version": 1}).json()
    assert (body["status"], body["assigned_to"]["id"], body["version"]) == ("in_progress", data_steward.pk, 2)
    body = post(api, data_steward, county_item, "transitions", {"name": "resolve", "note": "Address fixed"}).json()
    assert body["status"] == "resolved"
    assert body["resolution_note"] == "Address fixed"
    assert body["resolved_by"]["id"] == data_steward.pk
    assert body["allowed_transitions"] == ["reopen"]
    row = AuditEvent.objects.filter(action="exception.transitioned").latest("recorded_at")
    assert (row.actor, row.subtype) == (data_steward, "resolve")
    events = as_user(api, data_steward).get(f"{detail(county_item)}events/").json()
    assert [e["name"] for e in events] == ["raised", "start", "resolve"]
    assert events[-1]["note"] == "Address fixed"


def test_transitions__resolve_without_note_is_400_with_message(api, county_item, data_steward):
    response = post(api, data_steward, county_item, "transitions", {"name": "resolve"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "A note is required to resolve an exception: say what was done or why.",
        "code": "invalid",
    }


def test_transitions__wrong_state_is_409_with_message(api, county_item, data_steward):
    response = post(api, data_steward, county_item, "transitions", {"name": "reopen"})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "cannot be reopen" in response.json()["detail"]


def test_transitions__stale_version_is_409(api, county_item, data_steward):
    post(api, data_steward, county_item, "transitions", {"name": "start"})
    response = post(api, data_steward, county_item, "transitions", {"name": "dismiss", "note": "x", "version": 1})
    assert response.status_code == 409
    county_item.refresh_from_db()
    assert county_item.status == "in_progress"


@pytest.mark.parametrize("payload", [{"name": "explode"}, {}, {"name": "start", "colour": "red"}])
def test_transitions__bad_request_is_400(api, county_item, data_steward, payload):
    response = post(api, data_steward, county_item, "transitions", payload)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_transitions__governance_is_403_with_message(api, county_item, governance_lead):
    response = post(api, governance_lead, county_item, "transitions", {"name": "start"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    county_item.refresh_from_db()
    assert county_item.status == "open"


@pytest.mark.parametrize("who", ["provider_supervisor", "other_provider_intake", "case_manager", "no_role_user"])
def test_transitions__outside_the_queue_is_404(api, request, county_item, who):
    response = post(api, request.getfixturevalue(who), county_item, "transitions", {"name": "start"})
    assert response.status_code == 404
    county_item.refresh_from_db()
    assert county_item.status == "open"


def test_assign__to_colleague(api, county_item, county_supervisor, data_steward):
    body = post(api, county_supervisor, county_item, "assign", {"assignee": data_steward.pk}).json()
    assert body["assigned_to"]["id"] == data_steward.pk
    row = AuditEvent.objects.get(action="exception.assigned")
    assert row.actor == county_supervisor


def test_assign__unknown_and_foreign_users_get_the_same_answer(api, county_item, data_steward, provider_supervisor):
    foreign = post(api, data_steward, county_item, "assign", {"assignee": provider_supervisor.pk})
    unknown = post(api, data_steward, county_item, "assign", {"assignee": 999999})
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json()["code"] == unknown.json()["code"] == "invalid"


def test_assign__other_org_is_404(api, county_item, provider_supervisor):
    response = post(api, provider_supervisor, county_item, "assign", {"assignee": provider_supervisor.pk})
    assert response.status_code == 404


def test_events__other_org_is_404(api, county_item, provider_supervisor):
    assert as_user(api, provider_supervisor).get(f"{detail(county_item)}events/").status_code == 404


# -- query budget ----------------------------------------------------------------------------------


def test_list__query_count_does_not_grow_with_rows(api, raise_exception, make_referral, data_steward):
    referral = make_referral("sent")

    def make(n):
        for _ in range(n):
            raise_exception(concerning=referral, severity="high")

    make(2)
    as_user(api, data_steward)
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(LIST).json()["results"]) == 2
    make(10)
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(LIST).json()["results"]) == 12
    assert len(many) == len(few)


def test_schema__documents_the_exception_endpoints(api):
    import yaml

    schema = yaml.safe_load(api.get("/api/schema/").content)
    assert set(schema["paths"]["/api/v1/exceptions/"]) == {"get"}
    assert set(schema["paths"]["/api/v1/exceptions/{id}/transitions/"]) == {"post"}
    assert set(schema["paths"]["/api/v1/exceptions/{id}/assign/"]) == {"post"}
    params = {p["name"] for p in schema["paths"]["/api/v1/exceptions/"]["get"]["parameters"]}
    assert {"kind", "status", "severity", "owner_role", "overdue", "mine", "page"} <= params
    kinds = schema["components"]["schemas"]["ExceptionKindEnum"]["enum"]
    assert "partner-downtime" in kinds and "sla-breach" in kinds
