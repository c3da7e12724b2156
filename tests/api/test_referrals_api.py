"""`/api/v1/referrals/`: who sees and acts on which referral on every endpoint, what reads show, filters, audit.

Transitions have their own file (test_referrals_transitions_api.py); create, edit, reroute, routing,
assignment and shares are in test_referrals_writes_api.py.
"""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from coordination.roles import Role
from providers.services import membership_grant
from referrals.assignment import referral_assign_worker, referral_share
from referrals.disclosure import PROVIDER_CLIENT_FIELDS, REFERRER_CLIENT_FIELDS
from referrals.models import Referral, ReferralEvent, ReferralUserObjectPermission
from tests.factories import AgencyFactory, ClientFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/referrals/"
MISSING_BODY = {"detail": "Not found."}

REFERRERS = {"case_manager", "county_supervisor"}
RECEIVERS = {"provider_intake", "provider_supervisor", "partner_system", "assigned_worker"}
# Read-only: a colleague with a share, and governance (which reads its agency's referrals for oversight).
READERS = {"shared_colleague", "governance_lead"}
OUTSIDERS = {"other_provider_intake", "no_role_user", "data_steward", "superuser"}
EVERYONE = sorted(REFERRERS | RECEIVERS | READERS | OUTSIDERS | {"anonymous"})


def url(referral, suffix: str = "") -> str:
    return f"/api/v1/referrals/{getattr(referral, 'pk', referral)}/{suffix}"


