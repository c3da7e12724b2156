"""The rule set itself (`referrals.validation.rules`) and how the services apply it: modes, defaults, records."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from clients.models import Client
from quality.models import ValidationRejection
from referrals.models import Referral
from referrals.services import referral_create, referral_transition, referral_update_draft
from referrals.validation.codes import Kind, Mode, Rule, Severity
from referrals.validation.rejection import TemplateRejected
from referrals.validation.rules import check_referral, default_contact_method
from tests.factories import ClientFactory, ReferralFactory

pytestmark = pytest.mark.django_db

TEMPLATE = {
    "category": "food-insecurity",
    "urgency": "routine",
    "reason": "Needs groceries this month.",
    "eligibility_basis": ["income"],
}


def codes(result) -> set[tuple[str, str]]:
    return {(p.field, p.code) for p in result.problems}


def test_every_rule_has_a_kind_and_a_severity():
    from referrals.validation.codes import SPECS

    assert set(SPECS) == set(Rule.values)
    assert {kind for kind, _ in SPECS.values()} == set(Kind.values)
    warnings = {code for code, (_, severity) in SPECS.items() if severity == Severity.WARNING}
    assert warnings == {"crisis-without-risk-flag", "duplicate-open-referral"}


def test_draft_mode__checks_only_what_a_draft_needs(county_client):
    Client.objects.filter(pk=county_client.pk).update(address_line="", phone="")
    county_client.refresh_from_db()
    referral = ReferralFactory.build(
        client=county_client, contact_method="", eligibility_basis=[], urgency="crisis", service=None
    )
    assert check_referral(referral, mode=Mode.DRAFT).problems == ()
    sending = codes(check_referral(referral, mode=Mode.SUBMIT))
    assert {
        ("contact_method", "required"),
        ("eligibility_basis", "required"),
        ("client.address_line", "required"),
        ("service", "required"),
    } <= sending


def test_draft_mode__refuses_a_blank_language_and_urgency(county_client):
    referral = ReferralFactory.build(client=county_client, language="", urgency="", interpreter_needed=True)
    assert codes(check_referral(referral, mode=Mode.DRAFT)) == {
        ("language", "interpreter-without-language"),
        ("urgency", "required"),
    }


@pytest.mark.parametrize(
    ("flags", "preferred", "expected"),
    [
        ([], "phone", "phone"),
        ([], "email", "email"),
        ([], "none", "through-referrer"),
        (["do-not-contact-directly"], "phone", "through-referrer"),
        (["safety-risk"], "text", "text"),
    ],
)
def test_default_contact_method(flags, preferred, expected, county):
    assert default_contact_method(
        ClientFactory.build(organization=county, preferred_contact_method=preferred), flags
    ) == (expected)


def test_create__explicit_contact_method_wins(case_manager, county_client):
    referral = referral_create(actor=case_manager, client=county_client, data={**TEMPLATE, "contact_method": "mail"})
    assert referral.contact_method == "mail"


def test_create__draft_refusal_is_not_counted(case_manager, county_client):
    with pytest.raises(TemplateRejected) as refused:
        referral_create(actor=case_manager, client=county_client, data={**TEMPLATE, "urgency": ""})
    assert refused.value.message_dict == {"urgency": ["Choose the urgency: routine, urgent or crisis."]}
    assert isinstance(refused.value, ValidationError)
    assert not Referral.objects.exists()
    assert not ValidationRejection.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.REFERRAL_SUBMISSION_REJECTED).exists()


def test_update__may_leave_a_draft_contradictory_until_sending(case_manager, make_referral):
    draft = make_referral("draft")
    updated = referral_update_draft(
        actor=case_manager, referral=draft, data={"risk_flags": ["do-not-contact-directly"]}
    )
    assert (updated.risk_flags, updated.contact_method) == (["do-not-contact-directly"], "phone")
    with pytest.raises(TemplateRejected):
        referral_transition(actor=case_manager, referral=updated, name="submit")


def test_submit__refusal_is_audited_with_codes_only_and_counted(case_manager, make_referral, county, county_client):
    draft = make_referral("draft")
    Client.objects.filter(pk=county_client.pk).update(phone="not a phone")
    with pytest.raises(TemplateRejected) as refused:
        referral_transition(actor=case_manager, referral=draft, name="submit")
    assert refused.value.message_dict["client.phone"] == [
        "The phone number on the client's record is not a valid phone number (7 to 20 digits)."
    ]
    [audit] = AuditEvent.objects.filter(action=AuditAction.REFERRAL_SUBMISSION_REJECTED)
    assert (audit.actor, audit.outcome, audit.target_id, audit.client_id) == (
        case_manager,
        Outcome.FAILED,
        str(draft.pk),
        county_client.pk,
    )
    assert audit.detail == {"errors": [{"field": "client.phone", "code": "invalid-phone"}], "warnings": []}
    assert "not a phone" not in str(audit.detail) + audit.outcome_reason
    [rejection] = ValidationRejection.objects.all()
    assert (rejection.organization, rejection.user, rejection.channel, rejection.codes) == (
        county,
        case_manager,
        "other",
        ["invalid-phone"],
    )


def test_submit__refused_send_changes_nothing(case_manager, make_referral):
    draft = make_referral("draft", eligibility_basis=[])
    before = (draft.status, draft.version, draft.events.count())
    with pytest.raises(TemplateRejected):
        referral_transition(actor=case_manager, referral=draft, name="submit")
    row = Referral.objects.get(pk=draft.pk)
    assert (row.status, row.version, row.events.count()) == before
    assert row.sent_at is None


def test_submit__consent_is_checked_before_the_template(case_manager, county):
    from referrals.errors import ConsentRequired

    unconsented = ClientFactory(organization=county)
    draft = ReferralFactory(client=unconsented, eligibility_basis=[])
    with pytest.raises(ConsentRequired):
        referral_transition(actor=case_manager, referral=draft, name="submit")
    assert not ValidationRejection.objects.exists()


def test_submit__duplicates_are_only_those_the_sender_may_see(case_manager, make_referral, county_client, service):
    from tests.factories import AgencyFactory

    elsewhere = AgencyFactory(slug="ridge-county")
    other = ReferralFactory(client=county_client, referring_organization=elsewhere, service=service)
    Referral.objects.filter(pk=other.pk).update(status="sent", sent_at=timezone.now())
    draft = make_referral("draft")
    assert not check_referral(draft, actor=case_manager).warnings
    assert check_referral(draft, actor=None).warnings  # the system sees it: the filter is the actor's view


def test_schedule__appointment_in_the_past_is_refused(make_referral, provider_intake):
    referral = make_referral("accepted")
    now = timezone.now() + datetime.timedelta(days=2)
    # After the sending, but already past when the step is recorded.
    with pytest.raises(ValidationError) as refused:
        referral_transition(
            actor=provider_intake,
            referral=referral,
            name="schedule",
            appointment_at=now - datetime.timedelta(days=1),
            now=now,
        )
    assert refused.value.message_dict == {"appointment_at": ["The appointment cannot be in the past."]}
    later = referral_transition(
        actor=provider_intake,
        referral=referral,
        name="schedule",
        appointment_at=now + datetime.timedelta(hours=1),
        now=now,
    )
    assert later.status == "in_progress"
