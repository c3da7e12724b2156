"""The per-client disclosure report: exactly the client's accesses and disclosures for six years, paged, audited.

The selector is tested on rows built by hand; the governance admin page and its CSV export on top of it.
"""

import csv
import datetime
import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent, AuditEventClient, Disclosure, DisclosureKind
from audit.report import CSV_COLUMNS, ClientDisclosureReport, report_cutoff
from coordination.roles import Role
from providers.services import membership_grant
from tests.factories import ClientFactory, UserFactory
from tests.factories import audit_event as make_event

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def ago(**delta) -> datetime.datetime:
    return NOW - datetime.timedelta(**delta)


def listed(event: AuditEvent, *client_ids) -> AuditEvent:
    """What `audit_record` does for a list read: index each client the list showed."""
    for client_id in client_ids:
        AuditEventClient.objects.create(event=event, client_id=client_id)
    return event


def ledger_row(event: AuditEvent | None, client_id, **fields) -> Disclosure:
    fields.setdefault("disclosed_at", event.recorded_at if event else NOW)
    fields.setdefault("kind", DisclosureKind.REFERRAL_READ)
    return Disclosure.objects.create(event=event, client_id=client_id, **fields)


def keys(rows) -> list[tuple[str, int]]:
    return [(row.record, row.reference) for row in rows]


@pytest.fixture
def history(county, provider, case_manager, provider_intake):
    """Client A's history (and what must stay out of it), oldest first."""
    a, b = uuid.uuid4(), uuid.uuid4()
    rows = {}
    rows["too_old"] = make_event(recorded_at=ago(days=6 * 366), client_id=a, actor=case_manager)
    rows["too_old_ledger"] = ledger_row(None, a, disclosed_at=ago(days=6 * 366))
    rows["cm_view"] = make_event(
        recorded_at=ago(days=30),
        client_id=a,
        actor=case_manager,
        actor_display="Casey Manager",
        actor_organization_name=county.name,
        actor_role=Role.CASE_MANAGER,
        purpose_of_use="COC",
        consents=["consent-1"],
        target_type="clients.Client",
        target_id=str(a),
        target_repr="Maria Lopez",
        source="page",
    )
    rows["other_client"] = make_event(recorded_at=ago(days=20), client_id=b, actor=case_manager)
    rows["list_a_b"] = listed(
        make_event(
            recorded_at=ago(days=10),
            action=AuditAction.REFERRAL_LISTED,
            actor=provider_intake,
            actor_display="Ivy Intake",
            actor_organization_name=provider.name,
            actor_role=Role.PROVIDER_INTAKE,
            purpose_of_use="COC",
            consents=["consent-1", "consent-of-b"],
            detail={"client_ids": [str(a), str(b)]},
        ),
        a,
        b,
    )
    rows["list_ledger"] = ledger_row(
        rows["list_a_b"],
        a,
        recipient_organization_id=provider.pk,
        recipient_organization_name=provider.name,
        recipient_user=provider_intake,
        recipient_display="Ivy Intake",
        categories=["demographics", "contact"],
        consents=["consent-1"],
        purpose_of_use="COC",
        target_type="referrals.Referral",
        target_id="r-1",
        description="Referrals R-1 listed",
    )
    rows["list_ledger_b"] = ledger_row(rows["list_a_b"], b)
    rows["list_b_only"] = listed(
        make_event(recorded_at=ago(days=5), action=AuditAction.REFERRAL_LISTED, detail={"client_ids": [str(b)]}), b
    )
    rows["denied"] = make_event(
        recorded_at=ago(days=3),
        action=AuditAction.OBJECT_ACCESS_DENIED,
        outcome=Outcome.DENIED,
        outcome_reason="not visible to this user",
        client_id=a,
    )
    # A row naming the client and also indexing it as listed appears once.
    rows["direct_and_listed"] = listed(make_event(recorded_at=ago(days=1), client_id=a, detail={}), a)
    return a, rows


def test_report__matches_the_events_newest_first_within_six_years(history):
    a, rows = history
    report = ClientDisclosureReport(client_id=a)
    expected = [
        ("access", rows["direct_and_listed"].sequence),
        ("access", rows["denied"].sequence),
        ("disclosure", rows["list_ledger"].pk),  # a ledger row comes right before its event
        ("access", rows["list_a_b"].sequence),
        ("access", rows["cm_view"].sequence),
    ]
    assert keys(report[0:100]) == expected
    assert report.count() == len(expected)


