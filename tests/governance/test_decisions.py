"""Deciding items: keep, revoke (at once, ending sessions and tokens), change role; who may decide, and when."""

import pytest
from django.core.exceptions import ValidationError

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from coordination.roles import Role
from governance.choices import Decision, ItemKind
from governance.errors import AlreadyRevoked, CampaignClosed, NotAReviewer
from governance.services import campaign_cancel, item_decide
from providers.models import Membership
from providers.services import membership_grant
from referrals.assignment import referral_assign_worker, referral_share
from referrals.models import Referral, ReferralEvent, ReferralUserObjectPermission

from .support import item_of, session_users, signed_in, token_for

pytestmark = pytest.mark.django_db

HOME = "/"
CLIENTS_API = "/api/v1/clients/"


def decided_row(item) -> AuditEvent:
    return AuditEvent.objects.get(
        action=AuditAction.ACCESS_REVIEW_ITEM_DECIDED, target_id=str(item.pk), outcome=Outcome.SUCCESS
    )


def test_keep__records_the_decision_and_changes_nothing(open_campaign, reviewer, case_manager):
    item = item_of(open_campaign(), case_manager)

    decided = item_decide(actor=reviewer, item=item, decision=Decision.KEEP)

    assert (decided.decision, decided.decided_by, decided.note) == ("keep", reviewer, "")
    assert decided.decided_at is not None and decided.access_removed_at is None
    assert case_manager.memberships.get().active is True
    row = decided_row(item)
    assert (row.actor, row.subtype, row.target_type) == (reviewer, "keep", "governance.AccessReviewItem")
    assert row.detail["effect"] == {} and row.detail["subject"] == "cm" and row.detail["previous_decision"] == ""


def test_revoke__deactivates_the_membership_and_ends_sessions_and_tokens(api, open_campaign, reviewer, case_manager):
    item = item_of(open_campaign(), case_manager)
    browser = signed_in(case_manager)
    token = token_for(api, case_manager)
    assert browser.get(HOME).status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(CLIENTS_API).status_code == 200

    item_decide(actor=reviewer, item=item, decision=Decision.REVOKE, note="Moved to another team in June.")

    membership = case_manager.memberships.get()
    assert membership.active is False
    assert not case_manager.groups.exists()
    # The next request, by browser and by API token, is refused.
    response = browser.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert api.get(CLIENTS_API).status_code == 401
    assert str(case_manager.pk) not in session_users()
    revoked = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_REVOKED, target_id=str(membership.pk))
    assert revoked.actor == reviewer
    row = decided_row(item)
    assert row.subtype == "revoke"
    assert row.detail["effect"] == {"membership_revoked": True, "sessions_ended": 1, "tokens_deleted": 1}
    item.refresh_from_db()
    assert item.access_removed_at is not None and item.note == "Moved to another team in June."


def test_revoke__a_user_with_another_role_keeps_signed_in(open_campaign, reviewer, case_manager, provider):
    membership_grant(actor=None, user=case_manager, organization=provider, role=Role.PROVIDER_INTAKE)
    item = item_of(open_campaign(), case_manager)
    browser = signed_in(case_manager)

    item_decide(actor=reviewer, item=item, decision=Decision.REVOKE, note="Left the county team.")

    assert browser.get(HOME).status_code == 200
    assert set(case_manager.groups.values_list("name", flat=True)) == {"provider_intake"}
    assert "sessions_ended" not in decided_row(item).detail["effect"]


def test_revoke__a_share_deletes_the_grant_with_timeline_and_audit(
    api, open_campaign, reviewer, make_referral, case_manager, other_provider_intake
):
    referral = make_referral("sent")
    referral_share(actor=case_manager, referral=referral, colleague=other_provider_intake)
    api.as_user(other_provider_intake)
    assert api.get(f"/api/v1/referrals/{referral.pk}/").status_code == 200
    item = open_campaign().items.get(kind=ItemKind.OBJECT_PERMISSION)

    item_decide(actor=reviewer, item=item, decision=Decision.REVOKE, note="No longer involved in the case.")

    assert not ReferralUserObjectPermission.objects.filter(content_object=referral).exists()
    assert api.get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    item.refresh_from_db()
    assert item.grant is None and item.permission == "view_referral" and item.referral_id == referral.pk
    unshared = AuditEvent.objects.get(action=AuditAction.REFERRAL_UNSHARED)
    assert (unshared.actor, unshared.subtype, unshared.target_id) == (reviewer, "access_review", str(referral.pk))
    assert unshared.client_id == referral.client_id
    assert unshared.detail["colleague"] == str(other_provider_intake.pk)
    event = ReferralEvent.objects.get(referral=referral, name="unshare")
    assert event.actor == reviewer
    assert decided_row(item).detail["effect"]["grant_deleted"] is True
    # The colleague's own memberships and sign-in are untouched.
    assert other_provider_intake.memberships.get().active is True


def test_revoke__a_worker_assignment_also_clears_the_assigned_worker(
    open_campaign, reviewer, make_referral, provider_supervisor, provider_intake
):
    referral = make_referral("accepted")
    referral_assign_worker(actor=provider_supervisor, referral=referral, worker=provider_intake)
    item = open_campaign().items.get(kind=ItemKind.OBJECT_PERMISSION)

    item_decide(actor=reviewer, item=item, decision=Decision.REVOKE, note="Assignment ended.")

    referral = Referral.objects.get(pk=referral.pk)
    assert referral.assigned_worker is None
    assert referral.history.first().history_user == reviewer
    assert decided_row(item).detail["effect"]["assignment_cleared"] is True


