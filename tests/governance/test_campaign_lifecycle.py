"""Completing, cancelling, and the daily reminder of overdue campaigns (to reviewers only, through the outbox)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from coordination.models import OutboxMessage
from coordination.roles import Role
from governance.choices import CampaignStatus, Decision
from governance.errors import CampaignClosed, CampaignIncomplete, NotAReviewer
from governance.services import campaign_cancel, campaign_complete, campaigns_remind_overdue, item_decide
from governance.tasks import remind_overdue_access_reviews
from providers.services import membership_grant
from tests.factories import UserFactory

from .support import item_of

pytestmark = pytest.mark.django_db


def decide_all(campaign, actor, decision=Decision.KEEP):
    for item in campaign.items.all():
        item_decide(actor=actor, item=item, decision=decision)


def test_complete__refused_while_items_are_undecided(open_campaign, governance_lead, reviewer, case_manager):
    campaign = open_campaign()
    item_decide(actor=reviewer, item=item_of(campaign, case_manager), decision=Decision.KEEP)

    with pytest.raises(CampaignIncomplete, match="2 of 3 items are still undecided"):
        campaign_complete(actor=reviewer, campaign=campaign)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.OPEN and campaign.completed_at is None
    refused = AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_COMPLETED)
    assert (refused.outcome, refused.actor) == (Outcome.FAILED, reviewer)


def test_complete__when_all_decided_closes_and_is_audited(open_campaign, governance_lead, reviewer, case_manager):
    campaign = open_campaign()
    # The reviewer's own item is decided by the lead who opened the campaign.
    item_decide(actor=governance_lead, item=item_of(campaign, reviewer), decision=Decision.KEEP)
    item_decide(actor=reviewer, item=item_of(campaign, governance_lead), decision=Decision.KEEP)
    item_decide(actor=reviewer, item=item_of(campaign, case_manager), decision=Decision.REVOKE, note="Left.")

    done = campaign_complete(actor=reviewer, campaign=campaign)

    assert done.status == CampaignStatus.COMPLETED and done.completed_at is not None
    row = AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_COMPLETED)
    assert (row.outcome, row.actor, row.target_id) == (Outcome.SUCCESS, reviewer, str(campaign.pk))
    assert row.detail["decisions"] == {"keep": 2, "revoke": 1}
    with pytest.raises(CampaignClosed):
        campaign_complete(actor=reviewer, campaign=campaign)


def test_complete__by_a_non_reviewer_is_refused(open_campaign, bystander_lead, reviewer, governance_lead):
    campaign = open_campaign()

    with pytest.raises(NotAReviewer):
        campaign_complete(actor=bystander_lead, campaign=campaign)

    assert AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_COMPLETED).outcome == Outcome.DENIED


def test_cancel__needs_a_note_and_is_audited(open_campaign, governance_lead):
    campaign = open_campaign()
    with pytest.raises(ValidationError):
        campaign_cancel(actor=governance_lead, campaign=campaign, note=" ")

    campaign_cancel(actor=governance_lead, campaign=campaign, note="Duplicate of the June campaign.")

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    row = AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_CANCELLED)
    assert row.detail["note"] == "Duplicate of the June campaign."


# --- reminders ------------------------------------------------------------------------------------------


@pytest.fixture
def second_reviewer(county):
    user = UserFactory(username="reviewer2", email="reviewer2@example.org")
    membership_grant(actor=None, user=user, organization=county, role=Role.GOVERNANCE_LEAD)
    return user


def remind(captured) -> int:
    with captured(execute=True):
        return campaigns_remind_overdue()


def test_remind__only_overdue_once_a_day_and_only_reviewers(
    django_capture_on_commit_callbacks, mailoutbox, open_campaign, reviewer, second_reviewer, case_manager
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        campaign = open_campaign(reviewers=[reviewer, second_reviewer], due_in=datetime.timedelta(days=2))
        assert remind(django_capture_on_commit_callbacks) == 0  # not due yet

    with time_machine.travel(start + datetime.timedelta(days=2, hours=1), tick=False):
        assert remind(django_capture_on_commit_callbacks) == 1
    assert sorted(m.to[0] for m in mailoutbox) == ["reviewer2@example.org", "reviewer@example.org"]
    assert all(len(m.to) == 1 for m in mailoutbox)  # reviewers do not see each other's addresses
    assert campaign.name in mailoutbox[0].subject
    assert "4 item(s) are still undecided" in mailoutbox[0].body
    assert f"?campaign={campaign.pk}" in mailoutbox[0].body

    with time_machine.travel(start + datetime.timedelta(days=3), tick=False):
        assert remind(django_capture_on_commit_callbacks) == 0  # 23 hours later: not again
    assert len(mailoutbox) == 2

    with time_machine.travel(start + datetime.timedelta(days=3, hours=2), tick=False):
        assert remind(django_capture_on_commit_callbacks) == 1
    assert len(mailoutbox) == 4
    rows = AuditEvent.objects.filter(action=AuditAction.ACCESS_REVIEW_REMINDED, target_id=str(campaign.pk))
    assert rows.count() == 2
    assert rows.first().detail["reviewers"] == sorted([reviewer.pk, second_reviewer.pk])
    assert OutboxMessage.objects.filter(event="access_review.reminder", processed_at__isnull=False).count() == 2


def test_remind__not_for_decided_cancelled_or_completed_campaigns(
    django_capture_on_commit_callbacks, mailoutbox, open_campaign, governance_lead, reviewer
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        decided = open_campaign(due_in=datetime.timedelta(hours=1), name="all decided")
        item_decide(actor=governance_lead, item=item_of(decided, reviewer), decision=Decision.KEEP)
        item_decide(actor=reviewer, item=item_of(decided, governance_lead), decision=Decision.KEEP)
        cancelled = open_campaign(due_in=datetime.timedelta(hours=1), name="cancelled")
        campaign_cancel(actor=governance_lead, campaign=cancelled, note="Not needed.")

    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        assert remind(django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []


def test_remind__reviewer_without_email_is_noted_not_mailed(
    django_capture_on_commit_callbacks, mailoutbox, open_campaign, reviewer
):
    reviewer.email = ""
    reviewer.save(update_fields=["email"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        open_campaign(due_in=datetime.timedelta(hours=1))
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        assert remind(django_capture_on_commit_callbacks) == 1

    assert mailoutbox == []
    row = AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_REMINDED)
    assert row.detail["without_email"] == [reviewer.pk] and row.source == "system"


def test_remind_task__wraps_the_service_as_a_task(django_capture_on_commit_callbacks, mailoutbox, open_campaign):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        open_campaign(due_in=datetime.timedelta(hours=1))
    with (
        time_machine.travel(start + datetime.timedelta(hours=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert remind_overdue_access_reviews.delay().get() == 1

    assert len(mailoutbox) == 1
    assert AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_REMINDED).source == "task"
