"""Golden field tests: what each receiving role gets of a housing referral, for each purpose and consent state.

For every (role, purpose, consent state) the allowed keys are worked out here, by hand, from the catalog
entries this file creates and from the categories the consent permits; nothing is asked of the code
under test. Every response's keys must stay within them (top level and `client`), and no value of a field
outside them may appear anywhere in the response: API detail, API list rows and the detail page.
"""

import datetime

import pytest
from django.utils import timezone

from consent.models import Consent, ExchangeUseCase
from consent.services import consent_revoke
from coordination.purpose import SESSION_KEY
from tests.factories import ClientFactory, ServiceFactory, full_consent, referral_in

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/referrals/"

# --- the catalog this file sets up ---------------------------------------------------------------------

HOUSING_NEEDS = ["housing-instability", "homelessness", "inadequate-housing"]
INTAKE_HOUSING = {
    "given_name",
    "family_name",
    "phone",
    "preferred_contact_method",
    "preferred_language",
    "interpreter_needed",
    "category",
    "urgency",
    "reason",
    "contact_constraints",
    "safe_contact_times",
    "risk_flags",
    "sensitive_categories",
    "language",
}
SUPERVISOR_HOUSING = {
    "given_name",
    "family_name",
    "birth_date",
    "phone",
    "email",
    "postal_code",
    "category",
    "urgency",
    "reason",
    "risk_flags",
    "eligibility_basis",
    "eligibility_note",
    "language",
    "interpreter_needed",
}
# No entry for partner systems: the portal's default (its minimum-necessary client fields, the whole template).
DEFAULT = {
    "given_name",
    "family_name",
    "birth_date",
    "phone",
    "email",
    "postal_code",
    "preferred_contact_method",
    "preferred_language",
    "interpreter_needed",
    "category",
    "urgency",
    "reason",
    "risk_flags",
    "contact_method",
    "contact_constraints",
    "safe_contact_times",
    "eligibility_basis",
    "eligibility_note",
    "sensitive_categories",
    "language",
}
CATALOG = {"provider_intake": INTAKE_HOUSING, "provider_supervisor": SUPERVISOR_HOUSING, "partner_system": DEFAULT}

CLIENT_FIELDS = {
    "given_name",
    "family_name",
    "birth_date",
    "preferred_language",
    "interpreter_needed",
    "phone",
    "email",
    "address_line",
    "city",
    "postal_code",
    "county",
    "preferred_contact_method",
}
TEMPLATE_FIELDS = {
    "category",
    "urgency",
    "reason",
    "risk_flags",
    "contact_method",
    "contact_constraints",
    "safe_contact_times",
    "eligibility_basis",
    "eligibility_note",
    "sensitive_categories",
    "language",
    "interpreter_needed",
}
# The consent categories each field needs (for this housing referral). `interpreter_needed` is a field of the
# client and of the referral; it goes with demographics. The need and urgency are what the provider is asked
# to do (the chosen service names the need anyway): always shown to the receiving side.
NEEDS = {
    "given_name": {"demographics"},
    "family_name": {"demographics"},
    "birth_date": {"demographics"},
    "preferred_language": {"demographics"},
    "interpreter_needed": {"demographics"},
    "phone": {"contact"},
    "email": {"contact"},
    "address_line": {"contact"},
    "city": {"contact"},
    "postal_code": {"contact"},
    "county": {"contact"},
    "preferred_contact_method": {"contact"},
    "category": set(),
    "urgency": set(),
    "reason": {"referral-reason"},
    "risk_flags": {"risk-flags"},
    "contact_method": {"contact"},
    "contact_constraints": {"contact"},
    "safe_contact_times": {"contact"},
    "eligibility_basis": {"referral-reason"},
    "eligibility_note": {"referral-reason"},
    "sensitive_categories": set(),
    "language": set(),
}
# A Part 2 referral's reason (and its sensitive label) also need the substance-use category.
PART2_NEEDS = {"reason": {"referral-reason", "substance-use"}, "sensitive_categories": {"substance-use"}}

# Every key of a referral that is not a template field: always there.
REFERRAL_KEYS = {
    "id",
    "reference",
    "status",
    "version",
    "client",
    "referring_organization",
    "receiving_organization",
    "service",
    "assigned_to",
    "assigned_worker",
    "created_at",
    "updated_at",
    "sent_at",
    "acknowledged_at",
    "responded_at",
    "first_contact_at",
    "appointment_at",
    "service_started_at",
    "closed_at",
    "sla",
    "decline_reason",
    "outcome",
    "cancel_reason",
    "hold_reason",
    "status_note",
    "contact_attempts",
    "last_contact_result",
    "rerouted_from",
    "allowed_transitions",
    "withheld",
}

# --- consent states: what each lets Harbor (a healthcare partner) see, per purpose ------------------------

