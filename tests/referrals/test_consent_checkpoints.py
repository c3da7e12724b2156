"""Consent checkpoints in the referral workflow: the send is blocked without consent, reads are narrowed by it."""

import datetime

import pytest
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from consent.services import consent_revoke
from referrals.errors import ConsentRequired
from referrals.models import Referral, ReferralEvent
from referrals.services import referral_create, referral_transition
from tests.factories import ClientFactory, ReferralFactory, full_consent


def _rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


@pytest.fixture
def unconsented_client(county):
    return ClientFactory(organization=county, given_name="Ines", family_name="Ortega", postal_code="97401")


def test_submit_without_consent__blocked_nothing_sent_one_denied_audit_row(case_manager, unconsented_client, service):
    draft = ReferralFactory(client=unconsented_client, service=service, created_by=case_manager)
    events_before = ReferralEvent.objects.filter(referral=draft).count()
    with pytest.raises(ConsentRequired) as blocked:
        referral_transition(actor=case_manager, referral=draft, name="submit")
    assert "Consent does not permit sending this referral" in blocked.value.message
    assert "no consent for healthcare partners for demographics (COC)" in blocked.value.message
    draft.refresh_from_db()
    assert (draft.status, draft.sent_at, draft.version) == ("draft", None, 1)
    assert ReferralEvent.objects.filter(referral=draft).count() == events_before
    [row] = _rows(AuditAction.DISCLOSURE_BLOCKED)
    assert (row.outcome, row.client_id, row.purpose_of_use, row.actor) == (
        Outcome.DENIED,
        unconsented_client.pk,
        "COC",
        case_manager,
    )
    assert row.detail["recipient"] == str(service.organization_id)
    assert set(row.detail["withheld"]) >= {"demographics", "contact", "referral-reason"}


def test_create_and_submit_blocked__leaves_no_draft_and_one_audit_row(case_manager, unconsented_client, service):
    with pytest.raises(ConsentRequired):
        referral_create(
            actor=case_manager,
            client=unconsented_client,
            service=service,
            data={"category": "food-insecurity", "reason": "Needs food."},
            submit=True,
        )
    assert not Referral.objects.exists()
    [row] = _rows(AuditAction.DISCLOSURE_BLOCKED)
    assert (row.subtype, row.client_id, row.target_id) == ("create-and-submit", unconsented_client.pk, "")


def test_consent_for_other_partners_only__names_what_is_missing(case_manager, unconsented_client, service):
    full_consent(unconsented_client, partner_categories=["housing"])
    draft = ReferralFactory(client=unconsented_client, service=service)
    with pytest.raises(ConsentRequired) as blocked:
        referral_transition(actor=case_manager, referral=draft, name="submit")
    assert "no consent for healthcare partners" in blocked.value.message


def test_sensitive_substance_use__needs_consent_naming_the_provider(case_manager, unconsented_client, service):
    full_consent(unconsented_client)  # every partner category, but no Part 2 permit
    draft = ReferralFactory(client=unconsented_client, service=service, sensitive_categories=["substance-use"])
    with pytest.raises(ConsentRequired) as blocked:
        referral_transition(actor=case_manager, referral=draft, name="submit")
    assert f"no consent naming {service.organization.name}" in blocked.value.message

    named = full_consent(unconsented_client, organizations=[service.organization])
    sent = referral_transition(actor=case_manager, referral=draft, name="submit")
    assert sent.status == "sent"
    [row] = _rows(AuditAction.REFERRAL_TRANSITIONED)
    assert str(named.pk) in row.consents


def test_allowed_send__audit_names_the_consent_relied_on(make_referral, county_client):
    sent = make_referral("sent")
    [row] = [r for r in _rows(AuditAction.REFERRAL_TRANSITIONED) if r.subtype == "submit"]
    assert row.consents == [str(county_client.consents.get().pk)]
    assert sent.status == "sent"


def test_expired_consent__blocks_the_send(case_manager, unconsented_client, service):
    last_month = timezone.localdate() - datetime.timedelta(days=40)
    full_consent(unconsented_client, start=last_month, end=last_month + datetime.timedelta(days=5))
    draft = ReferralFactory(client=unconsented_client, service=service)
    with pytest.raises(ConsentRequired):
        referral_transition(actor=case_manager, referral=draft, name="submit")


