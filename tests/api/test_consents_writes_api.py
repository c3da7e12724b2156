"""Recording and revoking consent over `/api/v1/`: JSON and multipart, every refusal, history and stored files."""

import json
import threading
import time

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from audit.models import AuditEvent
from consent import services
from consent.models import Consent
from tests.api.test_consents_api import body_of, days, list_url, pdf_file, record, revoke_url
from tests.factories import ClientFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

UNKNOWN = ["Not a field this request takes."]


@pytest.fixture
def person(county):
    return ClientFactory(organization=county, given_name="Rosa", family_name="Delgado")


@pytest.fixture
def as_case_manager(api, case_manager):
    return api.as_user(case_manager)


@pytest.fixture
def payload(provider):
    def build(provision_overrides=None, **overrides):
        item = {
            "type": "permit",
            "partner_categories": ["healthcare", "housing"],
            "organizations": [provider.slug],
            "purposes": ["COC", "TREAT"],
            "data_categories": ["demographics", "contact"],
            "start": days(-10).isoformat(),
            "end": days(355).isoformat(),
        }
        item.update(provision_overrides or {})
        data = {"method": "written", "date": days(-10).isoformat(), "provisions": [item]}
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return build


def errors_of(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "The request has invalid fields."
    return body["errors"]


def stored_forms() -> set[str]:
    try:
        years = default_storage.listdir("consent-forms")[0]
    except FileNotFoundError:
        return set()
    found = set()
    for year in years:
        for month in default_storage.listdir(f"consent-forms/{year}")[0]:
            found |= {f"{year}/{month}/{name}" for name in default_storage.listdir(f"consent-forms/{year}/{month}")[1]}
    return found


# --- create: JSON -------------------------------------------------------------------------------------


def test_create__json_stores_the_consent_and_its_provisions(as_case_manager, case_manager, person, provider, payload):
    response = as_case_manager.post(list_url(person), payload(), format="json")

    assert response.status_code == 201
    consent = Consent.objects.get(client=person)
    assert (consent.status, consent.method, consent.date) == ("active", "written", days(-10))
    assert consent.organization == person.organization
    assert consent.recorded_by == case_manager
    assert not consent.signed_form
    stored = consent.provisions.get()
    assert stored.type == "permit"
    assert stored.partner_categories == ["healthcare", "housing"]
    assert list(stored.organizations.all()) == [provider]
    assert stored.purposes == ["COC", "TREAT"]
    assert stored.data_categories == ["demographics", "contact"]
    assert (stored.start, stored.end) == (days(-10), days(355))
    body = response.json()
    assert body == body_of(consent)
    assert body["provisions"] == [
        {
            "type": "permit",
            "partner_categories": ["healthcare", "housing"],
            "organizations": [provider.slug],
            "purposes": ["COC", "TREAT"],
            "data_categories": ["demographics", "contact"],
            "start": days(-10).isoformat(),
            "end": days(355).isoformat(),
        }
    ]
    assert body["signed_form"] is False


@pytest.mark.parametrize("status", ["draft", "rejected"])
def test_create__takes_a_draft_or_rejected_status(as_case_manager, person, payload, status):
    response = as_case_manager.post(list_url(person), payload(status=status), format="json")

    assert response.status_code == 201
    assert response.json()["status"] == status
    assert Consent.objects.get(client=person).status == status


def test_create__several_provisions_with_defaults(as_case_manager, person, provider, other_provider, payload):
    data = payload()
    data["provisions"].append(
        {
            "type": "deny",
            "organizations": [other_provider.slug, provider.slug],
            "purposes": ["HRESCH"],
            "data_categories": ["behavioral-health"],
            "start": days(-10).isoformat(),
        }
    )

    response = as_case_manager.post(list_url(person), data, format="json")

    assert response.status_code == 201
    deny = Consent.objects.get(client=person).provisions.get(type="deny")
    assert deny.partner_categories == []
    assert deny.end is None
    assert set(deny.organizations.all()) == {provider, other_provider}
    assert response.json()["provisions"][1]["organizations"] == sorted([provider.slug, other_provider.slug])


def test_create__part2_data_permitted_to_a_named_organization(as_case_manager, person, provider, payload):
    response = as_case_manager.post(
        list_url(person),
        payload({"partner_categories": [], "data_categories": ["substance-use"]}),
        format="json",
    )

    assert response.status_code == 201
    assert Consent.objects.get(client=person).provisions.get().data_categories == ["substance-use"]


def test_create__takes_up_to_twenty_provisions(as_case_manager, person, payload):
    data = payload()
    data["provisions"] = data["provisions"] * 20

    response = as_case_manager.post(list_url(person), data, format="json")

    assert response.status_code == 201
    assert len(response.json()["provisions"]) == 20
    assert Consent.objects.get(client=person).provisions.count() == 20


# --- create: multipart with the signed form -----------------------------------------------------------


def multipart(data: dict, **files) -> dict:
    form = {k: json.dumps(v) if k == "provisions" else v for k, v in data.items()}
    form.update(files)
    return form


def test_create__multipart_stores_the_signed_form(as_case_manager, person, payload):
    form = pdf_file("rosa-consent.pdf")

    response = as_case_manager.post(list_url(person), multipart(payload(), signed_form=form), format="multipart")

    assert response.status_code == 201
    consent = Consent.objects.get(client=person)
    assert consent.signed_form.name.startswith("consent-forms/")
    assert consent.signed_form.name.endswith(".pdf")
    with consent.signed_form.open("rb") as stored:
        assert stored.read().startswith(b"%PDF-1.4\n")
    assert response.json()["signed_form"] is True
    assert response.json()["provisions"][0]["purposes"] == ["COC", "TREAT"]
    assert consent.signed_form.name not in response.content.decode()


def test_create__multipart_without_a_file(as_case_manager, person, payload):
    response = as_case_manager.post(list_url(person), multipart(payload(status="draft")), format="multipart")

    assert response.status_code == 201
    consent = Consent.objects.get(client=person)
    assert consent.status == "draft"
    assert not consent.signed_form
    assert consent.provisions.count() == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [("scan.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32), ("scan.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 32)],
)
def test_create__takes_png_and_jpeg_forms(as_case_manager, person, payload, name, content):
    form = SimpleUploadedFile(name, content)

    response = as_case_manager.post(list_url(person), multipart(payload(), signed_form=form), format="multipart")

    assert response.status_code == 201
    assert Consent.objects.get(client=person).signed_form.name.endswith(name.rsplit(".", 1)[1])


