"""Opening a campaign: one item per active membership and live referral grant in scope, with evidence in bulk."""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent, AuditEventClient
from coordination.roles import Role
from governance.choices import CampaignStatus, ItemKind
from governance.errors import NotAllowed
from governance.models import AccessReviewItem
from governance.services import campaign_open
from providers.services import membership_grant, membership_revoke
from referrals.assignment import referral_assign_worker, referral_share
from tests.factories import UserFactory
from tests.factories import audit_event as make_event

from .support import item_of

pytestmark = pytest.mark.django_db

CLIENT_A, CLIENT_B, CLIENT_C, CLIENT_D, CLIENT_E, CLIENT_F, CLIENT_G = (uuid.uuid4() for _ in range(7))


def test_open__one_item_per_active_membership_in_scope(
    open_campaign, case_manager, county_supervisor, governance_lead, reviewer, provider_intake, county
):
    leaver = UserFactory(username="leaver")
    left = membership_grant(actor=None, user=leaver, organization=county, role=Role.CASE_MANAGER)
    membership_revoke(actor=None, membership=left)

    campaign = open_campaign()

    memberships = campaign.items.filter(kind=ItemKind.MEMBERSHIP)
    assert sorted(memberships.values_list("subject_username", flat=True)) == ["cm", "gov", "reviewer", "sup"]
    item = item_of(campaign, case_manager)
    assert (item.organization, item.organization_name, item.role) == (county, county.name, Role.CASE_MANAGER)
    assert item.membership == case_manager.memberships.get()
    assert item.decision == "" and campaign.status == CampaignStatus.OPEN
    assert campaign.created_by == governance_lead


def test_open__includes_live_grants_held_in_scope_or_on_scope_referrals(
    open_campaign,
    make_referral,
    case_manager,
    provider_supervisor,
    provider_intake,
    other_provider_intake,
    county,
    provider,
    other_provider,
):
    shared = make_referral("sent")
    referral_share(actor=case_manager, referral=shared, colleague=other_provider_intake)
    assigned = make_referral("accepted")
    referral_assign_worker(actor=provider_supervisor, referral=assigned, worker=provider_intake)
    expired = make_referral("sent")
    referral_share(
        actor=case_manager,
        referral=expired,
        colleague=provider_intake,
        expires_at=timezone.now() + datetime.timedelta(minutes=1),
    )
    expired.user_grants.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))

    by_referral = open_campaign(organizations=[county]).items.filter(kind=ItemKind.OBJECT_PERMISSION)
    by_holder = open_campaign(organizations=[other_provider], name="Northside").items.filter(
        kind=ItemKind.OBJECT_PERMISSION
    )

    rows = {(i.subject_username, i.permission, i.referral_id, i.organization_name) for i in by_referral}
    assert rows == {
        ("otherintake", "view_referral", shared.pk, county.name),
        ("intake", "change_referral", assigned.pk, county.name),
    }
    # Scoped to the holder's organization only: the share held by its staff, attributed to that organization.
    assert [(i.subject_username, i.referral_id, i.organization_name) for i in by_holder] == [
        ("otherintake", shared.pk, other_provider.name)
    ]
    grant_item = by_referral.get(permission="view_referral")
    assert grant_item.grant == shared.user_grants.get()
    assert grant_item.evidence["granted_by"] == "cm"


def test_open__evidence_is_counted_from_the_trail_in_the_period(open_campaign, case_manager, county_supervisor):
    now = timezone.now()
    inside, outside = now - datetime.timedelta(days=5), now - datetime.timedelta(days=45)
    read = {"actor": case_manager, "recorded_at": inside}
    make_event(action=AuditAction.CLIENT_VIEWED, client_id=CLIENT_A, **read)
    make_event(action=AuditAction.CLIENT_VIEWED, client_id=CLIENT_A, **read)  # same client again: still one
    make_event(action=AuditAction.CLIENT_VIEWED, client_id=CLIENT_B, **read)
    make_event(action=AuditAction.REFERRAL_VIEWED, client_id=CLIENT_A, **read)  # a referral read names the client
    listed = make_event(action=AuditAction.CLIENT_LISTED, detail={"client_ids": [str(CLIENT_A), str(CLIENT_C)]}, **read)
    for client_id in (CLIENT_A, CLIENT_C):
        AuditEventClient.objects.create(event=listed, client_id=client_id)
    make_event(action=AuditAction.CLIENT_UPDATED, client_id=CLIENT_E, **read)  # a change, not a read
    latest = now - datetime.timedelta(days=2)
    make_event(
        action=AuditAction.OBJECT_ACCESS_DENIED,
        outcome=Outcome.DENIED,
        client_id=CLIENT_D,
        actor=case_manager,
        recorded_at=latest,
    )
    make_event(action=AuditAction.REFERRAL_TRANSITION_REFUSED, outcome=Outcome.DENIED, **read)
    make_event(action=AuditAction.CLIENT_VIEWED, client_id=CLIENT_F, actor=case_manager, recorded_at=outside)
    make_event(action=AuditAction.OBJECT_ACCESS_DENIED, outcome=Outcome.DENIED, actor=case_manager, recorded_at=outside)
    make_event(action=AuditAction.CLIENT_VIEWED, client_id=CLIENT_G, actor=county_supervisor, recorded_at=inside)
    case_manager.last_login = now - datetime.timedelta(days=1)
    case_manager.save(update_fields=["last_login"])

    campaign = open_campaign()

    evidence = item_of(campaign, case_manager).evidence
    assert evidence["clients_accessed"] == 3  # A, B, C
    assert evidence["denied_attempts"] == 2
    assert evidence["last_activity"] == latest.isoformat()
    assert evidence["last_login"] == case_manager.last_login.isoformat()
    assert evidence["roles_held"] == [
        {"organization": "Lakeside County Human Services", "role": "case_manager", "role_label": "Case manager"}
    ]
    other = item_of(campaign, county_supervisor).evidence
    assert (other["clients_accessed"], other["denied_attempts"], other["last_login"]) == (1, 0, None)