# --- the API ---------------------------------------------------------------------------------------------


def test_api_submit_without_consent__403_consent_required(api, case_manager, unconsented_client, service):
    draft = ReferralFactory(client=unconsented_client, service=service)
    response = api.as_user(case_manager).post(
        f"/api/v1/referrals/{draft.pk}/transitions/", {"name": "submit"}, format="json"
    )
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "consent_required"
    assert "no consent for healthcare partners" in body["detail"]
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_api_create_with_submit_without_consent__403_and_nothing_created(
    api, case_manager, unconsented_client, service
):
    payload = {
        "client": str(unconsented_client.pk),
        "service": str(service.pk),
        "category": "food-insecurity",
        "reason": "Needs food.",
        "submit": True,
    }
    response = api.as_user(case_manager).post("/api/v1/referrals/", payload, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "consent_required")
    assert not Referral.objects.exists()


def test_api_disclosure_preview__lines_and_missing(api, case_manager, unconsented_client, service):
    full_consent(unconsented_client, data_categories=["demographics", "contact"])
    draft = ReferralFactory(client=unconsented_client, service=service, risk_flags=["safety-risk"])
    response = api.as_user(case_manager).get(f"/api/v1/referrals/{draft.pk}/disclosure-preview/")
    assert response.status_code == 200
    body = response.json()
    assert body["recipient"]["slug"] == service.organization.slug
    assert body["complete"] is False
    verdicts = {line["category"]: line["permitted"] for line in body["lines"]}
    assert verdicts == {"demographics": True, "contact": True, "referral-reason": False, "risk-flags": False}
    assert "referral reason" in body["missing"].lower()
    [row] = [r for r in _rows(AuditAction.REFERRAL_VIEWED) if r.subtype == "disclosure-preview"]
    assert row.client_id == unconsented_client.pk


def test_api_disclosure_preview__provider_403_other_provider_404(
    api, make_referral, provider_intake, other_provider_intake
):
    sent = make_referral("sent")
    url = f"/api/v1/referrals/{sent.pk}/disclosure-preview/"
    assert api.as_user(provider_intake).get(url).status_code == 403
    assert api.as_user(other_provider_intake).get(url).status_code == 404


def test_api_revocation_takes_effect_on_the_next_request(
    api, make_referral, county_client, case_manager, provider_intake
):
    sent = make_referral("accepted", risk_flags=["safety-risk"], contact_constraints="Call after 5pm.")
    client = api.as_user(provider_intake)
    before = client.get(f"/api/v1/referrals/{sent.pk}/").json()
    assert before["client"]["phone"] == county_client.phone
    assert before["reason"] and before["risk_flags"] == ["safety-risk"] and before["withheld"] == []

    consent_revoke(actor=case_manager, consent=county_client.consents.get(), reason="Client asked", method="verbal")

    after = client.get(f"/api/v1/referrals/{sent.pk}/").json()
    assert set(after["client"]) == {"id"}
    for hidden in ("reason", "risk_flags", "contact_constraints", "safe_contact_times", "eligibility_basis"):
        assert hidden not in after
    assert {w["category"] for w in after["withheld"]} >= {"demographics", "contact", "referral-reason", "risk-flags"}
    assert county_client.phone not in str(after)
    viewed = [r for r in _rows(AuditAction.REFERRAL_VIEWED) if r.subtype == ""]
    assert viewed[-1].detail["withheld"]["contact"].startswith("no consent for healthcare partners")
    assert viewed[0].consents == [str(county_client.consents.get().pk)]


def test_api_referrer_sees_everything_without_consent(api, case_manager, unconsented_client, service):
    draft = ReferralFactory(client=unconsented_client, service=service)
    body = api.as_user(case_manager).get(f"/api/v1/referrals/{draft.pk}/").json()
    assert body["client"]["phone"] == unconsented_client.phone
    assert body["withheld"] == [] and body["reason"]


