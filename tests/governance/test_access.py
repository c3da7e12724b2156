"""Who sees and works campaigns and samples: governance leads see all, reviewers theirs, nobody else any."""

import pytest
from django.contrib.auth.models import AnonymousUser

from coordination.access import Action
from governance.models import AccessReviewCampaign, AccessReviewItem, AuditSample, AuditSampleItem
from governance.services import sample_draw

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(open_campaign):
    return open_campaign()


def visible(model, user, action=Action.VIEW) -> int:
    return model.objects.visible_to(user, action).count()


def test_governance_leads_see_every_campaign_and_item(campaign, bystander_lead, reviewer, governance_lead):
    for user in (bystander_lead, reviewer, governance_lead):
        assert visible(AccessReviewCampaign, user) == 1
        assert visible(AccessReviewItem, user) == campaign.items.count() > 0


@pytest.mark.parametrize(
    "who", ["case_manager", "county_supervisor", "provider_intake", "data_steward", "no_role_user", "superuser"]
)
def test_nobody_else_sees_campaigns_or_samples(who, request, campaign, governance_lead, reviewer, period):
    sample_draw(actor=governance_lead, period_start=period[0], period_end=period[1], size=5, reviewer=reviewer)
    user = request.getfixturevalue(who)

    for model in (AccessReviewCampaign, AccessReviewItem, AuditSample, AuditSampleItem):
        for action in Action:
            assert visible(model, user, action) == 0, (model, action)


def test_anonymous_sees_nothing(campaign):
    assert visible(AccessReviewCampaign, AnonymousUser()) == 0


def test_a_named_reviewer_without_the_role_still_sees_only_their_campaign(campaign, open_campaign, case_manager):
    campaign.reviewers.add(case_manager)  # e.g. lost the governance role after being named
    open_campaign(name="another")

    assert list(AccessReviewCampaign.objects.visible_to(case_manager)) == [campaign]
    # ...but may no longer work it.
    assert visible(AccessReviewCampaign, case_manager, Action.CHANGE) == 0


def test_only_reviewers_and_the_opener_may_work_a_campaign(campaign, reviewer, governance_lead, bystander_lead):
    assert visible(AccessReviewCampaign, reviewer, Action.CHANGE) == 1
    assert visible(AccessReviewCampaign, governance_lead, Action.CHANGE) == 1
    assert visible(AccessReviewCampaign, bystander_lead, Action.CHANGE) == 0
    assert visible(AccessReviewItem, bystander_lead, Action.CHANGE) == 0
    assert visible(AccessReviewCampaign, bystander_lead, Action.DELETE) == 0