def test_open__roles_held_lists_every_active_role_anywhere(open_campaign, case_manager, provider, county):
    membership_grant(actor=None, user=case_manager, organization=provider, role=Role.PROVIDER_INTAKE)

    roles = item_of(open_campaign(), case_manager).evidence["roles_held"]

    assert {(r["organization"], r["role"]) for r in roles} == {
        (county.name, "case_manager"),
        (provider.name, "provider_intake"),
    }


def test_open__grant_evidence_counts_reads_of_that_referral(
    open_campaign, make_referral, case_manager, other_provider_intake
):
    referral = make_referral("sent")
    referral_share(actor=case_manager, referral=referral, colleague=other_provider_intake)
    for _ in range(3):
        make_event(
            action=AuditAction.REFERRAL_VIEWED,
            actor=other_provider_intake,
            target_type="referrals.Referral",
            target_id=str(referral.pk),
            client_id=referral.client_id,
        )

    item = open_campaign().items.get(kind=ItemKind.OBJECT_PERMISSION)

    assert item.evidence["referral_reads"] == 3
    assert item.evidence["clients_accessed"] == 1


def test_open__is_audited(open_campaign, governance_lead, reviewer, county, period):
    campaign = open_campaign()

    row = AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_OPENED)
    assert (row.actor, row.target_id) == (governance_lead, str(campaign.pk))
    assert row.target_type == "governance.AccessReviewCampaign"
    assert row.detail["organizations"] == [str(county.pk)]
    assert row.detail["reviewers"] == [reviewer.pk]
    assert row.detail["items"] == {"membership": 2, "object_permission": 0}
    assert row.detail["period"] == [period[0].isoformat(), period[1].isoformat()]


def test_open__query_count_does_not_grow_with_items(governance_lead, reviewer, county, period):
    def opening_queries(staff: int) -> int:
        for _ in range(staff):
            membership_grant(actor=None, user=UserFactory(), organization=county, role=Role.CASE_MANAGER)
        with CaptureQueriesContext(connection) as queries:
            campaign_open(
                actor=governance_lead,
                name="Q",
                organizations=[county],
                reviewers=[reviewer],
                period_start=period[0],
                period_end=period[1],
                due_at=timezone.now() + datetime.timedelta(days=3),
            )
        return len(queries)

    assert opening_queries(2) == opening_queries(10)


@pytest.mark.parametrize("who", ["case_manager", "county_supervisor", "provider_supervisor", "no_role_user"])
def test_open__by_non_governance_is_refused(who, request, reviewer, county, period):
    with pytest.raises(NotAllowed):
        campaign_open(
            actor=request.getfixturevalue(who),
            name="Q",
            organizations=[county],
            reviewers=[reviewer],
            period_start=period[0],
            period_end=period[1],
            due_at=timezone.now() + datetime.timedelta(days=3),
        )
    assert not AccessReviewItem.objects.exists()


def test_open__reviewers_must_be_governance_leads_and_dates_must_make_sense(
    governance_lead, case_manager, county, period
):
    with pytest.raises(ValidationError) as refused:
        campaign_open(
            actor=governance_lead,
            name=" ",
            organizations=[county],
            reviewers=[case_manager],
            period_start=period[1],
            period_end=period[0],
            due_at=timezone.now() - datetime.timedelta(hours=1),
        )
    assert set(refused.value.message_dict) == {"name", "reviewers", "period_end", "due_at"}
    assert "cm" in refused.value.message_dict["reviewers"][0]
