"""The dashboard page `/dashboard/performance/` and its CSV export: numbers, charts with tables, who, audit, cost."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.choices import AuditAction
from audit.models import AuditEvent
from metrics.definitions import DEFINITIONS, DEFINITIONS_VERSION
from tests.factories import OrganizationFactory, ServiceFactory

from .conftest import NOW, PERIOD, local

PAGE = "/dashboard/performance/"
CSV = "/dashboard/performance/export.csv"
ALLOWED = ["governance_lead", "county_supervisor", "data_steward", "provider_supervisor"]
REFUSED = ["case_manager", "provider_intake", "other_provider_intake", "no_role_user"]


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, element_id
    return match.group(1).strip()


def table_rows(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table class="table" id="{table_id}">(.*?)</table>', html, re.S)
    assert table, table_id
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows.append(cells)
    return rows


@pytest.fixture
def page(client, network, governance_lead):
    client.force_login(governance_lead)
    with time_machine.travel(NOW, tick=False):
        response = client.get(PAGE, PERIOD)
    assert response.status_code == 200
    return response.content.decode()


def test_page__headline_numbers_and_durations(page):
    assert text_of(page, "m-sent") == "11"
    assert text_of(page, "m-ack-sla") == "54.5%"  # 6 of 11
    assert text_of(page, "m-ack") == "63.6%"
    assert text_of(page, "m-accept") == "57.1%"  # 4 of 7 answered
    assert text_of(page, "m-loop") == "54.5%"
    assert text_of(page, "m-exceptions") == "3"
    assert "Whole network" in text_of(page, "metrics-scope")
    assert table_rows(page, "durations-table")[1:] == [
        ["Time to acknowledge", "2 h", "1 d 1 h", "7"],  # 25.6 h
        ["Time to first contact", "1 d 12 h", "2 d", "4"],
        ["Time to service start", "4 d", "4 d 19 h", "2"],  # 115.2 h
    ]


def test_page__every_chart_is_an_svg_with_a_captioned_table_of_its_numbers(page):
    for chart in ("trend", "declines", "breaches", "age", "outcomes"):
        figure = re.search(rf'<figure class="chart" id="chart-{chart}">(.*?)</figure>', page, re.S).group(1)
        assert '<svg viewBox="0 0 680' in figure and 'role="img"' in figure, chart
        assert "<caption>" in figure and "<details>" in figure, chart
    assert table_rows(page, "table-trend")[1:] == [["2026-02-02", "4", "3", "2"], ["2026-02-09", "7", "4", "4"]]
    assert table_rows(page, "table-declines")[1:] == [["No capacity", "2"], ["Not eligible", "1"]]
    assert table_rows(page, "table-breaches")[1:] == [
        ["Acknowledgement", "2"],
        ["First contact", "1"],
        ["Service start", "1"],
    ]
    assert table_rows(page, "table-age")[1:] == [
        ["Under 3 days", "0"],
        ["3-7 days", "2"],
        ["8-14 days", "2"],
        ["15-30 days", "1"],
        ["31-90 days", "0"],
        ["Over 90 days", "0"],
    ]
    assert table_rows(page, "table-outcomes")[1:] == [["Service completed", "1"], ["Unable to contact", "1"]]
    # The trend's two lines, one point per week each; the second line is dashed (not told apart by colour alone).
    assert page.count("<polyline") == 2 and 'stroke-dasharray="6 4"' in page


def test_page__bottlenecks_and_definitions(page):
    assert table_rows(page, "bn-providers-decline")[1:] == [["Harbor Community Health", "10", "3", "42.9%"]]
    assert table_rows(page, "bn-categories-breach")[1:] == [["Food insecurity", "10", "2", "20%"]]
    assert f"Version {DEFINITIONS_VERSION}" in page
    for definition in DEFINITIONS:
        assert f'id="def-{definition.key}"' in page


def test_page__nothing_from_elsewhere(page):
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script src" not in page.replace('<script src="/static/', "")


def test_page__export_link_carries_the_filters(page):
    assert 'href="/dashboard/performance/export.csv?since=2026-02-02&amp;until=2026-02-15"' in page


def test_page__no_referrals_shows_dashes_and_empty_charts(client, county_supervisor):
    client.force_login(county_supervisor)
    html = client.get(PAGE).content.decode()
    assert text_of(html, "m-sent") == "0"
    assert text_of(html, "m-ack-sla") == "\u2014"
    assert "No referral of the period was declined." in html
    assert table_rows(html, "durations-table")[1] == ["Time to acknowledge", "\u2014", "\u2014", "0"]


@pytest.mark.parametrize("who", ALLOWED)
def test_permission__page_and_csv_for_supervisors_stewards_and_governance(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(PAGE).status_code == 200
    assert client.get(CSV).status_code == 200


@pytest.mark.parametrize("who", REFUSED)
def test_permission__others_get_403_on_page_and_csv(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(PAGE)
    assert response.status_code == 403
    assert "m-sent" not in response.content.decode()
    assert client.get(CSV).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="metrics.").exists()


def test_permission__anonymous_is_sent_to_sign_in(client):
    for url in (PAGE, CSV):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_navigation__performance_entry_only_for_roles_with_metrics(client, county_supervisor, case_manager):
    client.force_login(county_supervisor)
    assert f'href="{PAGE}"' in client.get(reverse("home")).content.decode()
    client.force_login(case_manager)
    assert f'href="{PAGE}"' not in client.get(reverse("home")).content.decode()


def test_page__invalid_filters_answer_400_with_the_field_messages(client, county_supervisor):
    client.force_login(county_supervisor)
    response = client.get(PAGE, {"since": "2026-02-10", "until": "2026-02-01", "urgency": "high"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The period starts after it ends" in html
    assert "Unknown urgency" in html
    assert 'id="m-sent"' not in html
    assert 'id="definitions"' in html
    assert not AuditEvent.objects.filter(action=AuditAction.METRICS_VIEWED).exists()


def test_page__view_is_audited_once_with_the_slice(client, network, data_steward, provider):
    client.force_login(data_steward)
    with time_machine.travel(NOW, tick=False):
        client.get(PAGE, {**PERIOD, "receiving_organization": str(provider.pk)})
    event = AuditEvent.objects.get(action=AuditAction.METRICS_VIEWED)
    assert (event.actor_id, event.subtype, event.client_id) == (data_steward.pk, "page", None)
    assert event.detail["query"] == {**PERIOD, "receiving_organization": str(provider.pk)}


# --- CSV ------------------------------------------------------------------------------------------------------


def csv_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv__every_number_in_tidy_rows(client, network, county_supervisor, county):
    client.force_login(county_supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(CSV, PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="referral-performance-2026-02-02-2026-02-15.csv"'
    rows = csv_of(response)
    assert rows[0] == ["section", "item", "measure", "value"]
    for expected in (
        ["about", "definitions_version", "", DEFINITIONS_VERSION],
        ["about", "since", "", "2026-02-02"],
        ["about", "scope", "", county.name],
        ["summary", "sent", "count", "11"],
        ["summary", "acknowledged_within_sla", "count", "6"],
        ["summary", "acknowledgement_rate", "rate", "0.6364"],
        ["summary", "acceptance_rate", "rate", "0.5714"],
        ["summary", "loop_closure_rate", "rate", "0.5455"],
        ["summary", "exceptions_opened", "count", "3"],
        ["durations", "time_to_acknowledge", "median_seconds", "7200.0"],
        ["durations", "time_to_acknowledge", "p90_seconds", "92160.0"],
        ["durations", "time_to_service_start", "p90_seconds", "414720.0"],
        ["durations", "time_to_first_contact", "count", "4"],
        ["decline_reasons", "no-capacity", "count", "2"],
        ["decline_reasons", "client-declined", "count", "0"],
        ["outcomes", "unable-to-contact", "count", "1"],
        ["sla_breaches", "acknowledge", "count", "2"],
        ["sla_breaches", "acknowledge", "rate", "0.1818"],
        ["open_by_age", "15_to_30_days", "count", "1"],
        ["weekly", "2026-02-09", "acknowledged_within_sla", "4"],
        ["bottlenecks_providers_by_decline_rate", "Harbor Community Health", "decline_rate", "0.4286"],
    ):
        assert expected in rows, expected
    event = AuditEvent.objects.get(action=AuditAction.METRICS_EXPORTED)
    assert (event.actor_id, event.subtype, event.detail["query"]) == (county_supervisor.pk, "csv", PERIOD)


def test_csv__empty_rates_are_empty_cells(client, county_supervisor):
    client.force_login(county_supervisor)
    rows = csv_of(client.get(CSV))
    assert ["summary", "acknowledgement_rate", "rate", ""] in rows
    assert ["durations", "time_to_acknowledge", "median_seconds", ""] in rows


def test_csv__organization_names_cannot_become_formulas(client, governance_lead, build):
    rogue = OrganizationFactory(slug="rogue", name='=HYPERLINK("http://x.example","click")')
    build(local(3, 9), to=ServiceFactory(organization=rogue))
    client.force_login(governance_lead)
    rows = csv_of(client.get(CSV, {**PERIOD, "receiving_organization": str(rogue.pk), "min_volume": "1"}))
    names = [row[3] for row in rows if row[1] == "receiving_organization"] + [
        row[1] for row in rows if row[0].startswith("bottlenecks_providers")
    ]
    assert names and all(name.startswith("'=") for name in names)


def test_csv__invalid_filters_answer_400(client, county_supervisor):
    client.force_login(county_supervisor)
    response = client.get(CSV, {"since": "soon"})
    assert response.status_code == 400
    assert "since: Enter a date as YYYY-MM-DD" in response.content.decode()


# --- cost ------------------------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
        assert client.get(url, PERIOD).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", [PAGE, CSV, "/api/v1/metrics/referrals/"])
def test_cost__queries_do_not_grow_with_the_number_of_referrals(client, build, governance_lead, url):
    def add(count: int) -> None:
        for i in range(count):
            sent = local(2 + i % 12, 9)
            build(
                sent,
                [
                    ("accept", sent + datetime.timedelta(hours=2), {}),
                    ("record_contact_attempt", sent + datetime.timedelta(hours=5), {"contact_result": "reached"}),
                ],
            )

    client.force_login(governance_lead)
    add(2)
    few = _queries(client, url)
    add(10)
    many = _queries(client, url)
    assert few == many, (few, many)
