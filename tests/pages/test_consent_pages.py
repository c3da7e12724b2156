"""Consent pages: a client's consents, recording, revoking, the signed form. Who may; what is saved and audited."""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from consent.choices import ConsentStatus
from consent.models import Consent, ConsentProvision
from consent.services import consent_record, consent_revoke
from tests.factories import ClientFactory, OrganizationFactory

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
SENTENCE = (
    "Permit housing partners and Safe Haven Housing to see contact details and referral reason "
    "for coordination of care, 2026-01-01 to 2026-12-31"
)
VIEWERS = ["case_manager", "county_supervisor", "governance_lead"]
RECORDERS = ["case_manager", "county_supervisor"]
OUTSIDERS = ["provider_intake", "other_provider_intake", "no_role_user", "data_steward"]


def _list(client_or_pk):
    return reverse("consent:client", args=[getattr(client_or_pk, "pk", client_or_pk)])


def _new(client_or_pk):
    return reverse("consent:record", args=[getattr(client_or_pk, "pk", client_or_pk)])


def _revoke(consent_or_pk):
    return reverse("consent:revoke", args=[getattr(consent_or_pk, "pk", consent_or_pk)])


def _form(consent_or_pk):
    return reverse("consent:signed_form", args=[getattr(consent_or_pk, "pk", consent_or_pk)])


