"""The new-referral steps and the referral detail page with its actions, through the Django test client."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from audit.choices import AuditAction
from referrals.models import Referral
from tests.factories import ClientFactory, ServiceFactory

NEW = reverse("referrals:new")


def _detail(referral):
    return reverse("referrals:detail", args=[referral.pk])


def _act(client, referral, name, version=None, **fields):
    """Post one action form of the detail page as the browser would (fields prefixed by the action name)."""
    data = {"transition": name, f"{name}-version": referral.version if version is None else version}
    data.update({f"{name}-{key}": value for key, value in fields.items()})
    return client.post(reverse("referrals:transition", args=[referral.pk]), data)


def _status(referral) -> str:
    referral.refresh_from_db()
    return referral.status


@pytest.fixture
def details():
    return {
        "category": "food-insecurity",
        "urgency": "urgent",
        "reason": "Lost her job; the cupboard is empty.",
        "risk_flags": ["medical-fragility"],
        "contact_constraints": "Do not leave voicemail.",
        "safe_contact_times": "Weekdays 9-12",
        "eligibility_basis": ["income", "county-resident"],
        "eligibility_note": "",
        "language": "es",
        "interpreter_needed": "on",
    }


# New referral, step by step


def test_new_referral__find_client_then_describe_need_choose_service_review_and_send(
    client, case_manager, county_client, service, provider, details, audit_rows
):
    full = ServiceFactory(organization=provider, name="Full Pantry", capacity_status="no-capacity")
    client.force_login(case_manager)

    found = client.get(NEW, {"q": "maria"})
    assert found.status_code == 200
    assertContains(found, f'href="{NEW}?client={county_client.pk}"')
    listed = audit_rows(AuditAction.CLIENT_LISTED)
    assert [row.detail["client_ids"] for row in listed] == [[str(county_client.pk)]]

    form = client.get(NEW, {"client": county_client.pk})
    assertContains(form, "New referral for Maria Lopez")
    assert form.context["form"]["language"].value() == county_client.preferred_language

    response = client.post(NEW, {"client": county_client.pk, **details})
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:draft_service", args=[referral.pk])
    assert referral.status == "draft"
    assert referral.urgency == "urgent"
    assert referral.risk_flags == ["medical-fragility"]
    assert referral.eligibility_basis == ["income", "county-resident"]
    assert referral.language == "es"
    assert referral.interpreter_needed is True
    assert referral.created_by == case_manager

    choose = client.get(reverse("referrals:draft_service", args=[referral.pk]))
    assert [o.service for o in choose.context["options"]] == [service]
    assertContains(choose, "serves 97401")
    assertContains(choose, "Show services with no capacity")
    with_full = client.get(reverse("referrals:draft_service", args=[referral.pk]), {"show_full": "1"})
    assert {o.service for o in with_full.context["options"]} == {service, full}

    response = client.post(
        reverse("referrals:draft_service", args=[referral.pk]),
        {"service": str(service.pk), "version": referral.version},
    )
    assert response["Location"] == reverse("referrals:draft_review", args=[referral.pk])
    referral.refresh_from_db()
    assert referral.service == service

    review = client.get(reverse("referrals:draft_review", args=[referral.pk]))
    for text in ("Maria", "Harbor Food Pantry", "Lost her job", "Medical fragility", "Income", "Weekdays 9-12"):
        assertContains(review, text)

    response = client.post(reverse("referrals:draft_review", args=[referral.pk]), {"version": referral.version})
    assert response["Location"] == _detail(referral)
    referral.refresh_from_db()
    assert referral.status == "sent"
    assert referral.sent_at is not None
    assert referral.receiving_organization == provider
    page = client.get(_detail(referral))
    assertContains(page, f"Referral {referral.reference} was sent to Harbor Community Health.")
    assert [e.name for e in page.context["timeline"]] == ["create", "edit", "submit"]


def test_new_referral__validation_errors_are_shown_next_to_the_fields(client, case_manager, county_client, details):
    client.force_login(case_manager)
    bad = {**details, "reason": "", "eligibility_basis": ["other"], "category": "", "risk_flags": ["made-up"]}
    response = client.post(NEW, {"client": county_client.pk, **bad})
    assert response.status_code == 400
    assert Referral.objects.count() == 0
    html = response.content.decode()
    assert '<ul class="errorlist" id="id_reason_error"><li>This field is required.</li></ul>' in html
    assert 'id="id_eligibility_note_error"><li>Describe the eligibility basis when it is &#x27;other&#x27;.' in html
    assert 'id="id_category_error"' in html
    assert 'id="id_risk_flags_error"' in html
    assertContains(response, "Nothing was saved", status_code=400)


def test_new_referral__service_must_be_chosen(client, case_manager, make_referral):
    draft = make_referral("draft", service=None)
    client.force_login(case_manager)
    url = reverse("referrals:draft_service", args=[draft.pk])
    response = client.post(url, {"version": draft.version})
    assert response.status_code == 400
    assertContains(response, "Choose a service.", status_code=400)
    review = client.get(reverse("referrals:draft_review", args=[draft.pk]))
    assert review["Location"] == url


def test_new_referral__client_of_another_organization_is_404(client, case_manager, provider, audit_rows):
    stranger = ClientFactory(organization=provider)
    client.force_login(case_manager)
    assert client.get(NEW, {"client": stranger.pk}).status_code == 404
    assert client.get(NEW, {"client": "not-a-uuid"}).status_code == 404
    assert len(audit_rows(AuditAction.OBJECT_ACCESS_DENIED)) == 1


def test_new_referral__draft_resumes_and_can_be_edited(client, case_manager, make_referral, details):
    draft = make_referral("draft")
    client.force_login(case_manager)
    page = client.get(_detail(draft))
    assertContains(page, "Continue this draft")
    response = client.post(
        reverse("referrals:draft_details", args=[draft.pk]),
        {**details, "reason": "Needs groceries and diapers.", "version": draft.version},
    )
    assert response["Location"] == reverse("referrals:draft_review", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.reason == "Needs groceries and diapers."


def test_new_referral__sent_referral_is_no_longer_editable(client, case_manager, make_referral):
    sent = make_referral("sent")
    client.force_login(case_manager)
    for name in ("draft_details", "draft_service", "draft_review"):
        response = client.get(reverse(f"referrals:{name}", args=[sent.pk]))
        assert response["Location"] == _detail(sent)


def test_new_referral__provider_cannot_edit_a_draft(client, provider_intake, make_referral):
    draft = make_referral("draft")
    client.force_login(provider_intake)
    # Drafts are never shown to the provider: the same 404 as for a missing referral.
    assert client.get(reverse("referrals:draft_review", args=[draft.pk])).status_code == 404


# Detail page


def test_detail__shows_template_client_timeline_and_audits_one_view(
    client, case_manager, provider_intake, make_referral, audit_rows
):
    referral = make_referral("declined")
    client.force_login(case_manager)
    response = client.get(_detail(referral))
    assert response.status_code == 200
    for text in ("Needs help with groceries", "Maria", "Lopez", "541-555-0100", "No capacity", "Declined"):
        assertContains(response, text)
    # (The factory builds the draft directly, so the timeline starts at sending.)
    timeline = response.context["timeline"]
    assert [e.title for e in timeline] == ["Sent to provider", "Declined"]
    assert timeline[1].who == provider_intake.get_full_name()
    assert timeline[1].organization == "Harbor Community Health"
    assert ("Reason", "No capacity") in timeline[1].details
    viewed = audit_rows(AuditAction.REFERRAL_VIEWED)
    assert len(viewed) == 1
    assert viewed[0].client_id == referral.client_id
    assert viewed[0].target_id == str(referral.pk)
    assert "county" in viewed[0].detail["client_fields"]


def test_detail__provider_sees_fewer_client_fields(client, provider_intake, make_referral, audit_rows):
    referral = make_referral("sent")
    referral.client.address_line = "12 Secret Lane"
    referral.client.save()
    client.force_login(provider_intake)
    response = client.get(_detail(referral))
    assertContains(response, "Maria")
    assertNotContains(response, "12 Secret Lane")
    assertNotContains(response, "County</dt>")
    assert "address_line" not in audit_rows(AuditAction.REFERRAL_VIEWED)[0].detail["client_fields"]


def test_detail__offers_only_the_actions_of_the_viewers_side(client, case_manager, provider_intake, make_referral):
    referral = make_referral("sent")
    client.force_login(provider_intake)
    names = [f.transition.name for f in client.get(_detail(referral)).context["action_forms"]]
    danger = [f.transition.name for f in client.get(_detail(referral)).context["danger_forms"]]
    assert names == ["acknowledge", "accept"]
    assert danger == ["decline"]
    client.force_login(case_manager)
    response = client.get(_detail(referral))
    assert response.context["action_forms"] == []
    assert [f.transition.name for f in response.context["danger_forms"]] == ["cancel"]
    assertContains(response, 'id="action-cancel"')
    assertNotContains(response, 'id="action-accept"')


def test_detail__provider_works_the_referral_from_acknowledge_to_close(client, provider_intake, make_referral):
    referral = make_referral("sent")
    client.force_login(provider_intake)

    assert _act(client, referral, "acknowledge").status_code == 302
    assert _status(referral) == "acknowledged"
    assert _act(client, referral, "accept", note="We have room this week.").status_code == 302
    assert _status(referral) == "accepted"

    assert _act(client, referral, "record_contact_attempt", contact_result="no-answer").status_code == 302
    assert _status(referral) == "in_progress"
    assert referral.contact_attempts == 1
    assert referral.last_contact_result == "no-answer"
    assert referral.first_contact_at is not None

    when = timezone.localtime() + datetime.timedelta(days=3)
    response = _act(client, referral, "schedule", appointment_at=when.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 302
    referral.refresh_from_db()
    assert timezone.localtime(referral.appointment_at).strftime("%Y-%m-%d %H:%M") == when.strftime("%Y-%m-%d %H:%M")

    assert _act(client, referral, "start_service").status_code == 302
    assert _status(referral) == "in_progress"
    assert referral.service_started_at is not None

    assert _act(client, referral, "hold", reason_code="awaiting-documents").status_code == 302
    assert _status(referral) == "on_hold"
    assert referral.hold_reason == "awaiting-documents"
    assert _act(client, referral, "resume").status_code == 302
    assert _status(referral) == "in_progress"
    assert referral.hold_reason == ""

    response = _act(client, referral, "close", outcome_code="service-completed", note="Food delivered.")
    assert response["Location"] == _detail(referral)
    assert _status(referral) == "closed"
    assert referral.outcome == "service-completed"

    page = client.get(_detail(referral))
    assertContains(page, "Close: referral")
    timeline = page.context["timeline"]
    assert [e.title for e in timeline] == [
        "Sent to provider",
        "Receipt acknowledged",
        "Accepted",
        "Contact attempt recorded",
        "Appointment scheduled",
        "Service started",
        "Put on hold",
        "Resumed",
        "Closed",
    ]
    assert ("Result", "No answer") in timeline[3].details
    assert ("Reason", "Awaiting documents") in timeline[6].details
    assert ("Outcome", "Service completed") in timeline[-1].details
    assert timeline[-1].note == "Food delivered."
    assert page.context["action_forms"] == []


def test_detail__decline_needs_a_reason_and_confirmation(client, provider_intake, make_referral):
    referral = make_referral("sent")
    client.force_login(provider_intake)
    response = _act(client, referral, "decline")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_decline-reason_code_error"' in html
    assert 'id="id_decline-confirm_error"><li>Tick the box to confirm.' in html
    assert _status(referral) == "sent"

    response = _act(client, referral, "decline", reason_code="outside-service-area", confirm="on")
    assert response.status_code == 302
    assert _status(referral) == "declined"
    assert referral.decline_reason == "outside-service-area"


def test_detail__decline_for_other_needs_a_note(client, provider_intake, make_referral):
    referral = make_referral("sent")
    client.force_login(provider_intake)
    response = _act(client, referral, "decline", reason_code="other", confirm="on")
    assert response.status_code == 400
    assertContains(response, 'id="id_decline-note_error"><li>Explain &#x27;other&#x27; in a note.', status_code=400)
    assert _status(referral) == "sent"
    response = _act(client, referral, "decline", reason_code="other", confirm="on", note="Closed for renovation.")
    assert response.status_code == 302
    assert _status(referral) == "declined"
    assert referral.status_note == "Closed for renovation."


def test_detail__bad_appointment_time_is_shown_next_to_the_field(client, provider_intake, make_referral):
    referral = make_referral("accepted")
    client.force_login(provider_intake)
    response = _act(client, referral, "schedule", appointment_at="next tuesday")
    assert response.status_code == 400
    assertContains(response, 'id="id_schedule-appointment_at_error"', status_code=400)
    far = (timezone.localtime() + datetime.timedelta(days=900)).strftime("%Y-%m-%dT%H:%M")
    response = _act(client, referral, "schedule", appointment_at=far)
    assert response.status_code == 400
    assertContains(response, "The appointment must be within the next two years.", status_code=400)
    assert _status(referral) == "accepted"


def test_detail__stale_version_is_refused_and_the_current_state_shown(
    client, provider_intake, make_referral, audit_rows
):
    referral = make_referral("sent")
    loaded_version = referral.version
    client.force_login(provider_intake)
    assert _act(client, referral, "acknowledge").status_code == 302  # someone else, in another tab

    response = _act(client, referral, "accept", version=loaded_version)
    assert response.status_code == 409
    assertContains(response, "This referral changed since you loaded it", status_code=409)
    assertContains(response, '<dd id="referral-status">Acknowledged</dd>', status_code=409)
    assert _status(referral) == "acknowledged"
    # The re-rendered forms carry the current version, so a retry works.
    assert response.context["action_forms"][0].initial["version"] == referral.version
    assert len(audit_rows(AuditAction.REFERRAL_TRANSITION_REFUSED)) == 1
    assert len(audit_rows(AuditAction.REFERRAL_VIEWED)) == 1


def test_detail__action_no_longer_possible_explains_why(client, provider_intake, make_referral):
    referral = make_referral("closed")
    client.force_login(provider_intake)
    response = _act(client, referral, "accept")
    assert response.status_code == 409
    assertContains(response, "Cannot accept: this referral is closed", status_code=409)


def test_detail__referrer_cancels_with_a_reason_and_reroutes(client, case_manager, provider, make_referral):
    other_service = ServiceFactory(organization=provider, name="Harbor Mobile Pantry", postal_codes=["97401"])
    referral = make_referral("sent")
    client.force_login(case_manager)
    response = _act(client, referral, "cancel", reason_code="wrong-service", confirm="on")
    assert response.status_code == 302
    assert _status(referral) == "cancelled"
    assert referral.cancel_reason == "wrong-service"

    page = client.get(_detail(referral))
    assertContains(page, "Choose another service")
    reroute = reverse("referrals:reroute", args=[referral.pk])
    choose = client.get(reroute)
    assert [o.service for o in choose.context["options"]] == [other_service]
    response = client.post(reroute, {"service": str(other_service.pk), "version": referral.version})
    new = Referral.objects.get(rerouted_from=referral)
    assert response["Location"] == reverse("referrals:draft_review", args=[new.pk])
    assert new.status == "draft"
    assert new.service == other_service
    assert new.reason == referral.reason
    assertContains(client.get(_detail(referral)), f"Referral {new.reference}")
    assert client.get(reroute)["Location"] == _detail(referral)  # only once


def test_detail__provider_supervisor_assigns_a_worker(client, provider_supervisor, provider_intake, make_referral):
    referral = make_referral("accepted")
    client.force_login(provider_supervisor)
    page = client.get(_detail(referral))
    assert provider_intake in page.context["assign_form"].fields["worker"].queryset
    response = client.post(reverse("referrals:assign_worker", args=[referral.pk]), {"worker": provider_intake.pk})
    assert response["Location"] == _detail(referral)
    referral.refresh_from_db()
    assert referral.assigned_worker == provider_intake
    page = client.get(_detail(referral))
    assertContains(page, f"is now assigned to {provider_intake.get_full_name()}")
    assert page.context["timeline"][-1].title == "Assigned"


def test_detail__intake_cannot_assign(client, provider_intake, make_referral):
    referral = make_referral("accepted")
    client.force_login(provider_intake)
    assert client.get(_detail(referral)).context["assign_form"] is None
    response = client.post(reverse("referrals:assign_worker", args=[referral.pk]), {"worker": provider_intake.pk})
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.assigned_worker is None


def test_detail__case_manager_shares_with_a_colleague(client, case_manager, other_provider_intake, make_referral):
    referral = make_referral("sent")
    client.force_login(case_manager)
    response = client.post(reverse("referrals:share", args=[referral.pk]), {"colleague": other_provider_intake.pk})
    assert response["Location"] == _detail(referral)
    assertContains(client.get(_detail(referral)), "is now shared with otherintake")
    client.force_login(other_provider_intake)
    shared = client.get(_detail(referral))
    assert shared.status_code == 200
    assert shared.context["action_forms"] == []
    assert shared.context["danger_forms"] == []


def test_detail__unknown_action_changes_nothing(client, provider_intake, make_referral):
    referral = make_referral("sent")
    client.force_login(provider_intake)
    response = client.post(reverse("referrals:transition", args=[referral.pk]), {"transition": "teleport"})
    assert response.status_code == 400
    assertContains(response, "That action does not exist.", status_code=400)
    assert _status(referral) == "sent"


def test_detail__hold_and_cancel_for_other_need_a_note(client, case_manager, provider_intake, make_referral):
    held = make_referral("accepted")
    client.force_login(provider_intake)
    response = _act(client, held, "hold", reason_code="other")
    assertContains(response, 'id="id_hold-note_error"', status_code=400)
    assert _status(held) == "accepted"
    client.force_login(case_manager)
    response = _act(client, held, "cancel", reason_code="other", confirm="on")
    assertContains(response, 'id="id_cancel-note_error"', status_code=400)
    assert _status(held) == "accepted"