def parse(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


def ids(response) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


def snapshot(referral: Referral) -> tuple:
    """What a refused request must leave untouched: the row and its timeline."""
    fresh = Referral.objects.get(pk=referral.pk)
    return (
        fresh.status,
        fresh.version,
        fresh.assigned_worker_id,
        fresh.assigned_to_id,
        list(ReferralEvent.objects.filter(referral=referral).values_list("name", flat=True)),
        Referral.objects.filter(rerouted_from=referral).count(),
        ReferralUserObjectPermission.objects.filter(content_object=referral).count(),
    )


@pytest.fixture
def shared_colleague(other_provider):
    """Staff at the other provider who reach the referral only through a read-only share."""
    user = UserFactory(username="colleague", first_name="Cora", last_name="Reyes")
    membership_grant(actor=None, user=user, organization=other_provider, role=Role.PROVIDER_INTAKE)
    return user


@pytest.fixture
def assigned_worker(provider):
    user = UserFactory(username="worker", first_name="Wes", last_name="Ortiz")
    membership_grant(actor=None, user=user, organization=provider, role=Role.PROVIDER_INTAKE)
    return user


@pytest.fixture
def actor(cast, request):
    def get(who: str):
        if who in {"shared_colleague", "assigned_worker"}:
            return request.getfixturevalue(who)
        return cast(who)

    return get


@pytest.fixture
def sent(make_referral, case_manager, provider_supervisor, shared_colleague, assigned_worker):
    """A sent referral, shared with the colleague and assigned to the worker."""
    referral = make_referral("sent")
    referral_share(actor=case_manager, referral=referral, colleague=shared_colleague)
    return referral_assign_worker(actor=provider_supervisor, referral=referral, worker=assigned_worker)


def assert_hidden(response):
    assert response.status_code == 404
    assert response.json() == MISSING_BODY


def assert_anonymous(response, referral):
    assert response.status_code == 401
    assert str(referral.pk) not in response.content.decode()


# --- the permission matrix, one endpoint at a time ------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_list__shows_the_sent_referral_to_both_sides_and_grant_holders(api, actor, who, sent, make_referral):
    draft = make_referral("draft")

    response = api.as_user(actor(who)).get(LIST_URL)

    if who == "anonymous":
        return assert_anonymous(response, sent)
    assert response.status_code == 200
    expected = set()
    if who in REFERRERS | {"governance_lead"}:
        expected = {str(sent.pk), str(draft.pk)}
    elif who in RECEIVERS | READERS:
        expected = {str(sent.pk)}  # drafts never reach the provider
    assert ids(response) == expected


@pytest.mark.parametrize("who", EVERYONE)
def test_retrieve__matrix(api, actor, who, sent):
    response = api.as_user(actor(who)).get(url(sent))

    if who == "anonymous":
        return assert_anonymous(response, sent)
    if who in OUTSIDERS:
        return assert_hidden(response)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(sent.pk)
    assert body["status"] == "sent"
    if who in REFERRERS:
        assert body["allowed_transitions"] == (
            ["cancel", "mark_entered_in_error"] if who == "county_supervisor" else ["cancel"]
        )
    elif who in RECEIVERS:
        assert body["allowed_transitions"] == ["acknowledge", "accept", "decline"]
    else:
        assert body["allowed_transitions"] == []


@pytest.mark.parametrize("who", EVERYONE)
def test_events__matrix(api, actor, who, sent):
    response = api.as_user(actor(who)).get(url(sent, "events/"))

    if who == "anonymous":
        return assert_anonymous(response, sent)
    if who in OUTSIDERS:
        return assert_hidden(response)
    assert response.status_code == 200
    assert [e["name"] for e in response.json()] == ["submit", "share", "assign"]


@pytest.mark.parametrize("who", EVERYONE)
def test_routing_options__matrix(api, actor, who, sent):
    response = api.as_user(actor(who)).get(url(sent, "routing-options/"))

    if who == "anonymous":
        return assert_anonymous(response, sent)
    if who in OUTSIDERS:
        return assert_hidden(response)
    if who in REFERRERS:
        assert response.status_code == 200
        assert [o["service"]["name"] for o in response.json()] == ["Harbor Food Pantry"]
    else:
        assert response.status_code == 403
        assert response.json() == {
            "detail": "Only the referring agency can look for services for this referral.",
            "code": "forbidden",
        }


@pytest.mark.parametrize("who", EVERYONE)
def test_transition_acknowledge__matrix(api, actor, who, sent):
    before = snapshot(sent)

    response = api.as_user(actor(who)).post(url(sent, "transitions/"), {"name": "acknowledge"}, format="json")

    if who in RECEIVERS:
        assert response.status_code == 200
        assert response.json()["status"] == "acknowledged"
        assert Referral.objects.get(pk=sent.pk).acknowledged_at is not None
        return
    assert snapshot(sent) == before
    if who == "anonymous":
        return assert_anonymous(response, sent)
    if who in OUTSIDERS:
        return assert_hidden(response)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert response.json()["detail"].startswith("Only the receiving provider can acknowledge")


@pytest.mark.parametrize("who", EVERYONE)
def test_transition_cancel__matrix(api, actor, who, sent):
    before = snapshot(sent)
    payload = {"name": "cancel", "reason_code": "client-request"}

    response = api.as_user(actor(who)).post(url(sent, "transitions/"), payload, format="json")

    if who in REFERRERS:
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        assert response.json()["cancel_reason"] == "client-request"
        return
    assert snapshot(sent) == before
    if who == "anonymous":
        return assert_anonymous(response, sent)
    if who in OUTSIDERS:
        return assert_hidden(response)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert response.json()["detail"].startswith("Only the referring agency can cancel")


@pytest.mark.parametrize("who", EVERYONE)
def test_patch__matrix_on_a_sent_referral(api, actor, who, sent):
    before = snapshot(sent)

    response = api.as_user(actor(who)).patch(url(sent), {"reason": "Changed my mind."}, format="json")

    assert snapshot(sent) == before
    assert Referral.objects.get(pk=sent.pk).reason != "Changed my mind."
    if who == "anonymous":
        return assert_anonymous(response, sent)
    if who in OUTSIDERS:
        return assert_hidden(response)
    if who in REFERRERS:
        assert response.status_code == 409
        assert response.json() == {
            "detail": "Only a draft can be edited; this referral has been sent.",
            "code": "conflict",
        }
    elif who in RECEIVERS:
        assert response.status_code == 403
        assert response.json() == {"detail": "Only the referring agency can edit this referral.", "code": "forbidden"}
    else:  # a read-only share or oversight role carries no right to change
        assert response.status_code == 403
        assert "change" in response.json()["detail"]


@pytest.mark.parametrize("who", EVERYONE)
def test_patch__matrix_on_a_draft(api, actor, who, make_referral):
    draft = make_referral("draft")
    before = snapshot(draft)

    response = api.as_user(actor(who)).patch(url(draft), {"reason": "Needs a food box for four."}, format="json")

    if who in REFERRERS:
        assert response.status_code == 200
        assert response.json()["reason"] == "Needs a food box for four."
        assert response.json()["version"] == before[1] + 1
        return
    assert snapshot(draft) == before
    if who == "anonymous":
        return assert_anonymous(response, draft)
    if who == "governance_lead":  # reads the agency's drafts, changes nothing
        assert response.status_code == 403
        return
    # Drafts are invisible to the receiving provider; nobody else was given this one.
    assert_hidden(response)


@pytest.mark.parametrize("who", EVERYONE)
def test_reroute__matrix(api, actor, who, make_referral, case_manager, shared_colleague, provider):
    declined = make_referral("declined")
    referral_share(actor=case_manager, referral=declined, colleague=shared_colleague)
    other_service = ServiceFactory(organization=provider, name="Harbor Grocery Delivery")
    before = snapshot(declined)

    response = api.as_user(actor(who)).post(
        url(declined, "reroute/"), {"service": str(other_service.pk)}, format="json"
    )

    if who in REFERRERS:
        assert response.status_code == 201
        new = Referral.objects.get(pk=response.json()["id"])
        assert new.rerouted_from_id == declined.pk
        assert new.service == other_service
        return
    assert snapshot(declined) == before
    if who == "anonymous":
        return assert_anonymous(response, declined)
    if who in OUTSIDERS:
        return assert_hidden(response)
    assert response.status_code == 403
    assert response.json() == {"detail": "Only the referring agency can reroute this referral.", "code": "forbidden"}


@pytest.mark.parametrize("who", EVERYONE)
def test_assign_worker__matrix(api, actor, who, sent, provider_intake):
    before = snapshot(sent)

    response = api.as_user(actor(who)).post(url(sent, "assign/"), {"worker": provider_intake.pk}, format="json")

    if who == "provider_supervisor":
        assert response.status_code == 200
        assert response.json()["assigned_worker"]["id"] == provider_intake.pk
        assert Referral.objects.get(pk=sent.pk).assigned_worker == provider_intake
        return
    assert snapshot(sent) == before
    if who == "anonymous":
        return assert_anonymous(response, sent)
    if who in OUTSIDERS:
        return assert_hidden(response)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only a supervisor at the receiving provider can assign this referral.",
        "code": "forbidden",
    }


