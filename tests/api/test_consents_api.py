"""Consent over `/api/v1/`: who reads, records and revokes a client's consents, and what the audit trail says.

Consent data belongs to the client's own organization (the custodian): its staff with consent work read and
write it, its governance leads only read it, everyone else gets 404 (or 401 without credentials).
"""

import datetime
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import Consent
from consent.services import consent_record
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

MISSING_BODY = {"detail": "Not found."}

# Who may do what with a consent held by the county (the cast of tests/conftest.py).
WRITERS = ["case_manager", "county_supervisor"]
READ_ONLY = ["governance_lead"]
# Sees the client (clients.view_client) but none of its consents.
CLIENT_READER_ONLY = ["data_steward"]
OUTSIDERS = [
    "provider_intake",
    "provider_supervisor",
    "partner_system",
    "other_provider_intake",
    "no_role_user",
    "superuser",
]
EVERY_SIGNED_IN = [*WRITERS, *READ_ONLY, *CLIENT_READER_ONLY, *OUTSIDERS]


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def list_url(client_or_id) -> str:
    return f"/api/v1/clients/{getattr(client_or_id, 'pk', client_or_id)}/consents/"


def detail_url(consent_or_id) -> str:
    return f"/api/v1/consents/{getattr(consent_or_id, 'pk', consent_or_id)}/"


def revoke_url(consent_or_id) -> str:
    return f"{detail_url(consent_or_id)}revoke/"


def audit_rows(action: str):
    return AuditEvent.objects.filter(action=action).order_by("sequence")


def pdf_file(name: str = "signed-form.pdf", size: int | None = None) -> SimpleUploadedFile:
    """A tiny valid PDF (padded to `size` bytes when given)."""
    content = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    if size is not None:
        content = content.ljust(size, b" ")
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def provision(**overrides) -> dict:
    values = {
        "type": "permit",
        "partner_categories": ["healthcare"],
        "organizations": [],
        "purposes": ["COC"],
        "data_categories": ["demographics", "contact"],
        "start": days(-30),
        "end": None,
    }
    values.update(overrides)
    return values


def record(actor, client, *provisions, **kwargs) -> Consent:
    """A consent recorded through the service, as the pages and the API do."""
    kwargs.setdefault("method", "verbal")
    kwargs.setdefault("date", days(-30))
    return consent_record(actor=actor, client=client, provisions=list(provisions or [provision()]), **kwargs)


@pytest.fixture
def pdf():
    return pdf_file()


@pytest.fixture
def person(county):
    """A county client with no consent yet (the shared `county_client` may come with one)."""
    return ClientFactory(organization=county, given_name="Rosa", family_name="Delgado")


@pytest.fixture
def consent(case_manager, person, provider):
    return record(
        case_manager,
        person,
        provision(organizations=[provider], partner_categories=[]),
        provision(type="deny", partner_categories=["housing"], data_categories=["behavioral-health"], end=days(30)),
        method="written",
    )


@pytest.fixture
def provider_consent(provider_intake, provider):
    """A consent the provider holds for its own client: none of the county's business."""
    return record(provider_intake, ClientFactory(organization=provider, given_name="Lin", family_name="Okafor"))


def body_of(consent: Consent) -> dict:
    """The API's representation of `consent`, built from the database."""
    consent.refresh_from_db()

    def person_of(user):
        return None if user is None else {"id": user.pk, "username": user.username, "name": user.get_full_name()}

    return {
        "id": str(consent.pk),
        "client": str(consent.client_id),
        "organization": {
            "id": str(consent.organization_id),
            "slug": consent.organization.slug,
            "name": consent.organization.name,
        },
        "status": consent.status,
        "method": consent.method,
        "date": consent.date.isoformat(),
        "recorded_by": person_of(consent.recorded_by),
        "revoked_at": None if consent.revoked_at is None else timezone.localtime(consent.revoked_at).isoformat(),
        "revoked_by": person_of(consent.revoked_by),
        "revocation_method": consent.revocation_method,
        "revocation_reason": consent.revocation_reason,
        "error_marked_at": None
        if consent.error_marked_at is None
        else timezone.localtime(consent.error_marked_at).isoformat(),
        "error_reason": consent.error_reason,
        "created_at": timezone.localtime(consent.created_at).isoformat(),
        "signed_form": bool(consent.signed_form),
        "provisions": [
            {
                "type": p.type,
                "partner_categories": p.partner_categories,
                "organizations": sorted(o.slug for o in p.organizations.all()),
                "purposes": p.purposes,
                "data_categories": p.data_categories,
                "start": p.start.isoformat(),
                "end": None if p.end is None else p.end.isoformat(),
            }
            for p in consent.provisions.order_by("id")
        ],
    }