def test_report__rows_say_who_when_what_why_under_which_consent_and_the_outcome(history, provider, provider_intake):
    a, rows = history
    by_key = {(r.record, r.reference): r for r in ClientDisclosureReport(client_id=a)[0:100]}
    view = by_key[("access", rows["cm_view"].sequence)]
    assert (view.at, view.action, view.outcome, view.user, view.role) == (
        rows["cm_view"].recorded_at,
        AuditAction.CLIENT_VIEWED,
        "allowed",
        "Casey Manager",
        Role.CASE_MANAGER,
    )
    assert (view.purpose_of_use, view.consents, view.target) == ("COC", ("consent-1",), "Maria Lopez")
    assert view.via == "record"
    listing = by_key[("access", rows["list_a_b"].sequence)]
    assert listing.via == "list"
    assert listing.consents == ()  # the list's consents cover other clients; A's are on its ledger row
    disclosure = by_key[("disclosure", rows["list_ledger"].pk)]
    assert (disclosure.action, disclosure.organization, disclosure.user_id, disclosure.role) == (
        DisclosureKind.REFERRAL_READ,
        provider.name,
        provider_intake.pk,
        Role.PROVIDER_INTAKE,
    )
    assert disclosure.categories == ("demographics", "contact")
    assert disclosure.consents == ("consent-1",)
    assert disclosure.event_sequence == rows["list_a_b"].sequence
    denied = by_key[("access", rows["denied"].sequence)]
    assert (denied.outcome, denied.outcome_reason, denied.denied) == ("denied", "not visible to this user", True)


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("access", ["direct_and_listed", "denied", "list_a_b", "cm_view"]),
        ("disclosure", ["list_ledger"]),
        (DisclosureKind.REFERRAL_READ, ["list_ledger"]),
        (DisclosureKind.REFERRAL_SENT, []),
    ],
)
def test_report__kind_filter(history, kind, names):
    a, rows = history
    report = ClientDisclosureReport(client_id=a, kind=kind)
    assert [r.reference for r in report[0:100]] == [getattr(rows[n], "sequence", rows[n].pk) for n in names]
    assert report.count() == len(names)


def test_report__since_and_until_narrow_but_never_pass_the_cutoff(history):
    a, rows = history
    window = ClientDisclosureReport(client_id=a, since=ago(days=11), until=ago(days=2))
    assert keys(window[0:100]) == [
        ("access", rows["denied"].sequence),
        ("disclosure", rows["list_ledger"].pk),
        ("access", rows["list_a_b"].sequence),
    ]
    ancient = ClientDisclosureReport(client_id=a, since=ago(days=10 * 365))
    assert ancient.since == ancient.cutoff
    assert rows["too_old"].sequence not in [r.reference for r in ancient[0:100]]


def test_report__years_come_from_the_setting(history, settings):
    a, rows = history
    settings.AUDIT_DISCLOSURE_REPORT_YEARS = 7
    assert ("access", rows["too_old"].sequence) in keys(ClientDisclosureReport(client_id=a)[0:100])
    assert report_cutoff(NOW).year == NOW.year - 7


def test_report__as_of_leaves_out_that_event_and_later_ones(history):
    a, rows = history
    report = ClientDisclosureReport(client_id=a, as_of=rows["denied"])
    assert keys(report[0:100]) == [
        ("disclosure", rows["list_ledger"].pk),
        ("access", rows["list_a_b"].sequence),
        ("access", rows["cm_view"].sequence),
    ]


def test_report__pages_slice_consistently(history):
    a, _ = history
    report = ClientDisclosureReport(client_id=a)
    every = keys(report[0:100])
    assert keys(report[0:2]) + keys(report[2:4]) + keys(report[4:6]) == every
    assert keys(list(report.iter_rows(chunk=2))) == every


# --- the governance admin ------------------------------------------------------------------------------------


def report_url(client_id) -> str:
    return reverse("admin:clients_client_disclosure_report", args=[client_id])


def export_url(client_id) -> str:
    return reverse("admin:clients_client_disclosure_export", args=[client_id])


@pytest.fixture
def person(county):
    return ClientFactory(organization=county, given_name="Maria", family_name="Lopez")


