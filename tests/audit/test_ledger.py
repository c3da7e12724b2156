"""The accounting of disclosures: a ledger row whenever client data reaches another organization, never else."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.choices import AuditAction, Source
from audit.ledger import DisclosureEntry, disclosures_record
from audit.models import AuditEvent, Disclosure, DisclosureKind
from audit.services import audit_record
from consent.choices import DataCategory
from coordination.context import acting_as
from coordination.roles import Role
from referrals.disclosure import read_kind, referral_data_categories
from referrals.errors import ConsentRequired
from referrals.services import referral_transition
from tests.factories import ClientFactory, ReferralFactory, full_consent

pytestmark = pytest.mark.django_db

PROVIDER_SEES = ["demographics", "contact", "referral-reason"]


def ledger(client=None, **filters) -> list[Disclosure]:
    if client is not None:
        filters["client_id"] = client.pk
    return list(Disclosure.objects.filter(**filters).order_by("id"))


def ledger_inserts(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "audit_disclosure"')]


# --- the ledger service ---------------------------------------------------------------------------------


def test_disclosures_record__one_insert_skips_the_custodian_and_takes_the_events_time(provider, case_manager):
    event = audit_record(action=AuditAction.REFERRAL_LISTED, actor=case_manager, purpose_of_use="COC")
    clients = [uuid.uuid4() for _ in range(3)]
    entries = [DisclosureEntry(client_id=c, categories=["contact", "demographics", "contact"]) for c in clients]
    entries.append(DisclosureEntry(client_id=uuid.uuid4(), categories=["contact"], custodian_id=provider.pk))
    with CaptureQueriesContext(connection) as queries:
        rows = disclosures_record(
            event=event, kind=DisclosureKind.REFERRAL_READ, recipient_organization=provider, entries=entries
        )
    assert len(ledger_inserts(queries.captured_queries)) == 1
    assert len(rows) == 3
    stored = ledger()
    assert {d.client_id for d in stored} == set(clients)
    for row in stored:
        assert row.event_id == event.sequence
        assert row.disclosed_at == event.recorded_at
        assert row.purpose_of_use == "COC"
        assert row.recipient_organization_id == provider.pk
        assert row.recipient_organization_name == provider.name
        assert row.categories == ["contact", "demographics"]


def test_disclosures_record__nothing_to_record_runs_no_insert(provider):
    event = audit_record(action=AuditAction.REFERRAL_LISTED)
    with CaptureQueriesContext(connection) as queries:
        rows = disclosures_record(
            event=event,
            kind="referral_read",
            recipient_organization=provider,
            entries=[DisclosureEntry(client_id=uuid.uuid4(), custodian_id=provider.pk)],
        )
    assert rows == []
    assert ledger_inserts(queries.captured_queries) == []


@pytest.mark.parametrize(
    ("source", "roles", "kind"),
    [
        (Source.PAGE, [Role.PROVIDER_INTAKE], DisclosureKind.REFERRAL_READ),
        (Source.API, [Role.PROVIDER_INTAKE], DisclosureKind.REFERRAL_READ),
        (Source.API, [Role.PARTNER_SYSTEM], DisclosureKind.API_READ),
        (Source.FHIR, [Role.PARTNER_SYSTEM], DisclosureKind.FHIR_READ),
    ],
)
def test_read_kind__partner_systems_read_through_the_api(source, roles, kind):
    assert read_kind(source, roles) == kind


# --- (a) a referral sent --------------------------------------------------------------------------------


def test_referral_send__writes_one_ledger_row_for_the_receiving_organization(
    make_referral, county_client, provider, case_manager
):
    referral = make_referral("sent")
    rows = ledger(county_client)
    assert len(rows) == 1
    sent = rows[0]
    event = AuditEvent.objects.get(action=AuditAction.REFERRAL_TRANSITIONED, subtype="submit")
    consent = county_client.consents.get()
    assert sent.kind == DisclosureKind.REFERRAL_SENT
    assert sent.recipient_organization_id == provider.pk
    assert sent.recipient_organization_name == provider.name
    assert sent.recipient_user is None
    assert sent.categories == referral_data_categories(referral)
    assert sent.categories[:3] == PROVIDER_SEES
    assert sent.consents == [str(consent.pk)] == event.consents
    assert sent.purpose_of_use == "COC"
    assert (sent.target_type, sent.target_id) == ("referrals.Referral", str(referral.pk))
    assert sent.event_id == event.sequence
    assert sent.disclosed_at == event.recorded_at
    assert event.actor_id == case_manager.pk


def test_referral_send__carries_need_and_sensitive_categories(county, provider_intake, case_manager, service):
    client = ClientFactory(organization=county)
    full_consent(client)
    referral = ReferralFactory(
        client=client, service=service, category="housing-instability", risk_flags=["safety-risk"]
    )
    referral_transition(actor=case_manager, referral=referral, name="submit")
    (sent,) = ledger(client, kind=DisclosureKind.REFERRAL_SENT)
    assert DataCategory.HOUSING in sent.categories
    assert DataCategory.RISK_FLAGS in sent.categories


def test_referral_send__refused_by_consent_writes_no_ledger_row(county, service, case_manager):
    client = ClientFactory(organization=county)  # no consent at all
    referral = ReferralFactory(client=client, service=service)
    with pytest.raises(ConsentRequired):
        referral_transition(actor=case_manager, referral=referral, name="submit")
    assert ledger(client) == []
    assert AuditEvent.objects.filter(action=AuditAction.DISCLOSURE_BLOCKED, client_id=client.pk).exists()


# --- (b) reads by the receiving provider ------------------------------------------------------------------


def test_provider_detail_page__writes_one_read_row_with_what_was_shown(
    client, make_referral, county_client, provider, provider_intake
):
    referral = make_referral("sent")
    client.force_login(provider_intake)
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 200
    (read,) = ledger(county_client, kind=DisclosureKind.REFERRAL_READ)
    event = AuditEvent.objects.get(action=AuditAction.REFERRAL_VIEWED, actor=provider_intake)
    assert read.event_id == event.sequence
    assert read.recipient_organization_id == provider.pk
    assert read.recipient_user_id == provider_intake.pk
    assert read.recipient_display == (provider_intake.get_full_name() or provider_intake.username)
    assert read.categories == PROVIDER_SEES
    assert read.consents == event.consents == [str(county_client.consents.get().pk)]
    assert read.purpose_of_use == "COC"
    assert read.target_id == str(referral.pk)


def test_provider_read__consent_withholding_contact_leaves_contact_out(
    client, county, service, case_manager, provider_intake
):
    person = ClientFactory(organization=county)
    full_consent(person)
    referral = ReferralFactory(client=person, service=service)
    referral_transition(actor=case_manager, referral=referral, name="submit")
    consent = person.consents.get()
    provision = consent.provisions.get()
    provision.data_categories = [c for c in provision.data_categories if c != DataCategory.CONTACT]
    provision.save()
    client.force_login(provider_intake)
    client.get(reverse("referrals:detail", args=[referral.pk]))
    (read,) = ledger(person, kind=DisclosureKind.REFERRAL_READ)
    assert DataCategory.CONTACT not in read.categories
    assert DataCategory.DEMOGRAPHICS in read.categories


def test_provider_api_reads__person_is_referral_read_and_partner_system_is_api_read(
    api, make_referral, county_client, provider_intake, partner_system
):
    referral = make_referral("sent")
    assert api.as_user(provider_intake).get(f"/api/v1/referrals/{referral.pk}/").status_code == 200
    assert api.as_user(partner_system).get(f"/api/v1/referrals/{referral.pk}/").status_code == 200
    kinds = {d.recipient_user_id: d.kind for d in ledger(county_client) if d.recipient_user_id}
    assert kinds == {provider_intake.pk: DisclosureKind.REFERRAL_READ, partner_system.pk: DisclosureKind.API_READ}


@pytest.mark.parametrize("how", ["page", "api"])
def test_provider_list_read__one_insert_one_row_per_client(
    how, client, api, county, service, case_manager, provider_intake
):
    from tests.factories import referral_in

    people = [ClientFactory(organization=county) for _ in range(4)]
    for person in people:
        referral_in("sent", referrer=case_manager, receiver=provider_intake, client=person, service=service)
    before = Disclosure.objects.count()
    with CaptureQueriesContext(connection) as queries:
        if how == "page":
            client.force_login(provider_intake)
            assert client.get(reverse("referrals:inbox")).status_code == 200
        else:
            assert api.as_user(provider_intake).get("/api/v1/referrals/").status_code == 200
    assert len(ledger_inserts(queries.captured_queries)) == 1
    listed = AuditEvent.objects.get(action=AuditAction.REFERRAL_LISTED, actor=provider_intake)
    rows = list(Disclosure.objects.filter(event=listed))
    assert Disclosure.objects.count() - before == len(rows) == len(people)
    assert {d.client_id for d in rows} == {p.pk for p in people}
    assert {d.kind for d in rows} == {DisclosureKind.REFERRAL_READ}
    consents = {p.pk: [str(p.consents.get().pk)] for p in people}
    for row in rows:
        assert row.categories == PROVIDER_SEES
        assert row.consents == consents[row.client_id]
        assert row.recipient_user_id == provider_intake.pk


def test_custodian_reads__write_no_ledger_rows(client, api, make_referral, county_client, case_manager):
    referral = make_referral("sent")
    sent_only = ledger(county_client)
    client.force_login(case_manager)
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 200
    assert client.get(reverse("referrals:dashboard")).status_code == 200
    assert api.as_user(case_manager).get(f"/api/v1/referrals/{referral.pk}/").status_code == 200
    assert api.as_user(case_manager).get("/api/v1/referrals/").status_code == 200
    assert AuditEvent.objects.filter(actor=case_manager, action=AuditAction.REFERRAL_VIEWED).count() >= 2
    assert ledger(county_client) == sent_only
    assert [d.kind for d in sent_only] == [DisclosureKind.REFERRAL_SENT]


def test_ledger_row__commits_with_its_audit_row(make_referral, provider_intake, monkeypatch):
    """A failed ledger write takes the read's audit row with it: both are one transaction."""
    from referrals import disclosure as module
    from referrals.choices import Side

    referral = make_referral("sent")

    def broken(**kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(module, "disclosures_record", broken)
    views_before = AuditEvent.objects.filter(action=AuditAction.REFERRAL_VIEWED).count()
    with acting_as(provider_intake, source="page"):
        disclosure = module.referral_disclosure(
            referral, frozenset({Side.RECEIVER}), [referral.receiving_organization_id]
        )
        with pytest.raises(RuntimeError):
            module.audit_disclosure(referral, disclosure)
    assert AuditEvent.objects.filter(action=AuditAction.REFERRAL_VIEWED).count() == views_before


# --- (c) partner notifications (webhooks) --------------------------------------------------------------------


def _delivery(organization, data: dict):
    from tests.factories import WebhookEndpointFactory
    from webhooks.models import WebhookDelivery

    endpoint = WebhookEndpointFactory(organization=organization, url="https://partner.example.org/hooks")
    message_id = uuid.uuid4()
    payload = {"type": "consent.revoked", "timestamp": "2026-03-02T09:00:00Z", "data": {"id": str(message_id), **data}}
    now = timezone.now()
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        message_id=message_id,
        event="consent.revoked",
        payload=payload,
        created_at=now,
        next_attempt_at=now,
    )


