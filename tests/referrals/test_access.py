"""Who sees and acts on a referral: the organization rule, the guardian exceptions, and their services."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.choices import AuditAction
from coordination.access import Action
from coordination.roles import Role
from providers.models import Membership
from providers.services import membership_grant, membership_revoke
from referrals.access import ReferralActor
from referrals.assignment import (
    referral_assign_case_manager,
    referral_assign_worker,
    referral_share,
    referral_unshare,
)
from referrals.errors import ReferralNotFound, WrongSide
from referrals.models import Referral, ReferralEvent, ReferralUserObjectPermission
from referrals.selectors import referral_get, referral_timeline
from referrals.services import referral_transition
from tests.factories import PATH_TO_STATUS, AgencyFactory, ClientFactory, ServiceFactory, UserFactory, referral_in

from .support import audit_rows, snapshot

STATUSES = list(PATH_TO_STATUS)
REFERRING_STAFF = ("case_manager", "county_supervisor")
RECEIVING_STAFF = ("provider_intake", "provider_supervisor", "partner_system")
OUTSIDERS = ("other_provider_intake", "no_role_user", "superuser", "inactive_case_manager", "anonymous")
CAST = REFERRING_STAFF + RECEIVING_STAFF + OUTSIDERS


@pytest.fixture
def inactive_case_manager(county):
    user = UserFactory(username="gone", is_active=False)
    membership_grant(actor=None, user=user, organization=county, role=Role.CASE_MANAGER)
    return user


def _user(request, who):
    return None if who == "anonymous" else request.getfixturevalue(who)


def _visible(user, referral, action=Action.VIEW) -> bool:
    return Referral.objects.visible_to(user, action).filter(pk=referral.pk).exists()


def _expected_visible(who, status) -> bool:
    if who in REFERRING_STAFF:
        return True
    if who in RECEIVING_STAFF:
        return status != "draft"
    return False


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("who", CAST)
def test_visible_to__matrix(who, status, make_referral, request):
    referral = make_referral(status)
    user = _user(request, who)
    expected = _expected_visible(who, status)
    assert _visible(user, referral, Action.VIEW) is expected
    assert _visible(user, referral, Action.CHANGE) is expected
    assert not _visible(user, referral, Action.DELETE)
    # The timeline follows its referral, event by event.
    events = ReferralEvent.objects.visible_to(user).filter(referral=referral)
    assert events.count() == (referral.events.count() if expected else 0)
    if expected:
        assert referral_get(actor=user, referral_id=referral.pk) == referral
    else:
        with pytest.raises(ReferralNotFound):
            referral_get(actor=user, referral_id=referral.pk)


@pytest.mark.parametrize("status", ["draft", "sent"])
def test_add__only_referring_staff_at_an_agency(status, make_referral, case_manager, provider_intake, partner_system):
    referral = make_referral(status)
    assert _visible(case_manager, referral, Action.ADD)
    assert not _visible(provider_intake, referral, Action.ADD)
    assert not _visible(partner_system, referral, Action.ADD)


@pytest.mark.parametrize("ends_in", ["cancelled", "entered_in_error"])
def test_never_sent__stays_invisible_to_the_provider(ends_in, make_referral, case_manager, county_supervisor, request):
    referral = make_referral("draft")
    if ends_in == "cancelled":
        referral_transition(actor=case_manager, referral=referral, name="cancel", reason_code="wrong-service")
    else:
        referral_transition(actor=county_supervisor, referral=referral, name="mark_entered_in_error", note="Test.")
    for who in RECEIVING_STAFF:
        assert not _visible(request.getfixturevalue(who), referral), who
    assert _visible(case_manager, referral)


def test_referral_to_another_provider__is_invisible(case_manager, provider_intake, other_provider, county_client):
    elsewhere = ServiceFactory(organization=other_provider)
    referral = referral_in("sent", referrer=case_manager, receiver=None, client=county_client, service=elsewhere)
    assert _visible(case_manager, referral)
    assert not _visible(provider_intake, referral)


def test_another_agencys_referral__is_invisible_to_our_case_manager(case_manager, provider_intake, service):
    agency = AgencyFactory(slug="ridge-county")
    their_cm = UserFactory(username="ridge-cm")
    membership_grant(actor=None, user=their_cm, organization=agency, role=Role.CASE_MANAGER)
    referral = referral_in(
        "sent", referrer=their_cm, receiver=None, client=ClientFactory(organization=agency), service=service
    )
    assert not _visible(case_manager, referral)
    assert _visible(provider_intake, referral)


@pytest.mark.parametrize("deactivated", ["county", "provider"])
def test_deactivated_organization__grants_nothing(deactivated, make_referral, request, provider_intake, case_manager):
    referral = make_referral("accepted")
    organization = request.getfixturevalue(deactivated)
    organization.active = False
    organization.save()
    staff = case_manager if deactivated == "county" else provider_intake
    assert not _visible(staff, referral)
    assert ReferralActor(staff).sides(referral) == frozenset()
    before = snapshot(referral)
    name = "cancel" if deactivated == "county" else "close"
    inputs = {"reason_code": "client-request"} if name == "cancel" else {"outcome_code": "service-completed"}
    with pytest.raises(ReferralNotFound):
        referral_transition(actor=staff, referral=referral, name=name, **inputs)
    assert snapshot(referral) == before


def test_revoked_membership__loses_the_referral(make_referral, case_manager):
    referral = make_referral("sent")
    membership_revoke(actor=None, membership=Membership.objects.get(user=case_manager))
    assert not _visible(case_manager, referral)


def test_not_visible__transition_attempt_is_audited_as_denied(make_referral, other_provider_intake):
    referral = make_referral("sent")
    with pytest.raises(ReferralNotFound):
        referral_transition(actor=other_provider_intake, referral=referral, name="accept")
    [row] = audit_rows(AuditAction.REFERRAL_TRANSITION_REFUSED)
    assert (row.actor, row.subtype, row.outcome, row.target_id) == (
        other_provider_intake,
        "accept",
        "denied",
        str(referral.pk),
    )


# Guardian share: read-only, optionally time-boxed


def test_share__lets_the_colleague_read_only(make_referral, case_manager, other_provider_intake):
    referral = make_referral("accepted")
    assert not _visible(other_provider_intake, referral)
    grant = referral_share(actor=case_manager, referral=referral, colleague=other_provider_intake)
    assert (grant.user, grant.permission.codename, grant.granted_by, grant.expires_at) == (
        other_provider_intake,
        "view_referral",
        case_manager,
        None,
    )
    assert _visible(other_provider_intake, referral)
    assert not _visible(other_provider_intake, referral, Action.CHANGE)
    assert referral_timeline(actor=other_provider_intake, referral=referral).count() == referral.events.count()
    scope = ReferralActor(other_provider_intake).load_grants([referral])
    assert scope.sides(referral) == frozenset() and scope.allowed_transitions(referral) == []
    before = snapshot(referral)
    for name, inputs in [("close", {"outcome_code": "service-completed"}), ("cancel", {"reason_code": "other"})]:
        with pytest.raises(WrongSide):
            referral_transition(actor=other_provider_intake, referral=referral, name=name, note="x", **inputs)
    assert snapshot(referral) == before


def test_share__records_a_timeline_event_and_an_audit_row(make_referral, case_manager, other_provider_intake):
    referral = make_referral("sent")
    expires = timezone.now() + datetime.timedelta(days=7)
    referral_share(actor=case_manager, referral=referral, colleague=other_provider_intake, expires_at=expires)
    event = referral.events.get(name="share")
    assert (event.actor, event.side, event.from_status, event.to_status) == (case_manager, "referrer", "sent", "sent")
    assert event.detail["colleague"] == str(other_provider_intake.pk)
    assert event.detail["expires_at"] == expires.isoformat()
    [row] = audit_rows(AuditAction.REFERRAL_SHARED)
    assert (row.actor, row.target_id, row.client_id) == (case_manager, str(referral.pk), referral.client_id)
    assert row.detail["colleague"] == str(other_provider_intake.pk)


def test_share__expiry_is_honoured(make_referral, case_manager, other_provider_intake):
    referral = make_referral("sent")
    expires = timezone.now() + datetime.timedelta(hours=2)
    referral_share(actor=case_manager, referral=referral, colleague=other_provider_intake, expires_at=expires)
    assert _visible(other_provider_intake, referral)
    with time_machine.travel(expires + datetime.timedelta(seconds=1)):
        assert not _visible(other_provider_intake, referral)
        assert ReferralActor(other_provider_intake).load_grants([referral])._grants == {}


def test_share__colleague_without_an_active_membership_sees_nothing(make_referral, case_manager, other_provider_intake):
    referral = make_referral("sent")
    referral_share(actor=case_manager, referral=referral, colleague=other_provider_intake)
    membership_revoke(actor=None, membership=Membership.objects.get(user=other_provider_intake))
    assert not _visible(other_provider_intake, referral)


def test_share__with_someone_without_an_active_membership_is_refused(make_referral, case_manager, no_role_user):
    referral = make_referral("sent")
    with pytest.raises(ValidationError) as refused:
        referral_share(actor=case_manager, referral=referral, colleague=no_role_user)
    assert "colleague" in refused.value.message_dict
    assert not ReferralUserObjectPermission.objects.exists()
    assert not audit_rows(AuditAction.REFERRAL_SHARED)


def test_share__with_oneself_or_in_the_past_is_refused(make_referral, case_manager, other_provider_intake):
    referral = make_referral("sent")
    with pytest.raises(ValidationError):
        referral_share(actor=case_manager, referral=referral, colleague=case_manager)
    with pytest.raises(ValidationError) as refused:
        referral_share(
            actor=case_manager,
            referral=referral,
            colleague=other_provider_intake,
            expires_at=timezone.now() - datetime.timedelta(minutes=1),
        )
    assert "expires_at" in refused.value.message_dict
    assert not ReferralUserObjectPermission.objects.exists()


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("county_supervisor", None),
        ("provider_intake", WrongSide),
        ("provider_supervisor", WrongSide),
        ("no_role_user", ReferralNotFound),
    ],
)
def test_share__who_may_share(who, error, make_referral, other_provider_intake, request):
    referral = make_referral("sent")
    actor = request.getfixturevalue(who)
    if error is None:
        referral_share(actor=actor, referral=referral, colleague=other_provider_intake)
        assert _visible(other_provider_intake, referral)
        return
    with pytest.raises(error):
        referral_share(actor=actor, referral=referral, colleague=other_provider_intake)
    assert not ReferralUserObjectPermission.objects.exists()
    assert not referral.events.filter(name="share").exists()


def test_share__a_colleague_shared_with_cannot_share_further(make_referral, case_manager, other_provider_intake):
    referral = make_referral("sent")
    referral_share(actor=case_manager, referral=referral, colleague=other_provider_intake)
    third = UserFactory(username="third")
    membership_grant(
        actor=None,
        user=third,
        organization=other_provider_intake.memberships.get().organization,
        role=Role.PROVIDER_INTAKE,
    )
    with pytest.raises(WrongSide):
        referral_share(actor=other_provider_intake, referral=referral, colleague=third)
    assert not _visible(third, referral)


def test_unshare__removes_access_with_event_and_audit(make_referral, case_manager, other_provider_intake):
    referral = make_referral("sent")
    referral_share(actor=case_manager, referral=referral, colleague=other_provider_intake)
    referral_unshare(actor=case_manager, referral=referral, colleague=other_provider_intake)
    assert not _visible(other_provider_intake, referral)
    event = referral.events.get(name="unshare")
    assert (event.actor, event.detail["colleague"]) == (case_manager, str(other_provider_intake.pk))
    [row] = audit_rows(AuditAction.REFERRAL_UNSHARED)
    assert (row.actor, row.target_id) == (case_manager, str(referral.pk))
    with pytest.raises(ValidationError):
        referral_unshare(actor=case_manager, referral=referral, colleague=other_provider_intake)


def test_unshare__by_the_provider_is_refused(make_referral, case_manager, provider_intake, other_provider_intake):
    referral = make_referral("sent")
    referral_share(actor=case_manager, referral=referral, colleague=other_provider_intake)
    with pytest.raises(WrongSide):
        referral_unshare(actor=provider_intake, referral=referral, colleague=other_provider_intake)
    assert _visible(other_provider_intake, referral)


# Guardian assignment: a provider supervisor puts one of their staff on a referral


@pytest.fixture
def worker(provider):
    user = UserFactory(username="worker")
    membership_grant(actor=None, user=user, organization=provider, role=Role.PROVIDER_INTAKE)
    return user


def test_assign_worker__grants_change_and_records_it(make_referral, provider_supervisor, worker):
    referral = make_referral("sent")
    version = referral.version
    referral = referral_assign_worker(actor=provider_supervisor, referral=referral, worker=worker)
    row = Referral.objects.get(pk=referral.pk)
    assert (row.assigned_worker, row.version) == (worker, version + 1)
    [grant] = ReferralUserObjectPermission.objects.filter(content_object=row)
    assert (grant.user, grant.permission.codename, grant.granted_by) == (worker, "change_referral", provider_supervisor)
    event = row.events.get(name="assign")
    assert (event.actor, event.side, event.detail["field"], event.detail["to"]) == (
        provider_supervisor,
        "receiver",
        "assigned_worker",
        str(worker.pk),
    )
    [audit] = audit_rows(AuditAction.REFERRAL_ASSIGNED)
    assert (audit.actor, audit.target_id, audit.detail["to"]) == (provider_supervisor, str(row.pk), str(worker.pk))
    assert row.history.first().history_user == provider_supervisor
    # The worker acts on it.
    accepted = referral_transition(actor=worker, referral=row, name="accept")
    assert accepted.status == "accepted"


def test_assign_worker__reassigning_moves_the_grant(make_referral, provider_supervisor, worker, provider_intake):
    referral = make_referral("sent")
    referral_assign_worker(actor=provider_supervisor, referral=referral, worker=worker)
    referral_assign_worker(actor=provider_supervisor, referral=referral, worker=provider_intake)
    grants = ReferralUserObjectPermission.objects.filter(content_object=referral)
    assert [g.user for g in grants] == [provider_intake]
    referral_assign_worker(actor=provider_supervisor, referral=referral, worker=None)
    assert not ReferralUserObjectPermission.objects.exists()
    assert Referral.objects.get(pk=referral.pk).assigned_worker is None
    assert referral.events.filter(name="assign").count() == 3


def test_assign_worker__same_worker_again_changes_nothing(make_referral, provider_supervisor, worker):
    referral = make_referral("sent")
    referral_assign_worker(actor=provider_supervisor, referral=referral, worker=worker)
    before = snapshot(referral)
    referral_assign_worker(actor=provider_supervisor, referral=referral, worker=worker)
    assert snapshot(referral) == before
    assert len(audit_rows(AuditAction.REFERRAL_ASSIGNED)) == 1


@pytest.mark.parametrize(
    ("who", "status", "error"),
    [
        ("provider_intake", "sent", WrongSide),
        ("case_manager", "sent", WrongSide),
        ("county_supervisor", "sent", WrongSide),
        ("other_provider_intake", "sent", ReferralNotFound),
        ("provider_supervisor", "draft", ReferralNotFound),
    ],
)
def test_assign_worker__who_may_assign(who, status, error, make_referral, worker, request):
    referral = make_referral(status)
    before = snapshot(referral)
    with pytest.raises(error):
        referral_assign_worker(actor=request.getfixturevalue(who), referral=referral, worker=worker)
    assert snapshot(referral) == before
    assert not ReferralUserObjectPermission.objects.exists()


@pytest.mark.parametrize("worker_name", ["other_provider_intake", "case_manager", "no_role_user"])
def test_assign_worker__only_to_receiving_staff(worker_name, make_referral, provider_supervisor, request):
    referral = make_referral("sent")
    with pytest.raises(ValidationError) as refused:
        referral_assign_worker(
            actor=provider_supervisor, referral=referral, worker=request.getfixturevalue(worker_name)
        )
    assert "worker" in refused.value.message_dict
    assert not ReferralUserObjectPermission.objects.exists()


def test_assigned_worker__loses_it_when_membership_is_revoked(make_referral, provider_supervisor, worker):
    referral = make_referral("sent")
    referral_assign_worker(actor=provider_supervisor, referral=referral, worker=worker)
    membership_revoke(actor=None, membership=Membership.objects.get(user=worker))
    assert not _visible(worker, referral)
    assert not _visible(worker, referral, Action.CHANGE)
    with pytest.raises(ReferralNotFound):
        referral_transition(actor=worker, referral=referral, name="accept")
    assert Referral.objects.get(pk=referral.pk).status == "sent"


def test_assigned_worker__who_moved_to_another_organization_loses_it(
    make_referral, provider_supervisor, worker, other_provider
):
    """The assignment grant counts only at the receiving provider, not wherever else the worker is staff."""
    referral = make_referral("sent")
    referral_assign_worker(actor=provider_supervisor, referral=referral, worker=worker)
    membership_grant(actor=None, user=worker, organization=other_provider, role=Role.PROVIDER_INTAKE)
    membership_revoke(actor=None, membership=Membership.objects.get(user=worker, organization__slug="harbor-health"))
    assert not _visible(worker, referral)
    assert not _visible(worker, referral, Action.CHANGE)
    assert ReferralActor(worker).load_grants([referral]).sides(referral) == frozenset()
    with pytest.raises(ReferralNotFound):
        referral_transition(actor=worker, referral=referral, name="accept")


# Assigning the referring case manager


@pytest.fixture
def second_case_manager(county):
    user = UserFactory(username="cm2")
    membership_grant(actor=None, user=user, organization=county, role=Role.CASE_MANAGER)
    return user


def test_assign_case_manager__by_the_supervisor(make_referral, county_supervisor, case_manager, second_case_manager):
    referral = make_referral("sent")
    referral = referral_assign_case_manager(
        actor=county_supervisor, referral=referral, case_manager=second_case_manager
    )
    row = Referral.objects.get(pk=referral.pk)
    assert row.assigned_to == second_case_manager
    event = row.events.get(name="assign")
    assert (event.actor, event.side, event.detail["from"], event.detail["to"]) == (
        county_supervisor,
        "referrer",
        str(case_manager.pk),
        str(second_case_manager.pk),
    )
    [audit] = audit_rows(AuditAction.REFERRAL_ASSIGNED)
    assert (audit.actor, audit.detail["field"]) == (county_supervisor, "assigned_to")


def test_assign_case_manager__self_claim_by_a_case_manager(make_referral, second_case_manager):
    referral = make_referral("sent")
    referral_assign_case_manager(actor=second_case_manager, referral=referral, case_manager=second_case_manager)
    assert Referral.objects.get(pk=referral.pk).assigned_to == second_case_manager


@pytest.mark.parametrize(("who", "error"), [("case_manager", WrongSide), ("provider_supervisor", WrongSide)])
def test_assign_case_manager__others_may_not_reassign(who, error, make_referral, second_case_manager, request):
    referral = make_referral("sent")
    before = snapshot(referral)
    with pytest.raises(error):
        referral_assign_case_manager(
            actor=request.getfixturevalue(who), referral=referral, case_manager=second_case_manager
        )
    assert snapshot(referral) == before


def test_assign_case_manager__only_to_referring_staff(make_referral, county_supervisor, provider_intake):
    referral = make_referral("sent")
    with pytest.raises(ValidationError):
        referral_assign_case_manager(actor=county_supervisor, referral=referral, case_manager=provider_intake)
    assert not audit_rows(AuditAction.REFERRAL_ASSIGNED)