def test_admin_report__governance_sees_the_rows_and_the_view_is_audited(client, governance_lead, person, provider):
    event = make_event(recorded_at=ago(days=1), client_id=person.pk, actor_display="Ivy Intake")
    ledger_row(event, person.pk, recipient_organization_name=provider.name, categories=["contact"])
    client.force_login(governance_lead)
    response = client.get(report_url(person.pk))
    assert response.status_code == 200
    assert keys(response.context["rows"]) == [("disclosure", Disclosure.objects.get().pk), ("access", event.sequence)]
    body = response.content.decode()
    assert "Ivy Intake" in body and provider.name in body and "Maria Lopez" in body
    viewed = AuditEvent.objects.get(action=AuditAction.DISCLOSURE_REPORT_VIEWED)
    assert viewed.actor_id == governance_lead.pk
    assert viewed.client_id == person.pk
    assert viewed.outcome == Outcome.SUCCESS
    assert viewed.detail["total"] == 2 and viewed.detail["rows"] == 2
    # The next look shows the first one (reading the report is an access to the client's record).
    again = client.get(report_url(person.pk))
    assert ("access", viewed.sequence) in keys(again.context["rows"])


def test_admin_report__invalid_filters_are_shown_and_ignored(client, governance_lead, person):
    client.force_login(governance_lead)
    response = client.get(report_url(person.pk), {"since": "yesterday", "kind": "gossip"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"since", "kind"}
    assert "Some filters were ignored" in response.content.decode()


def test_admin_report__client_outside_the_leads_reach_is_404_and_audited(client, governance_lead, other_provider):
    outsider = ClientFactory(organization=other_provider)
    client.force_login(governance_lead)
    assert client.get(report_url(outsider.pk)).status_code == 404
    assert client.get(export_url(outsider.pk)).status_code == 404
    denied = AuditEvent.objects.filter(action=AuditAction.OBJECT_ACCESS_DENIED, client_id=outsider.pk)
    assert denied.count() == 2
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSURE_REPORT_VIEWED).exists()


def test_admin_report__missing_client_is_404(client, governance_lead):
    client.force_login(governance_lead)
    assert client.get(report_url(uuid.uuid4())).status_code == 404
    assert client.get(report_url("not-a-uuid")).status_code == 404


def test_admin_report__governance_lead_elsewhere_is_404(client, person, other_provider):
    elsewhere = UserFactory(username="gov2", is_staff=True)
    membership_grant(actor=None, user=elsewhere, organization=other_provider, role=Role.GOVERNANCE_LEAD)
    client.force_login(elsewhere)
    assert client.get(report_url(person.pk)).status_code == 404


@pytest.mark.parametrize(
    "who", ["case_manager", "county_supervisor", "data_steward", "provider_intake", "no_role_user"]
)
def test_admin_report__non_governance_never_reaches_it(client, request, who, person):
    client.force_login(request.getfixturevalue(who))
    for url in (report_url(person.pk), export_url(person.pk), reverse("admin:clients_client_disclosure_pick")):
        response = client.get(url)
        assert response.status_code == 403  # signed in, but not governance: refused, and the refusal audited
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSURE_REPORT_VIEWED).exists()
    assert AuditEvent.objects.filter(action=AuditAction.REQUEST_REFUSED, outcome=Outcome.DENIED).count() == 3


def test_admin_report__anonymous_is_sent_to_sign_in(client, person):
    response = client.get(report_url(person.pk))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_admin_report__superuser_without_a_role_sees_no_client(client, superuser, person):
    client.force_login(superuser)
    assert client.get(report_url(person.pk)).status_code == 404


def test_admin_report__query_count_does_not_grow_with_rows(client, governance_lead, person, provider):
    def fill(n):
        for i in range(n):
            event = make_event(recorded_at=ago(hours=i + 1), client_id=person.pk)
            ledger_row(event, person.pk, recipient_organization_name=provider.name)

    client.force_login(governance_lead)
    fill(1)
    client.get(report_url(person.pk))  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(report_url(person.pk)).context["rows"]) == 3  # 2 + the first view's row
    fill(5)
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(report_url(person.pk)).context["rows"]) == 14
    assert len(large.captured_queries) == len(small.captured_queries)


def test_admin_report__is_paginated(client, governance_lead, person):
    for i in range(55):
        make_event(recorded_at=ago(minutes=i + 1), client_id=person.pk)
    client.force_login(governance_lead)
    first = client.get(report_url(person.pk))
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.count == 55
    second = client.get(report_url(person.pk), {"page": 2})
    assert len(second.context["rows"]) == 6  # 5 + the first page's own audit row