@pytest.mark.parametrize("who", EVERYONE)
def test_share__matrix(api, actor, who, sent, other_provider_intake):
    before = snapshot(sent)

    response = api.as_user(actor(who)).post(
        url(sent, "shares/"), {"colleague": other_provider_intake.pk}, format="json"
    )

    if who in REFERRERS:
        assert response.status_code == 201
        assert response.json()["colleague"] == {
            "id": other_provider_intake.pk,
            "username": "otherintake",
            "name": other_provider_intake.get_full_name(),
        }
        assert api.as_user(other_provider_intake).get(url(sent)).status_code == 200
        return
    assert snapshot(sent) == before
    if who == "anonymous":
        return assert_anonymous(response, sent)
    if who in OUTSIDERS:
        return assert_hidden(response)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert api.as_user(other_provider_intake).get(url(sent)).status_code == 404


@pytest.mark.parametrize("who", EVERYONE)
def test_unshare__matrix(api, actor, who, sent, shared_colleague):
    before = snapshot(sent)

    response = api.as_user(actor(who)).delete(url(sent, f"shares/{shared_colleague.pk}/"))

    if who in REFERRERS:
        assert response.status_code == 204
        assert api.as_user(shared_colleague).get(url(sent)).status_code == 404
        return
    assert snapshot(sent) == before
    if who == "anonymous":
        return assert_anonymous(response, sent)
    if who in OUTSIDERS:
        return assert_hidden(response)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("who", EVERYONE)