EVERYTHING_BUT_PART2 = {
    "demographics",
    "contact",
    "referral-reason",
    "risk-flags",
    "behavioral-health",
    "housing",
    "income-benefits",
}
PERMITTED = {
    # Every partner category, every category but Part 2, for coordination of care only.
    "full": {"COC": EVERYTHING_BUT_PART2, "TREAT": set()},
    # Sent under the full consent, which the client then replaced with one covering only what a housing
    # referral needs: no risk flags.
    "housing-only": {"COC": {"demographics", "contact", "referral-reason", "housing"}, "TREAT": set()},
    # Sent, then the consent was revoked.
    "revoked": {"COC": set(), "TREAT": set()},
    # Sent while the consent was in force; it has since run out, and there is no other.
    "none-since-sent": {"COC": set(), "TREAT": set()},
    # A substance-use referral under a consent naming Harbor for Part 2 data.
    "part2": {"COC": EVERYTHING_BUT_PART2 | {"substance-use"}, "TREAT": set()},
}
# The categories the referral carries (the client record's demographics and contact among them).
CARRIED = {"demographics", "contact", "referral-reason", "risk-flags", "housing"}

ROLES = ["provider_intake", "provider_supervisor", "partner_system"]
BROWSER_ROLES = ["provider_intake", "provider_supervisor"]
PURPOSES = ["COC", "TREAT"]
STATES = list(PERMITTED)

# --- the values, distinctive enough that finding one in a response means it leaked ------------------------

REASON = "Facing eviction on the 30th after a mold dispute"
VALUES = {
    "given_name": ["Ximena"],
    "family_name": ["Quartermaine"],
    "birth_date": ["1979-11-23", "Nov 23, 1979"],
    "phone": ["541-555-0199"],
    "email": ["ximena.q@example.org"],
    "address_line": ["77 Juniper Lane"],
    "city": ["Marrowvale"],
    "postal_code": ["97426"],
    "county": ["Tillerton"],
    "reason": [REASON],
    "risk_flags": ["violence-risk", "Violence risk"],
    "contact_constraints": ["Never leave voicemail at work"],
    "safe_contact_times": ["Weekdays after 18:30"],
    "eligibility_note": ["Lost cannery job in March"],
    "category": ["housing-instability"],
}
# The detail page always prints the need's label (reported: templates/referrals/detail.html and
# _template_facts.html do not ask the disclosure); that is checked on its own below.
PAGE_VALUES = {**{k: v for k, v in VALUES.items() if k != "category"}}


def allowed(role: str, purpose: str, state: str) -> tuple[set[str], set[str]]:
    """(client keys, referral template keys) this role may get: listed by the catalog and permitted by consent."""
    permitted = PERMITTED[state][purpose]
    needs = {**NEEDS, **(PART2_NEEDS if state == "part2" else {})}
    listed = CATALOG[role]
    client = {"id"} | {f for f in listed & CLIENT_FIELDS if needs[f] <= permitted}
    template = {f for f in listed & TEMPLATE_FIELDS if needs[f] <= permitted}
    return client, template


def withheld_categories(purpose: str, state: str) -> set[str]:
    carried = CARRIED | ({"substance-use"} if state == "part2" else set())
    return carried - PERMITTED[state][purpose]


def leaked(text: str, shown: set[str], values: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(name, v) for name, vs in values.items() if name not in shown for v in vs if v in text]


# --- the scene --------------------------------------------------------------------------------------------


@pytest.fixture
def catalog(db):
    def entry(slug, role, elements, needs=HOUSING_NEEDS, active=True):
        ExchangeUseCase.objects.create(
            slug=slug,
            name=slug,
            referral_categories=list(needs),
            receiving_role=role,
            data_elements=sorted(elements),
            active=active,
        )

    entry("housing-intake", "provider_intake", INTAKE_HOUSING)
    entry("housing-supervisor", "provider_supervisor", SUPERVISOR_HOUSING)
    # Entries that must not count: retired, another need, another role.
    entry("retired-intake", "provider_intake", {"address_line", "email", "birth_date"}, active=False)
    entry("food-intake", "provider_intake", {"address_line", "email"}, needs=["food-insecurity"])
    entry("food-partner-system", "partner_system", {"given_name"}, needs=["food-insecurity"])
    entry("county-case-manager", "case_manager", {"given_name"}, needs=[])