def _pdf(name="form.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def rosa(county):
    """A county client with no consent on file (the shared `county_client` comes with one)."""
    return ClientFactory(
        organization=county, given_name="Rosa", family_name="Martinez", birth_date=datetime.date(1984, 3, 14)
    )


@pytest.fixture
def safe_haven(db):
    return OrganizationFactory(slug="safe-haven", name="Safe Haven Housing", partner_category="housing")


@pytest.fixture
def record(case_manager, rosa, safe_haven):
    """`record(status=..., provisions=[...], signed_form=...)`: a consent for Rosa recorded by the case manager."""

    def make(*, client=None, provisions=None, **kwargs):
        kwargs.setdefault("method", "written")
        kwargs.setdefault("date", TODAY - 10 * DAY)
        if provisions is None:
            provisions = [
                {
                    "type": "permit",
                    "partner_categories": ["housing"],
                    "organizations": [safe_haven],
                    "purposes": ["COC"],
                    "data_categories": ["contact", "referral-reason"],
                    "start": datetime.date(2026, 1, 1),
                    "end": datetime.date(2026, 12, 31),
                }
            ]
        return consent_record(actor=case_manager, client=client or rosa, provisions=provisions, **kwargs)

    return make


@pytest.fixture
def consent(record):
    return record(signed_form=_pdf())


def _provision_post(index, **values):
    data = {
        "type": "permit",
        "partner_categories": [],
        "organizations": [],
        "purposes": ["COC"],
        "data_categories": [],
        "start": TODAY.isoformat(),
        "end": "",
        **values,
    }
    return {f"provisions-{index}-{key}": value for key, value in data.items()}


def _record_post(*provisions, **values):
    data = {
        "status": "active",
        "method": "written",
        "date": TODAY.isoformat(),
        "provisions-TOTAL_FORMS": str(len(provisions)),
        "provisions-INITIAL_FORMS": "0",
        "provisions-MIN_NUM_FORMS": "1",
        "provisions-MAX_NUM_FORMS": "20",
        **values,
    }
    for index, provision in enumerate(provisions):
        data.update(_provision_post(index, **provision))
    return data


def _denied(audit_rows):
    return audit_rows(AuditAction.OBJECT_ACCESS_DENIED)


# The client's consents: who may see them


def test_consent_list__anonymous_is_sent_to_login(client, consent, audit_rows):
    response = client.get(_list(consent.client))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert audit_rows(AuditAction.CONSENT_LISTED) == []


@pytest.mark.parametrize("user_fixture", VIEWERS)
def test_consent_list__custodian_staff_and_governance_see_the_consents(
    client, request, user_fixture, consent, audit_rows
):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    response = client.get(_list(consent.client))
    assert response.status_code == 200
    assert [row.consent.pk for row in response.context["rows"]] == [consent.pk]
    assertContains(response, SENTENCE)
    [row] = audit_rows(AuditAction.CONSENT_LISTED)
    assert (row.actor, row.client_id, row.outcome) == (user, consent.client_id, Outcome.SUCCESS)
    assert row.detail == {"consent_ids": [str(consent.pk)]}


@pytest.mark.parametrize("user_fixture", OUTSIDERS)
def test_consent_list__others_get_404_and_a_denied_audit_row(client, request, user_fixture, consent, audit_rows):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    response = client.get(_list(consent.client))
    assert response.status_code == 404
    assertNotContains(response, "Martinez", status_code=404)
    assertNotContains(response, "Safe Haven", status_code=404)
    assert audit_rows(AuditAction.CONSENT_LISTED) == []
    [row] = _denied(audit_rows)
    assert (row.actor, row.client_id, row.outcome) == (user, consent.client_id, Outcome.DENIED)


def test_consent_list__data_steward_who_sees_the_client_but_not_consents_gets_404(
    client, data_steward, consent, audit_rows
):
    rosa = consent.client
    client.force_login(data_steward)
    assert client.get(reverse("clients:detail", args=[rosa.pk])).status_code == 200
    response = client.get(_list(rosa))
    assert response.status_code == 404
    assertNotContains(response, "Safe Haven", status_code=404)
    assert audit_rows(AuditAction.CONSENT_LISTED) == []
    [row] = _denied(audit_rows)
    assert (row.client_id, row.outcome_reason) == (rosa.pk, "consents not visible to this user")
    assert row.detail == {"model": "consent.Consent", "lookup": {"client": str(rosa.pk)}}


def test_consent_list__missing_client_is_404_without_a_denied_row(client, case_manager, audit_rows):
    client.force_login(case_manager)
    assert client.get(_list(uuid.uuid4())).status_code == 404
    assert _denied(audit_rows) == []


# The client's consents: what the page says


def test_consent_list__shows_each_consent_in_plain_language_with_who_recorded_it(
    client, case_manager, county_supervisor, record, rosa
):
    case_manager.first_name, case_manager.last_name = "Casey", "Morgan"
    case_manager.save()
    consent = record(
        method="verbal",
        date=datetime.date(2026, 2, 3),
        signed_form=_pdf(),
        provisions=[
            {
                "type": "permit",
                "partner_categories": ["housing", "food"],
                "organizations": [],
                "purposes": ["COC", "TREAT"],
                "data_categories": ["demographics"],
                "start": datetime.date(2026, 2, 3),
                "end": None,
            },
            {
                "type": "deny",
                "partner_categories": ["legal"],
                "organizations": [],
                "purposes": ["COC"],
                "data_categories": ["behavioral-health", "risk-flags"],
                "start": datetime.date(2026, 2, 3),
                "end": datetime.date(2026, 6, 30),
            },
        ],
    )
    client.force_login(county_supervisor)
    response = client.get(_list(rosa))
    for text in (
        "Rosa Martinez",
        "Consent on Feb 3, 2026",
        "Permit housing partners and food partners to see demographics for coordination of care and treatment, "
        "from 2026-02-03, no end date",
        "Deny legal aid partners from seeing behavioral health and risk flags for coordination of care, "
        "2026-02-03 to 2026-06-30",
        "Verbal",
        "Casey Morgan, Lakeside County Human Services",
        _form(consent),
        "Download the signed form",
        _new(rosa),
        "Record consent",
        _revoke(consent),
    ):
        assertContains(response, text)


def test_consent_list__badges_for_active_draft_rejected_revoked_and_expired(client, case_manager, record):
    active = record()
    draft = record(status="draft")
    rejected = record(status="rejected")
    revoked = record()
    consent_revoke(actor=case_manager, consent=revoked, reason="Moved out of county", method="verbal")
    expired = record(
        provisions=[
            {
                "type": "permit",
                "partner_categories": ["food"],
                "organizations": [],
                "purposes": ["COC"],
                "data_categories": ["contact"],
                "start": TODAY - 100 * DAY,
                "end": TODAY - DAY,
            }
        ]
    )
    client.force_login(case_manager)
    response = client.get(_list(active.client))
    shown = {row.consent.pk: (row.badge, row.status_label, row.can_revoke) for row in response.context["rows"]}
    assert shown == {
        active.pk: ("active", "Active", True),
        draft.pk: ("draft", "Draft", True),
        rejected.pk: ("rejected", "Rejected", False),
        revoked.pk: ("inactive", "Inactive: revoked", False),
        expired.pk: ("inactive", "Inactive: expired", False),
    }
    assertContains(
        response, 'class="badge badge--consent-inactive" data-status="inactive">Inactive: expired', html=False
    )
    assertContains(response, "Refused on")
    assertContains(response, "Moved out of county")
    assertContains(response, f"by {case_manager.get_full_name()}, verbally")
    for consent in (active, draft):
        assertContains(response, _revoke(consent))
    for consent in (rejected, revoked, expired):
        assertNotContains(response, _revoke(consent))


def test_consent_list__governance_lead_sees_no_record_or_revoke_buttons(client, governance_lead, consent):
    client.force_login(governance_lead)
    response = client.get(_list(consent.client))
    assertContains(response, SENTENCE)
    assertContains(response, _form(consent))
    assertNotContains(response, _new(consent.client))
    assertNotContains(response, "Record consent")
    assertNotContains(response, _revoke(consent))


def test_consent_list__client_without_consent_says_so(client, case_manager, rosa, audit_rows):
    client.force_login(case_manager)
    response = client.get(_list(rosa))
    assertContains(response, "No consent is recorded for Rosa Martinez yet.")
    [row] = audit_rows(AuditAction.CONSENT_LISTED)
    assert row.detail == {"consent_ids": []}


def test_consent_list__writes_exactly_one_audit_row(client, case_manager, consent):
    client.force_login(case_manager)
    before = AuditEvent.objects.count()
    client.get(_list(consent.client))
    assert AuditEvent.objects.count() == before + 1


def test_consent_list__query_count_does_not_grow_with_the_consents(client, case_manager, record, rosa, county):
    other = ClientFactory(organization=county)
    for _ in range(2):
        record()
    for _ in range(8):
        record(client=other, signed_form=_pdf())
    client.force_login(case_manager)
    client.get(_list(rosa))  # warm the session and content types
    with CaptureQueriesContext(connection) as two:
        assert len(client.get(_list(rosa)).context["rows"]) == 2
    with CaptureQueriesContext(connection) as eight:
        assert len(client.get(_list(other)).context["rows"]) == 8
    assert len(two) == len(eight) <= 20


def test_client_detail__links_to_the_consents_for_custodian_staff_and_governance_only(
    client, case_manager, governance_lead, data_steward, rosa
):
    detail = reverse("clients:detail", args=[rosa.pk])
    for user in (case_manager, governance_lead):
        client.force_login(user)
        response = client.get(detail)
        assertContains(response, _list(rosa))
        assertContains(response, "Consent records")
    client.force_login(data_steward)
    response = client.get(detail)
    assert response.status_code == 200
    assertNotContains(response, _list(rosa))


# Recording a consent


def test_record__anonymous_is_sent_to_login(client, rosa):
    for response in (client.get(_new(rosa)), client.post(_new(rosa), _record_post())):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not Consent.objects.exists()


@pytest.mark.parametrize("user_fixture", RECORDERS)
def test_record__custodian_staff_get_the_form_with_sensible_defaults(client, request, user_fixture, rosa, audit_rows):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    before = AuditEvent.objects.count()
    response = client.get(_new(rosa))
    assert response.status_code == 200
    assertContains(response, "Record consent for Rosa Martinez")
    form, formset = response.context["form"], response.context["formset"]
    assert (form["status"].value(), form["date"].value()) == ("active", TODAY)
    [provision] = formset.forms
    assert (provision["type"].value(), provision["purposes"].value(), provision["start"].value()) == (
        "permit",
        ["COC"],
        TODAY,
    )
    assertContains(response, 'value="COC" id="id_provisions-0-purposes_1" checked', html=False)
    assertContains(response, 'enctype="multipart/form-data"')
    assert AuditEvent.objects.count() == before + 1
    [row] = audit_rows(AuditAction.CLIENT_VIEWED)
    assert (row.actor, row.client_id, row.subtype) == (user, rosa.pk, "record-consent")


def test_record__governance_lead_gets_403_and_saves_nothing(client, governance_lead, rosa, safe_haven):
    client.force_login(governance_lead)
    assert client.get(_new(rosa)).status_code == 403
    response = client.post(_new(rosa), _record_post({"organizations": [safe_haven.pk], "data_categories": ["contact"]}))
    assert response.status_code == 403
    assertContains(response, "not record them", status_code=403)
    assert not Consent.objects.exists()


@pytest.mark.parametrize("user_fixture", OUTSIDERS)
def test_record__others_get_404_and_save_nothing(client, request, user_fixture, rosa, safe_haven, audit_rows):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    assert client.get(_new(rosa)).status_code == 404
    response = client.post(_new(rosa), _record_post({"organizations": [safe_haven.pk], "data_categories": ["contact"]}))
    assert response.status_code == 404
    assert not Consent.objects.exists()
    assert len(_denied(audit_rows)) == 2


def test_record__saves_several_provisions_and_the_signed_form(
    client, case_manager, rosa, safe_haven, other_provider, audit_rows, settings
):
    client.force_login(case_manager)
    data = _record_post(
        {
            "partner_categories": ["housing", "food"],
            "organizations": [safe_haven.pk],
            "purposes": ["COC", "TREAT"],
            "data_categories": ["contact", "referral-reason"],
            "start": "2026-01-01",
            "end": "2026-12-31",
        },
        {
            "type": "deny",
            "organizations": [other_provider.pk],
            "data_categories": ["substance-use"],
            "start": "2026-01-01",
        },
        method="verbal",
        date=(TODAY - 2 * DAY).isoformat(),
        signed_form=_pdf(),
    )
    response = client.post(_new(rosa), data)
    assert response.status_code == 302
    assert response["Location"] == _list(rosa)
    consent = Consent.objects.get()
    assert (consent.client, consent.organization, consent.status, consent.method, consent.date) == (
        rosa,
        rosa.organization,
        ConsentStatus.ACTIVE,
        "verbal",
        TODAY - 2 * DAY,
    )
    assert consent.recorded_by == case_manager
    with consent.signed_form.open("rb") as stored:
        assert stored.read() == PDF
    assert consent.signed_form.path.startswith(str(settings.MEDIA_ROOT))
    permit, deny = consent.provisions.order_by("id")
    assert (permit.type, permit.partner_categories, permit.purposes, permit.data_categories) == (
        "permit",
        ["housing", "food"],
        ["COC", "TREAT"],
        ["contact", "referral-reason"],
    )
    assert (permit.start, permit.end) == (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    assert list(permit.organizations.all()) == [safe_haven]
    assert (deny.type, deny.partner_categories, deny.purposes, deny.data_categories, deny.end) == (
        "deny",
        [],
        ["COC"],
        ["substance-use"],
        None,
    )
    assert list(deny.organizations.all()) == [other_provider]
    [row] = audit_rows(AuditAction.CONSENT_RECORDED)
    assert (row.actor, row.client_id, row.target_id) == (case_manager, rosa.pk, str(consent.pk))
    assert audit_rows(AuditAction.CLIENT_VIEWED) == []  # the redirect is not a page view
    page = client.get(response["Location"])
    assertContains(page, "Consent recorded for Rosa Martinez (2 provisions). Sharing follows it from now on.")
    assertContains(
        page,
        "Permit housing partners, food partners and Safe Haven Housing to see contact details and referral reason "
        "for coordination of care and treatment, 2026-01-01 to 2026-12-31",
    )
    assertContains(
        page,
        "Deny Northside Behavioral Health from seeing substance use (42 CFR Part 2) for coordination of care, "
        "from 2026-01-01, no end date",
    )


def test_record__a_refusal_is_recorded_as_rejected(client, case_manager, rosa):
    client.force_login(case_manager)
    response = client.post(
        _new(rosa),
        _record_post(
            {"type": "deny", "partner_categories": ["housing"], "data_categories": ["contact"]}, status="rejected"
        ),
        follow=True,
    )
    assertContains(response, "Recorded that Rosa Martinez refused consent (1 provision).")
    consent = Consent.objects.get()
    assert (consent.status, consent.signed_form.name) == (ConsentStatus.REJECTED, "")


def _errors_of(response):
    form, formset = response.context["form"], response.context["formset"]
    return form.errors, formset.non_form_errors(), [f.errors for f in formset.forms]


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        (_record_post(), "formset", "Give at least one provision: what the client permits or denies."),
        (
            _record_post({"data_categories": ["contact"]}),
            ("provision", "partner_categories"),
            "Say who it applies to: tick a kind of partner, name an organization, or both.",
        ),
        (
            _record_post(
                {
                    "partner_categories": ["food"],
                    "data_categories": ["contact"],
                    "start": "2026-05-01",
                    "end": "2026-04-30",
                }
            ),
            ("provision", "end"),
            "The end date is before the start date.",
        ),
        (
            _record_post(
                {"partner_categories": ["food"], "data_categories": ["contact"]}, date=(TODAY + DAY).isoformat()
            ),
            ("form", "date"),
            "The consent date cannot be in the future.",
        ),
        (
            _record_post({"partner_categories": ["food"]}),
            ("provision", "data_categories"),
            "Tick at least one kind of information.",
        ),
        (
            _record_post({"partner_categories": ["food"], "data_categories": ["contact"], "purposes": []}),
            ("provision", "purposes"),
            "Tick at least one purpose.",
        ),
        (
            _record_post({"partner_categories": ["food"], "data_categories": ["contact"]}, status="inactive"),
            ("form", "status"),
            "Select a valid choice.",
        ),
    ],
    ids=["no-provision", "names-nobody", "end-before-start", "future-date", "no-data", "no-purpose", "bad-status"],
)
def test_record__invalid_input_is_shown_next_to_the_field_and_nothing_is_saved(
    client, case_manager, rosa, data, where, message, audit_rows
):
    client.force_login(case_manager)
    response = client.post(_new(rosa), data)
    assert response.status_code == 200
    assertContains(response, "Nothing was saved. Please correct the highlighted fields.")
    assertContains(response, message)
    form_errors, formset_errors, provision_errors = _errors_of(response)
    if where == "formset":
        assert formset_errors == [message]
    elif where[0] == "form":
        assert any(message in error for error in form_errors[where[1]])
    else:
        assert provision_errors[0][where[1]] == [message]
    assert not Consent.objects.exists()
    assert not ConsentProvision.objects.exists()
    assert audit_rows(AuditAction.CONSENT_RECORDED) == []
    assert len(audit_rows(AuditAction.CLIENT_VIEWED)) == 1