# --- list: permission matrix --------------------------------------------------------------------------


@pytest.mark.parametrize("who", [*WRITERS, *READ_ONLY])
def test_list__custodian_staff_and_governance_see_the_clients_consents(api, cast, who, consent, person):
    older = record(cast("case_manager"), person, date=days(-90), status="draft")

    response = api.as_user(cast(who)).get(list_url(person))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["results"] == [body_of(consent), body_of(older)]  # newest consent date first


def test_list__role_without_consent_work_sees_the_client_but_no_consent(api, data_steward, consent, person):
    response = api.as_user(data_steward).get(list_url(person))

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert response.json()["results"] == []


@pytest.mark.parametrize("who", OUTSIDERS)
def test_list__of_a_client_the_caller_cannot_see_returns_404(api, cast, who, consent, person):
    response = api.as_user(cast(who)).get(list_url(person))

    assert response.status_code == 404
    assert response.json() == MISSING_BODY


def test_list__anonymous_gets_401(api, consent, person):
    response = api.as_user(None).get(list_url(person))

    assert response.status_code == 401
    assert "results" not in response.json()


def test_list__shows_only_the_named_clients_consents(api, case_manager, consent, person, county):
    other = ClientFactory(organization=county, given_name="Tomas", family_name="Reyes")
    record(case_manager, other)

    response = api.as_user(case_manager).get(list_url(person))

    assert [row["id"] for row in response.json()["results"]] == [str(consent.pk)]


def test_list__of_a_client_at_another_org_returns_404_even_with_consents(api, case_manager, provider_consent):
    response = api.as_user(case_manager).get(list_url(provider_consent.client_id))

    assert response.status_code == 404
    assert response.json() == MISSING_BODY


@pytest.mark.parametrize("client_id", [uuid.uuid4(), "not-a-uuid"])
def test_list__unknown_client_returns_404(api, case_manager, client_id):
    response = api.as_user(case_manager).get(list_url(client_id))

    assert response.status_code == 404
    assert response.json() == MISSING_BODY


def test_list__is_paginated(api, case_manager, person):
    for offset in range(3):
        record(case_manager, person, date=days(-offset))

    first = api.as_user(case_manager).get(list_url(person), {"page_size": 2})
    second = api.get(list_url(person), {"page_size": 2, "page": 2})

    assert first.json()["count"] == 3
    assert len(first.json()["results"]) == 2
    assert len(second.json()["results"]) == 1
    assert {r["id"] for r in first.json()["results"]}.isdisjoint({r["id"] for r in second.json()["results"]})


# --- retrieve: permission matrix ----------------------------------------------------------------------


@pytest.mark.parametrize("who", [*WRITERS, *READ_ONLY])
def test_retrieve__custodian_staff_and_governance_read_the_consent(api, cast, who, consent, provider):
    response = api.as_user(cast(who)).get(detail_url(consent))

    assert response.status_code == 200
    body = response.json()
    assert body == body_of(consent)
    assert body["provisions"][0]["organizations"] == [provider.slug]
    assert body["provisions"][1]["type"] == "deny"
    assert body["recorded_by"]["username"] == "cm"


@pytest.mark.parametrize("who", [*CLIENT_READER_ONLY, *OUTSIDERS])
def test_retrieve__by_anyone_else_returns_404(api, cast, who, consent):
    response = api.as_user(cast(who)).get(detail_url(consent))

    assert response.status_code == 404
    assert response.json() == MISSING_BODY


def test_retrieve__anonymous_gets_401(api, consent):
    response = api.as_user(None).get(detail_url(consent))

    assert response.status_code == 401
    assert "id" not in response.json()


def test_retrieve__another_orgs_consent_is_404_for_county_staff(api, case_manager, provider_intake, provider_consent):
    assert api.as_user(case_manager).get(detail_url(provider_consent)).status_code == 404
    assert api.as_user(provider_intake).get(detail_url(provider_consent)).status_code == 200


@pytest.mark.parametrize("consent_id", [uuid.uuid4(), "not-a-uuid"])
def test_retrieve__unknown_id_returns_404(api, case_manager, consent_id):
    response = api.as_user(case_manager).get(detail_url(consent_id))

    assert response.status_code == 404
    assert response.json() == MISSING_BODY


def test_retrieve__never_exposes_the_signed_form_location(api, case_manager, person, pdf):
    consent = record(case_manager, person, signed_form=pdf)

    response = api.as_user(case_manager).get(detail_url(consent))

    assert response.json()["signed_form"] is True
    assert consent.signed_form.name
    assert consent.signed_form.name not in response.content.decode()
    assert "/media/" not in response.content.decode()


