"""Each rule of the referral template, valid / missing / invalid / contradictory, through the page flow and the API.

Every case starts from a draft that would be sent as is (`make_referral("draft")`: the county client, the
food service serving 97401), changes one thing, and sends it on the review page and through
`POST .../transitions/ {"name": "submit"}`. Both channels must refuse with the same field, rule code and
message, count the refusal once, and leave the draft unsent.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from clients.models import Client
from providers.models import Service, ServiceArea
from quality.models import RejectionProblem, ValidationRejection
from referrals.models import Referral
from tests.factories import PostalCodeFactory

pytestmark = pytest.mark.django_db


def _referral(**fields) -> Callable:
    def apply(draft, client, service):
        Referral.objects.filter(pk=draft.pk).update(**fields)

    return apply


def _client(**fields) -> Callable:
    def apply(draft, client, service):
        Client.objects.filter(pk=client.pk).update(**fields)

    return apply


def _service(**fields) -> Callable:
    def apply(draft, client, service):
        Service.objects.filter(pk=service.pk).update(**fields)

    return apply


def _both(*steps) -> Callable:
    def apply(draft, client, service):
        for step in steps:
            step(draft, client, service)

    return apply


def _known_code(code: str, county: str = "Lakeside") -> Callable:
    def apply(draft, client, service):
        PostalCodeFactory(code=code, county=county)

    return apply


def _serves_county(county: str) -> Callable:
    def apply(draft, client, service):
        ServiceArea.objects.create(service=service, kind="county", value=county)

    return apply


@dataclass(frozen=True)
class Case:
    id: str
    setup: Callable
    field: str
    code: str
    kind: str  # missing, invalid or contradictory: what the rule is about


REFUSED = [
    Case("contact-method-missing", _referral(contact_method=""), "contact_method", "required", "missing"),
    Case(
        "phone-without-phone",
        _both(_referral(contact_method="phone"), _client(phone="")),
        "contact_method",
        "contact-method-without-detail",
        "contradictory",
    ),
    Case(
        "text-without-phone",
        _both(_referral(contact_method="text"), _client(phone="")),
        "contact_method",
        "contact-method-without-detail",
        "contradictory",
    ),
    Case(
        "email-without-email",
        _both(_referral(contact_method="email"), _client(email="")),
        "contact_method",
        "contact-method-without-detail",
        "contradictory",
    ),
    Case(
        "do-not-contact-directly-by-phone",
        _referral(risk_flags=["do-not-contact-directly"], contact_method="phone"),
        "contact_method",
        "direct-contact-not-allowed",
        "contradictory",
    ),
    Case("language-missing", _referral(language="", interpreter_needed=False), "language", "required", "missing"),
    Case(
        "interpreter-without-language",
        _referral(language="", interpreter_needed=True),
        "language",
        "interpreter-without-language",
        "contradictory",
    ),
    Case("urgency-missing", _referral(urgency=""), "urgency", "required", "missing"),
    Case("reason-missing", _referral(reason=" "), "reason", "required", "missing"),
    Case("eligibility-missing", _referral(eligibility_basis=[]), "eligibility_basis", "required", "missing"),
    Case(
        "eligibility-other-without-note",
        _referral(eligibility_basis=["other"], eligibility_note=""),
        "eligibility_note",
        "required",
        "missing",
    ),
    Case("address-missing", _client(address_line=""), "client.address_line", "required", "missing"),
    Case("postal-code-missing", _client(postal_code=""), "client.postal_code", "required", "missing"),
    Case("postal-code-malformed", _client(postal_code="974O1"), "client.postal_code", "invalid-postal-code", "invalid"),
    Case("postal-code-unknown", _client(postal_code="97999"), "client.postal_code", "unknown-postal-code", "invalid"),
    Case("phone-malformed", _client(phone="call me"), "client.phone", "invalid-phone", "invalid"),
    Case("phone-punctuation-only", _client(phone="-------"), "client.phone", "invalid-phone", "invalid"),
    Case("phone-too-few-digits", _client(phone="1 2 3 4 5 6"), "client.phone", "invalid-phone", "invalid"),
    Case("email-malformed", _client(email="maria@"), "client.email", "invalid-email", "invalid"),
    Case(
        "birth-date-in-future",
        _client(birth_date=timezone.localdate() + datetime.timedelta(days=1)),
        "client.birth_date",
        "birth-date-in-future",
        "invalid",
    ),
    Case(
        "birth-date-implausible",
        _client(birth_date=datetime.date(1850, 1, 1)),
        "client.birth_date",
        "implausible-birth-date",
        "invalid",
    ),
    Case(
        "younger-than-the-service",
        _both(_client(birth_date=timezone.localdate() - datetime.timedelta(days=365 * 30)), _service(minimum_age=60)),
        "service",
        "age-outside-service-range",
        "contradictory",
    ),
    Case(
        "older-than-the-service",
        _both(_client(birth_date=datetime.date(1950, 1, 1)), _service(maximum_age=24)),
        "service",
        "age-outside-service-range",
        "contradictory",
    ),
    Case(
        "outside-the-service-area",
        _both(_known_code("97402"), _client(postal_code="97402")),
        "service",
        "outside-service-area",
        "contradictory",
    ),
]

# The same rules satisfied: each of these drafts is sent.
VALID = [
    pytest.param(lambda d, c, s: None, id="as-made"),
    pytest.param(_both(_referral(contact_method="email"), _client(email="maria@example.org")), id="email-with-email"),
    pytest.param(_both(_referral(contact_method="mail")), id="mail-with-address"),
    pytest.param(
        _both(_referral(contact_method="through-referrer"), _client(phone="", email="")), id="through-referrer"
    ),
    pytest.param(
        _referral(risk_flags=["do-not-contact-directly"], contact_method="through-referrer"), id="flagged-indirect"
    ),
    pytest.param(_referral(language="vi", interpreter_needed=True), id="interpreter-with-language"),
    pytest.param(_referral(eligibility_basis=["other"], eligibility_note="Veteran's widow."), id="other-with-note"),
    pytest.param(_client(postal_code="97401-1234"), id="zip-plus-four"),
    pytest.param(_client(phone="+1 (541) 555.0100"), id="phone-with-punctuation"),
    pytest.param(
        _both(_client(birth_date=datetime.date(1950, 1, 1)), _service(minimum_age=60, maximum_age=90)), id="age-fits"
    ),
    pytest.param(
        _both(_known_code("97402"), _client(postal_code="97402"), _serves_county("Lakeside")), id="county-area"
    ),
    pytest.param(_service(), id="service-without-age-limits"),
    pytest.param(_referral(urgency="crisis", risk_flags=["self-harm-risk"]), id="crisis-with-risk-flag"),
]


@pytest.fixture
def draft(make_referral):
    return make_referral("draft")


def _page_send(client, user, referral, **extra):
    client.force_login(user)
    referral.refresh_from_db()
    return client.post(reverse("referrals:draft_review", args=[referral.pk]), {"version": referral.version, **extra})


def _api_send(api, user, referral, **extra):
    referral.refresh_from_db()
    body = {"name": "submit", "version": referral.version, **extra}
    return api.as_user(user).post(f"/api/v1/referrals/{referral.pk}/transitions/", body, format="json")


def _status(referral) -> str:
    return Referral.objects.values_list("status", flat=True).get(pk=referral.pk)


# --- refused -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.id)
def test_refused__on_the_review_page(case, client, case_manager, draft, county_client, service):
    case.setup(draft, county_client, service)
    response = _page_send(client, case_manager, draft)

    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-code="{case.code}"' in html
    assert "The referral was not sent" in html
    assert _status(draft) == "draft"
    [rejection] = ValidationRejection.objects.all()
    assert (rejection.channel, rejection.referral_id, rejection.user) == ("page", draft.pk, case_manager)
    assert case.code in rejection.codes
    assert RejectionProblem.objects.filter(rejection=rejection, field=case.field, code=case.code, kind=case.kind)


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.id)
def test_refused__over_the_api(case, api, case_manager, draft, county_client, service):
    case.setup(draft, county_client, service)
    response = _api_send(api, case_manager, draft)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_template"
    assert case.code in body["error_codes"][case.field]
    assert body["errors"][case.field]
    assert _status(draft) == "draft"
    [rejection] = ValidationRejection.objects.all()
    assert (rejection.channel, rejection.referral_id, rejection.user) == ("api", draft.pk, case_manager)
    assert RejectionProblem.objects.filter(rejection=rejection, field=case.field, code=case.code, kind=case.kind)


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.id)
def test_refused__page_and_api_say_the_same(case, client, api, case_manager, draft, county_client, service):
    case.setup(draft, county_client, service)
    body = _api_send(api, case_manager, draft).json()
    html = _page_send(client, case_manager, draft).content.decode()
    for message in body["errors"][case.field]:
        escaped = message.replace("'", "&#x27;").replace('"', "&quot;")
        assert escaped in html


@pytest.mark.parametrize("setup", VALID)
@pytest.mark.parametrize("channel", ["page", "api"])
def test_valid__is_sent(setup, channel, client, api, case_manager, draft, county_client, service):
    setup(draft, county_client, service)
    if channel == "page":
        response = _page_send(client, case_manager, draft)
        assert response.status_code == 302, response.content.decode()[:2000]
    else:
        response = _api_send(api, case_manager, draft)
        assert response.status_code == 200, response.json()
    assert _status(draft) == "sent"
    assert not ValidationRejection.objects.exists()


def test_service_missing__api_refuses_and_the_page_sends_back_to_the_service_step(
    client, api, case_manager, make_referral
):
    draft = make_referral("draft", service=None)
    body = _api_send(api, case_manager, draft).json()
    assert body["errors"]["service"] == ["Choose a service before sending the referral."]
    assert body["error_codes"]["service"] == ["required"]
    client.force_login(case_manager)
    review = client.get(reverse("referrals:draft_review", args=[draft.pk]))
    assert review["Location"] == reverse("referrals:draft_service", args=[draft.pk])


def test_several_problems__all_listed_at_once(api, case_manager, draft, county_client):
    Client.objects.filter(pk=county_client.pk).update(address_line="", phone="")
    Referral.objects.filter(pk=draft.pk).update(eligibility_basis=[])
    body = _api_send(api, case_manager, draft).json()
    assert body["error_codes"] == {
        "eligibility_basis": ["required"],
        "client.address_line": ["required"],
        "contact_method": ["contact-method-without-detail"],
    }
    [rejection] = ValidationRejection.objects.all()
    assert sorted(rejection.codes) == ["contact-method-without-detail", "required"]
    assert RejectionProblem.objects.filter(rejection=rejection).count() == 3


def test_review_page__lists_the_problems_before_sending_without_counting_a_rejection(
    client, case_manager, draft, county_client
):
    Client.objects.filter(pk=county_client.pk).update(postal_code="")
    Referral.objects.filter(pk=draft.pk).update(urgency="crisis", risk_flags=[])
    client.force_login(case_manager)
    response = client.get(reverse("referrals:draft_review", args=[draft.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Before sending, correct 1 problem" in html
    assert "The referral was not sent" not in html
    assert 'data-code="required"' in html
    assert 'data-code="crisis-without-risk-flag"' in html
    assert not ValidationRejection.objects.exists()
    assert _status(draft) == "draft"


def test_review_page__nothing_to_correct_shows_no_problem_list(client, case_manager, draft):
    client.force_login(case_manager)
    response = client.get(reverse("referrals:draft_review", args=[draft.pk]))
    assert response.status_code == 200
    assert 'id="validation-errors"' not in response.content.decode()
    assert 'id="validation-warnings"' not in response.content.decode()


def test_client_problem__links_to_the_client_edit_page_and_back_to_review(client, case_manager, draft, county_client):
    Client.objects.filter(pk=county_client.pk).update(address_line="")
    review = reverse("referrals:draft_review", args=[draft.pk])
    html = _page_send(client, case_manager, draft).content.decode()
    edit = reverse("clients:edit", args=[county_client.pk])
    link = f"{edit}?next={review.replace('/', '%2F')}"
    assert f'href="{link}"' in html

    form = client.get(link).context["form"]
    data = {name: value for name, value in form.initial.items() if name in form.fields and value is not None}
    data["birth_date"] = county_client.birth_date.isoformat()
    response = client.post(edit, {**data, "address_line": "12 Alder St", "next": review})
    assert response["Location"] == review
    assert _page_send(client, case_manager, draft).status_code == 302
    assert _status(draft) == "sent"


# --- warnings need a confirmation ------------------------------------------------------------------------


def _crisis_without_flag(draft, client, service):
    Referral.objects.filter(pk=draft.pk).update(urgency="crisis", risk_flags=[])


def test_warning__page_lists_it_with_a_confirm_step_then_sends_when_confirmed(
    client, case_manager, draft, county_client, service
):
    _crisis_without_flag(draft, county_client, service)
    response = _page_send(client, case_manager, draft)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-code="crisis-without-risk-flag"' in html
    assert "Confirm before sending" in html
    assert 'name="confirm_warnings"' in html
    assert _status(draft) == "draft"
    # Held for a confirmation is not a refusal.
    assert not ValidationRejection.objects.exists()

    response = _page_send(client, case_manager, draft, confirm_warnings="on")
    assert response.status_code == 302
    assert _status(draft) == "sent"


def test_warning__api_400_lists_warnings_by_code_then_confirm_warnings_sends(
    api, case_manager, draft, county_client, service
):
    _crisis_without_flag(draft, county_client, service)
    response = _api_send(api, case_manager, draft)
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["errors"], body["error_codes"]) == ("warnings_unconfirmed", {}, {})
    assert [(w["code"], w["field"], w["referral"]) for w in body["warnings"]] == [
        ("crisis-without-risk-flag", "risk_flags", None)
    ]
    assert _status(draft) == "draft"

    response = _api_send(api, case_manager, draft, confirm_warnings=True)
    assert response.status_code == 200
    assert response.json()["status"] == "sent"
    assert not ValidationRejection.objects.exists()


def test_warning__duplicate_open_referral_links_to_it(api, client, case_manager, make_referral):
    earlier = make_referral("accepted")
    draft = make_referral("draft")
    body = _api_send(api, case_manager, draft).json()
    [warning] = body["warnings"]
    assert (warning["code"], warning["field"], warning["referral"]) == (
        "duplicate-open-referral",
        "category",
        str(earlier.pk),
    )
    assert warning["url"] == f"/api/v1/referrals/{earlier.pk}/"
    assert earlier.reference in warning["message"]

    html = _page_send(client, case_manager, draft).content.decode()
    assert f'href="{reverse("referrals:detail", args=[earlier.pk])}"' in html
    assert _page_send(client, case_manager, draft, confirm_warnings="on").status_code == 302


@pytest.mark.parametrize("status", ["draft", "declined", "closed", "cancelled"])
def test_warning__not_a_duplicate_when_the_other_is_unsent_or_finished(status, api, case_manager, make_referral):
    make_referral(status)
    draft = make_referral("draft")
    assert _api_send(api, case_manager, draft).status_code == 200


def test_warning__with_errors_confirming_does_not_help(api, case_manager, draft, county_client, service):
    _crisis_without_flag(draft, county_client, service)
    Referral.objects.filter(pk=draft.pk).update(eligibility_basis=[])
    body = _api_send(api, case_manager, draft, confirm_warnings=True).json()
    assert body["code"] == "invalid_template"
    assert body["error_codes"] == {"eligibility_basis": ["required"]}
    assert [w["code"] for w in body["warnings"]] == ["crisis-without-risk-flag"]
    assert _status(draft) == "draft"
    assert ValidationRejection.objects.count() == 1


# --- create and send at once -----------------------------------------------------------------------------


@pytest.fixture
def payload(county_client, service):
    def build(**overrides):
        data = {
            "client": str(county_client.pk),
            "service": str(service.pk),
            "category": "food-insecurity",
            "urgency": "urgent",
            "reason": "Family of four, no groceries until the 1st.",
            "eligibility_basis": ["county-resident"],
            "submit": True,
        }
        return {**data, **overrides}

    return build


def test_create_and_send__refused_leaves_nothing_and_is_counted_once(api, case_manager, payload, county_client):
    response = api.as_user(case_manager).post("/api/v1/referrals/", payload(eligibility_basis=[]), format="json")
    assert response.status_code == 400
    assert response.json()["error_codes"] == {"eligibility_basis": ["required"]}
    assert not Referral.objects.exists()
    [rejection] = ValidationRejection.objects.all()
    assert (rejection.referral_id, rejection.client_id, rejection.channel) == (None, county_client.pk, "api")
    [audit] = AuditEvent.objects.filter(action=AuditAction.REFERRAL_SUBMISSION_REJECTED)
    assert (audit.outcome, audit.subtype, audit.target_id, audit.client_id) == (
        Outcome.FAILED,
        "api",
        "",
        county_client.pk,
    )
    assert audit.detail["errors"] == [{"field": "eligibility_basis", "code": "required"}]


def test_create_and_send__defaults_the_contact_method_from_the_flags_and_the_client(api, case_manager, payload):
    flagged = api.as_user(case_manager).post(
        "/api/v1/referrals/", payload(risk_flags=["do-not-contact-directly"]), format="json"
    )
    assert (flagged.status_code, flagged.json()["contact_method"]) == (201, "through-referrer")
    plain = api.as_user(case_manager).post(
        "/api/v1/referrals/", payload(submit=False, category="housing-instability"), format="json"
    )
    assert (plain.status_code, plain.json()["contact_method"]) == (201, "phone")


def test_create_and_send__warnings_need_confirm_warnings(api, case_manager, payload):
    first = api.as_user(case_manager).post("/api/v1/referrals/", payload(urgency="crisis"), format="json")
    assert first.status_code == 400
    assert [w["code"] for w in first.json()["warnings"]] == ["crisis-without-risk-flag"]
    assert not Referral.objects.exists()
    second = api.as_user(case_manager).post(
        "/api/v1/referrals/", payload(urgency="crisis", confirm_warnings=True), format="json"
    )
    assert (second.status_code, second.json()["status"]) == (201, "sent")


# --- what a draft needs (saving, not sending) ------------------------------------------------------------


DRAFT_REFUSED = [
    pytest.param({"urgency": ""}, "urgency", "required", id="urgency-missing"),
    pytest.param({"language": ""}, "language", "required", id="language-missing"),
    pytest.param({"language": "", "interpreter_needed": True}, "language", "interpreter-without-language", id="interp"),
]


@pytest.mark.parametrize(("change", "field", "code"), DRAFT_REFUSED)
def test_draft__api_edit_refused_with_the_rule(change, field, code, api, case_manager, draft):
    response = api.as_user(case_manager).patch(f"/api/v1/referrals/{draft.pk}/", change, format="json")
    assert response.status_code == 400
    assert response.json()["error_codes"] == {field: [code]}
    # Saving a draft is not a send: nothing is counted.
    assert not ValidationRejection.objects.exists()


@pytest.mark.parametrize(("change", "field", "code"), DRAFT_REFUSED)
def test_draft__page_edit_refused_with_the_same_message(change, field, code, client, api, case_manager, draft):
    details = {
        "category": "food-insecurity",
        "urgency": "routine",
        "reason": "Needs groceries.",
        "eligibility_basis": ["county-resident"],
        "language": "en",
        "version": draft.version,
    }
    details.update({k: ("on" if v is True else v) for k, v in change.items()})
    client.force_login(case_manager)
    response = client.post(reverse("referrals:draft_details", args=[draft.pk]), details)
    assert response.status_code == 400
    message = api.as_user(case_manager).patch(f"/api/v1/referrals/{draft.pk}/", change, format="json").json()
    assert message["errors"][field][0] in response.content.decode()
    assert f'id="id_{field}_error"' in response.content.decode()


def test_draft__may_be_saved_incomplete(api, case_manager, county_client):
    body = {"client": str(county_client.pk), "category": "food-insecurity", "reason": "Needs groceries."}
    response = api.as_user(case_manager).post("/api/v1/referrals/", {**body, "eligibility_basis": []}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "draft"


def test_draft__page_shows_and_keeps_the_contact_method(client, case_manager, county_client, draft):
    client.force_login(case_manager)
    form = client.get(reverse("referrals:new"), {"client": county_client.pk})
    assert form.context["form"]["contact_method"].value() == "phone"
    details = {
        "category": "food-insecurity",
        "urgency": "routine",
        "reason": "Needs groceries.",
        "eligibility_basis": ["county-resident"],
        "language": "en",
        "contact_method": "through-referrer",
        "version": draft.version,
    }
    client.post(reverse("referrals:draft_details", args=[draft.pk]), details)
    draft.refresh_from_db()
    assert draft.contact_method == "through-referrer"
    page = client.get(reverse("referrals:detail", args=[draft.pk]))
    assert "Through the case manager (no direct contact)" in page.content.decode()