def test_admin_pick__finds_only_visible_clients_and_is_audited(client, governance_lead, person, other_provider):
    hidden = ClientFactory(organization=other_provider, given_name="Maria", family_name="Lopez")
    client.force_login(governance_lead)
    response = client.get(reverse("admin:clients_client_disclosure_pick"), {"q": "lopez"})
    assert response.status_code == 200
    assert [c.pk for c in response.context["results"]] == [person.pk]
    assert report_url(person.pk) in response.content.decode()
    assert report_url(hidden.pk) not in response.content.decode()
    search = AuditEvent.objects.get(action=AuditAction.CLIENT_LISTED, subtype="admin-disclosure-pick")
    assert search.detail["client_ids"] == [str(person.pk)]
    assert list(AuditEventClient.objects.filter(event=search).values_list("client_id", flat=True)) == [person.pk]


def test_admin__client_pages_link_to_the_report(client, governance_lead, person):
    client.force_login(governance_lead)
    changelist = client.get(reverse("admin:clients_client_changelist")).content.decode()
    assert reverse("admin:clients_client_disclosure_pick") in changelist
    change = client.get(reverse("admin:clients_client_change", args=[person.pk])).content.decode()
    assert report_url(person.pk) in change


# --- CSV ---------------------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export__streams_the_report_with_formula_guard_and_is_audited(client, governance_lead, person, provider):
    event = make_event(
        recorded_at=ago(days=2),
        client_id=person.pk,
        actor_display='=HYPERLINK("http://evil.example","x")',
        actor_organization_name="+Org",
        purpose_of_use="COC",
        consents=["consent-1"],
    )
    ledger_row(
        event,
        person.pk,
        recipient_organization_name=provider.name,
        recipient_display="@mention",
        categories=["demographics", "contact"],
        consents=["consent-1"],
        description="-1+1",
    )
    client.force_login(governance_lead)
    response = client.get(export_url(person.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = read_csv(response)
    assert lines[0] == CSV_COLUMNS
    column = {name: i for i, name in enumerate(CSV_COLUMNS)}
    disclosure, access = lines[1], lines[2]
    assert len(lines) == 3  # the export's own audit row is not in the file
    assert disclosure[column["record"]] == "disclosure"
    assert disclosure[column["user"]] == "'@mention"
    assert disclosure[column["target"]] == "'-1+1"
    assert disclosure[column["categories"]] == "demographics contact"
    assert disclosure[column["consents"]] == "consent-1"
    assert access[column["reference"]] == str(event.sequence)
    assert access[column["user"]] == '\'=HYPERLINK("http://evil.example","x")'
    assert access[column["organization"]] == "'+Org"
    assert access[column["outcome"]] == "allowed"
    exported = AuditEvent.objects.get(action=AuditAction.DISCLOSURE_REPORT_EXPORTED)
    assert exported.client_id == person.pk
    assert exported.actor_id == governance_lead.pk
    assert exported.detail["rows"] == 2 and exported.detail["format"] == "csv"


def test_export__keeps_the_filters(client, governance_lead, person, provider):
    event = make_event(recorded_at=ago(days=2), client_id=person.pk)
    ledger_row(event, person.pk, recipient_organization_name=provider.name)
    client.force_login(governance_lead)
    lines = read_csv(client.get(export_url(person.pk), {"kind": "disclosure"}))
    assert [line[1] for line in lines[1:]] == ["disclosure"]
    exported = AuditEvent.objects.get(action=AuditAction.DISCLOSURE_REPORT_EXPORTED)
    assert exported.detail["filters"]["kind"] == "disclosure"


def test_export__too_many_rows_is_refused_and_the_refusal_audited(client, governance_lead, person, monkeypatch):
    from audit import report as module

    monkeypatch.setattr(module, "EXPORT_ROW_LIMIT", 1)
    make_event(recorded_at=ago(days=2), client_id=person.pk)
    make_event(recorded_at=ago(days=1), client_id=person.pk)
    client.force_login(governance_lead)
    response = client.get(export_url(person.pk))
    assert response.status_code == 302
    refused = AuditEvent.objects.get(action=AuditAction.DISCLOSURE_REPORT_EXPORTED)
    assert refused.outcome == Outcome.FAILED