def test_detail__takes_no_writes(api, case_manager, consent):
    for method in ("put", "patch", "delete"):
        response = getattr(api.as_user(case_manager), method)(detail_url(consent), {}, format="json")
        assert response.status_code == 405, method
    assert Consent.objects.filter(pk=consent.pk, status="active").exists()


def test_consents__have_no_list_of_their_own(api, case_manager, consent):
    assert api.as_user(case_manager).get("/api/v1/consents/").status_code == 404


# --- create and revoke: permission matrix -------------------------------------------------------------


@pytest.fixture
def payload(provider):
    def build(**overrides):
        data = {
            "method": "verbal",
            "date": days(-1).isoformat(),
            "provisions": [
                {
                    "type": "permit",
                    "organizations": [provider.slug],
                    "purposes": ["COC"],
                    "data_categories": ["demographics"],
                    "start": days(-1).isoformat(),
                }
            ],
        }
        data.update(overrides)
        return data

    return build


@pytest.mark.parametrize("who", WRITERS)
def test_create__by_custodian_staff_records_the_consent(api, cast, who, person, payload):
    response = api.as_user(cast(who)).post(list_url(person), payload(), format="json")

    assert response.status_code == 201
    consent = Consent.objects.get(client=person)
    assert response.json() == body_of(consent)
    assert consent.recorded_by == cast(who)


@pytest.mark.parametrize("who", [*READ_ONLY, *CLIENT_READER_ONLY])
def test_create__by_a_role_that_sees_the_client_but_cannot_record_consent_returns_403(api, cast, who, person, payload):
    response = api.as_user(cast(who)).post(list_url(person), payload(), format="json")

    assert response.status_code == 403
    assert "client's own organization" in response.json()["detail"]
    assert not Consent.objects.filter(client=person).exists()


def test_create__read_only_role_gets_403_before_its_payload_is_judged(api, governance_lead, person):
    response = api.as_user(governance_lead).post(list_url(person), {"nonsense": True}, format="json")

    assert response.status_code == 403


@pytest.mark.parametrize("who", OUTSIDERS)
def test_create__for_a_client_the_caller_cannot_see_returns_404(api, cast, who, person, payload):
    response = api.as_user(cast(who)).post(list_url(person), payload(), format="json")

    assert response.status_code == 404
    assert response.json() == MISSING_BODY
    assert not Consent.objects.filter(client=person).exists()


def test_create__anonymous_gets_401(api, person, payload):
    response = api.as_user(None).post(list_url(person), payload(), format="json")

    assert response.status_code == 401
    assert not Consent.objects.filter(client=person).exists()


def test_create__provider_staff_record_consent_for_their_own_clients(api, provider_intake, provider, payload):
    own = ClientFactory(organization=provider)

    response = api.as_user(provider_intake).post(list_url(own), payload(), format="json")

    assert response.status_code == 201
    assert response.json()["organization"]["slug"] == provider.slug
    assert Consent.objects.get(client=own).organization == provider


@pytest.mark.parametrize("who", WRITERS)
def test_revoke__by_custodian_staff_makes_the_consent_inactive(api, cast, who, consent):
    response = api.as_user(cast(who)).post(
        revoke_url(consent), {"reason": "Client withdrew at intake.", "method": "written"}, format="json"
    )

    assert response.status_code == 200
    consent.refresh_from_db()
    assert consent.status == "inactive"
    assert consent.revoked_by == cast(who)
    assert consent.revocation_reason == "Client withdrew at intake."
    assert consent.revocation_method == "written"
    assert response.json() == body_of(consent)


@pytest.mark.parametrize("who", READ_ONLY)
def test_revoke__by_a_read_only_role_returns_403(api, cast, who, consent):
    response = api.as_user(cast(who)).post(revoke_url(consent), {"reason": "No.", "method": "verbal"}, format="json")

    assert response.status_code == 403
    consent.refresh_from_db()
    assert consent.status == "active"
    assert not audit_rows("consent.revoked").exists()


@pytest.mark.parametrize("who", [*CLIENT_READER_ONLY, *OUTSIDERS])
def test_revoke__by_anyone_else_returns_404(api, cast, who, consent):
    response = api.as_user(cast(who)).post(revoke_url(consent), {"reason": "No.", "method": "verbal"}, format="json")

    assert response.status_code == 404
    assert response.json() == MISSING_BODY
    consent.refresh_from_db()
    assert consent.status == "active"


def test_revoke__anonymous_gets_401(api, consent):
    response = api.as_user(None).post(revoke_url(consent), {"reason": "No.", "method": "verbal"}, format="json")

    assert response.status_code == 401
    consent.refresh_from_db()
    assert consent.status == "active"


