"""Creating, editing and rerouting referrals: who may, what is refused, and what each write leaves behind."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from referrals.errors import ReferralNotFound, TransitionConflict, WrongSide
from referrals.models import Referral, ReferralEvent
from referrals.services import referral_create, referral_reroute, referral_transition, referral_update_draft
from tests.factories import AgencyFactory, ClientFactory, OrganizationFactory, ServiceFactory

from .support import audit_rows, snapshot

TEMPLATE = {
    "category": "food-insecurity",
    "urgency": "urgent",
    "reason": "Lost her job; the family has no groceries for the week.",
    "risk_flags": ["medical-fragility"],
    "contact_constraints": "Call after 3 pm.",
    "safe_contact_times": "Weekdays 3-6 pm",
    "eligibility_basis": ["income", "county-resident"],
    "eligibility_note": "",
}


@pytest.fixture
def spanish_client(county):
    return ClientFactory(
        organization=county, postal_code="97401", preferred_language="es", interpreter_needed=True, given_name="Rosa"
    )


# referral_create


def test_create__draft_with_defaults_from_the_client(case_manager, spanish_client, service, county, provider):
    referral = referral_create(actor=case_manager, client=spanish_client, data=TEMPLATE, service=service)
    row = Referral.objects.get(pk=referral.pk)
    assert (row.status, row.version, row.sent_at, row.acknowledge_due_at) == ("draft", 1, None, None)
    assert (row.language, row.interpreter_needed) == ("es", True)
    assert (row.referring_organization, row.receiving_organization, row.service) == (county, provider, service)
    assert (row.created_by, row.assigned_to) == (case_manager, case_manager)
    assert (row.urgency, row.risk_flags, row.reason) == ("urgent", ["medical-fragility"], TEMPLATE["reason"])
    [event] = row.events.all()
    assert (event.name, event.from_status, event.to_status, event.actor, event.organization) == (
        "create",
        "",
        "draft",
        case_manager,
        county,
    )
    [audit] = audit_rows(AuditAction.REFERRAL_CREATED)
    assert (audit.actor, audit.target_id, audit.client_id, audit.outcome) == (
        case_manager,
        str(row.pk),
        spanish_client.pk,
        Outcome.SUCCESS,
    )
    assert audit.detail == {"service": str(service.pk), "urgency": "urgent"}
    assert row.history.get().history_user == case_manager


def test_create__explicit_language_wins_over_the_client(case_manager, spanish_client):
    data = {**TEMPLATE, "language": "en", "interpreter_needed": False}
    referral = referral_create(actor=case_manager, client=spanish_client, data=data)
    assert (referral.language, referral.interpreter_needed, referral.service) == ("en", False, None)


def test_create__ignores_fields_outside_the_template(case_manager, county_client):
    referral = referral_create(
        actor=case_manager, client=county_client, data={**TEMPLATE, "status": "closed", "version": 9}
    )
    assert (referral.status, referral.version) == ("draft", 1)


def test_create__submit_sends_at_once_and_sets_due_times(case_manager, county_client, service, provider, settings):
    referral = referral_create(
        actor=case_manager, client=county_client, data={**TEMPLATE, "urgency": "crisis"}, service=service, submit=True
    )
    row = Referral.objects.get(pk=referral.pk)
    assert (row.status, row.receiving_organization, row.version) == ("sent", provider, 2)
    # Crisis runs around the clock: 1 hour, 4 hours, 3 calendar days (tests/sla has the business-time rules).
    assert row.acknowledge_due_at == row.sent_at + datetime.timedelta(hours=1)
    assert row.first_contact_due_at == row.sent_at + datetime.timedelta(hours=4)
    local_sent = timezone.localtime(row.sent_at).replace(tzinfo=None)
    assert row.service_start_due_at == timezone.make_aware(local_sent + datetime.timedelta(days=3))
    assert list(row.events.values_list("name", flat=True)) == ["create", "submit"]
    assert [a.action for a in audit_rows(AuditAction.REFERRAL_CREATED)] == ["referral.created"]
    [sent] = audit_rows(AuditAction.REFERRAL_TRANSITIONED)
    assert (sent.subtype, sent.detail["from"], sent.detail["to"]) == ("submit", "draft", "sent")


def test_create__submit_with_now_dates_the_story(case_manager, county_client, service):
    then = timezone.now() - datetime.timedelta(days=3)
    referral = referral_create(
        actor=case_manager, client=county_client, data=TEMPLATE, service=service, submit=True, now=then
    )
    assert referral.sent_at == then
    assert list(referral.events.values_list("occurred_at", flat=True)) == [then, then]


def test_create__submit_without_a_service_creates_nothing(case_manager, county_client):
    with pytest.raises(ValidationError) as refused:
        referral_create(actor=case_manager, client=county_client, data=TEMPLATE, submit=True)
    assert "service" in refused.value.message_dict
    assert not Referral.objects.exists()
    assert not ReferralEvent.objects.exists()


def test_create__refuses_a_client_the_actor_cannot_see(case_manager):
    stranger = ClientFactory(organization=AgencyFactory(slug="ridge-county"))
    with pytest.raises(ValidationError) as refused:
        referral_create(actor=case_manager, client=stranger, data=TEMPLATE)
    assert "client" in refused.value.message_dict
    assert not Referral.objects.exists()
    assert not audit_rows(AuditAction.REFERRAL_CREATED)


@pytest.mark.parametrize(
    "change",
    [
        {"accepting_referrals": False},
        {"status": "inactive"},
        {"status": "defunct"},
        {"status": "temporarily closed"},
    ],
    ids=["not-accepting", "inactive", "defunct", "temporarily-closed"],
)
def test_create__refuses_a_service_that_does_not_take_referrals(change, case_manager, county_client, service):
    for field, value in change.items():
        setattr(service, field, value)
    service.save()
    with pytest.raises(ValidationError) as refused:
        referral_create(actor=case_manager, client=county_client, data=TEMPLATE, service=service)
    assert service.name in refused.value.message_dict["service"][0]
    assert not Referral.objects.exists()


def test_create__refuses_a_service_of_a_deactivated_provider(case_manager, county_client, service, provider):
    provider.active = False
    provider.save()
    with pytest.raises(ValidationError):
        referral_create(actor=case_manager, client=county_client, data=TEMPLATE, service=service)
    assert not Referral.objects.exists()


@pytest.mark.parametrize("who", ["provider_intake", "provider_supervisor", "partner_system", "no_role_user"])
def test_create__by_provider_staff_is_refused(who, request, county_client, service):
    actor = request.getfixturevalue(who)
    with pytest.raises(ValidationError) as refused:
        referral_create(actor=actor, client=county_client, data=TEMPLATE, service=service)
    assert "referring_organization" in refused.value.message_dict
    assert not Referral.objects.exists()


def test_create__for_an_organization_the_actor_does_not_refer_for(case_manager, county_client, provider):
    with pytest.raises(ValidationError) as refused:
        referral_create(actor=case_manager, client=county_client, data=TEMPLATE, referring_organization=provider)
    assert "referring_organization" in refused.value.message_dict


def test_create__with_two_agencies_must_say_which(case_manager, county_client):
    from coordination.roles import Role
    from providers.services import membership_grant

    membership_grant(
        actor=None, user=case_manager, organization=AgencyFactory(slug="ridge-county"), role=Role.CASE_MANAGER
    )
    with pytest.raises(ValidationError) as refused:
        referral_create(actor=case_manager, client=county_client, data=TEMPLATE)
    assert refused.value.message_dict["referring_organization"] == ["Say which agency is referring."]
    referral = referral_create(
        actor=case_manager, client=county_client, data=TEMPLATE, referring_organization=county_client.organization
    )
    assert referral.referring_organization == county_client.organization


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**TEMPLATE, "reason": "  "}, "reason"),
        ({**TEMPLATE, "eligibility_basis": ["other"]}, "eligibility_note"),
        ({**TEMPLATE, "risk_flags": ["dangerous-dog"]}, "risk_flags"),
        ({**TEMPLATE, "urgency": "asap"}, "urgency"),
        ({**TEMPLATE, "category": "groceries"}, "category"),
    ],
)
def test_create__template_rules(data, field, case_manager, county_client):
    with pytest.raises(ValidationError) as refused:
        referral_create(actor=case_manager, client=county_client, data=data)
    assert field in refused.value.message_dict
    assert not Referral.objects.exists()


# referral_update_draft


def test_update_draft__changes_fields_with_event_and_audit(make_referral, case_manager):
    referral = make_referral("draft")
    updated = referral_update_draft(
        actor=case_manager,
        referral=referral,
        data={"urgency": "crisis", "reason": "Eviction notice served today.", "category": referral.category},
        expected_version=referral.version,
    )
    row = Referral.objects.get(pk=referral.pk)
    assert (row.urgency, row.reason, row.version) == ("crisis", "Eviction notice served today.", 2)
    assert updated.version == 2
    event = row.events.get(name="edit")
    assert (event.actor, event.from_status, event.to_status) == (case_manager, "draft", "draft")
    assert sorted(event.detail["fields"]) == ["reason", "urgency"]
    [audit] = audit_rows(AuditAction.REFERRAL_UPDATED)
    assert (audit.actor, audit.target_id, sorted(audit.detail["fields"])) == (
        case_manager,
        str(row.pk),
        ["reason", "urgency"],
    )


def test_update_draft__no_change_writes_nothing(make_referral, case_manager):
    referral = make_referral("draft")
    before = snapshot(referral)
    referral_update_draft(actor=case_manager, referral=referral, data={"urgency": referral.urgency})
    assert snapshot(referral) == before
    assert not audit_rows(AuditAction.REFERRAL_UPDATED)


def test_update_draft__changes_the_service_and_receiving_organization(make_referral, case_manager, other_provider):
    referral = make_referral("draft")
    other = ServiceFactory(organization=other_provider)
    referral_update_draft(actor=case_manager, referral=referral, data={}, service=other)
    row = Referral.objects.get(pk=referral.pk)
    assert (row.service, row.receiving_organization, row.version) == (other, other_provider, 2)
    assert row.events.get(name="edit").detail["fields"] == ["service"]


def test_update_draft__refuses_a_service_not_accepting(make_referral, case_manager, other_provider):
    referral = make_referral("draft")
    closed = ServiceFactory(organization=other_provider, accepting_referrals=False)
    before = snapshot(referral)
    with pytest.raises(ValidationError):
        referral_update_draft(actor=case_manager, referral=referral, data={}, service=closed)
    assert snapshot(referral) == before


def test_update_draft__refuses_an_invalid_template(make_referral, case_manager):
    referral = make_referral("draft")
    before = snapshot(referral)
    with pytest.raises(ValidationError):
        referral_update_draft(actor=case_manager, referral=referral, data={"reason": ""})
    assert snapshot(referral) == before


@pytest.mark.parametrize("status", ["sent", "accepted", "declined", "cancelled"])
def test_update_draft__only_drafts(status, make_referral, case_manager):
    referral = make_referral(status)
    before = snapshot(referral)
    with pytest.raises(TransitionConflict) as refused:
        referral_update_draft(actor=case_manager, referral=referral, data={"urgency": "crisis"})
    assert "Only a draft can be edited" in refused.value.message
    assert snapshot(referral) == before


@pytest.mark.parametrize(("status", "error"), [("draft", ReferralNotFound), ("sent", WrongSide)])
def test_update_draft__only_the_referring_side(status, error, make_referral, provider_intake):
    referral = make_referral(status)
    before = snapshot(referral)
    with pytest.raises(error):
        referral_update_draft(actor=provider_intake, referral=referral, data={"urgency": "crisis"})
    assert snapshot(referral) == before


def test_update_draft__stale_version_is_a_conflict(make_referral, case_manager, county_supervisor):
    referral = make_referral("draft")
    loaded = referral.version
    referral_update_draft(actor=county_supervisor, referral=referral, data={"urgency": "urgent"})
    before = snapshot(referral)
    with pytest.raises(TransitionConflict) as refused:
        referral_update_draft(
            actor=case_manager, referral=referral, data={"urgency": "crisis"}, expected_version=loaded
        )
    assert "changed since you loaded it" in refused.value.message
    assert snapshot(referral) == before


# referral_reroute


@pytest.fixture
def second_service(other_provider):
    return ServiceFactory(organization=other_provider, name="Northside Pantry", languages=["en"])


@pytest.mark.parametrize("status", ["declined", "cancelled"])
def test_reroute__starts_a_linked_draft_with_the_template(status, make_referral, county_supervisor, second_service):
    old = make_referral(
        status,
        urgency="urgent",
        risk_flags=["do-not-contact-directly"],
        contact_constraints="Text only.",
        eligibility_basis=["income"],
        language="es",
        interpreter_needed=True,
    )
    old_version = old.version
    new = referral_reroute(actor=county_supervisor, referral=old, service=second_service)
    new = Referral.objects.get(pk=new.pk)
    assert (new.status, new.version, new.sent_at, new.rerouted_from) == ("draft", 1, None, old)
    assert (new.service, new.receiving_organization) == (second_service, second_service.organization)
    assert (new.client, new.referring_organization) == (old.client, old.referring_organization)
    assert (new.created_by, new.assigned_to) == (county_supervisor, old.assigned_to)
    for field in ("category", "urgency", "reason", "risk_flags", "contact_constraints", "eligibility_basis"):
        assert getattr(new, field) == getattr(old, field), field
    assert (new.language, new.interpreter_needed) == ("es", True)
    old_row = Referral.objects.get(pk=old.pk)
    assert (old_row.status, old_row.version, old_row.rerouted_to) == (status, old_version, new)

    created = new.events.get()
    assert (created.name, created.detail["rerouted_from"], created.actor) == ("create", str(old.pk), county_supervisor)
    rerouted = old_row.events.get(name="reroute")
    assert (rerouted.from_status, rerouted.to_status, rerouted.detail["rerouted_to"]) == (status, status, str(new.pk))
    [audit] = audit_rows(AuditAction.REFERRAL_REROUTED)
    assert (audit.actor, audit.target_id, audit.detail["rerouted_from"]) == (
        county_supervisor,
        str(new.pk),
        str(old.pk),
    )


def test_reroute__only_once(make_referral, case_manager, second_service, other_provider):
    old = make_referral("declined")
    referral_reroute(actor=case_manager, referral=old, service=second_service)
    with pytest.raises(TransitionConflict) as refused:
        referral_reroute(actor=case_manager, referral=old, service=ServiceFactory(organization=other_provider))
    assert "only once" in refused.value.message
    assert Referral.objects.filter(rerouted_from=old).count() == 1


@pytest.mark.parametrize("status", ["draft", "sent", "accepted", "in_progress", "closed", "entered_in_error"])
def test_reroute__only_declined_or_cancelled(status, make_referral, case_manager, second_service):
    old = make_referral(status)
    count = Referral.objects.count()
    with pytest.raises(TransitionConflict):
        referral_reroute(actor=case_manager, referral=old, service=second_service)
    assert Referral.objects.count() == count


def test_reroute__to_the_same_service_is_refused(make_referral, case_manager, service):
    old = make_referral("declined")
    with pytest.raises(ValidationError):
        referral_reroute(actor=case_manager, referral=old, service=service)
    assert not Referral.objects.filter(rerouted_from=old).exists()


def test_reroute__to_a_service_not_accepting_is_refused(make_referral, case_manager, other_provider):
    old = make_referral("declined")
    with pytest.raises(ValidationError):
        referral_reroute(
            actor=case_manager, referral=old, service=ServiceFactory(organization=other_provider, status="inactive")
        )
    assert not Referral.objects.filter(rerouted_from=old).exists()


@pytest.mark.parametrize(
    ("who", "error"), [("provider_intake", WrongSide), ("other_provider_intake", ReferralNotFound)]
)
def test_reroute__only_the_referring_side(who, error, make_referral, second_service, request):
    old = make_referral("declined")
    with pytest.raises(error):
        referral_reroute(actor=request.getfixturevalue(who), referral=old, service=second_service)
    assert not Referral.objects.filter(rerouted_from=old).exists()
    assert not audit_rows(AuditAction.REFERRAL_REROUTED)


def test_reroute__new_draft_can_be_sent_and_is_seen_by_the_new_provider_only(
    make_referral, case_manager, provider_intake, other_provider_intake, second_service
):
    old = make_referral("declined")
    new = referral_reroute(actor=case_manager, referral=old, service=second_service)
    new = referral_transition(actor=case_manager, referral=new, name="submit")
    assert Referral.objects.visible_to(other_provider_intake).filter(pk=new.pk).exists()
    assert not Referral.objects.visible_to(provider_intake).filter(pk=new.pk).exists()
    # The old provider keeps the referral it declined.
    assert Referral.objects.visible_to(provider_intake).filter(pk=old.pk).exists()


def test_record_event__organization_follows_the_side(make_referral, provider_intake, county, provider):
    referral = make_referral("sent")
    referral_transition(actor=provider_intake, referral=referral, name="acknowledge")
    orgs = dict(referral.events.values_list("name", "organization"))
    assert orgs == {"submit": county.pk, "acknowledge": provider.pk}


def test_provider_organization__cannot_be_the_referring_organization(case_manager, county_client):
    agency_like = OrganizationFactory(slug="fake-agency", kind="provider")
    with pytest.raises(ValidationError):
        referral_create(actor=case_manager, client=county_client, data=TEMPLATE, referring_organization=agency_like)
