"""The audit log in the governance admin: filters, search, sort by every column, CSV export (itself audited)."""

import csv
import io
import json
import uuid
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.admin import AuditEventAdmin
from audit.choices import AuditAction, Outcome
from audit.export import COLUMNS, neutralize
from audit.models import AuditEvent
from tests.factories import audit_event as make_event

URL = "/admin/audit/auditevent/"
CLIENT_A = uuid.UUID("11111111-1111-4111-8111-111111111111")


@pytest.fixture
def trail(case_manager, provider_intake, county, provider):
    now = timezone.now()
    return {
        "cm_view": make_event(
            recorded_at=now - timedelta(days=3),
            actor=case_manager,
            actor_display="Casey Manager",
            actor_organization_id=county.pk,
            actor_organization_name=county.name,
            purpose_of_use="COC",
            client_id=CLIENT_A,
            target_type="clients.Client",
            target_id=str(CLIENT_A),
            target_repr="Maria Lopez",
            request_id="req-cm-view",
            source="page",
            consents=["c-1"],
            detail={"note": "+SUM(A1:A9)"},
        ),
        "intake_denied": make_event(
            recorded_at=now - timedelta(days=1),
            action=AuditAction.OBJECT_ACCESS_DENIED,
            outcome=Outcome.DENIED,
            actor=provider_intake,
            actor_display="Ines Intake",
            actor_organization_id=provider.pk,
            actor_organization_name=provider.name,
            purpose_of_use="TREAT",
            request_id="req-intake",
            source="api",
        ),
        "injection": make_event(
            recorded_at=now - timedelta(hours=1),
            action=AuditAction.LOGIN_FAILED,
            outcome=Outcome.FAILED,
            actor_display='=HYPERLINK("http://evil","x")',
            target_repr="@SUM(1+1)",
            outcome_reason="-2+3",
            source="page",
        ),
    }


@pytest.fixture
def governance(client, governance_lead):
    client.force_login(governance_lead)
    return client


def shown(response) -> set[int]:
    return {row.pk for row in response.context["cl"].result_list}


def warnings(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- who ----------------------------------------------------------------------------------------------


def test_admin_audit__governance_sees_every_organizations_events(governance, trail):
    response = governance.get(URL)

    assert response.status_code == 200
    assert {e.pk for e in trail.values()} <= shown(response)
    assert b"Ines Intake" in response.content and b"Casey Manager" in response.content


@pytest.mark.parametrize("who", ["superuser", "case_manager", "provider_intake", "data_steward", "no_role_user"])
def test_admin_audit__refused_to_everyone_else(client, request, trail, who):
    client.force_login(request.getfixturevalue(who))

    # Non-governance users are sent to the admin sign-in, which refuses them; superusers are refused here.
    assert client.get(URL, follow=True).status_code == 403
    response = client.post(URL, _export_post(trail["cm_view"]), follow=True)
    assert response.status_code == 403
    assert "text/csv" not in response["Content-Type"]
    assert not AuditEvent.objects.filter(action=AuditAction.AUDIT_EXPORTED).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.AUDIT_LISTED).exists()


def test_admin_audit__rows_stay_read_only(governance, trail):
    event = trail["cm_view"]

    assert governance.post(f"{URL}{event.pk}/change/", {"outcome": "denied"}).status_code == 403
    assert governance.post(f"{URL}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).outcome == "success"


# --- filters and search -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"action": "object.access_denied"}, {"intake_denied"}),
        ({"outcome": "failed"}, {"injection"}),
        ({"purpose": "COC"}, {"cm_view"}),
        ({"source": "api"}, {"intake_denied"}),
        ({"client": str(CLIENT_A)}, {"cm_view"}),
        ({"organization": "harbor-health"}, {"intake_denied"}),
        ({"q": "maria"}, {"cm_view"}),
        ({"q": "req-intake"}, {"intake_denied"}),
        ({"q": str(CLIENT_A)}, {"cm_view"}),
    ],
)
def test_admin_audit__filters_and_search(governance, trail, params, expected):
    response = governance.get(URL, params)

    assert response.status_code == 200
    names = {e.pk: n for n, e in trail.items()}
    assert {names[pk] for pk in shown(response) if pk in names} == expected
    assert all(pk in names for pk in shown(response))  # nothing else matched


def test_admin_audit__actor_and_date_filters_show_as_clearable_choices(governance, trail, case_manager):
    after = (timezone.now() - timedelta(days=2)).isoformat()

    by_actor = governance.get(URL, {"actor": case_manager.username})
    by_date = governance.get(URL, {"recorded_after": after, "action": "object.access_denied"})

    assert shown(by_actor) == {trail["cm_view"].pk}
    assert case_manager.username.encode() in by_actor.content  # the active value is listed in the sidebar
    assert shown(by_date) == {trail["intake_denied"].pk}


def test_admin_audit__several_actions_at_once(governance, trail):
    response = governance.get(URL, {"action": ["client.viewed", "user.login_failed"]})

    assert shown(response) == {trail["cm_view"].pk, trail["injection"].pk}


def test_admin_audit__invalid_filters_are_ignored_with_a_message(governance, trail):
    response = governance.get(URL, {"client": "not-a-uuid", "outcome": "failed"})

    assert response.status_code == 200
    assert shown(response) == {trail["injection"].pk}  # the valid filter still applies
    assert any("Ignored filter client" in m for m in warnings(response))


