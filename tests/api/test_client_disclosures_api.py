"""`GET /api/v1/clients/{id}/disclosures/`: governance and the custodian's staff only; paged, filtered, audited."""

import datetime
import uuid

import pytest
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent, Disclosure, DisclosureKind
from coordination.roles import Role
from providers.services import membership_grant
from tests.factories import ClientFactory, UserFactory
from tests.factories import audit_event as make_event

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def url(client_id) -> str:
    return f"/api/v1/clients/{client_id}/disclosures/"


@pytest.fixture
def county_staff_partner(county):
    user = UserFactory(username="county-ehr")
    membership_grant(actor=None, user=user, organization=county, role=Role.PARTNER_SYSTEM)
    return user


@pytest.fixture
def history(county_client, provider, provider_intake):
    """One access by the custodian and one read by the provider (with its ledger row)."""
    view = make_event(recorded_at=NOW - datetime.timedelta(days=3), client_id=county_client.pk, actor_display="Casey")
    read = make_event(
        recorded_at=NOW - datetime.timedelta(days=1),
        action=AuditAction.REFERRAL_VIEWED,
        client_id=county_client.pk,
        actor=provider_intake,
        actor_display="Ivy Intake",
        actor_organization_name=provider.name,
        actor_role=Role.PROVIDER_INTAKE,
        purpose_of_use="COC",
        consents=["consent-1"],
    )
    ledger = Disclosure.objects.create(
        event=read,
        disclosed_at=read.recorded_at,
        kind=DisclosureKind.REFERRAL_READ,
        client_id=county_client.pk,
        recipient_organization_id=provider.pk,
        recipient_organization_name=provider.name,
        recipient_user=provider_intake,
        recipient_display="Ivy Intake",
        categories=["demographics", "contact"],
        consents=["consent-1"],
        purpose_of_use="COC",
    )
    return view, read, ledger


ALLOWED = ["governance_lead", "case_manager", "county_supervisor", "data_steward"]


@pytest.mark.parametrize("who", ALLOWED)
def test_disclosures__governance_and_custodian_staff_read_the_report(api, request, who, county_client, history):
    view, read, ledger = history
    response = api.as_user(request.getfixturevalue(who)).get(url(county_client.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(r["record"], r["reference"]) for r in body["results"]] == [
        ("disclosure", ledger.pk),
        ("access", read.sequence),
        ("access", view.sequence),
    ]
    disclosure = body["results"][0]
    assert disclosure["organization"] == "Harbor Community Health"
    assert disclosure["user"] == "Ivy Intake"
    assert disclosure["role"] == Role.PROVIDER_INTAKE
    assert disclosure["categories"] == ["demographics", "contact"]
    assert disclosure["consents"] == ["consent-1"]
    assert disclosure["purpose_of_use"] == "COC"
    assert disclosure["outcome"] == "allowed"
    assert disclosure["event_sequence"] == read.sequence


@pytest.mark.parametrize("who", ["provider_intake", "provider_supervisor", "partner_system", "other_provider_intake"])
def test_disclosures__providers_that_received_data_and_other_orgs_get_404(api, request, who, county_client, history):
    user = request.getfixturevalue(who)
    response = api.as_user(user).get(url(county_client.pk))
    assert response.status_code == 404
    assert "results" not in response.json()
    assert AuditEvent.objects.filter(
        action=AuditAction.OBJECT_ACCESS_DENIED, actor=user, client_id=county_client.pk
    ).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSURE_REPORT_VIEWED).exists()


def test_disclosures__no_role_gets_404(api, no_role_user, county_client):
    assert api.as_user(no_role_user).get(url(county_client.pk)).status_code == 404


def test_disclosures__partner_system_of_the_custodian_gets_403_audited(api, county_staff_partner, county_client):
    response = api.as_user(county_staff_partner).get(url(county_client.pk))
    assert response.status_code == 403
    assert "disclosure report" in response.json()["detail"]
    refused = AuditEvent.objects.get(action=AuditAction.DISCLOSURE_REPORT_VIEWED)
    assert (refused.outcome, refused.client_id, refused.actor_id) == (
        Outcome.DENIED,
        county_client.pk,
        county_staff_partner.pk,
    )


def test_disclosures__anonymous_gets_401(api, county_client):
    assert api.as_user(None).get(url(county_client.pk)).status_code == 401


def test_disclosures__missing_client_gets_404(api, governance_lead):
    assert api.as_user(governance_lead).get(url(uuid.uuid4())).status_code == 404


def test_disclosures__a_providers_own_client_is_its_custodians(api, provider, provider_supervisor, provider_intake):
    own = ClientFactory(organization=provider)
    make_event(client_id=own.pk)
    assert api.as_user(provider_supervisor).get(url(own.pk)).json()["count"] == 1
    # Intake workers see their clients but the accounting is for supervisors, case managers and stewards.
    assert api.as_user(provider_intake).get(url(own.pk)).status_code == 403