def test_create__only_referring_agency_staff(api, actor, who, county_client, service):
    payload = {"client": str(county_client.pk), "service": str(service.pk), "category": "food-insecurity"}
    payload["reason"] = "Needs groceries."

    response = api.as_user(actor(who)).post(LIST_URL, payload, format="json")

    if who in REFERRERS:
        assert response.status_code == 201
        assert Referral.objects.filter(pk=response.json()["id"], client=county_client).exists()
        return
    assert not Referral.objects.exists()
    if who == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow making referrals."}


# --- visibility details ---------------------------------------------------------------------------------


def test_retrieve__draft_is_invisible_to_the_receiving_provider(api, make_referral, provider_intake):
    draft = make_referral("draft")

    response = api.as_user(provider_intake).get(url(draft))
    listed = api.get(LIST_URL)

    assert_hidden(response)
    assert ids(listed) == set()


def test_retrieve__referral_to_another_provider_is_404_like_a_missing_id(
    api, make_referral, other_provider, provider_intake
):
    elsewhere = make_referral("sent", service=ServiceFactory(organization=other_provider))
    api.as_user(provider_intake)

    hidden = api.get(url(elsewhere))
    missing = api.get(url(uuid.uuid4()))

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == MISSING_BODY


def test_retrieve__non_uuid_id_is_404(api, case_manager):
    assert_hidden(api.as_user(case_manager).get(url("12345")))


def test_retrieve__hidden_referral_leaves_a_denied_audit_row(api, signed_in, make_referral, other_provider_intake):
    referral = make_referral("sent")

    signed_in(other_provider_intake).get(url(referral))

    denied = AuditEvent.objects.get(action="object.access_denied")
    assert denied.actor == other_provider_intake
    assert denied.detail["model"] == "referrals.Referral"
    assert denied.detail["lookup"] == {"pk": str(referral.pk)}