def test_record__field_error_is_rendered_inside_that_fields_group(client, case_manager, rosa):
    client.force_login(case_manager)
    response = client.post(
        _new(rosa),
        _record_post(
            {"partner_categories": ["food"], "data_categories": ["contact"], "start": "2026-05-01", "end": "2026-04-30"}
        ),
    )
    html = response.content.decode()
    group = html[html.index('<div class="field field--error">', html.index('id="provision-1"')) :]
    group = group[: group.index('id="id_provisions-0-end"')]
    assert "The end date is before the start date." in group


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            _pdf("form.txt", b"I agree to share my data.\n", "text/plain"),
            "Upload the signed form as a PDF, PNG or JPEG file.",
        ),
        (_pdf("form.txt", PDF, "text/plain"), "The file is a PDF but its name ends in .txt; rename it."),
    ],
    ids=["text-content", "pdf-named-txt"],
)
def test_record__a_file_that_is_not_a_pdf_or_image_is_refused_next_to_the_field(
    client, case_manager, rosa, settings, upload, message
):
    client.force_login(case_manager)
    files_before = sorted(settings.MEDIA_ROOT.rglob("*"))
    response = client.post(
        _new(rosa), _record_post({"partner_categories": ["food"], "data_categories": ["contact"]}, signed_form=upload)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["signed_form"] == [message]
    assertContains(response, message)
    assertContains(response, "Choose the signed form file again")
    assert not Consent.objects.exists()
    assert sorted(settings.MEDIA_ROOT.rglob("*")) == files_before


def test_record__service_rule_on_a_provision_lands_on_that_provision(client, case_manager, rosa):
    # Substance-use data may only be permitted to named organizations: the service's rule, keyed "provisions[1]".
    client.force_login(case_manager)
    response = client.post(
        _new(rosa),
        _record_post(
            {"partner_categories": ["food"], "data_categories": ["contact"]},
            {"partner_categories": ["behavioral-health"], "data_categories": ["substance-use"]},
        ),
    )
    assert response.status_code == 200
    form_errors, formset_errors, provision_errors = _errors_of(response)
    assert (dict(form_errors), list(formset_errors), dict(provision_errors[0])) == ({}, [], {})
    assert "named organizations" in provision_errors[1]["__all__"][0]
    assert not Consent.objects.exists()


def test_record__removed_provision_is_left_out(client, case_manager, rosa, safe_haven):
    client.force_login(case_manager)
    data = _record_post(
        {"organizations": [safe_haven.pk], "data_categories": ["contact"]},
        {"data_categories": ["housing"], "DELETE": "on"},
    )
    assert client.post(_new(rosa), data).status_code == 302
    [provision] = ConsentProvision.objects.all()
    assert provision.data_categories == ["contact"]


def test_record__add_another_provision_without_script_keeps_the_input_and_saves_nothing(
    client, case_manager, rosa, audit_rows
):
    client.force_login(case_manager)
    data = _record_post({"partner_categories": ["food"]}, add_provision="1")
    response = client.post(_new(rosa), data)
    assert response.status_code == 200
    formset = response.context["formset"]
    assert len(formset.forms) == 2
    assert formset.forms[0]["partner_categories"].value() == ["food"]
    assertNotContains(response, "Nothing was saved")
    assertNotContains(response, "Tick at least one kind of information.")
    assertContains(response, 'id="provision-2"')
    assert not Consent.objects.exists()


def test_record__add_another_provision_with_htmx_returns_the_next_one_and_the_new_count(client, case_manager, rosa):
    client.force_login(case_manager)
    url = reverse("consent:provision_form", args=[rosa.pk])
    response = client.get(url, {"provisions-TOTAL_FORMS": "2"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assertContains(response, 'id="provision-3"')
    assertContains(response, 'name="provisions-2-data_categories"')
    assertContains(response, 'value="3" id="id_provisions-TOTAL_FORMS" hx-swap-oob="true"', html=False)
    assert client.get(url, {"provisions-TOTAL_FORMS": "20"}).status_code == 400


def test_record__htmx_provision_is_refused_to_governance_and_outsiders(client, governance_lead, provider_intake, rosa):
    url = reverse("consent:provision_form", args=[rosa.pk])
    client.force_login(governance_lead)
    assert client.get(url, {"provisions-TOTAL_FORMS": "1"}).status_code == 403
    client.force_login(provider_intake)
    assert client.get(url, {"provisions-TOTAL_FORMS": "1"}).status_code == 404


# Revoking a consent


def test_revoke__anonymous_is_sent_to_login(client, consent):
    for response in (client.get(_revoke(consent)), client.post(_revoke(consent), {"reason": "x", "method": "verbal"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.ACTIVE


@pytest.mark.parametrize("user_fixture", RECORDERS)
def test_revoke__custodian_staff_see_the_confirmation_page(client, request, user_fixture, consent, audit_rows):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    before = AuditEvent.objects.count()
    response = client.get(_revoke(consent))
    assert response.status_code == 200
    assertContains(response, "Revoke this consent?")
    assertContains(response, SENTENCE)
    assertContains(response, 'name="reason"')
    assert AuditEvent.objects.count() == before + 1
    [row] = audit_rows(AuditAction.CONSENT_VIEWED)
    assert (row.actor, row.subtype, row.client_id, row.target_id) == (
        user,
        "revoke",
        consent.client_id,
        str(consent.pk),
    )


def test_revoke__governance_lead_gets_403_and_changes_nothing(client, governance_lead, consent):
    client.force_login(governance_lead)
    assert client.get(_revoke(consent)).status_code == 403
    response = client.post(_revoke(consent), {"reason": "Client asked", "method": "verbal"})
    assert response.status_code == 403
    assertContains(response, "not revoke them", status_code=403)
    consent.refresh_from_db()
    assert (consent.status, consent.revoked_at) == (ConsentStatus.ACTIVE, None)


@pytest.mark.parametrize("user_fixture", OUTSIDERS)
def test_revoke__others_get_404_and_change_nothing(client, request, user_fixture, consent, audit_rows):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    assert client.get(_revoke(consent)).status_code == 404
    assert client.post(_revoke(consent), {"reason": "x", "method": "verbal"}).status_code == 404
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.ACTIVE
    rows = _denied(audit_rows)
    assert [(r.actor, r.detail["model"], r.detail["lookup"]) for r in rows] == [
        (user, "consent.Consent", {"pk": str(consent.pk)})
    ] * 2


def test_revoke__reason_is_required_and_nothing_changes(client, case_manager, consent, audit_rows):
    client.force_login(case_manager)
    response = client.post(_revoke(consent), {"reason": "   ", "method": "verbal"})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["Say why the consent is withdrawn."]
    assertContains(response, "Nothing was changed.")
    consent.refresh_from_db()
    assert (consent.status, consent.revoked_at, consent.revocation_reason) == (ConsentStatus.ACTIVE, None, "")
    assert audit_rows(AuditAction.CONSENT_REVOKED) == []


def test_revoke__method_must_be_one_of_written_verbal_electronic(client, case_manager, consent):
    client.force_login(case_manager)
    response = client.post(_revoke(consent), {"reason": "Client asked", "method": "telepathy"})
    assert "method" in response.context["form"].errors
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.ACTIVE


def test_revoke__withdraws_the_consent_and_says_access_changes_now(client, case_manager, consent, audit_rows):
    client.force_login(case_manager)
    response = client.post(_revoke(consent), {"reason": "  Client asked us to stop sharing  ", "method": "written"})
    assert response.status_code == 302
    assert response["Location"] == _list(consent.client)
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.INACTIVE
    assert (consent.revoked_by, consent.revocation_method, consent.revocation_reason) == (
        case_manager,
        "written",
        "Client asked us to stop sharing",
    )
    assert consent.revoked_at is not None
    [row] = audit_rows(AuditAction.CONSENT_REVOKED)
    assert (row.actor, row.target_id, row.client_id) == (case_manager, str(consent.pk), consent.client_id)
    page = client.get(response["Location"])
    assertContains(page, "Access changes immediately")
    assertContains(page, "Inactive: revoked")
    assertContains(page, "Client asked us to stop sharing")
    assertContains(page, "in writing")
    assertNotContains(page, _revoke(consent))


def test_revoke__a_second_revocation_is_refused_with_a_message(client, case_manager, county_supervisor, consent):
    client.force_login(case_manager)
    client.post(_revoke(consent), {"reason": "Client asked", "method": "verbal"})
    consent.refresh_from_db()
    first = consent.revoked_at
    client.force_login(county_supervisor)
    response = client.post(_revoke(consent), {"reason": "Again", "method": "written"}, follow=True)
    assert response.redirect_chain == [(_list(consent.client), 302)]
    assertContains(
        response, "This consent is inactive (revoked or expired); it cannot be revoked. Nothing was changed."
    )
    consent.refresh_from_db()
    assert (consent.revoked_at, consent.revoked_by, consent.revocation_reason) == (first, case_manager, "Client asked")


def test_revoke__opening_the_page_of_a_revoked_consent_goes_back_to_the_list(client, case_manager, consent, audit_rows):
    consent_revoke(actor=case_manager, consent=consent, reason="Client asked", method="verbal")
    client.force_login(case_manager)
    response = client.get(_revoke(consent), follow=True)
    assert response.redirect_chain == [(_list(consent.client), 302)]
    assertContains(response, "there is nothing to revoke")
    assert audit_rows(AuditAction.CONSENT_VIEWED) == []


# The signed form


def test_signed_form__anonymous_is_sent_to_login(client, consent, audit_rows):
    response = client.get(_form(consent))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert audit_rows(AuditAction.CONSENT_VIEWED) == []


@pytest.mark.parametrize("user_fixture", VIEWERS)
def test_signed_form__viewers_download_it_as_an_attachment_and_it_is_audited(
    client, request, user_fixture, consent, audit_rows
):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    before = AuditEvent.objects.count()
    response = client.get(_form(consent))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="consent-form-{consent.date:%Y-%m-%d}.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.count() == before + 1
    [row] = audit_rows(AuditAction.CONSENT_VIEWED)
    assert (row.actor, row.subtype, row.target_id, row.client_id) == (
        user,
        "signed-form",
        str(consent.pk),
        consent.client_id,
    )


@pytest.mark.parametrize("user_fixture", OUTSIDERS)
def test_signed_form__others_get_404_and_a_denied_row(client, request, user_fixture, consent, audit_rows):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    response = client.get(_form(consent))
    assert response.status_code == 404
    assert "Content-Disposition" not in response
    assert audit_rows(AuditAction.CONSENT_VIEWED) == []
    [row] = _denied(audit_rows)
    assert (row.actor, row.detail["model"]) == (user, "consent.Consent")


def test_signed_form__consent_without_a_form_is_404(client, case_manager, record, audit_rows):
    consent = record()
    client.force_login(case_manager)
    assert client.get(_form(consent)).status_code == 404
    assert client.get(_form(uuid.uuid4())).status_code == 404
    assert audit_rows(AuditAction.CONSENT_VIEWED) == []


def test_signed_form__is_not_served_from_a_public_media_url(client, consent):
    assert client.get(f"/media/{consent.signed_form.name}").status_code == 404


def test_consent_record__a_refused_consent_leaves_no_signed_form_on_disk(case_manager, rosa, settings):
    before = sorted(settings.MEDIA_ROOT.rglob("*"))
    bad = {"partner_categories": ["food"], "purposes": ["NOPE"], "data_categories": ["contact"], "start": TODAY}
    with pytest.raises(ValidationError):
        consent_record(
            actor=case_manager, client=rosa, method="written", date=TODAY, provisions=[bad], signed_form=_pdf()
        )
    assert not Consent.objects.exists()
    assert sorted(settings.MEDIA_ROOT.rglob("*")) == before
