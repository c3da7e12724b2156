"""The governance admin pages: permission matrix, the forms call the services, CSV evidence, query budgets."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.choices import AuditAction
from audit.models import AuditEvent
from coordination.roles import Role
from governance.choices import CampaignStatus, Decision
from governance.export import COLUMNS
from governance.models import AccessReviewCampaign, AuditSample
from governance.services import item_decide, sample_draw
from providers.services import membership_grant
from tests.factories import UserFactory
from tests.factories import audit_event as make_event

from .support import item_of

pytestmark = pytest.mark.django_db

CAMPAIGNS = "/admin/governance/accessreviewcampaign/"
ITEMS = "/admin/governance/accessreviewitem/"
SAMPLES = "/admin/governance/auditsample/"
SAMPLE_ITEMS = "/admin/governance/auditsampleitem/"


@pytest.fixture
def campaign(open_campaign, case_manager):
    return open_campaign()


@pytest.fixture
def sample(governance_lead, reviewer, period, case_manager):
    make_event(action=AuditAction.CLIENT_VIEWED, actor=case_manager, client_id="11111111-1111-4111-8111-111111111111")
    return sample_draw(actor=governance_lead, period_start=period[0], period_end=period[1], size=5, reviewer=reviewer)


def pages(campaign, sample, case_manager) -> list[str]:
    item = item_of(campaign, case_manager)
    return [
        CAMPAIGNS,
        f"{CAMPAIGNS}add/",
        f"{CAMPAIGNS}{campaign.pk}/change/",
        f"{CAMPAIGNS}{campaign.pk}/evidence.csv",
        f"{CAMPAIGNS}{campaign.pk}/cancel/",
        ITEMS,
        f"{ITEMS}?campaign={campaign.pk}",
        f"{ITEMS}{item.pk}/decide/",
        f"{ITEMS}{item.pk}/history/",
        SAMPLES,
        f"{SAMPLES}add/",
        SAMPLE_ITEMS,
        f"{SAMPLE_ITEMS}{sample.items.get().pk}/review/",
    ]


def test_admin__governance_lead_reaches_every_page(client, governance_lead, campaign, sample, case_manager):
    client.force_login(governance_lead)
    for url in pages(campaign, sample, case_manager):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["case_manager", "county_supervisor", "provider_intake", "provider_supervisor"])
def test_admin__everyone_else_is_refused(who, request, client, campaign, sample, case_manager):
    client.force_login(request.getfixturevalue(who))
    for url in pages(campaign, sample, case_manager):
        response = client.get(url, follow=True)
        assert response.status_code == 403, url
        assert b"Access review" not in response.content


def test_admin__anonymous_is_sent_to_sign_in(client, campaign, sample, case_manager):
    for url in pages(campaign, sample, case_manager):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    assert not AuditEvent.objects.filter(action=AuditAction.ACCESS_REVIEW_EXPORTED).exists()


def test_admin__superuser_without_the_role_sees_no_governance_data(client, superuser, campaign, sample, case_manager):
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200
    assert client.get(CAMPAIGNS).status_code == 403
    assert client.get(f"{CAMPAIGNS}{campaign.pk}/evidence.csv").status_code == 403


def test_admin__unknown_item_answers_404(client, governance_lead, campaign):
    client.force_login(governance_lead)
    assert client.get(f"{ITEMS}999999/decide/").status_code == 404
    assert client.get(f"{ITEMS}not-a-number/decide/").status_code == 404


# --- opening and deciding through the pages -------------------------------------------------------------


def test_admin__open_form_calls_the_service(client, governance_lead, reviewer, county, case_manager):
    client.force_login(governance_lead)
    today = timezone.localdate()
    response = client.post(
        f"{CAMPAIGNS}add/",
        {
            "name": "Autumn review",
            "organizations": [county.pk],
            "reviewers": [reviewer.pk],
            "period_start": today.replace(day=1).isoformat(),
            "period_end": today.isoformat(),
            "due_at": (timezone.localtime() + datetime.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
        },
    )

    campaign = AccessReviewCampaign.objects.get(name="Autumn review")
    assert response.status_code == 302 and response["Location"].endswith(f"?campaign={campaign.pk}")
    assert campaign.items.filter(subject_user=case_manager).exists()
    opened = AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_OPENED)
    assert (opened.actor, opened.source) == (governance_lead, "admin")


def test_admin__open_form_shows_errors_and_offers_only_governance_reviewers(
    client, governance_lead, reviewer, case_manager, county
):
    client.force_login(governance_lead)
    form = client.get(f"{CAMPAIGNS}add/").context["form"]
    assert set(form.fields["reviewers"].queryset) == {governance_lead, reviewer}

    data = {"name": "x", "organizations": [county.pk], "reviewers": [case_manager.pk]}
    response = client.post(f"{CAMPAIGNS}add/", data)

    assert response.status_code == 200
    assert "reviewers" in response.context["form"].errors
    assert not AccessReviewCampaign.objects.exists()


def test_admin__decide_page_records_a_revoke(client, reviewer, campaign, case_manager):
    client.force_login(reviewer)
    item = item_of(campaign, case_manager)

    response = client.post(f"{ITEMS}{item.pk}/decide/", {"decision": "revoke", "note": "Left in May."})

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.decision, item.decided_by) == ("revoke", reviewer)
    assert case_manager.memberships.get().active is False
    decided = AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_ITEM_DECIDED)
    assert decided.source == "admin"


def test_admin__decide_page_shows_a_missing_note(client, reviewer, campaign, case_manager):
    client.force_login(reviewer)
    item = item_of(campaign, case_manager)

    response = client.post(f"{ITEMS}{item.pk}/decide/", {"decision": "revoke", "note": ""})

    assert response.status_code == 200
    assert "note" in response.context["form"].errors
    assert case_manager.memberships.get().active is True


def test_admin__decide_page_by_a_non_reviewer_is_refused(client, bystander_lead, campaign, case_manager):
    client.force_login(bystander_lead)
    item = item_of(campaign, case_manager)

    response = client.post(f"{ITEMS}{item.pk}/decide/", {"decision": "keep"}, follow=True)

    assert "reviewers" in " ".join(str(m) for m in response.context["messages"])
    item.refresh_from_db()
    assert item.decision == ""


def test_admin__bulk_decide_action(client, governance_lead, reviewer, campaign, case_manager):
    client.force_login(reviewer)
    ids = [item_of(campaign, case_manager).pk, item_of(campaign, governance_lead).pk, item_of(campaign, reviewer).pk]
    data = {"action": "decide_selected", "_selected_action": ids}

    confirm = client.post(ITEMS, data)
    assert confirm.status_code == 200 and "form" in confirm.context
    done = client.post(ITEMS, {**data, "apply": "1", "decision": "keep", "note": ""}, follow=True)

    messages = " ".join(str(m) for m in done.context["messages"])
    assert "Recorded the decision on 2 item(s)" in messages
    assert "own access" in messages  # the reviewer's own item is left for someone else
    assert campaign.items.filter(decision=Decision.KEEP).count() == 2


def test_admin__complete_action_reports_undecided_then_completes(client, governance_lead, reviewer, campaign):
    client.force_login(reviewer)
    data = {"action": "complete_selected", "_selected_action": [campaign.pk]}

    first = client.post(CAMPAIGNS, data, follow=True)
    assert "still undecided" in " ".join(str(m) for m in first.context["messages"])
    for item in campaign.items.exclude(subject_user=reviewer):
        item_decide(actor=reviewer, item=item, decision=Decision.KEEP)
    item_decide(actor=governance_lead, item=item_of(campaign, reviewer), decision=Decision.KEEP)
    client.post(CAMPAIGNS, data)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED


def test_admin__cancel_page(client, governance_lead, campaign):
    client.force_login(governance_lead)

    client.post(f"{CAMPAIGNS}{campaign.pk}/cancel/", {"note": "Opened twice."})

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED


def test_admin__campaign_list_shows_progress_and_overdue(client, governance_lead, reviewer, campaign, case_manager):
    item_decide(actor=reviewer, item=item_of(campaign, case_manager), decision=Decision.KEEP)
    AccessReviewCampaign.objects.filter(pk=campaign.pk).update(due_at=timezone.now() - datetime.timedelta(days=1))
    client.force_login(governance_lead)

    response = client.get(CAMPAIGNS)

    row = response.context["cl"].result_list[0]
    admin = response.context["cl"].model_admin
    assert admin.progress(row) == "1 / 3"
    assert admin.overdue(row) is True


# --- CSV evidence ---------------------------------------------------------------------------------------


def test_admin__evidence_csv_holds_items_evidence_and_decisions(
    client, governance_lead, reviewer, campaign, case_manager
):
    item = item_of(campaign, case_manager)
    item_decide(actor=reviewer, item=item, decision=Decision.REVOKE, note="=cmd|' /C calc'!A0")
    client.force_login(governance_lead)

    response = client.get(f"{CAMPAIGNS}{campaign.pk}/evidence.csv")

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert list(rows[0]) == COLUMNS
    assert sorted(r["username"] for r in rows) == ["cm", "gov", "reviewer"]
    cm = next(r for r in rows if r["username"] == "cm")
    assert (cm["decision"], cm["decided_by"], cm["role"]) == ("revoke", "reviewer", "case_manager")
    assert cm["note"].startswith("'=")  # a spreadsheet shows it as text
    assert cm["clients_accessed"] == "0" and cm["roles_held"] == "Case manager at Lakeside County Human Services"
    assert cm["decided_at"] and cm["access_removed_at"]
    assert json.loads(cm["evidence"])["denied_attempts"] == 0
    assert next(r for r in rows if r["username"] == "gov")["decision"] == "undecided"
    exported = AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_EXPORTED)
    assert (exported.actor, exported.target_id, exported.detail["rows"]) == (governance_lead, str(campaign.pk), 3)


def test_admin__evidence_export_action_needs_one_campaign(client, governance_lead, campaign, open_campaign):
    other = open_campaign(name="other")
    client.force_login(governance_lead)

    action = {"action": "export_evidence"}
    one = client.post(CAMPAIGNS, {**action, "_selected_action": [campaign.pk]})
    two = client.post(CAMPAIGNS, {**action, "_selected_action": [campaign.pk, other.pk]}, follow=True)

    assert one["Content-Type"].startswith("text/csv")
    assert "exactly one" in " ".join(str(m) for m in two.context["messages"])
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REVIEW_EXPORTED).count() == 1


# --- samples through the pages --------------------------------------------------------------------------


def test_admin__draw_form_and_verdict_form(client, governance_lead, reviewer, case_manager, period):
    make_event(action=AuditAction.CLIENT_VIEWED, actor=case_manager, client_id="22222222-2222-4222-8222-222222222222")
    client.force_login(governance_lead)
    response = client.post(
        f"{SAMPLES}add/",
        {"period_start": period[0], "period_end": period[1], "size": 3, "reviewer": reviewer.pk},
    )
    sample = AuditSample.objects.get()
    assert response.status_code == 302 and sample.items.count() == 1

    client.force_login(reviewer)
    item = sample.items.get()
    listing = client.get(f"{SAMPLE_ITEMS}?sample={sample.pk}")
    assert b"22222222-2222-4222-8222-222222222222" in listing.content
    listed = AuditEvent.objects.filter(action=AuditAction.AUDIT_LISTED, subtype="audit-sample").last()
    assert listed.detail["client_ids"] == ["22222222-2222-4222-8222-222222222222"]
    verdict = {"verdict": "inappropriate", "note": "No referral for this client."}
    client.post(f"{SAMPLE_ITEMS}{item.pk}/review/", verdict)

    item.refresh_from_db()
    assert (item.verdict, item.reviewed_by) == ("inappropriate", reviewer)


# --- query budgets --------------------------------------------------------------------------------------


def _staff(county, count: int) -> None:
    for _ in range(count):
        membership_grant(actor=None, user=UserFactory(), organization=county, role=Role.CASE_MANAGER)


def test_admin__item_list_queries_do_not_grow_with_items(client, governance_lead, open_campaign, county):
    client.force_login(governance_lead)

    def queries_for(staff: int) -> int:
        _staff(county, staff)
        campaign = open_campaign(name=f"with {staff}")
        client.get(f"{ITEMS}?campaign={campaign.pk}")  # warm up (session, content types)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{ITEMS}?campaign={campaign.pk}")
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == campaign.items.count()
        return len(queries)

    assert queries_for(2) == queries_for(12)


def test_admin__campaign_list_queries_do_not_grow_with_campaigns(client, governance_lead, open_campaign):
    client.force_login(governance_lead)

    def queries_for(campaigns: int) -> int:
        for n in range(campaigns):
            open_campaign(name=f"c{n}")
        client.get(CAMPAIGNS)
        with CaptureQueriesContext(connection) as queries:
            client.get(CAMPAIGNS)
        return len(queries)

    assert queries_for(2) == queries_for(10)