@pytest.fixture
def scene(catalog, county, provider, case_manager, provider_intake, provider_supervisor, partner_system):
    """`scene(state)` -> a sent housing referral to Harbor, its client's consent left in that state."""

    def build(state: str):
        person = ClientFactory(
            organization=county,
            given_name="Ximena",
            family_name="Quartermaine",
            birth_date=datetime.date(1979, 11, 23),
            phone="541-555-0199",
            email="ximena.q@example.org",
            address_line="77 Juniper Lane",
            city="Marrowvale",
            postal_code="97426",
            county="Tillerton",
            preferred_contact_method="text",
            preferred_language="es",
            interpreter_needed=True,
        )
        consent = full_consent(person, organizations=[provider] if state == "part2" else ())
        service = ServiceFactory(
            organization=provider, name="Harbor Housing Navigation", category="housing-instability"
        )
        referral = referral_in(
            "sent",
            referrer=case_manager,
            receiver=provider_intake,
            client=person,
            service=service,
            created_by=case_manager,
            assigned_to=case_manager,
            urgency="urgent",
            reason=REASON,
            risk_flags=["violence-risk"],
            contact_constraints="Never leave voicemail at work",
            safe_contact_times="Weekdays after 18:30",
            eligibility_basis=["income"],
            eligibility_note="Lost cannery job in March",
            sensitive_categories=["substance-use"] if state == "part2" else [],
        )
        if state in ("housing-only", "revoked"):
            consent_revoke(actor=case_manager, consent=consent, reason="Client asked.", method="verbal")
        if state == "housing-only":
            full_consent(person, data_categories=["demographics", "contact", "referral-reason", "housing"])
        if state == "none-since-sent":
            provision = consent.provisions.get()
            provision.end = timezone.localdate() - datetime.timedelta(days=1)
            provision.save()
        assert Consent.objects.filter(client=person).exists()
        return referral

    return build


def _headers(purpose: str) -> dict:
    return {} if purpose == "COC" else {"HTTP_X_PURPOSE_OF_USE": purpose}


def check_api_body(body: dict, text: str, role: str, purpose: str, state: str) -> None:
    client_keys, template_keys = allowed(role, purpose, state)
    assert set(body) <= REFERRAL_KEYS | template_keys, set(body) - REFERRAL_KEYS - template_keys
    assert set(body) & TEMPLATE_FIELDS == template_keys  # nothing more, and nothing the role should get is lost
    assert set(body["client"]) == client_keys
    assert leaked(text, client_keys | template_keys, VALUES) == []
    # Only consent withholds: fields the catalog leaves out are not reported as withheld.
    assert {w["category"] for w in body["withheld"]} == withheld_categories(purpose, state)


# --- API ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("role", ROLES)
def test_api_detail__keys_within_the_allowed_set_and_no_withheld_value(api, request, scene, role, purpose, state):
    referral = scene(state)

    response = api.as_user(request.getfixturevalue(role)).get(f"/api/v1/referrals/{referral.pk}/", **_headers(purpose))

    assert response.status_code == 200
    check_api_body(response.json(), response.content.decode(), role, purpose, state)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("role", ROLES)
def test_api_list__rows_within_the_allowed_set_and_no_withheld_value(api, request, scene, role, purpose, state):
    referral = scene(state)

    response = api.as_user(request.getfixturevalue(role)).get(LIST_URL, **_headers(purpose))

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == str(referral.pk)
    check_api_body(row, response.content.decode(), role, purpose, state)


def test_api__the_referring_custodian_still_sees_the_whole_record(api, scene, case_manager):
    referral = scene("revoked")

    body = api.as_user(case_manager).get(f"/api/v1/referrals/{referral.pk}/").json()

    assert set(body["client"]) == {"id"} | CLIENT_FIELDS
    assert set(body) == REFERRAL_KEYS | TEMPLATE_FIELDS
    assert body["withheld"] == []


# --- the detail page ------------------------------------------------------------------------------------------


def _page(client, user, referral, purpose: str) -> str:
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = purpose
    session.save()
    response = client.get(f"/referrals/{referral.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("role", BROWSER_ROLES)
def test_detail_page__no_value_outside_the_allowed_set(client, request, scene, role, purpose, state):
    referral = scene(state)
    client_keys, template_keys = allowed(role, purpose, state)

    html = _page(client, request.getfixturevalue(role), referral, purpose)

    assert leaked(html, client_keys | template_keys, PAGE_VALUES) == []
    shown = client_keys | template_keys
    if {"given_name", "family_name"} <= shown:
        assert "Ximena Quartermaine" in html  # the page does show what is allowed
    if "reason" in shown:
        assert REASON in html


def test_detail_page__sensitive_labels_hidden_when_the_catalog_leaves_them_out(client, scene, provider_supervisor):
    referral = scene("part2")

    html = _page(client, provider_supervisor, referral, "COC")

    assert "Substance use (42 CFR Part 2)" not in html


# --- other ways a hidden value could come out -------------------------------------------------------------------


def test_api_list__searching_a_withheld_name_does_not_tell_it(api, scene, provider_intake):
    scene("revoked")
    api.as_user(provider_intake)

    found = api.get(LIST_URL, {"q": "Quartermaine"}).json()
    other = api.get(LIST_URL, {"q": "Nobodyhere"}).json()

    assert found["count"] == other["count"]
