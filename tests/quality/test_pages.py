"""`/quality/`, its CSV export and the weekly report pages: who may see which agency, the tables, the query budget."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.choices import AuditAction
from audit.models import AuditEvent
from coordination.roles import Role
from providers.services import membership_grant
from quality.models import WeeklyQualityReport
from quality.weekly import weekly_report_issue
from tests.factories import UserFactory

from .conftest import local

pytestmark = pytest.mark.django_db

PAGE = reverse("quality:report")
PERIOD = {"since": "2026-05-04", "until": "2026-05-10"}


@pytest.fixture
def numbers(record, county, case_manager, other_agency, other_steward):
    record.sends(county, case_manager, local(2026, 5, 5), 3)
    record.refusals(county, case_manager, local(2026, 5, 6), 1, problems=[("client.phone", "invalid-phone", "invalid")])
    record.refusals(other_agency, other_steward, local(2026, 5, 6), 2)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("county_supervisor", 200),
        ("data_steward", 200),
        ("governance_lead", 200),
        ("other_steward", 200),
        ("case_manager", 403),
        ("provider_intake", 403),
        ("provider_supervisor", 403),
        ("no_role_user", 403),
        ("anonymous", 302),
    ],
)
def test_permission_matrix(who, status, request, client, numbers):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url, query in ((PAGE, PERIOD), (reverse("quality:export"), {**PERIOD, "section": "weeks"})):
        response = client.get(url, query)
        assert response.status_code == status, url
        if status == 302:
            assert response["Location"].startswith(reverse("login"))


def test_own_agency_only__county_steward_never_sees_ridge(client, data_steward, numbers, other_agency):
    client.force_login(data_steward)
    response = client.get(PAGE, PERIOD)
    html = response.content.decode()
    assert response.context["numbers"]["totals"] == {"attempts": 4, "sent": 3, "refused": 1, "rate": 0.25}
    assert [o["name"] for o in response.context["numbers"]["organizations"]] == ["Lakeside County Human Services"]
    assert "Ridge County" not in html
    # Asking for another agency is an invalid choice, not a peek.
    refused = client.get(PAGE, {**PERIOD, "organization": str(other_agency.pk)})
    assert refused.status_code == 400
    assert "Ridge County" not in refused.content.decode()


def test_governance_sees_every_agency_and_can_narrow_to_one(client, governance_lead, numbers, other_agency, county):
    client.force_login(governance_lead)
    everything = client.get(PAGE, PERIOD).context["numbers"]
    assert {o["name"]: o["refused"] for o in everything["organizations"]} == {
        "Lakeside County Human Services": 1,
        "Ridge County Social Services": 2,
    }
    ridge = client.get(PAGE, {**PERIOD, "organization": str(other_agency.pk)}).context["numbers"]
    assert ridge["totals"] == {"attempts": 2, "sent": 0, "refused": 2, "rate": 1.0}


def test_tables__each_section_is_an_accessible_table(client, county_supervisor, case_manager, numbers):
    client.force_login(county_supervisor)
    response = client.get(PAGE, PERIOD)
    html = response.content.decode()
    for table in ("weeks-table", "organizations-table", "users-table", "fields-table", "codes-table"):
        assert f'id="{table}"' in html
    assert html.count("<caption>") >= 5
    assert '<th scope="row">Client&#x27;s phone</th><td>0</td><td>1</td><td>0</td><td>1</td>' in html
    assert case_manager.get_full_name() in html
    [audit] = AuditEvent.objects.filter(action=AuditAction.QUALITY_VIEWED)
    assert (audit.actor, audit.subtype, audit.detail["query"]["since"]) == (county_supervisor, "page", "2026-05-04")
    assert audit.client_id is None


def test_period__starts_on_a_monday_and_refuses_a_reversed_one(client, data_steward, numbers):
    client.force_login(data_steward)
    numbers = client.get(PAGE, {"since": "2026-05-06", "until": "2026-05-10"}).context["numbers"]
    assert [w["week_start"].isoformat() for w in numbers["by_week"]] == ["2026-05-04"]
    assert client.get(PAGE, {"since": "2026-05-10", "until": "2026-05-04"}).status_code == 400


@pytest.mark.parametrize(
    ("section", "header", "row"),
    [
        ("weeks", ["week_start", "attempts", "sent", "refused", "rate"], ["2026-05-04", "4", "3", "1", "0.25"]),
        ("organizations", ["organization", "attempts", "sent", "refused", "rate"], None),
        ("fields", ["field", "label", "missing", "invalid", "contradictory", "total"], None),
    ],
)
def test_csv_export(section, header, row, client, data_steward, numbers):
    client.force_login(data_steward)
    response = client.get(reverse("quality:export"), {**PERIOD, "section": section})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == header
    if row:
        assert rows[1] == row
    [audit] = AuditEvent.objects.filter(action=AuditAction.QUALITY_EXPORTED)
    assert (audit.actor, audit.subtype) == (data_steward, section)


def test_csv_export__formula_like_names_are_neutralized(client, data_steward, record, county):
    sneaky = UserFactory(username="sneaky", first_name="=HYPERLINK(1)", last_name="x")
    membership_grant(actor=None, user=sneaky, organization=county, role=Role.CASE_MANAGER)
    record.sends(county, sneaky, local(2026, 5, 5))
    client.force_login(data_steward)
    response = client.get(reverse("quality:export"), {**PERIOD, "section": "users"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][:2] == ["Lakeside County Human Services", "'=HYPERLINK(1) x"]


def test_csv_export__unknown_section_is_400(client, data_steward):
    client.force_login(data_steward)
    assert client.get(reverse("quality:export"), {"section": "clients"}).status_code == 400


def test_weekly_report_page__own_agency_only(client, data_steward, other_steward, case_manager, numbers, county):
    with time_machine.travel(local(2026, 5, 11, 7, 0), tick=False):
        report, created = weekly_report_issue(organization=county, week_start=local(2026, 5, 4).date())
    assert created
    url = reverse("quality:weekly_report", args=[report.pk])
    client.force_login(data_steward)
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="report-fields"' in page.content.decode()
    listed = client.get(PAGE, PERIOD)
    assert url in listed.content.decode()
    client.force_login(other_steward)
    assert client.get(url).status_code == 404
    client.force_login(case_manager)
    assert client.get(url).status_code == 403
    assert WeeklyQualityReport.objects.count() == 1


def _queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PAGE, PERIOD).status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_people_and_rows(client, governance_lead, record, county, other_agency):
    def people(n):
        for i in range(n):
            user = UserFactory()
            membership_grant(
                actor=None, user=user, organization=county if i % 2 else other_agency, role=Role.CASE_MANAGER
            )
            record.sends(user.memberships.get().organization, user, local(2026, 5, 5), 2)
            record.refusals(user.memberships.get().organization, user, local(2026, 5, 6), 1)

    people(2)
    few = _queries(client, governance_lead)
    people(10)
    many = _queries(client, governance_lead)
    assert many == few