def test_api_list__withheld_per_row_without_extra_queries_per_row(
    api, make_referral, county, provider_intake, django_assert_max_num_queries
):
    referrals = [make_referral("sent", client=ClientFactory(organization=county)) for _ in range(2)]
    consent_revoke(
        actor=referrals[0].created_by, consent=referrals[0].client.consents.get(), reason="Withdrawn", method="written"
    )
    rows = {r["id"]: r for r in api.as_user(provider_intake).get("/api/v1/referrals/").json()["results"]}
    assert set(rows[str(referrals[0].pk)]["client"]) == {"id"}
    assert rows[str(referrals[1].pk)]["client"]["given_name"] == referrals[1].client.given_name


# --- the pages -------------------------------------------------------------------------------------------


def test_review_page__shows_the_preview_and_disables_send_without_consent(
    client, case_manager, unconsented_client, service
):
    draft = ReferralFactory(client=unconsented_client, service=service)
    client.force_login(case_manager)
    page = client.get(f"/referrals/{draft.pk}/review/")
    body = page.content.decode()
    assert f"What {service.organization.name} will see" in body
    assert "Consent does not permit sending this referral" in body
    assert "disabled" in body
    blocked = client.post(f"/referrals/{draft.pk}/review/", {"version": draft.version})
    assert blocked.status_code == 403
    assert "no consent for healthcare partners" in blocked.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_detail_page__provider_sees_withheld_after_revocation(
    client, make_referral, county_client, case_manager, provider_intake
):
    sent = make_referral("accepted", risk_flags=["safety-risk"])
    consent_revoke(actor=case_manager, consent=county_client.consents.get(), reason="Withdrawn", method="verbal")
    client.force_login(provider_intake)
    body = client.get(f"/referrals/{sent.pk}/").content.decode()
    assert "Some information is withheld" in body
    assert "Not shared with you" in body
    assert county_client.phone not in body
    assert sent.reason not in body


def test_search_by_client_name__only_where_the_searcher_may_read_the_client(
    api, make_referral, county_client, case_manager, provider_intake
):
    sent = make_referral("sent")
    by_name = "/api/v1/referrals/?q=Lopez"
    assert [r["id"] for r in api.as_user(case_manager).get(by_name).json()["results"]] == [str(sent.pk)]
    # The provider may see the name under consent, but searching by it would also work after a revocation:
    # so names are never searchable from the receiving side; the reference is.
    assert api.as_user(provider_intake).get(by_name).json()["count"] == 0
    by_reference = f"/api/v1/referrals/?q={sent.reference}"
    assert api.as_user(provider_intake).get(by_reference).json()["count"] == 1


def test_api_list_audit__records_what_consent_withheld_on_which_referral(
    api, make_referral, county, county_client, case_manager, provider_intake
):
    withdrawn = make_referral("sent")
    kept = make_referral("sent", client=ClientFactory(organization=county))
    consent_revoke(actor=case_manager, consent=county_client.consents.get(), reason="Withdrawn", method="verbal")

    api.as_user(provider_intake).get("/api/v1/referrals/")

    [row] = _rows(AuditAction.REFERRAL_LISTED)
    assert set(row.detail["withheld"]) == {str(withdrawn.pk)}
    assert row.detail["withheld"][str(withdrawn.pk)]["contact"].startswith("no consent for healthcare partners")
    assert row.consents == [str(kept.client.consents.get().pk)]


def test_inbox_page_audit__records_what_consent_withheld(
    client, make_referral, county_client, case_manager, provider_intake
):
    withdrawn = make_referral("sent")
    consent_revoke(actor=case_manager, consent=county_client.consents.get(), reason="Withdrawn", method="verbal")
    client.force_login(provider_intake)
    body = client.get("/referrals/inbox/").content.decode()
    assert "Name withheld (no consent)" in body and "Lopez" not in body
    [row] = _rows(AuditAction.REFERRAL_LISTED)
    assert set(row.detail["withheld"]) == {str(withdrawn.pk)}


def test_revocation_applies_to_a_real_api_token_on_its_next_request(
    client, make_referral, county_client, case_manager, provider_intake
):
    from tests.factories import PASSWORD

    sent = make_referral("accepted")
    token = client.post(
        "/api/v1/auth/token/",
        {"username": provider_intake.username, "password": PASSWORD},
        content_type="application/json",
    ).json()["token"]
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get(f"/api/v1/referrals/{sent.pk}/", **headers).json()["client"]["phone"] == county_client.phone

    consent_revoke(actor=case_manager, consent=county_client.consents.get(), reason="Withdrawn", method="written")

    after = client.get(f"/api/v1/referrals/{sent.pk}/", **headers).json()
    assert set(after["client"]) == {"id"} and county_client.phone not in str(after)


