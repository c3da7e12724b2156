"""`GET /api/v1/audit-events/`: governance leads only, every filter validated, sortable, and itself audited."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from tests.factories import audit_event as make_event

URL = "/api/v1/audit-events/"
SERIALIZED_FIELDS = {
    "id",
    "sequence",
    "recorded_at",
    "action",
    "subtype",
    "action_code",
    "outcome",
    "outcome_reason",
    "actor",
    "actor_display",
    "actor_organization_id",
    "actor_organization_name",
    "actor_role",
    "purpose_of_use",
    "client_id",
    "target_type",
    "target_id",
    "target_repr",
    "consents",
    "detail",
    "request_id",
    "source",
    "remote_addr",
    "user_agent",
}
CLIENT_A = uuid.UUID("11111111-1111-4111-8111-111111111111")
CLIENT_B = uuid.UUID("22222222-2222-4222-8222-222222222222")


@pytest.fixture
def trail(case_manager, provider_intake, county, provider):
    """Four known events, oldest first, on top of the membership grants the cast left."""
    now = timezone.now()
    return {
        "cm_view": make_event(
            recorded_at=now - timedelta(days=3),
            action=AuditAction.CLIENT_VIEWED,
            actor=case_manager,
            actor_display="Casey Manager",
            actor_organization_id=county.pk,
            actor_organization_name=county.name,
            actor_role="case_manager",
            purpose_of_use="COC",
            client_id=CLIENT_A,
            target_type="clients.Client",
            target_id=str(CLIENT_A),
            target_repr="Maria Lopez",
            request_id="req-cm-view",
            source="page",
        ),
        "cm_denied": make_event(
            recorded_at=now - timedelta(days=2),
            action=AuditAction.OBJECT_ACCESS_DENIED,
            outcome=Outcome.DENIED,
            outcome_reason="not visible to this user",
            actor=case_manager,
            actor_display="Casey Manager",
            actor_organization_id=county.pk,
            actor_organization_name=county.name,
            purpose_of_use="COC",
            client_id=CLIENT_B,
            request_id="req-cm-denied",
            source="api",
        ),
        "intake_list": make_event(
            recorded_at=now - timedelta(days=1),
            action=AuditAction.REFERRAL_LISTED,
            actor=provider_intake,
            actor_display="Ines Intake",
            actor_organization_id=provider.pk,
            actor_organization_name=provider.name,
            purpose_of_use="TREAT",
            request_id="req-intake",
            source="api",
            detail={"client_ids": [str(CLIENT_A)]},
        ),
        "system": make_event(
            recorded_at=now - timedelta(hours=1),
            action=AuditAction.LOGIN_FAILED,
            outcome=Outcome.FAILED,
            actor_display="=cmd|' /C calc'!A0",
            source="page",
        ),
    }


def listed(api, user, **params):
    response = api.as_user(user).get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def sequences(body) -> list[int]:
    return [row["sequence"] for row in body["results"]]


# --- who may read it ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        ("governance_lead", 200),
        ("case_manager", 403),
        ("county_supervisor", 403),
        ("provider_intake", 403),
        ("provider_supervisor", 403),
        ("partner_system", 403),
        ("data_steward", 403),
        ("no_role_user", 403),
        ("superuser", 403),
        ("anonymous", 401),
    ],
)
def test_audit_events__permission_matrix(api, cast, trail, who, status):
    before = AuditEvent.objects.filter(action=AuditAction.AUDIT_LISTED).count()

    response = api.as_user(cast(who)).get(URL)

    assert response.status_code == status
    if status == 200:
        assert response.json()["count"] == AuditEvent.objects.count() - 1  # all but this read's own row
        assert AuditEvent.objects.filter(action=AuditAction.AUDIT_LISTED).count() == before + 1
    else:
        assert "results" not in response.json()
        assert AuditEvent.objects.filter(action=AuditAction.AUDIT_LISTED).count() == before


def test_audit_events__deactivated_governance_membership_is_refused(api, governance_lead, trail):
    governance_lead.memberships.update(active=False)

    assert api.as_user(governance_lead).get(URL).status_code == 403


def test_audit_events__governance_reads_every_organizations_events(api, governance_lead, trail, provider):
    body = listed(api, governance_lead, organization=str(provider.pk))

    # Governance sits at the county, yet sees the provider's reads: access reviews span organizations.
    assert trail["intake_list"].sequence in sequences(body)


def test_audit_events__rows_carry_every_column(api, governance_lead, trail):
    body = listed(api, governance_lead, client=str(CLIENT_A))

    (row,) = body["results"]
    event = trail["cm_view"]
    assert set(row) == SERIALIZED_FIELDS
    assert row["id"] == str(event.uuid)
    assert row["sequence"] == event.sequence
    assert row["actor"] == event.actor_id
    assert row["action"] == "client.viewed" and row["action_code"] == "R"
    assert row["target_repr"] == "Maria Lopez" and row["client_id"] == str(CLIENT_A)
    assert row["purpose_of_use"] == "COC" and row["source"] == "page"


def test_audit_events__newest_first_by_default(api, governance_lead, trail):
    body = listed(api, governance_lead, page_size=100)

    assert sequences(body) == sorted(sequences(body), reverse=True)


def test_audit_events__no_detail_route_and_no_writes(api, governance_lead, trail):
    api.as_user(governance_lead)

    assert api.get(f"{URL}{trail['cm_view'].uuid}/").status_code == 404
    assert api.post(URL, {}, format="json").status_code == 405
    assert AuditEvent.objects.filter(pk=trail["cm_view"].pk).exists()


# --- filters ------------------------------------------------------------------------------------------


def _known(body, trail) -> set[str]:
    names = {event.sequence: name for name, event in trail.items()}
    return {names[s] for s in sequences(body) if s in names}


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"client": str(CLIENT_A)}, {"cm_view"}),
        ({"outcome": "denied"}, {"cm_denied"}),
        ({"outcome": "failed"}, {"system"}),
        ({"purpose": "TREAT"}, {"intake_list"}),
        ({"source": "page"}, {"cm_view", "system"}),
        ({"action": ["client.viewed", "referral.listed"]}, {"cm_view", "intake_list"}),
        ({"q": "ines"}, {"intake_list"}),
        ({"q": "maria lop"}, {"cm_view"}),
        ({"q": "req-cm-denied"}, {"cm_denied"}),
        ({"q": str(CLIENT_B)}, {"cm_denied"}),
        ({"q": "nothing matches this"}, set()),
    ],
)
def test_audit_events__filters(api, governance_lead, trail, params, expected):
    body = listed(api, governance_lead, page_size=100, **params)

    assert _known(body, trail) == expected
    assert body["count"] == len(expected)


def test_audit_events__actor_filter_by_id_or_username(api, governance_lead, trail, case_manager):
    by_id = listed(api, governance_lead, actor=str(case_manager.pk), page_size=100)
    by_name = listed(api, governance_lead, actor=case_manager.username, page_size=100)

    # The cast's own membership grant names the case manager as target, not actor: only the two reads.
    assert _known(by_id, trail) == {"cm_view", "cm_denied"}
    assert sequences(by_id) == sequences(by_name)
    assert all(row["actor"] == case_manager.pk for row in by_id["results"])
    assert listed(api, governance_lead, actor="nobody-by-this-name")["count"] == 0


def test_audit_events__organization_filter_by_id_or_slug(api, governance_lead, trail, county, provider):
    by_slug = listed(api, governance_lead, organization=county.slug, page_size=100)
    by_id = listed(api, governance_lead, organization=str(county.pk), page_size=100)

    assert _known(by_slug, trail) == _known(by_id, trail) == {"cm_view", "cm_denied"}
    # The governance lead's first read (a county actor too) shows up in the second.
    assert sequences(by_id)[1:] == sequences(by_slug)
    assert {row["actor_organization_id"] for row in by_id["results"]} == {str(county.pk)}
    assert _known(listed(api, governance_lead, organization=provider.slug), trail) == {"intake_list"}
    assert listed(api, governance_lead, organization="no-such-org")["count"] == 0


def test_audit_events__date_range(api, governance_lead, trail):
    now = timezone.now()
    after = (now - timedelta(days=2, hours=12)).isoformat()
    before = (now - timedelta(hours=12)).isoformat()

    body = listed(api, governance_lead, recorded_after=after, recorded_before=before, page_size=100)

    assert _known(body, trail) == {"cm_denied", "intake_list"}
    assert all(after <= row["recorded_at"] < before for row in body["results"])


def test_audit_events__filters_combine(api, governance_lead, trail, case_manager):
    body = listed(api, governance_lead, actor=case_manager.username, source="api")

    assert _known(body, trail) == {"cm_denied"}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"client": "not-a-uuid"}, "client"),
        ({"action": "client.deleted"}, "action"),
        ({"outcome": "maybe"}, "outcome"),
        ({"purpose": "GOSSIP"}, "purpose"),
        ({"source": "fax"}, "source"),
        ({"recorded_after": "last tuesday"}, "recorded_after"),
        ({"recorded_before": "2026-13-40T00:00:00Z"}, "recorded_before"),
        ({"recorded_after": "2026-05-02T00:00:00Z", "recorded_before": "2026-05-01T00:00:00Z"}, "recorded_before"),
        ({"ordering": "detail"}, "ordering"),
        ({"ordering": "-remote_addr"}, "ordering"),
        ({"q": "x" * 201}, "q"),
        ({"organization": "o" * 81}, "organization"),
    ],
)
def test_audit_events__invalid_values_answer_400_naming_the_field(api, governance_lead, trail, params, field):
    before = AuditEvent.objects.count()

    response = api.as_user(governance_lead).get(URL, params)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert AuditEvent.objects.count() == before  # a refused request lists nothing, so records no read


# --- ordering -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ordering",
    [
        "sequence",
        "recorded_at",
        "action",
        "action_code",
        "outcome",
        "actor_display",
        "actor_organization_name",
        "actor_role",
        "purpose_of_use",
        "client_id",
        "target_type",
        "target_repr",
        "source",
        "request_id",
    ],
)
def test_audit_events__ordering_by_each_whitelisted_column(api, governance_lead, trail, ordering):
    for direction in ("", "-"):
        body = listed(api, governance_lead, ordering=direction + ordering, page_size=100)

        expected = list(
            AuditEvent.objects.exclude(action=AuditAction.AUDIT_LISTED).order_by(direction + ordering, "-sequence")
        )
        rows = [r for r in body["results"] if r["action"] != AuditAction.AUDIT_LISTED]
        assert [r["sequence"] for r in rows] == [e.sequence for e in expected]


def test_audit_events__ordering_by_actor_name_then_newest(api, governance_lead, trail):
    body = listed(api, governance_lead, ordering="actor_display", q="Casey")

    # Same actor name on both rows: the tie-break is newest first, so pages never overlap.
    assert sequences(body) == [trail["cm_denied"].sequence, trail["cm_view"].sequence]


def test_audit_events__ordering_by_two_columns(api, governance_lead, trail):
    body = listed(api, governance_lead, ordering="source,recorded_at", page_size=100)

    rows = [(r["source"], r["recorded_at"]) for r in body["results"]]
    assert rows == sorted(rows)


# --- the read is audited ------------------------------------------------------------------------------


def test_audit_events__each_list_call_leaves_one_audit_row(signed_in, governance_lead, trail, county):
    api = signed_in(governance_lead)

    response = api.get(URL, {"client": str(CLIENT_A), "action": ["client.viewed", "referral.listed"], "page_size": 10})

    assert response.status_code == 200
    read = AuditEvent.objects.get(action=AuditAction.AUDIT_LISTED)
    assert read.actor == governance_lead
    assert read.actor_organization_id == county.pk
    assert (read.source, read.action_code, read.outcome) == ("api", "R", "success")
    assert read.purpose_of_use == "HOPERAT"
    assert read.detail == {
        "filters": {"client": [str(CLIENT_A)], "action": ["client.viewed", "referral.listed"]},
        "page": "1",
        "count": 1,
        "total": 1,
        "client_ids": [str(CLIENT_A)],
    }
    assert read.request_id == response["X-Request-ID"]


def test_audit_events__a_later_read_sees_the_earlier_read(api, governance_lead, trail):
    listed(api, governance_lead)

    body = listed(api, governance_lead, action="audit.listed")

    assert body["count"] == 1


# --- queries ------------------------------------------------------------------------------------------


def _count_queries(api, user) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.as_user(user).get(URL, {"page_size": 100, "ordering": "-recorded_at"})
    assert response.status_code == 200
    return len(queries)


def test_audit_events__query_count_does_not_grow_with_rows(api, governance_lead, case_manager):
    for _ in range(3):
        make_event(actor=case_manager, actor_display="Casey Manager", client_id=CLIENT_A)
    few = _count_queries(api, governance_lead)
    for _ in range(40):
        make_event(actor=case_manager, actor_display="Casey Manager", client_id=CLIENT_B)
    many = _count_queries(api, governance_lead)

    assert AuditEvent.objects.count() > 40
    assert many == few