def test_revoke__county_staff_cannot_revoke_the_providers_consent(api, case_manager, provider_consent):
    response = api.as_user(case_manager).post(
        revoke_url(provider_consent), {"reason": "No.", "method": "verbal"}, format="json"
    )

    assert response.status_code == 404
    provider_consent.refresh_from_db()
    assert provider_consent.status == "active"


def test_revoke__takes_only_post(api, case_manager, consent):
    assert api.as_user(case_manager).get(revoke_url(consent)).status_code == 405


# --- audit trail of reads -----------------------------------------------------------------------------


def test_list__writes_one_audit_row_naming_the_client_and_the_consents(signed_in, case_manager, consent, person):
    second = record(case_manager, person, date=days(-60))

    signed_in(case_manager).get(list_url(person))

    row = audit_rows("consent.listed").get()
    assert row.actor == case_manager
    assert row.client_id == person.pk
    assert row.detail["client_ids"] == [str(person.pk)]
    assert row.detail["consent_ids"] == [str(consent.pk), str(second.pk)]
    assert not audit_rows("consent.viewed").exists()


def test_list__an_empty_list_is_still_audited_against_the_client(signed_in, data_steward, consent, person):
    signed_in(data_steward).get(list_url(person))

    row = audit_rows("consent.listed").get()
    assert row.actor == data_steward
    assert row.client_id == person.pk
    assert row.detail["consent_ids"] == []


def test_list__each_request_writes_its_own_row(signed_in, case_manager, consent, person):
    api = signed_in(case_manager)
    api.get(list_url(person))
    api.get(list_url(person), {"page": 1, "ignored": "x"})

    rows = list(audit_rows("consent.listed"))
    assert len(rows) == 2
    assert rows[1].detail["query"] == {"page": "1"}


def test_list__of_a_hidden_client_records_the_denied_read(signed_in, provider_intake, consent, person):
    signed_in(provider_intake).get(list_url(person))

    denied = audit_rows("object.access_denied").get()
    assert denied.actor == provider_intake
    assert denied.outcome == "denied"
    assert denied.client_id == person.pk
    assert denied.detail["model"] == "clients.Client"
    assert not audit_rows("consent.listed").exists()


def test_list__of_a_missing_client_records_nothing(signed_in, case_manager):
    signed_in(case_manager).get(list_url(uuid.uuid4()))

    assert not AuditEvent.objects.filter(action__in=["object.access_denied", "consent.listed"]).exists()


def test_retrieve__writes_one_audit_row_naming_the_consent_and_client(signed_in, governance_lead, consent, person):
    signed_in(governance_lead).get(detail_url(consent))

    row = audit_rows("consent.viewed").get()
    assert row.actor == governance_lead
    assert row.target_type == "consent.Consent"
    assert row.target_id == str(consent.pk)
    assert row.client_id == person.pk
    assert not audit_rows("consent.listed").exists()


def test_retrieve__of_a_hidden_consent_records_the_denied_read(signed_in, other_provider_intake, consent):
    signed_in(other_provider_intake).get(detail_url(consent))

    denied = audit_rows("object.access_denied").get()
    assert denied.actor == other_provider_intake
    assert denied.detail == {"model": "consent.Consent", "lookup": {"pk": str(consent.pk)}}
    assert not audit_rows("consent.viewed").exists()


def test_writes__are_audited_by_the_services_and_not_as_reads(signed_in, case_manager, person, payload):
    api = signed_in(case_manager)
    created = api.post(list_url(person), payload(), format="json").json()
    api.post(revoke_url(created["id"]), {"reason": "Changed her mind.", "method": "verbal"}, format="json")

    recorded = audit_rows("consent.recorded").get()
    revoked = audit_rows("consent.revoked").get()
    assert (recorded.actor, recorded.client_id, recorded.target_id) == (case_manager, person.pk, created["id"])
    assert recorded.detail["provisions"] == 1
    assert (revoked.actor, revoked.client_id, revoked.target_id) == (case_manager, person.pk, created["id"])
    assert revoked.detail["method"] == "verbal"
    assert not AuditEvent.objects.filter(action__in=["consent.viewed", "consent.listed"]).exists()


# --- query budget -------------------------------------------------------------------------------------


def _list_queries(api, person) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(list_url(person))
    assert response.status_code == 200
    return len(queries)


def test_list__query_count_does_not_grow_with_the_consents(signed_in, case_manager, person, provider, other_provider):
    api = signed_in(case_manager)

    def add(count: int):
        for _ in range(count):
            record(
                case_manager,
                person,
                provision(organizations=[provider, other_provider]),
                provision(type="deny", organizations=[other_provider], data_categories=["housing"]),
            )

    add(2)
    with_two = _list_queries(api, person)
    add(8)
    with_ten = _list_queries(api, person)

    assert Consent.objects.filter(client=person).count() == 10
    assert with_ten == with_two