def test_change_role__goes_through_the_membership_service(open_campaign, reviewer, case_manager):
    item = item_of(open_campaign(), case_manager)

    item_decide(
        actor=reviewer,
        item=item,
        decision=Decision.CHANGE_ROLE,
        new_role=Role.COUNTY_SUPERVISOR,
        note="Promoted to supervisor.",
    )

    membership = case_manager.memberships.get()
    assert (membership.role, membership.active) == (Role.COUNTY_SUPERVISOR, True)
    assert set(case_manager.groups.values_list("name", flat=True)) == {"county_supervisor"}
    changed = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_CHANGED, target_id=str(membership.pk))
    assert changed.actor == reviewer
    assert changed.detail["before"]["role"] == "case_manager"
    row = decided_row(item)
    assert row.detail["new_role"] == "county_supervisor"
    assert row.detail["effect"] == {"role_changed": {"from": "case_manager", "to": "county_supervisor"}}


@pytest.mark.parametrize(
    ("decision", "extra", "field"),
    [
        (Decision.REVOKE, {}, "note"),
        (Decision.CHANGE_ROLE, {"new_role": Role.COUNTY_SUPERVISOR}, "note"),
        (Decision.CHANGE_ROLE, {"note": "x", "new_role": "pope"}, "new_role"),
        (Decision.CHANGE_ROLE, {"note": "x", "new_role": Role.CASE_MANAGER}, "new_role"),
        ("", {}, "decision"),
    ],
)
def test_decide__input_errors(decision, extra, field, open_campaign, reviewer, case_manager):
    item = item_of(open_campaign(), case_manager)

    with pytest.raises(ValidationError) as refused:
        item_decide(actor=reviewer, item=item, decision=decision, **extra)

    assert field in refused.value.message_dict
    item.refresh_from_db()
    assert item.decision == "" and case_manager.memberships.get().role == Role.CASE_MANAGER


def test_change_role__on_a_grant_is_refused(
    open_campaign, reviewer, make_referral, case_manager, other_provider_intake
):
    referral_share(actor=case_manager, referral=make_referral("sent"), colleague=other_provider_intake)
    item = open_campaign().items.get(kind=ItemKind.OBJECT_PERMISSION)

    with pytest.raises(ValidationError, match="no role"):
        item_decide(actor=reviewer, item=item, decision=Decision.CHANGE_ROLE, new_role=Role.CASE_MANAGER, note="x")


@pytest.mark.parametrize("who", ["bystander_lead", "case_manager", "county_supervisor", "provider_supervisor"])
def test_decide__by_a_non_reviewer_is_refused_and_audited(who, request, open_campaign, county_supervisor):
    actor = request.getfixturevalue(who)
    item = item_of(open_campaign(), county_supervisor)

    with pytest.raises(NotAReviewer):
        item_decide(actor=actor, item=item, decision=Decision.REVOKE, note="Not mine to say.")

    item.refresh_from_db()
    assert item.decision == "" and county_supervisor.memberships.get().active is True
    row = AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_ITEM_DECIDED)
    assert (row.outcome, row.actor, row.target_id) == (Outcome.DENIED, actor, str(item.pk))


def test_decide__by_the_governance_lead_who_opened_it_is_allowed(open_campaign, governance_lead, case_manager):
    item = item_of(open_campaign(), case_manager)

    assert item_decide(actor=governance_lead, item=item, decision=Decision.KEEP).decided_by == governance_lead


def test_decide__own_access_is_refused(open_campaign, reviewer):
    item = item_of(open_campaign(), reviewer)

    with pytest.raises(NotAReviewer, match="own access"):
        item_decide(actor=reviewer, item=item, decision=Decision.KEEP)


def test_decide__on_a_closed_campaign_is_refused(open_campaign, reviewer, case_manager):
    campaign = open_campaign()
    item = item_of(campaign, case_manager)
    item_decide(actor=reviewer, item=item, decision=Decision.KEEP)
    campaign_cancel(actor=reviewer, campaign=campaign, note="Opened by mistake.")

    with pytest.raises(CampaignClosed):
        item_decide(actor=reviewer, item=item, decision=Decision.REVOKE, note="Too late.")

    assert case_manager.memberships.get().active is True
    refused = AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_ITEM_DECIDED, outcome=Outcome.FAILED)
    assert "cancelled" in refused.outcome_reason


def test_redecide__while_open_keeps_history(open_campaign, reviewer, governance_lead, case_manager):
    item = item_of(open_campaign(), case_manager)
    item_decide(actor=reviewer, item=item, decision=Decision.KEEP)

    item_decide(
        actor=governance_lead,
        item=item,
        decision=Decision.CHANGE_ROLE,
        new_role=Role.COUNTY_SUPERVISOR,
        note="On second look.",
    )

    item.refresh_from_db()
    assert (item.decision, item.decided_by) == ("change_role", governance_lead)
    assert list(item.history.order_by("history_id").values_list("decision", flat=True)) == ["", "keep", "change_role"]
    second = AuditEvent.objects.filter(action=AuditAction.ACCESS_REVIEW_ITEM_DECIDED).order_by("sequence").last()
    assert second.detail["previous_decision"] == "keep"


def test_redecide__after_revoke_is_refused(open_campaign, reviewer, case_manager):
    item = item_of(open_campaign(), case_manager)
    item_decide(actor=reviewer, item=item, decision=Decision.REVOKE, note="Left.")

    with pytest.raises(AlreadyRevoked):
        item_decide(actor=reviewer, item=item, decision=Decision.KEEP)

    assert Membership.objects.get(user=case_manager).active is False