def test_create__form_exactly_at_the_size_limit_is_taken(as_case_manager, person, payload, settings):
    settings.CONSENT_FORM_MAX_BYTES = 4096
    form = pdf_file(size=4096)

    response = as_case_manager.post(list_url(person), multipart(payload(), signed_form=form), format="multipart")

    assert response.status_code == 201
    assert Consent.objects.get(client=person).signed_form.size == 4096


def test_create__oversized_form_returns_400(as_case_manager, person, payload, settings):
    settings.CONSENT_FORM_MAX_BYTES = 4096
    before = stored_forms()

    response = as_case_manager.post(
        list_url(person), multipart(payload(), signed_form=pdf_file(size=4097)), format="multipart"
    )

    assert set(errors_of(response)) == {"signed_form"}
    assert not Consent.objects.filter(client=person).exists()
    assert stored_forms() == before


def test_create__oversized_form_at_the_real_limit_names_it_in_mb(as_case_manager, person, payload, settings):
    form = pdf_file(size=settings.CONSENT_FORM_MAX_BYTES + 1)

    response = as_case_manager.post(list_url(person), multipart(payload(), signed_form=form), format="multipart")

    assert errors_of(response) == {"signed_form": ["The signed form must be 5 MB or smaller."]}
    assert not Consent.objects.filter(client=person).exists()


@pytest.mark.parametrize(
    "content",
    [b"Just some text, not a PDF\n", b"GIF89a\x01\x00\x01\x00", b"<html><script>alert(1)</script>", b""],
)
def test_create__form_that_is_not_pdf_png_or_jpeg_returns_400(as_case_manager, person, payload, content):
    before = stored_forms()
    form = SimpleUploadedFile("form.pdf", content, content_type="application/pdf")

    response = as_case_manager.post(list_url(person), multipart(payload(), signed_form=form), format="multipart")

    errors = errors_of(response)
    assert set(errors) == {"signed_form"}
    assert errors["signed_form"][0]
    assert not Consent.objects.filter(client=person).exists()
    assert stored_forms() == before


