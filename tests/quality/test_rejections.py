"""Every refused send is counted once; a submission refused again and again asks a data steward for help."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.choices import AuditAction
from audit.models import AuditEvent
from exceptionqueue.models import ExceptionItem
from quality.models import RejectionProblem, ValidationRejection
from referrals.models import Referral
from referrals.services import referral_create, referral_transition
from referrals.validation.rejection import TemplateRejected

pytestmark = pytest.mark.django_db

INCOMPLETE = {
    "category": "food-insecurity",
    "urgency": "routine",
    "reason": "Needs groceries.",
    "eligibility_basis": [],
}


def _refuse(actor, referral):
    with pytest.raises(TemplateRejected):
        referral_transition(actor=actor, referral=referral, name="submit")


def test_refusal__one_row_per_attempt_with_who_where_and_which_rules(client, case_manager, county, make_referral):
    draft = make_referral("draft", eligibility_basis=[], contact_method="")
    client.force_login(case_manager)
    for _ in range(2):
        response = client.post(reverse("referrals:draft_review", args=[draft.pk]), {"version": draft.version})
        assert response.status_code == 400
    rows = list(ValidationRejection.objects.order_by("id"))
    assert len(rows) == 2
    for row in rows:
        assert (row.organization, row.user, row.channel, row.referral_id, row.client_id) == (
            county,
            case_manager,
            "page",
            draft.pk,
            draft.client_id,
        )
        assert row.codes == ["required"]
        assert sorted(RejectionProblem.objects.filter(rejection=row).values_list("field", "kind")) == [
            ("contact_method", "missing"),
            ("eligibility_basis", "missing"),
        ]
    assert AuditEvent.objects.filter(action=AuditAction.REFERRAL_SUBMISSION_REJECTED, subtype="page").count() == 2


def test_refusal__create_and_send_through_the_service_is_counted_once(case_manager, county_client, service):
    with pytest.raises(TemplateRejected):
        referral_create(actor=case_manager, client=county_client, data=INCOMPLETE, service=service, submit=True)
    assert not Referral.objects.exists()
    [row] = ValidationRejection.objects.all()
    assert (row.referral_id, row.client_id, row.channel) == (None, county_client.pk, "other")
    assert AuditEvent.objects.filter(action=AuditAction.REFERRAL_SUBMISSION_REJECTED).count() == 1


def test_repeated__third_refusal_of_one_draft_opens_one_exception_for_the_data_stewards(
    case_manager, county, make_referral
):
    draft = make_referral("draft", eligibility_basis=[])
    _refuse(case_manager, draft)
    _refuse(case_manager, draft)
    assert not ExceptionItem.objects.exists()
    _refuse(case_manager, draft)
    _refuse(case_manager, draft)  # a fourth attempt finds the open item
    [item] = ExceptionItem.objects.all()
    assert (item.kind, item.owner_organization, item.owner_role, item.severity, item.status) == (
        "validation-rejected",
        county,
        "data_steward",
        "medium",
        "open",
    )
    assert (item.referral_id, item.client_id, item.dedupe_key) == (
        draft.pk,
        draft.client_id,
        f"validation-rejected:referral:{draft.pk}",
    )
    assert item.detail["rejections"] == 3 and item.detail["codes"] == ["required"]
    assert draft.reference in item.summary
    assert draft.client.family_name not in item.summary


def test_repeated__create_and_send_counts_per_user_and_client(case_manager, county_client, service, county):
    for _ in range(3):
        with pytest.raises(TemplateRejected):
            referral_create(actor=case_manager, client=county_client, data=INCOMPLETE, service=service, submit=True)
    [item] = ExceptionItem.objects.all()
    assert (item.client_id, item.referral_id, item.owner_role) == (county_client.pk, None, "data_steward")
    assert item.dedupe_key == f"validation-rejected:client:{county_client.pk}:user:{case_manager.pk}"


def test_repeated__the_steward_sees_it_in_the_queue(client, data_steward, case_manager, make_referral):
    draft = make_referral("draft", eligibility_basis=[])
    for _ in range(3):
        _refuse(case_manager, draft)
    client.force_login(data_steward)
    page = client.get(reverse("exceptionqueue:queue"))
    assert page.status_code == 200
    assert draft.reference in page.content.decode()


def test_warnings_only__nothing_counted(case_manager, make_referral):
    draft = make_referral("draft", urgency="crisis", risk_flags=[])
    for _ in range(3):
        _refuse(case_manager, draft)
    assert not ValidationRejection.objects.exists()
    assert not ExceptionItem.objects.exists()