def test_preview_fields__follow_the_exchange_catalog_of_the_receiving_staff(
    api, case_manager, county_client, service, provider_intake
):
    from consent.models import ExchangeUseCase

    ExchangeUseCase.objects.create(
        slug="food-intake",
        name="Food referral",
        referral_categories=["food-insecurity"],
        receiving_role="provider_intake",
        data_elements=["given_name", "family_name", "phone", "reason"],
    )
    draft = ReferralFactory(client=county_client, service=service)
    body = api.as_user(case_manager).get(f"/api/v1/referrals/{draft.pk}/disclosure-preview/").json()
    fields = {line["category"]: line["fields"] for line in body["lines"]}
    assert fields["demographics"] == ["given_name", "family_name"]
    assert fields["contact"] == ["phone"]
    assert fields["referral-reason"] == ["reason"]


def test_break_glass_for_another_client__opens_nothing_and_reads_as_coordination(
    api, make_referral, county, county_client, case_manager, provider_intake
):
    from consent.break_glass import break_glass_start

    withdrawn = make_referral("accepted")
    other = make_referral("accepted", client=ClientFactory(organization=county))
    consent_revoke(actor=case_manager, consent=county_client.consents.get(), reason="Withdrawn", method="verbal")
    break_glass_start(actor=provider_intake, client=other.client, reason="Client collapsed at the pantry door.")

    body = api.as_user(provider_intake).get(f"/api/v1/referrals/{withdrawn.pk}/", HTTP_X_PURPOSE_OF_USE="BTG").json()
    assert set(body["client"]) == {"id"}
    viewed = [r for r in _rows(AuditAction.REFERRAL_VIEWED) if r.target_id == str(withdrawn.pk)]
    assert viewed[-1].purpose_of_use == "COC"


def test_timeline_notes__withheld_from_others_when_the_reason_is(
    api, client, make_referral, county_client, case_manager, provider_intake
):
    from referrals.disclosure import NOTE_WITHHELD

    sent = make_referral("acknowledged")
    referral_transition(
        actor=case_manager,
        referral=sent,
        name="cancel",
        reason_code="other",
        note="Maria moved in with her sister in Eugene.",
    )
    consent_revoke(actor=case_manager, consent=county_client.consents.get(), reason="Withdrawn", method="verbal")

    events = api.as_user(provider_intake).get(f"/api/v1/referrals/{sent.pk}/events/").json()
    [cancel] = [e for e in events if e["name"] == "cancel"]
    assert cancel["note"] == NOTE_WITHHELD
    assert "Eugene" not in str(events)
    [row] = [r for r in _rows(AuditAction.REFERRAL_VIEWED) if r.subtype == "events"]
    assert "referral-reason" in row.detail["withheld"]
    detail = api.get(f"/api/v1/referrals/{sent.pk}/").json()
    assert "status_note" not in detail and "Eugene" not in str(detail)

    client.force_login(provider_intake)
    body = client.get(f"/referrals/{sent.pk}/").content.decode()
    assert "Eugene" not in body and "Note withheld" in body

    # The county wrote it, so the county still reads it.
    mine = api.as_user(case_manager).get(f"/api/v1/referrals/{sent.pk}/events/").json()
    assert [e["note"] for e in mine if e["name"] == "cancel"] == ["Maria moved in with her sister in Eugene."]


def test_timeline_notes__a_provider_reads_its_own_notes_whatever_consent_says(
    api, make_referral, county_client, case_manager, provider_intake
):
    accepted = make_referral("accepted")
    referral_transition(
        actor=provider_intake,
        referral=accepted,
        name="record_contact_attempt",
        contact_result="reached",
        note="Met at 3",
    )
    consent_revoke(actor=case_manager, consent=county_client.consents.get(), reason="Withdrawn", method="verbal")
    events = api.as_user(provider_intake).get(f"/api/v1/referrals/{accepted.pk}/events/").json()
    assert [e["note"] for e in events if e["name"] == "record_contact_attempt"] == ["Met at 3"]