def test_create__pdf_content_under_a_non_pdf_name_returns_400(as_case_manager, person, payload):
    response = as_case_manager.post(
        list_url(person), multipart(payload(), signed_form=pdf_file("form.html")), format="multipart"
    )

    errors = errors_of(response)
    assert set(errors) == {"signed_form"}
    assert not Consent.objects.filter(client=person).exists()


def test_create__multipart_provisions_must_be_json(as_case_manager, person, payload):
    form = {**multipart(payload()), "provisions": "[{not json"}

    response = as_case_manager.post(list_url(person), form, format="multipart")

    assert errors_of(response) == {"provisions": ["Give the provisions as a JSON list."]}
    assert not Consent.objects.filter(client=person).exists()


def test_create__multipart_field_given_twice_returns_400(as_case_manager, person, payload):
    form = {**multipart(payload()), "method": ["written", "verbal"]}

    response = as_case_manager.post(list_url(person), form, format="multipart")

    assert errors_of(response) == {"method": ["Give this field once."]}


def test_create__multipart_unknown_field_returns_400(as_case_manager, person, payload):
    response = as_case_manager.post(list_url(person), {**multipart(payload()), "colour": "red"}, format="multipart")

    assert errors_of(response) == {"colour": UNKNOWN}


def test_create__a_file_in_a_json_request_is_refused(as_case_manager, person, payload):
    response = as_case_manager.post(list_url(person), payload(signed_form="JVBERi0xLjQK"), format="json")

    assert set(errors_of(response)) == {"signed_form"}
    assert not Consent.objects.filter(client=person).exists()


def test_create__other_content_types_get_415(as_case_manager, person, payload):
    response = as_case_manager.post(list_url(person), "method=verbal", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert not Consent.objects.filter(client=person).exists()


# --- create: every validation error -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "provision_overrides", "field", "message"),
    [
        ({"colour": "red"}, None, "colour", "Not a field this request takes."),
        ({"client": "x"}, None, "client", "Not a field this request takes."),
        ({"organization": "x"}, None, "organization", "Not a field this request takes."),
        (None, {"colour": "red"}, "provisions[0].colour", "Not a field this request takes."),
        ({"method": "telepathy"}, None, "method", '"telepathy" is not a valid choice.'),
        ({"method": None}, None, "method", "This field is required."),
        ({"date": None}, None, "date", "This field is required."),
        ({"date": "yesterday"}, None, "date", "Date has wrong format."),
        ({"date": days(1).isoformat()}, None, "date", "The consent date cannot be in the future."),
        ({"status": "inactive"}, None, "status", '"inactive" is not a valid choice.'),
        ({"status": "entered-in-error"}, None, "status", '"entered-in-error" is not a valid choice.'),
        ({"provisions": None}, None, "provisions", "This field is required."),
        ({"provisions": []}, None, "provisions", "Give at least one provision (what is permitted or denied)."),
        ({"provisions": "everything"}, None, "provisions", "Expected a list of items"),
        ({"provisions": [{}] * 21}, None, "provisions", "Ensure this field has no more than 20 elements."),
        ({"provisions": ["everything"]}, None, "provisions[0]", "Invalid data. Expected a dictionary"),
        (None, {"type": "maybe"}, "provisions[0].type", '"maybe" is not a valid choice.'),
        (None, {"type": None}, "provisions[0].type", "This field may not be null."),
        (None, {"purposes": ["COC", "SPYING"]}, "provisions[0].purposes", "Unknown purposes of use: SPYING."),
        (None, {"purposes": []}, "provisions[0].purposes", "Name at least one of the purposes of use."),
        (None, {"purposes": "COC"}, "provisions[0].purposes", 'Expected a list of items but got type "str".'),
        (None, {"data_categories": ["gossip"]}, "provisions[0].data_categories", "Unknown data categories: gossip."),
        (None, {"data_categories": []}, "provisions[0].data_categories", "Name at least one of the data categories."),
        (
            None,
            {"partner_categories": ["astrology"]},
            "provisions[0].partner_categories",
            "Unknown partner categories: astrology.",
        ),
        (None, {"organizations": ["no-such-org"]}, "provisions[0].organizations", "No active organization"),
        (None, {"organizations": [{"slug": "x"}]}, "provisions[0].organizations", "Name organizations by their slug."),
        (None, {"organizations": ["bad slug!"]}, "provisions[0].organizations", "Name organizations by their slug."),
        (None, {"start": None}, "provisions[0].start", "This field may not be null."),
        (None, {"end": "next spring"}, "provisions[0].end", "Date has wrong format."),
        (
            None,
            {"start": days(-1).isoformat(), "end": days(-2).isoformat()},
            "provisions[0]",
            "The end date is before the start date.",
        ),
        (
            None,
            {"partner_categories": [], "organizations": []},
            "provisions[0]",
            "Say who it applies to: partner categories, named organizations, or both.",
        ),
        (
            None,
            {"organizations": [], "data_categories": ["substance-use"]},
            "provisions[0]",
            "Substance-use data (42 CFR Part 2) may only be permitted to named organizations: name them.",
        ),
    ],
)
def test_create__invalid_request_returns_400_naming_the_field(
    as_case_manager, person, payload, overrides, provision_overrides, field, message
):
    data = payload(provision_overrides, **(overrides or {}))  # a top-level None leaves the key out

    response = as_case_manager.post(list_url(person), data, format="json")

    errors = errors_of(response)
    assert field in errors, errors
    assert any(m.startswith(message) for m in errors[field]), errors[field]
    assert not Consent.objects.filter(client=person).exists()
    assert not AuditEvent.objects.filter(action="consent.recorded").exists()