def test_disclosures__the_read_is_audited_and_shows_up_next_time(api, case_manager, county_client, history):
    api.as_user(case_manager).get(url(county_client.pk))
    viewed = AuditEvent.objects.get(action=AuditAction.DISCLOSURE_REPORT_VIEWED)
    assert (viewed.actor_id, viewed.client_id, viewed.outcome, viewed.source) == (
        case_manager.pk,
        county_client.pk,
        Outcome.SUCCESS,
        "api",
    )
    assert viewed.detail["total"] == 3 and viewed.detail["rows"] == 3
    again = api.as_user(case_manager).get(url(county_client.pk)).json()
    assert again["results"][0]["reference"] == viewed.sequence
    assert again["results"][0]["action"] == AuditAction.DISCLOSURE_REPORT_VIEWED


def test_disclosures__filters_since_until_kind(api, governance_lead, county_client, history):
    view, read, ledger = history
    api.as_user(governance_lead)
    only_ledger = api.get(url(county_client.pk), {"kind": "disclosure"}).json()
    assert [r["reference"] for r in only_ledger["results"]] == [ledger.pk]
    reads = api.get(url(county_client.pk), {"kind": "referral_read"}).json()
    assert reads["count"] == 1
    day = timezone.localtime(view.recorded_at).date().isoformat()  # dates are the portal's time zone
    on_that_day = api.get(url(county_client.pk), {"since": day, "until": day, "kind": "access"}).json()
    assert [r["reference"] for r in on_that_day["results"]] == [view.sequence]
    since, until = (NOW - datetime.timedelta(days=2)).isoformat(), (NOW - datetime.timedelta(hours=1)).isoformat()
    recent = api.get(url(county_client.pk), {"since": since, "until": until, "kind": "access"}).json()
    assert [r["reference"] for r in recent["results"]] == [read.sequence]


@pytest.mark.parametrize(
    "query", [{"since": "last tuesday"}, {"kind": "rumour"}, {"since": "2026-03-01", "until": "2026-01-01"}]
)
def test_disclosures__invalid_filters_answer_400(api, governance_lead, county_client, query):
    response = api.as_user(governance_lead).get(url(county_client.pk), query)
    assert response.status_code == 400
    assert response.json()["detail"] == "The request has invalid fields."


def test_disclosures__paginated(api, governance_lead, county_client):
    for i in range(30):
        make_event(recorded_at=NOW - datetime.timedelta(minutes=i + 1), client_id=county_client.pk)
    api.as_user(governance_lead)
    first = api.get(url(county_client.pk), {"page_size": 20}).json()
    assert first["count"] == 30 and len(first["results"]) == 20 and first["next"]
    second = api.get(url(county_client.pk), {"page_size": 20, "page": 2}).json()
    assert len(second["results"]) == 11  # 10 + the first call's own audit row
    assert api.get(url(county_client.pk), {"page": 99}).status_code == 404


def test_disclosures__six_years_back_only(api, governance_lead, county_client):
    make_event(recorded_at=NOW - datetime.timedelta(days=6 * 366), client_id=county_client.pk)
    kept = make_event(recorded_at=NOW - datetime.timedelta(days=5 * 365), client_id=county_client.pk)
    body = api.as_user(governance_lead).get(url(county_client.pk)).json()
    assert [r["reference"] for r in body["results"]] == [kept.sequence]


def test_disclosures__documented_in_the_openapi_schema(api):
    schema = api.as_user(None).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/clients/{id}/disclosures/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"id", "since", "until", "kind", "page", "page_size"}
    assert set(operation["responses"]) >= {"200", "400", "403", "404"}
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][page]["properties"]) == {"count", "next", "previous", "results"}


def test_disclosures__query_count_does_not_grow_with_rows(api, governance_lead, county_client, provider):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def fill(n):
        for i in range(n):
            event = make_event(recorded_at=NOW - datetime.timedelta(hours=i + 1), client_id=county_client.pk)
            Disclosure.objects.create(
                event=event, disclosed_at=event.recorded_at, client_id=county_client.pk, kind="referral_read"
            )

    api.as_user(governance_lead)
    fill(1)
    api.get(url(county_client.pk))
    with CaptureQueriesContext(connection) as small:
        assert len(api.get(url(county_client.pk)).json()["results"]) == 3
    fill(5)
    with CaptureQueriesContext(connection) as large:
        assert len(api.get(url(county_client.pk)).json()["results"]) == 14
    assert len(large.captured_queries) == len(small.captured_queries)