def _answer(monkeypatch, status: int) -> None:
    from webhooks import delivery as module
    from webhooks.transport import SendResult

    monkeypatch.setattr(module, "post", lambda url, body, headers: SendResult(status=status, duration_ms=5))


def test_webhook_delivered__naming_a_client_to_another_org_adds_a_notification_row(
    monkeypatch, county_client, provider
):
    from webhooks.delivery import delivery_attempt

    delivery = _delivery(provider, {"object": "consent", "client": str(county_client.pk)})
    _answer(monkeypatch, 204)
    delivery_attempt(delivery_id=delivery.pk)
    (row,) = ledger(county_client)
    event = AuditEvent.objects.get(action=AuditAction.PARTNER_NOTIFIED)
    assert row.kind == DisclosureKind.NOTIFICATION
    assert (row.recipient_organization_id, row.recipient_user_id) == (provider.pk, None)
    assert row.event_id == event.sequence and event.client_id == county_client.pk
    assert (row.target_type, row.target_id) == ("webhooks.WebhookDelivery", str(delivery.pk))
    assert str(delivery.message_id) in row.description


@pytest.mark.parametrize("case", ["to_the_custodian", "failed", "no_client"])
def test_webhook_delivered__otherwise_no_row(monkeypatch, county_client, county, provider, case):
    from webhooks.delivery import delivery_attempt

    organization = county if case == "to_the_custodian" else provider
    data = {} if case == "no_client" else {"client": str(county_client.pk)}
    delivery = _delivery(organization, data)
    _answer(monkeypatch, 500 if case == "failed" else 200)
    delivery_attempt(delivery_id=delivery.pk)
    assert ledger(county_client) == []
    assert not AuditEvent.objects.filter(action=AuditAction.PARTNER_NOTIFIED).exists()