def test_create__reports_every_request_error_at_once(as_case_manager, person, payload):
    data = payload({"purposes": ["NOPE"], "colour": "red"}, method="telepathy", colour="blue")
    data["provisions"].append({"type": "deny"})

    errors = errors_of(as_case_manager.post(list_url(person), data, format="json"))

    assert set(errors) == {
        "method",
        "colour",
        "provisions[0].purposes",
        "provisions[0].colour",
        "provisions[1].purposes",
        "provisions[1].data_categories",
        "provisions[1].start",
    }


def test_create__an_inactive_organization_cannot_be_named(as_case_manager, person, payload):
    closed = OrganizationFactory(slug="closed-clinic", active=False)

    errors = errors_of(as_case_manager.post(list_url(person), payload({"organizations": [closed.slug]}), format="json"))

    assert errors == {"provisions[0].organizations": ["No active organization 'closed-clinic'."]}


def test_create__a_body_that_is_not_an_object_returns_400(as_case_manager, person):
    response = as_case_manager.post(list_url(person), [], format="json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]


def test_create__a_refused_request_leaves_no_trace(as_case_manager, person, payload):
    before = (Consent.objects.count(), Consent.history.count(), AuditEvent.objects.count())

    as_case_manager.post(list_url(person), payload({"end": days(-20).isoformat()}), format="json")

    assert (Consent.objects.count(), Consent.history.count(), AuditEvent.objects.count()) == before


# --- revoke -------------------------------------------------------------------------------------------


@pytest.fixture
def consent(case_manager, person):
    return record(case_manager, person)


def test_revoke__keeps_the_old_version_in_history(api, case_manager, consent):
    assert consent.history.count() == 1

    response = api.as_user(case_manager).post(
        revoke_url(consent), {"reason": "  Moved out of county.  ", "method": "verbal"}, format="json"
    )

    assert response.status_code == 200
    consent.refresh_from_db()
    assert consent.status == "inactive"
    assert consent.revocation_reason == "Moved out of county."
    assert consent.revoked_at is not None
    versions = list(consent.history.order_by("history_date", "history_id"))
    assert len(versions) == 2
    assert (versions[0].status, versions[0].revoked_at) == ("active", None)
    assert (versions[1].status, versions[1].history_user) == ("inactive", case_manager)
    assert consent.provisions.count() == 1


def test_revoke__twice_returns_400_and_changes_nothing(api, case_manager, county_supervisor, consent):
    api.as_user(case_manager).post(revoke_url(consent), {"reason": "First.", "method": "verbal"}, format="json")
    consent.refresh_from_db()
    first = (consent.revoked_at, consent.revoked_by, consent.revocation_reason)

    response = api.as_user(county_supervisor).post(
        revoke_url(consent), {"reason": "Second.", "method": "written"}, format="json"
    )

    assert errors_of(response) == {"status": ["This consent is inactive (revoked or expired); it cannot be revoked."]}
    consent.refresh_from_db()
    assert (consent.revoked_at, consent.revoked_by, consent.revocation_reason) == first
    assert consent.history.count() == 2
    assert AuditEvent.objects.filter(action="consent.revoked").count() == 1


def test_revoke__a_rejected_consent_returns_400(api, case_manager, person):
    rejected = record(case_manager, person, status="rejected")

    response = api.as_user(case_manager).post(revoke_url(rejected), {"reason": "x", "method": "verbal"}, format="json")

    assert errors_of(response) == {"status": ["This consent is rejected; it cannot be revoked."]}
    rejected.refresh_from_db()
    assert rejected.status == "rejected"


def test_revoke__a_draft_can_be_revoked(api, case_manager, person):
    draft = record(case_manager, person, status="draft")

    response = api.as_user(case_manager).post(
        revoke_url(draft), {"reason": "Never signed.", "method": "verbal"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "inactive"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"method": "verbal"}, "reason", "This field is required."),
        ({"reason": "", "method": "verbal"}, "reason", "Say why the consent is withdrawn."),
        ({"reason": "   ", "method": "verbal"}, "reason", "Say why the consent is withdrawn."),
        ({"reason": "Because."}, "method", "This field is required."),
        ({"reason": "Because.", "method": "smoke signal"}, "method", '"smoke signal" is not a valid choice.'),
        ({"reason": "Because.", "method": "verbal", "status": "active"}, "status", "Not a field this request takes."),
        ({"reason": "x" * 2001, "method": "verbal"}, "reason", "Ensure this field has no more than 2000 characters."),
    ],
)
def test_revoke__invalid_request_returns_400(api, case_manager, consent, data, field, message):
    response = api.as_user(case_manager).post(revoke_url(consent), data, format="json")

    assert errors_of(response)[field] == [message]
    consent.refresh_from_db()
    assert consent.status == "active"
    assert consent.history.count() == 1
    assert not AuditEvent.objects.filter(action="consent.revoked").exists()