def test_retrieve__expired_share_no_longer_reaches_the_referral(api, make_referral, case_manager, shared_colleague):
    referral = make_referral("sent")
    referral_share(
        actor=case_manager,
        referral=referral,
        colleague=shared_colleague,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    api.as_user(shared_colleague)
    assert api.get(url(referral)).status_code == 200

    ReferralUserObjectPermission.objects.filter(user=shared_colleague).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    assert_hidden(api.get(url(referral)))


# --- what a read shows ----------------------------------------------------------------------------------


def test_retrieve__answers_the_documented_fields(api, case_manager, provider, county, service, make_referral):
    referral = make_referral("accepted", urgency="urgent", risk_flags=["safety-risk"])

    body = api.as_user(case_manager).get(url(referral)).json()

    referral.refresh_from_db()
    assert body["id"] == str(referral.pk)
    assert body["reference"] == referral.reference
    assert body["status"] == "accepted"
    assert body["version"] == referral.version == 3
    assert body["referring_organization"] == {"id": str(county.pk), "slug": "lakeside-county", "name": county.name}
    assert body["receiving_organization"] == {"id": str(provider.pk), "slug": "harbor-health", "name": provider.name}
    assert body["service"] == {"id": str(service.pk), "name": "Harbor Food Pantry"}
    assert body["assigned_to"] == {"id": case_manager.pk, "username": "cm", "name": case_manager.get_full_name()}
    assert body["assigned_worker"] is None
    assert body["urgency"] == "urgent"
    assert body["risk_flags"] == ["safety-risk"]
    assert body["category"] == "food-insecurity"
    assert body["reason"] == referral.reason
    assert parse(body["sent_at"]) == referral.sent_at
    assert body["responded_at"] is not None and body["acknowledged_at"] is not None
    assert body["first_contact_at"] is None and body["closed_at"] is None
    assert body["sla"]["overdue"] == []
    for due in ("acknowledge_due_at", "first_contact_due_at", "service_start_due_at"):
        assert parse(body["sla"][due]) == getattr(referral, due)
    assert parse(body["sla"]["acknowledge_due_at"]) > referral.sent_at
    assert body["rerouted_from"] is None
    assert body["contact_attempts"] == 0
    assert body["decline_reason"] == body["outcome"] == body["cancel_reason"] == body["hold_reason"] == ""
    assert body["allowed_transitions"] == ["cancel"]


def test_retrieve__referring_side_gets_the_full_client_record(api, case_manager, make_referral, county_client):
    county_client.address_line = "12 Elm St"
    county_client.save()
    referral = make_referral("sent")

    client = api.as_user(case_manager).get(url(referral)).json()["client"]

    assert set(client) == set(REFERRER_CLIENT_FIELDS)
    assert client["id"] == str(county_client.pk)
    assert client["family_name"] == "Lopez"
    assert client["address_line"] == "12 Elm St"
    assert client["birth_date"] == county_client.birth_date.isoformat()


@pytest.mark.parametrize("who", ["provider_intake", "shared_colleague", "governance_lead"])
def test_retrieve__provider_side_gets_fewer_client_fields(api, actor, who, sent, county_client):
    county_client.address_line = "12 Elm St"
    county_client.save()

    body = api.as_user(actor(who)).get(url(sent)).json()

    assert set(body["client"]) == set(PROVIDER_CLIENT_FIELDS)
    assert "address_line" not in body["client"]
    assert "12 Elm St" not in str(body)
    assert body["client"]["given_name"] == "Maria"


def test_retrieve__assigned_worker_is_named(api, assigned_worker, sent):
    body = api.as_user(assigned_worker).get(url(sent)).json()

    assert body["assigned_worker"] == {"id": assigned_worker.pk, "username": "worker", "name": "Wes Ortiz"}
    assert "accept" in body["allowed_transitions"]


def test_retrieve__overdue_acknowledgement_is_reported(api, provider_intake, make_referral):
    referral = make_referral("sent")
    Referral.objects.filter(pk=referral.pk).update(acknowledge_due_at=timezone.now() - datetime.timedelta(hours=1))

    body = api.as_user(provider_intake).get(url(referral)).json()

    assert body["sla"]["overdue"] == ["acknowledge"]


def test_events__show_the_timeline_with_codes_and_organizations(api, case_manager, provider, make_referral):
    referral = make_referral("declined")

    events = api.as_user(case_manager).get(url(referral, "events/")).json()

    # (The factory builds the draft directly, so the timeline starts at sending.)
    assert [(e["name"], e["from_status"], e["to_status"], e["side"]) for e in events] == [
        ("submit", "draft", "sent", "referrer"),
        ("decline", "sent", "declined", "receiver"),
    ]
    decline = events[1]
    assert decline["label"] == "Decline"
    assert decline["reason_code"] == "no-capacity"
    assert decline["organization"] == {"id": str(provider.pk), "slug": "harbor-health", "name": provider.name}
    assert decline["actor_display"]
    assert events[0]["label"] == "Send to provider"
    assert set(decline) == {
        "name",
        "label",
        "from_status",
        "to_status",
        "side",
        "actor_display",
        "organization",
        "occurred_at",
        "reason_code",
        "outcome_code",
        "contact_result",
        "appointment_at",
        "note",
        "detail",
    }


# --- audit: one row per read request --------------------------------------------------------------------


def test_list__writes_one_audit_row_naming_every_client_listed(api, signed_in, case_manager, county, make_referral):
    other_client = ClientFactory(organization=county)
    first = make_referral("sent")
    second = make_referral("draft", client=other_client)

    signed_in(case_manager).get(LIST_URL, {"status": ["sent", "draft"]})

    rows = list(AuditEvent.objects.filter(action="referral.listed"))
    assert len(rows) == 1
    assert rows[0].actor == case_manager
    assert sorted(rows[0].detail["client_ids"]) == sorted([str(first.client_id), str(second.client_id)])


def test_retrieve__writes_one_audit_row_with_the_client(api, signed_in, provider_intake, make_referral):
    referral = make_referral("sent")

    signed_in(provider_intake).get(url(referral))

    row = AuditEvent.objects.get(action="referral.viewed")
    assert row.actor == provider_intake
    assert row.client_id == referral.client_id
    assert row.target_id == str(referral.pk)


def test_events__are_audited_as_one_referral_read(api, signed_in, case_manager, make_referral):
    referral = make_referral("accepted")

    signed_in(case_manager).get(url(referral, "events/"))

    row = AuditEvent.objects.get(action="referral.viewed")
    assert row.subtype == "events"
    assert row.client_id == referral.client_id
    assert row.actor == case_manager


def test_anonymous_reads_leave_no_read_audit_rows(api, make_referral):
    referral = make_referral("sent")

    api.as_user(None).get(LIST_URL)
    api.get(url(referral))

    assert not AuditEvent.objects.filter(action__in=["referral.listed", "referral.viewed"]).exists()


# --- filters --------------------------------------------------------------------------------------------


@pytest.fixture
def spread(make_referral, county, provider, other_provider, case_manager):
    """Referrals that differ in one filterable property each."""
    housing = ServiceFactory(organization=other_provider, category="housing-instability", name="Northside Housing")
    second_client = ClientFactory(organization=county, given_name="Tomas", family_name="Berg")
    rows = {
        "draft": make_referral("draft"),
        "sent_crisis": make_referral("sent", urgency="crisis"),
        "accepted": make_referral("accepted"),
        "housing": make_referral("sent", service=housing, category="housing-instability", client=second_client),
    }
    old = timezone.now() - datetime.timedelta(days=30)
    Referral.objects.filter(pk=rows["accepted"].pk).update(sent_at=old)
    return rows


def get_ids(api, user, params) -> set[str]:
    response = api.as_user(user).get(LIST_URL, params)
    assert response.status_code == 200, response.json()
    return ids(response)


def names(spread, *keys) -> set[str]:
    return {str(spread[k].pk) for k in keys}


def test_filter__status_takes_several_values(api, case_manager, spread):
    assert get_ids(api, case_manager, {"status": "draft"}) == names(spread, "draft")
    assert get_ids(api, case_manager, {"status": ["sent", "accepted"]}) == names(
        spread, "sent_crisis", "accepted", "housing"
    )


def test_filter__urgency(api, case_manager, spread):
    assert get_ids(api, case_manager, {"urgency": "crisis"}) == names(spread, "sent_crisis")


def test_filter__category(api, case_manager, spread):
    assert get_ids(api, case_manager, {"category": "housing-instability"}) == names(spread, "housing")


def test_filter__client(api, case_manager, spread):
    assert get_ids(api, case_manager, {"client": str(spread["housing"].client_id)}) == names(spread, "housing")


def test_filter__receiving_organization_by_slug_or_id(api, case_manager, spread, other_provider):
    assert get_ids(api, case_manager, {"receiving_organization": "northside-bh"}) == names(spread, "housing")
    assert get_ids(api, case_manager, {"receiving_organization": str(other_provider.pk)}) == names(spread, "housing")


def test_filter__referring_organization_by_slug_or_id(api, case_manager, county, spread):
    other_agency = AgencyFactory(slug="river-county")
    membership_grant(actor=None, user=case_manager, organization=other_agency, role=Role.CASE_MANAGER)
    theirs = ClientFactory(organization=other_agency)
    from referrals.services import referral_create

    elsewhere = referral_create(
        actor=case_manager,
        client=theirs,
        data={"category": "food-insecurity", "reason": "Food."},
        referring_organization=other_agency,
    )

    assert get_ids(api, case_manager, {"referring_organization": "river-county"}) == {str(elsewhere.pk)}
    assert get_ids(api, case_manager, {"referring_organization": str(county.pk)}) == names(
        spread, "draft", "sent_crisis", "accepted", "housing"
    )


def test_filter__sent_after_and_before(api, case_manager, spread):
    cutoff = (timezone.now() - datetime.timedelta(days=1)).isoformat()

    assert get_ids(api, case_manager, {"sent_after": cutoff}) == names(spread, "sent_crisis", "housing")
    assert get_ids(api, case_manager, {"sent_before": cutoff}) == names(spread, "accepted")


def test_filter__overdue(api, case_manager, spread):
    Referral.objects.filter(pk=spread["sent_crisis"].pk).update(
        acknowledge_due_at=timezone.now() - datetime.timedelta(hours=1)
    )

    assert get_ids(api, case_manager, {"overdue": "true"}) == names(spread, "sent_crisis")
    assert str(spread["sent_crisis"].pk) not in get_ids(api, case_manager, {"overdue": "false"})


def test_filter__q_matches_client_name_and_reference(api, case_manager, spread):
    assert get_ids(api, case_manager, {"q": "berg"}) == names(spread, "housing")
    assert get_ids(api, case_manager, {"q": spread["draft"].reference.lower()}) == names(spread, "draft")


def test_filter__provider_filters_only_within_what_it_sees(api, provider_intake, spread):
    assert get_ids(api, provider_intake, {"category": "housing-instability"}) == set()
    assert get_ids(api, provider_intake, {}) == names(spread, "sent_crisis", "accepted")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"urgency": "whenever"}, "urgency"),
        ({"category": "snacks"}, "category"),
        ({"client": "not-a-uuid"}, "client"),
        ({"sent_after": "yesterday"}, "sent_after"),
        ({"sent_before": "2024-13-45"}, "sent_before"),
        ({"receiving_organization": "x" * 81}, "receiving_organization"),
        ({"referring_organization": "y" * 81}, "referring_organization"),
        ({"q": "z" * 201}, "q"),
        ({"page_size": "abc", "status": "nope"}, "status"),
    ],
)
def test_filter__invalid_values_answer_400(api, case_manager, spread, params, field):
    response = api.as_user(case_manager).get(LIST_URL, params)

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The request has invalid fields."
    assert field in body["errors"]
    assert not AuditEvent.objects.filter(action="referral.listed").exists()


