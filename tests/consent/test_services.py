"""Recording and revoking consent: who may, what is refused, and what each write leaves behind."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.choices import AuditAction
from audit.models import AuditEvent
from consent.models import Consent, ConsentProvision
from consent.services import consent_record, consent_revoke
from coordination.roles import Role
from providers.services import membership_grant
from tests.factories import AgencyFactory, ClientFactory, OrganizationFactory, ServiceFactory, UserFactory, referral_in

from .support import NON_PART2, days, provision, record

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16


def _rows(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def _nothing_written():
    assert Consent.objects.count() == 0
    assert ConsentProvision.objects.count() == 0
    assert Consent.history.count() == 0
    assert AuditEvent.objects.filter(action=AuditAction.CONSENT_RECORDED).count() == 0


# consent_record: what it writes


def test_record__writes_consent_provisions_history_and_audit(case_manager, county, person, provider, other_provider):
    consent = record(
        case_manager,
        person,
        provision(partner_categories=["housing", "food"], purposes=["COC", "TREAT"], start=days(-3), end=days(90)),
        provision(type="deny", organizations=[provider, other_provider], data_categories=["risk-flags"]),
        method="written",
        date=days(-3),
    )
    row = Consent.objects.get(pk=consent.pk)
    assert (row.client, row.organization, row.status, row.method, row.date, row.recorded_by) == (
        person,
        county,
        "active",
        "written",
        days(-3),
        case_manager,
    )
    assert (row.revoked_at, row.revoked_by, row.revocation_method, row.revocation_reason) == (None, None, "", "")
    assert not row.signed_form
    permit, deny = row.provisions.order_by("id")
    assert (permit.type, permit.partner_categories, permit.purposes, permit.data_categories) == (
        "permit",
        ["housing", "food"],
        ["COC", "TREAT"],
        NON_PART2,
    )
    assert (permit.start, permit.end, list(permit.organizations.all())) == (days(-3), days(90), [])
    assert (deny.type, deny.partner_categories, deny.data_categories, deny.end) == ("deny", [], ["risk-flags"], None)
    assert set(deny.organizations.all()) == {provider, other_provider}

    [audit] = _rows(AuditAction.CONSENT_RECORDED)
    assert (audit.actor, audit.client_id, audit.target_type, audit.target_id) == (
        case_manager,
        person.pk,
        "consent.Consent",
        str(consent.pk),
    )
    assert audit.detail == {"status": "active", "method": "written", "provisions": 2}
    assert (audit.actor_organization_id, audit.outcome) == (county.pk, "success")

    [version] = row.history.all()
    assert (version.history_type, version.history_user, version.status) == ("+", case_manager, "active")
    # Each provision created, and the deny's named organizations recorded in its history too.
    types = sorted(ConsentProvision.history.filter(consent_id=consent.pk).values_list("history_type", flat=True))
    assert types == ["+", "+", "~"]
    assert set(deny.history.first().organizations.values_list("organization_id", flat=True)) == {
        provider.pk,
        other_provider.pk,
    }
    assert {h.history_user for h in ConsentProvision.history.all()} == {case_manager}


@pytest.mark.parametrize("status", ["active", "draft", "rejected"])
def test_record__supervisor_may_record_each_recordable_status(county_supervisor, person, status):
    consent = record(county_supervisor, person, provision(partner_categories=["healthcare"]), status=status)
    assert Consent.objects.get(pk=consent.pk).status == status
    assert Consent.objects.get(pk=consent.pk).recorded_by == county_supervisor


def test_record__part2_permit_naming_the_organization_and_deny_by_category(case_manager, person, other_provider):
    consent = record(
        case_manager,
        person,
        provision(organizations=[other_provider], data_categories=["substance-use"]),
        provision(type="deny", partner_categories=["housing"], data_categories=["substance-use"]),
    )
    assert sorted(p.type for p in consent.provisions.all()) == ["deny", "permit"]


@pytest.mark.parametrize("name", ["provider_intake", "provider_supervisor", "partner_system"])
def test_record__provider_staff_are_refused(request, person, name):
    actor = request.getfixturevalue(name)
    with pytest.raises(PermissionDenied, match="Only staff of the client's own organization"):
        record(actor, person, provision(partner_categories=["healthcare"]))
    _nothing_written()


@pytest.mark.parametrize("name", ["governance_lead", "data_steward", "no_role_user", "superuser"])
def test_record__governance_steward_and_users_without_a_role_are_refused(request, person, name):
    actor = request.getfixturevalue(name)
    with pytest.raises(PermissionDenied):
        record(actor, person, provision(partner_categories=["healthcare"]))
    _nothing_written()


def test_record__another_agencys_case_manager_is_refused(person):
    ridge = AgencyFactory(slug="ridge-county", name="Ridge County")
    outsider = UserFactory(username="ridge-cm")
    membership_grant(actor=None, user=outsider, organization=ridge, role=Role.CASE_MANAGER)
    with pytest.raises(PermissionDenied):
        record(outsider, person, provision(partner_categories=["healthcare"]))
    _nothing_written()


def test_record__inactive_user_or_membership_is_refused(case_manager, person):
    case_manager.memberships.update(active=False)
    with pytest.raises(PermissionDenied):
        record(case_manager, person, provision(partner_categories=["healthcare"]))
    case_manager.memberships.update(active=True)
    case_manager.is_active = False
    case_manager.save()
    with pytest.raises(PermissionDenied):
        record(case_manager, person, provision(partner_categories=["healthcare"]))
    _nothing_written()


def test_record__provider_records_consent_for_its_own_client(provider_intake, provider):
    own = ClientFactory(organization=provider)
    consent = record(provider_intake, own, provision(partner_categories=["housing"]))
    assert (consent.organization, consent.recorded_by) == (provider, provider_intake)


# consent_record: what it refuses


def _bad(**changes):
    return {**provision(partner_categories=["healthcare"]), **changes}


REFUSALS = [
    ("no provisions", {"provisions": []}, "provisions", "Give at least one provision"),
    (
        "naming nobody",
        {"provisions": [_bad(partner_categories=[], organizations=[])]},
        "provisions[0]",
        "Say who it applies to",
    ),
    (
        "end before start",
        {"provisions": [provision(partner_categories=["food"]), _bad(start=days(-1), end=days(-2))]},
        "provisions[1]",
        "The end date is before the start date.",
    ),
    ("future date", {"date": days(1)}, "date", "The consent date cannot be in the future."),
    ("status inactive", {"status": "inactive"}, "status", "Record a consent as one of: active, draft, rejected."),
    ("status entered-in-error", {"status": "entered-in-error"}, "status", "Record a consent as one of"),
    ("status unknown", {"status": "proposed"}, "status", "Record a consent as one of"),
    ("method unknown", {"method": "fax"}, "method", "Value 'fax' is not a valid choice."),
    (
        "purpose unknown",
        {"provisions": [_bad(purposes=["COC", "GOSSIP"])]},
        "provisions[0].purposes",
        "Unknown purposes of use: GOSSIP.",
    ),
    ("no purpose", {"provisions": [_bad(purposes=[])]}, "provisions[0].purposes", "Name at least one of the purposes"),
    (
        "data category unknown",
        {"provisions": [_bad(data_categories=["demographics", "genome"])]},
        "provisions[0].data_categories",
        "Unknown data categories: genome.",
    ),
    (
        "no data category",
        {"provisions": [_bad(data_categories=[])]},
        "provisions[0].data_categories",
        "Name at least one of the data categories",
    ),
    (
        "partner category unknown",
        {"provisions": [_bad(partner_categories=["astrology"])]},
        "provisions[0].partner_categories",
        "Unknown partner categories: astrology.",
    ),
    (
        "codes not a list",
        {"provisions": [_bad(purposes="COC")]},
        "provisions[0].purposes",
        "Give purposes of use as a list of codes.",
    ),
    ("provision type unknown", {"provisions": [_bad(type="maybe")]}, "provisions[0].type", "not a valid choice"),
    ("no start", {"provisions": [{**_bad(), "start": None}]}, "provisions[0].start", "cannot be null"),
    (
        "part 2 permit by category only",
        {"provisions": [_bad(partner_categories=["behavioral-health"], data_categories=["contact", "substance-use"])]},
        "provisions[0]",
        "Substance-use data (42 CFR Part 2) may only be permitted to named organizations",
    ),
]


@pytest.mark.parametrize(("changes", "key", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_record__refuses_invalid_input_and_writes_nothing(case_manager, person, changes, key, message):
    kwargs = {
        "actor": case_manager,
        "client": person,
        "method": "verbal",
        "date": days(0),
        "provisions": [provision(partner_categories=["healthcare"])],
        **changes,
    }
    from consent.services import consent_record

    with pytest.raises(ValidationError) as caught:
        consent_record(**kwargs)
    errors = caught.value.message_dict
    assert key in errors, errors
    assert any(message in m for m in errors[key]), errors[key]
    _nothing_written()


def test_record__reports_every_provision_error_at_once(case_manager, person):
    with pytest.raises(ValidationError) as caught:
        record(
            case_manager,
            person,
            _bad(partner_categories=[]),
            _bad(start=days(0), end=days(-1)),
            date=days(2),
        )
    assert set(caught.value.message_dict) == {"provisions[0]", "provisions[1]", "date"}
    _nothing_written()


# Signed form


@pytest.mark.parametrize(("name", "content"), [("form.pdf", PDF), ("Form.PNG", PNG), ("scan.jpg", JPEG)])
def test_record__keeps_a_signed_form(case_manager, person, name, content):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    consent = record(case_manager, person, provision(partner_categories=["healthcare"]), signed_form=upload)
    stored = Consent.objects.get(pk=consent.pk).signed_form
    assert stored.name.startswith(f"consent-forms/{timezone.now():%Y/%m}/")
    with stored.open("rb") as handle:
        assert handle.read() == content


FORM_REFUSALS = [
    ("too large", "form.pdf", PDF + b"0" * 200, "The signed form must be 0 MB or smaller."),
    ("executable named pdf", "form.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "Upload the signed form as a PDF, PNG or JPEG"),
    ("html named png", "form.png", b"<html><script>", "Upload the signed form as a PDF, PNG or JPEG"),
    ("empty", "form.pdf", b"", "Upload the signed form as a PDF, PNG or JPEG"),
    ("pdf named exe", "form.exe", PDF, "its name ends in .exe"),
    ("png named pdf", "form.pdf", PNG, "The file is a PNG but its name ends in .pdf"),
    ("no extension", "form", PDF, "The file is a PDF but its name has no extension"),
]


@pytest.mark.parametrize(
    ("name", "content", "message"), [r[1:] for r in FORM_REFUSALS], ids=[r[0] for r in FORM_REFUSALS]
)
def test_record__refuses_a_bad_signed_form(case_manager, person, settings, name, content, message):
    settings.CONSENT_FORM_MAX_BYTES = 100
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    with pytest.raises(ValidationError) as caught:
        record(case_manager, person, provision(partner_categories=["healthcare"]), signed_form=upload)
    assert any(message in m for m in caught.value.message_dict["signed_form"]), caught.value.message_dict
    _nothing_written()


def test_record__form_at_the_size_limit_is_accepted(case_manager, person, settings):
    settings.CONSENT_FORM_MAX_BYTES = len(PDF)
    upload = SimpleUploadedFile("form.pdf", PDF)
    consent = record(case_manager, person, provision(partner_categories=["healthcare"]), signed_form=upload)
    assert Consent.objects.get(pk=consent.pk).signed_form.size == len(PDF)


# consent_revoke


@pytest.fixture
def active(case_manager, person):
    return record(case_manager, person, provision(partner_categories=["healthcare"]))


def test_revoke__records_when_who_how_and_why_and_keeps_the_old_version(case_manager, county, person, active):
    before = timezone.now()
    revoked = consent_revoke(actor=case_manager, consent=active, reason="  Client asked by phone.  ", method="verbal")
    row = Consent.objects.get(pk=active.pk)
    assert row.status == revoked.status == "inactive"
    assert before <= row.revoked_at <= timezone.now()
    assert (row.revoked_by, row.revocation_method, row.revocation_reason) == (
        case_manager,
        "verbal",
        "Client asked by phone.",
    )
    # Unchanged: who recorded it, and the provisions.
    assert (row.recorded_by, row.method, row.provisions.count()) == (case_manager, "verbal", 1)
    new, old = row.history.order_by("-history_date", "-history_id")
    assert (new.history_type, new.status, new.history_user, new.revocation_reason) == (
        "~",
        "inactive",
        case_manager,
        "Client asked by phone.",
    )
    assert (old.history_type, old.status, old.revoked_at, old.revocation_method) == ("+", "active", None, "")
    [audit] = _rows(AuditAction.CONSENT_REVOKED)
    assert (audit.actor, audit.client_id, audit.target_id, audit.actor_organization_id) == (
        case_manager,
        person.pk,
        str(active.pk),
        county.pk,
    )
    assert audit.detail == {"method": "verbal", "notify_organizations": []}


def test_revoke__a_draft_may_be_withdrawn(county_supervisor, case_manager, person):
    draft = record(case_manager, person, provision(partner_categories=["healthcare"]), status="draft")
    revoked = consent_revoke(actor=county_supervisor, consent=draft, reason="Never signed.", method="written")
    assert (revoked.status, revoked.revoked_by) == ("inactive", county_supervisor)


def _assert_unchanged(consent, status="active"):
    row = Consent.objects.get(pk=consent.pk)
    assert (row.status, row.revoked_at, row.revoked_by, row.revocation_method, row.revocation_reason) == (
        status,
        None,
        None,
        "",
        "",
    )
    assert AuditEvent.objects.filter(action=AuditAction.CONSENT_REVOKED).count() == 0


@pytest.mark.parametrize(
    ("reason", "method", "key", "message"),
    [
        ("", "verbal", "reason", "Say why the consent is withdrawn."),
        ("   ", "written", "reason", "Say why the consent is withdrawn."),
        (None, "written", "reason", "Say why the consent is withdrawn."),
        ("Asked to stop.", "", "method", "Say how the client withdrew consent"),
        ("Asked to stop.", "carrier-pigeon", "method", "Say how the client withdrew consent"),
    ],
)
def test_revoke__needs_a_reason_and_a_method(case_manager, active, reason, method, key, message):
    with pytest.raises(ValidationError) as caught:
        consent_revoke(actor=case_manager, consent=active, reason=reason, method=method)
    assert any(message in m for m in caught.value.message_dict[key])
    _assert_unchanged(active)
    assert active.history.count() == 1


@pytest.mark.parametrize(("status", "label"), [("rejected", "rejected"), ("inactive", "inactive (revoked or expired)")])
def test_revoke__only_active_or_draft(case_manager, person, status, label):
    consent = record(case_manager, person, provision(partner_categories=["healthcare"]), status="rejected")
    if status == "inactive":
        consent = record(case_manager, person, provision(partner_categories=["healthcare"]))
        consent_revoke(actor=case_manager, consent=consent, reason="First time.", method="verbal")
    first = Consent.objects.get(pk=consent.pk)
    with pytest.raises(ValidationError) as caught:
        consent_revoke(actor=case_manager, consent=consent, reason="Again.", method="written")
    assert caught.value.message_dict["status"] == [f"This consent is {label}; it cannot be revoked."]
    row = Consent.objects.get(pk=consent.pk)
    assert (row.status, row.revoked_at, row.revocation_reason) == (
        first.status,
        first.revoked_at,
        first.revocation_reason,
    )
    assert AuditEvent.objects.filter(action=AuditAction.CONSENT_REVOKED).count() == (status == "inactive")


def test_revoke__entered_in_error_cannot_be_revoked(case_manager, active):
    Consent.objects.filter(pk=active.pk).update(status="entered-in-error")
    with pytest.raises(ValidationError, match="entered in error"):
        consent_revoke(actor=case_manager, consent=active, reason="x", method="verbal")


@pytest.mark.parametrize(
    "name", ["provider_intake", "provider_supervisor", "governance_lead", "data_steward", "no_role_user", "superuser"]
)
def test_revoke__only_custodian_staff(request, active, name):
    actor = request.getfixturevalue(name)
    with pytest.raises(PermissionDenied, match="Only staff of the custodian organization"):
        consent_revoke(actor=actor, consent=active, reason="Not mine to revoke.", method="verbal")
    _assert_unchanged(active)


def test_revoke__names_the_organizations_that_received_the_clients_data(
    case_manager, county, person, provider, provider_intake, other_provider, other_provider_intake, service
):
    consent = record(
        case_manager,
        person,
        provision(partner_categories=["healthcare", "behavioral-health", "housing", "social-support"]),
    )
    counseling = ServiceFactory(organization=other_provider, category="stress")
    haven = OrganizationFactory(slug="haven", name="Haven Housing", partner_category="housing")
    shelter = ServiceFactory(organization=haven, category="homelessness")
    stranger = OrganizationFactory(slug="stranger", name="Another Clinic", partner_category="social-support")
    stranger_intake = UserFactory(username="stranger-intake")
    membership_grant(actor=None, user=stranger_intake, organization=stranger, role=Role.PROVIDER_INTAKE)

    kw = {"referrer": case_manager, "created_by": case_manager}
    referral_in("accepted", receiver=provider_intake, client=person, service=service, **kw)
    referral_in("sent", receiver=provider_intake, client=person, service=service, **kw)
    referral_in("declined", receiver=other_provider_intake, client=person, service=counseling, **kw)
    referral_in("draft", receiver=None, client=person, service=shelter, **kw)  # never sent: Haven saw nothing
    other_client = ClientFactory(organization=county)
    record(case_manager, other_client, provision(partner_categories=["social-support"]))
    stranger_service = ServiceFactory(organization=stranger)
    referral_in("sent", receiver=stranger_intake, client=other_client, service=stranger_service, **kw)

    consent_revoke(actor=case_manager, consent=consent, reason="Moving away.", method="written")
    [audit] = _rows(AuditAction.CONSENT_REVOKED)
    assert audit.client_id == person.pk
    assert audit.detail["notify_organizations"] == [
        {"id": str(provider.pk), "slug": "harbor-health", "name": "Harbor Community Health"},
        {"id": str(other_provider.pk), "slug": "northside-bh", "name": "Northside Behavioral Health"},
    ]


def test_revoke__a_stale_object_is_reread(case_manager, active):
    # Revoked elsewhere in the meantime: the copy in hand still says active.
    consent_revoke(actor=case_manager, consent=Consent.objects.get(pk=active.pk), reason="First.", method="verbal")
    assert active.status == "active"
    with pytest.raises(ValidationError, match="cannot be revoked"):
        consent_revoke(actor=case_manager, consent=active, reason="Second.", method="verbal")
    assert Consent.objects.get(pk=active.pk).revocation_reason == "First."


def test_revoke__period_dates_untouched(case_manager, person):
    consent = record(case_manager, person, provision(partner_categories=["healthcare"], start=days(-5), end=days(5)))
    consent_revoke(actor=case_manager, consent=consent, reason="Done.", method="electronic")
    [p] = Consent.objects.get(pk=consent.pk).provisions.all()
    assert (p.start, p.end) == (days(-5), days(5))
    assert isinstance(p.start, datetime.date)


def test_consent_record__refuses_a_marketing_permit(case_manager, person):
    marketing = {
        "type": "permit",
        "partner_categories": ["food"],
        "purposes": ["COC", "HMARKT"],
        "data_categories": ["contact"],
        "start": timezone.localdate(),
    }
    with pytest.raises(ValidationError) as refused:
        consent_record(
            actor=case_manager, client=person, method="verbal", date=timezone.localdate(), provisions=[marketing]
        )
    assert "Marketing (HMARKT) can never be permitted" in str(refused.value.message_dict["provisions[0]"])
    assert not Consent.objects.exists()