def test_revoke__takes_json_only(api, case_manager, consent):
    response = api.as_user(case_manager).post(
        revoke_url(consent), {"reason": "x", "method": "verbal"}, format="multipart"
    )

    assert response.status_code == 415
    consent.refresh_from_db()
    assert consent.status == "active"


def test_revoke__audit_row_names_the_organizations_that_received_the_client(
    signed_in, case_manager, county_supervisor, make_referral, provider
):
    referral = make_referral("sent")
    consent = record(case_manager, referral.client)

    signed_in(county_supervisor).post(revoke_url(consent), {"reason": "x", "method": "verbal"}, format="json")

    row = AuditEvent.objects.get(action="consent.revoked")
    assert row.actor == county_supervisor
    assert row.client_id == referral.client_id
    assert [o["slug"] for o in row.detail["notify_organizations"]] == [provider.slug]


def test_revoke__a_consent_listed_before_shows_as_inactive_after(api, case_manager, consent, person):
    api.as_user(case_manager).post(revoke_url(consent), {"reason": "x", "method": "written"}, format="json")

    rows = api.get(list_url(person)).json()["results"]

    assert [(r["id"], r["status"], r["revocation_method"]) for r in rows] == [(str(consent.pk), "inactive", "written")]
    assert rows[0]["revoked_by"]["username"] == "cm"


# --- two people at once (PostgreSQL row locks) ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_revoke__two_revocations_at_once_one_wins(case_manager, county_supervisor, person, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (select_for_update) to race on")
    consent = record(case_manager, person)
    barrier = threading.Barrier(2)
    first_in = threading.Event()
    real_recipients = services._recipients_of

    def slow_recipients(client):
        # Runs after the first revocation saved, before it commits: hold the row lock a while.
        if not first_in.is_set():
            first_in.set()
            time.sleep(0.5)
        return real_recipients(client)

    monkeypatch.setattr(services, "_recipients_of", slow_recipients)
    responses = {}

    def revoke(user):
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait(timeout=5)
            responses[user.username] = client.post(
                revoke_url(consent), {"reason": f"By {user.username}.", "method": "verbal"}, format="json"
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=revoke, args=(u,)) for u in (case_manager, county_supervisor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(r.status_code for r in responses.values()) == [200, 400]
    winner = next(name for name, r in responses.items() if r.status_code == 200)
    consent.refresh_from_db()
    assert consent.status == "inactive"
    assert consent.revocation_reason == f"By {winner}."
    assert consent.history.count() == 2
    assert AuditEvent.objects.filter(action="consent.revoked").count() == 1