def test_admin_audit__client_and_actor_cells_link_to_their_filter(governance, trail, case_manager):
    content = governance.get(URL).content.decode()

    assert f"?client={CLIENT_A}" in content
    assert f"?actor={case_manager.pk}" in content


# --- sorting --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("column", range(1, len(AuditEventAdmin.list_display) + 1))
def test_admin_audit__sorts_by_every_column(governance, trail, column):
    name = AuditEventAdmin.list_display[column - 1]
    field = {"actor_link": "actor_display", "client_link": "client_id"}.get(name, name)
    for direction in ("", "-"):
        response = governance.get(URL, {"o": f"{direction}{column}"})

        assert response.status_code == 200
        rows = list(response.context["cl"].result_list)
        expected = list(AuditEvent.objects.filter(pk__in=[r.pk for r in rows]).order_by(direction + field, "-pk"))
        assert [getattr(r, field) for r in rows] == [getattr(e, field) for e in expected], name


# --- the list is audited ------------------------------------------------------------------------------


def test_admin_audit__each_list_view_is_audited(governance, governance_lead, trail):
    governance.get(URL, {"client": str(CLIENT_A), "o": "2"})

    read = AuditEvent.objects.get(action=AuditAction.AUDIT_LISTED)
    assert read.actor == governance_lead and read.source == "admin" and read.subtype == "admin"
    assert read.detail == {
        "query": {"client": [str(CLIENT_A)], "o": ["2"]},
        "count": 1,
        "client_ids": [str(CLIENT_A)],
    }


def test_admin_audit__list_query_count_does_not_grow_with_rows(governance, case_manager):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert governance.get(URL).status_code == 200
        return len(queries)

    make_event(actor=case_manager, actor_display="Casey", client_id=uuid.uuid4())
    few = count()
    for _ in range(30):
        make_event(actor=case_manager, actor_display="Casey", client_id=uuid.uuid4())
    assert count() == few


# --- export ---------------------------------------------------------------------------------------------


def _export_post(*events, select_across: bool = False) -> dict:
    return {
        "action": "export_csv",
        "index": "0",
        "select_across": "1" if select_across else "0",
        "_selected_action": [e.pk for e in events],
    }


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-events-')
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_admin_export__selected_rows_with_every_column(governance, governance_lead, trail):
    event = trail["cm_view"]

    response = governance.post(URL, _export_post(event))

    assert response.status_code == 200
    header, *rows = _csv(response)
    assert header == COLUMNS
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["sequence"] == str(event.sequence) and row["uuid"] == str(event.uuid)
    assert row["recorded_at"] == event.recorded_at.isoformat()
    assert row["actor_id"] == str(event.actor_id) and row["actor_display"] == "Casey Manager"
    assert row["client_id"] == str(CLIENT_A) and row["target_repr"] == "Maria Lopez"
    assert json.loads(row["consents"]) == ["c-1"]
    assert json.loads(row["detail"]) == {"note": "+SUM(A1:A9)"}  # JSON text starts with "{": left alone
    assert row["remote_addr"] == "" and row["subtype"] == ""


def test_admin_export__all_matching_the_filters(governance, trail):
    response = governance.post(f"{URL}?source=page&o=-1", _export_post(trail["cm_view"], select_across=True))

    _, *rows = _csv(response)
    assert [int(r[0]) for r in rows] == [trail["injection"].sequence, trail["cm_view"].sequence]


def test_admin_export__neutralizes_spreadsheet_formulas(governance, trail):
    response = governance.post(URL, _export_post(trail["injection"]))

    header, row = _csv(response)
    row = dict(zip(header, row, strict=True))
    assert row["actor_display"] == '\'=HYPERLINK("http://evil","x")'
    assert row["target_repr"] == "'@SUM(1+1)"
    assert row["outcome_reason"] == "'-2+3"
    assert row["action"] == "user.login_failed"


@pytest.mark.parametrize(
    "value, expected",
    [("=1", "'=1"), ("+1", "'+1"), ("-1", "'-1"), ("@a", "'@a"), ("\tx", "'\tx"), ("a=1", "a=1"), ("", "")],
)
def test_neutralize(value, expected):
    assert neutralize(value) == expected


def test_admin_export__is_audited_before_streaming(governance, governance_lead, trail):
    response = governance.post(f"{URL}?outcome=failed", _export_post(trail["injection"], select_across=True))

    exported = AuditEvent.objects.get(action=AuditAction.AUDIT_EXPORTED)
    assert exported.actor == governance_lead and exported.source == "admin"
    assert exported.outcome == "success" and exported.action_code == "R"
    assert exported.detail == {
        "filters": {
            "parameters": {"outcome": ["failed"]},
            "query": {"outcome": ["failed"]},
            "selection": "all matching",
            "via": "admin",
        },
        "rows": 1,
        "format": "csv",
    }
    # The file is the trail as of the export: its own row is not in it.
    _, *rows = _csv(response)
    assert [int(r[0]) for r in rows] == [trail["injection"].sequence]


def test_admin_export__over_the_cap_is_refused_with_a_message(governance, trail, monkeypatch):
    monkeypatch.setattr("audit.export.EXPORT_ROW_LIMIT", 2)

    response = governance.post(URL, _export_post(trail["cm_view"], select_across=True), follow=True)

    assert response.status_code == 200
    assert "text/html" in response["Content-Type"]
    assert any("an export holds at most 2" in m for m in warnings(response))
    refused = AuditEvent.objects.get(action=AuditAction.AUDIT_EXPORTED)
    assert refused.outcome == "failed" and refused.detail["rows"] > 2