# --- query budget ---------------------------------------------------------------------------------------


def _list_queries(api, user) -> tuple[int, int]:
    api.as_user(user)
    with CaptureQueriesContext(connection) as captured:
        response = api.get(LIST_URL, {"page_size": 100})
    assert response.status_code == 200
    return len(captured), response.json()["count"]


@pytest.mark.parametrize("who", ["case_manager", "provider_intake"])
def test_list__query_count_does_not_grow_with_rows(
    api, cast, who, make_referral, county, provider, provider_supervisor
):
    clients = [ClientFactory(organization=county) for _ in range(15)]
    workers = []
    for i in range(3):
        worker = UserFactory(username=f"w{i}")
        membership_grant(actor=None, user=worker, organization=provider, role=Role.PROVIDER_INTAKE)
        workers.append(worker)

    def add(n):
        for i in range(n):
            referral = make_referral("accepted", client=clients[i])
            referral_assign_worker(actor=provider_supervisor, referral=referral, worker=workers[i % 3])

    add(3)
    small, small_count = _list_queries(api, cast(who))
    add(12)
    large, large_count = _list_queries(api, cast(who))

    assert (small_count, large_count) == (3, 15)
    assert large == small


def test_list__allowed_transitions_are_worked_out_per_row(api, provider_intake, make_referral):
    sent = make_referral("sent")
    accepted = make_referral("accepted")
    closed = make_referral("closed")

    rows = {row["id"]: row for row in api.as_user(provider_intake).get(LIST_URL).json()["results"]}

    assert rows[str(sent.pk)]["allowed_transitions"] == ["acknowledge", "accept", "decline"]
    assert rows[str(accepted.pk)]["allowed_transitions"] == [
        "record_contact_attempt",
        "schedule",
        "start_service",
        "hold",
        "close",
    ]
    assert rows[str(closed.pk)]["allowed_transitions"] == []
    assert all(set(row["client"]) == set(PROVIDER_CLIENT_FIELDS) for row in rows.values())


def test_list__is_paginated_newest_first(api, case_manager, make_referral):
    made = [make_referral("draft") for _ in range(3)]

    first = api.as_user(case_manager).get(LIST_URL, {"page_size": 2}).json()
    second = api.get(LIST_URL, {"page_size": 2, "page": 2}).json()

    assert first["count"] == 3
    assert [r["id"] for r in first["results"] + second["results"]] == [str(r.pk) for r in reversed(made)]
