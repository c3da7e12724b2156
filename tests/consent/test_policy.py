"""The disclosure policy: which of a client's data categories an organization may see, for what, and why not."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.choices import DataCategory
from consent.models import Consent
from consent.policy import Decision, active_consents, disclosure_decision
from consent.services import consent_revoke
from tests.factories import OrganizationFactory

from .support import NON_PART2, days, provision, record

SUD = DataCategory.SUBSTANCE_USE.value
ALL = DataCategory.values


@pytest.fixture
def haven(db):
    return OrganizationFactory(slug="safe-haven", name="Safe Haven Housing", partner_category="housing")


@pytest.fixture
def second_clinic(db):
    return OrganizationFactory(slug="riverside-clinic", name="Riverside Clinic", partner_category="healthcare")


@pytest.fixture
def orgs(provider, other_provider, haven, second_clinic):
    return {"harbor": provider, "northside": other_provider, "haven": haven, "riverside": second_clinic}


def decide(client, recipient, purpose="COC", categories=("demographics",), **kwargs) -> Decision:
    return disclosure_decision(client=client, recipient=recipient, purpose=purpose, categories=categories, **kwargs)


# Each setup records consents for the client as the county case manager and returns them by name.


def _none(cm, client, o):
    return {}


def _housing_coc(cm, client, o):
    return {"c": record(cm, client, provision(partner_categories=["housing"]))}


def _healthcare_treat(cm, client, o):
    return {
        "c": record(
            cm, client, provision(partner_categories=["healthcare"], purposes=["TREAT"], data_categories=["contact"])
        )
    }


def _payment(cm, client, o):
    return {
        "c": record(
            cm, client, provision(partner_categories=["healthcare"], purposes=["HPAYMT"], data_categories=NON_PART2)
        )
    }


def _eligibility(cm, client, o):
    return {
        "c": record(
            cm, client, provision(partner_categories=["healthcare"], purposes=["ELIGDTRM"], data_categories=NON_PART2)
        )
    }


def _operations(cm, client, o):
    return {"c": record(cm, client, provision(partner_categories=["healthcare"], purposes=["HOPERAT"]))}


def _marketing(cm, client, o):
    # The services refuse a marketing permit, so this stands for one recorded before that rule (or imported):
    # the policy must refuse marketing whatever a stored consent says.
    everyone = ["healthcare", "behavioral-health", "housing", "county-agency"]
    consent = record(cm, client, provision(partner_categories=everyone, purposes=["COC"]))
    stored = consent.provisions.get()
    stored.purposes = ["HMARKT", "COC"]
    stored.save()
    return {"c": consent}


def _expired(cm, client, o):
    return {"c": record(cm, client, provision(partner_categories=["healthcare"], start=days(-60), end=days(-1)))}


def _ends_today(cm, client, o):
    return {"c": record(cm, client, provision(partner_categories=["healthcare"], start=days(-60), end=days(0)))}


def _not_started(cm, client, o):
    return {"c": record(cm, client, provision(partner_categories=["healthcare"], start=days(1)))}


def _revoked(cm, client, o):
    consent = record(cm, client, provision(partner_categories=["healthcare"]))
    return {"c": consent_revoke(actor=cm, consent=consent, reason="Changed her mind.", method="verbal")}


def _draft(cm, client, o):
    return {"c": record(cm, client, provision(partner_categories=["healthcare"]), status="draft")}


def _rejected(cm, client, o):
    return {"c": record(cm, client, provision(partner_categories=["healthcare"]), status="rejected")}


def _deny_same_consent(cm, client, o):
    return {
        "c": record(
            cm,
            client,
            provision(partner_categories=["healthcare", "behavioral-health"]),
            provision(type="deny", partner_categories=["behavioral-health"], data_categories=["behavioral-health"]),
        )
    }


def _deny_other_consent(cm, client, o):
    permit = record(cm, client, provision(partner_categories=["healthcare"]))
    deny = record(
        cm, client, provision(type="deny", organizations=[o["harbor"]], data_categories=["contact"], purposes=["COC"])
    )
    return {"c": permit, "deny": deny}


def _deny_payment_parent(cm, client, o):
    return {
        "c": record(
            cm,
            client,
            provision(partner_categories=["healthcare"], purposes=["ELIGDTRM", "COC"]),
            provision(type="deny", partner_categories=["healthcare"], purposes=["HPAYMT"], data_categories=NON_PART2),
        )
    }


def _deny_expired(cm, client, o):
    return {
        "c": record(
            cm,
            client,
            provision(partner_categories=["healthcare"]),
            provision(type="deny", partner_categories=["healthcare"], start=days(-60), end=days(-1)),
        )
    }


def _deny_other_purpose(cm, client, o):
    return {
        "c": record(
            cm,
            client,
            provision(partner_categories=["healthcare"]),
            provision(type="deny", partner_categories=["healthcare"], purposes=["HRESCH"]),
        )
    }


def _named(cm, client, o):
    return {"c": record(cm, client, provision(organizations=[o["harbor"]]))}


def _part2_named(cm, client, o):
    return {
        "c": record(
            cm,
            client,
            provision(partner_categories=["behavioral-health"], organizations=[o["northside"]], data_categories=ALL),
        )
    }


def _part2_category_and_named(cm, client, o):
    # Substance use is listed for the behavioral-health category, but only Harbor is named.
    return {
        "c": record(
            cm,
            client,
            provision(partner_categories=["behavioral-health"], organizations=[o["harbor"]], data_categories=ALL),
        )
    }


def _part2_deny_by_category(cm, client, o):
    return {
        "c": record(
            cm,
            client,
            provision(organizations=[o["northside"]], data_categories=ALL),
            provision(type="deny", partner_categories=["behavioral-health"], data_categories=[SUD]),
        )
    }


HEALTH_MISSING = "no consent for healthcare partners for {label} ({purpose})"
NORTHSIDE_SUD = "no consent naming Northside Behavioral Health for substance use (42 CFR Part 2) ({purpose})"
INCOME = "income-benefits"
SETUPS = {
    "none": _none,
    "housing-coc": _housing_coc,
    "treat-only": _healthcare_treat,
    "payment": _payment,
    "eligibility": _eligibility,
    "operations": _operations,
    "marketing": _marketing,
    "expired": _expired,
    "ends-today": _ends_today,
    "not-started": _not_started,
    "revoked": _revoked,
    "draft": _draft,
    "rejected": _rejected,
    "deny-same-consent": _deny_same_consent,
    "deny-other-consent": _deny_other_consent,
    "deny-payment-parent": _deny_payment_parent,
    "deny-expired": _deny_expired,
    "deny-other-purpose": _deny_other_purpose,
    "named": _named,
    "part2-named": _part2_named,
    "part2-category-and-named": _part2_category_and_named,
    "part2-deny-by-category": _part2_deny_by_category,
}

# (setup, recipient, purpose, category, expected): None = permitted relying on consent "c", else the reason.
# "{c}"/"{deny}" stand for the first eight characters of that consent's id.
MATRIX = [
    # No consent at all: nobody but the custodian sees anything.
    ("none", "harbor", "COC", "demographics", "no consent for healthcare partners for demographics (COC)"),
    ("none", "northside", "TREAT", "risk-flags", "no consent for behavioral health partners for risk flags (TREAT)"),
    ("none", "haven", "COC", "housing", "no consent for housing partners for housing (COC)"),
    ("none", "harbor", "COC", SUD, "no consent naming Harbor Community Health for substance use (42 CFR Part 2) (COC)"),
    # Partner category: housing partners only.
    ("housing-coc", "haven", "COC", "housing", None),
    ("housing-coc", "haven", "COC", "income-benefits", None),
    ("housing-coc", "haven", "COC", "behavioral-health", None),
    ("housing-coc", "harbor", "COC", "housing", "no consent for healthcare partners for housing (COC)"),
    ("housing-coc", "northside", "COC", "housing", "no consent for behavioral health partners for housing (COC)"),
    ("housing-coc", "haven", "TREAT", "housing", "no consent for housing partners for housing (TREAT)"),
    ("housing-coc", "haven", "COC", SUD, "no consent naming Safe Haven Housing for substance use (42 CFR Part 2) (COC)"),  # noqa: E501
    # Purpose: treatment is not coordination of care, and vice versa; categories are checked one by one.
    ("treat-only", "harbor", "TREAT", "contact", None),
    ("treat-only", "harbor", "COC", "contact", "no consent for healthcare partners for contact details (COC)"),
    ("treat-only", "harbor", "ETREAT", "contact", HEALTH_MISSING.format(label="contact details", purpose="ETREAT")),
    ("treat-only", "harbor", "TREAT", "demographics", HEALTH_MISSING.format(label="demographics", purpose="TREAT")),
    # Purpose hierarchy: a permit for payment covers eligibility determination and enrollment ...
    ("payment", "harbor", "HPAYMT", "income-benefits", None),
    ("payment", "harbor", "ELIGDTRM", "income-benefits", None),
    ("payment", "harbor", "ENROLLM", "income-benefits", None),
    ("payment", "harbor", "COC", "income-benefits", "no consent for healthcare partners for income and benefits (COC)"),
    # ... but a permit for eligibility determination covers neither payment nor enrollment.
    ("eligibility", "harbor", "ELIGDTRM", "income-benefits", None),
    ("eligibility", "harbor", "HPAYMT", INCOME, HEALTH_MISSING.format(label="income and benefits", purpose="HPAYMT")),
    ("eligibility", "harbor", "ENROLLM", INCOME, HEALTH_MISSING.format(label="income and benefits", purpose="ENROLLM")),
    ("operations", "harbor", "HOPERAT", "demographics", None),
    ("operations", "harbor", "CAREMGT", "demographics", None),
    ("operations", "harbor", "HQUALIMP", "demographics", None),
    ("operations", "harbor", "HRESCH", "demographics", "no consent for healthcare partners for demographics (HRESCH)"),
    ("operations", "harbor", "COC", "demographics", "no consent for healthcare partners for demographics (COC)"),
    # Marketing is never permitted, whatever the consent says; the rest of it still counts.
    ("marketing", "harbor", "HMARKT", "demographics", "purpose HMARKT is never permitted"),
    ("marketing", "haven", "HMARKT", "contact", "purpose HMARKT is never permitted"),
    ("marketing", "harbor", "COC", "demographics", None),
    # Period: ended yesterday, ends today, starts tomorrow.
    ("expired", "harbor", "COC", "demographics", "no consent for healthcare partners for demographics (COC)"),
    ("ends-today", "harbor", "COC", "demographics", None),
    ("not-started", "harbor", "COC", "demographics", "no consent for healthcare partners for demographics (COC)"),
    # Status: only active consents count.
    ("revoked", "harbor", "COC", "demographics", "no consent for healthcare partners for demographics (COC)"),
    ("draft", "harbor", "COC", "demographics", "no consent for healthcare partners for demographics (COC)"),
    ("rejected", "harbor", "COC", "demographics", "no consent for healthcare partners for demographics (COC)"),
    # Deny provisions override permits, in the same consent or another, for the general purpose too.
    ("deny-same-consent", "northside", "COC", "behavioral-health", "denied by consent {c}"),
    ("deny-same-consent", "northside", "COC", "demographics", None),
    ("deny-same-consent", "harbor", "COC", "behavioral-health", None),
    ("deny-other-consent", "harbor", "COC", "contact", "denied by consent {deny}"),
    ("deny-other-consent", "harbor", "COC", "demographics", None),
    ("deny-other-consent", "riverside", "COC", "contact", None),
    ("deny-payment-parent", "harbor", "ELIGDTRM", "income-benefits", "denied by consent {c}"),
    ("deny-payment-parent", "harbor", "COC", "income-benefits", None),
    ("deny-expired", "harbor", "COC", "demographics", None),
    ("deny-other-purpose", "harbor", "COC", "demographics", None),
    ("deny-other-purpose", "harbor", "HRESCH", "demographics", "denied by consent {c}"),
    # Named organization: only that organization, not its partner category.
    ("named", "harbor", "COC", "demographics", None),
    ("named", "riverside", "COC", "demographics", "no consent for healthcare partners for demographics (COC)"),
    # Part 2: substance-use data needs a consent naming the receiving organization itself.
    ("part2-named", "northside", "COC", SUD, None),
    ("part2-named", "northside", "COC", "demographics", None),
    ("part2-named", "northside", "TREAT", SUD, NORTHSIDE_SUD.format(purpose="TREAT")),
    ("part2-category-and-named", "harbor", "COC", SUD, None),
    ("part2-category-and-named", "northside", "COC", "demographics", None),
    ("part2-category-and-named", "northside", "COC", SUD, NORTHSIDE_SUD.format(purpose="COC")),
    ("part2-deny-by-category", "northside", "COC", SUD, "denied by consent {c}"),
    ("part2-deny-by-category", "northside", "COC", "demographics", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("setup", "recipient", "purpose", "category", "expected"),
    MATRIX,
    ids=[f"{s}-{r}-{p}-{c}" for s, r, p, c, _ in MATRIX],
)
def test_decision_matrix(case_manager, person, orgs, setup, recipient, purpose, category, expected):
    consents = SETUPS[setup](case_manager, person, orgs)
    decision = decide(person, orgs[recipient], purpose, [category])
    assert decision.custodian is False
    if expected is None:
        assert decision.permitted == frozenset({category})
        assert decision.withheld == {}
        assert decision.complete and decision.permits(category)
        assert decision.consents == (str(consents["c"].pk),)
    else:
        reason = expected.format(**{name: str(c.pk)[:8] for name, c in consents.items()})
        assert decision.permitted == frozenset()
        assert decision.withheld == {category: reason}
        assert not decision.complete and not decision.permits(category)
        assert decision.consents == ()


def test_matrix_covers_every_setup():
    assert {row[0] for row in MATRIX} == set(SETUPS)


def test_several_categories_at_once__each_decided_and_consents_relied_on_listed_once(case_manager, person, provider):
    first = record(case_manager, person, provision(partner_categories=["healthcare"], data_categories=["demographics"]))
    second = record(
        case_manager,
        person,
        provision(partner_categories=["healthcare"], data_categories=["demographics", "contact"]),
        provision(organizations=[provider], data_categories=["risk-flags"]),
    )
    decision = decide(person, provider, "COC", ["demographics", "contact", "risk-flags", "housing", "contact"])
    assert decision.permitted == {"demographics", "contact", "risk-flags"}
    assert decision.withheld == {"housing": "no consent for healthcare partners for housing (COC)"}
    # Consents are ordered newest first (by date, then recording time): both relied on, each once.
    assert sorted(decision.consents) == sorted([str(first.pk), str(second.pk)])
    assert len(decision.consents) == 2


def test_no_categories__nothing_permitted_nothing_withheld(case_manager, person, provider):
    record(case_manager, person, provision(partner_categories=["healthcare"]))
    decision = decide(person, provider, "COC", [])
    assert (decision.permitted, decision.withheld, decision.consents) == (frozenset(), {}, ())


# The custodian


def test_custodian__sees_every_category_without_consent_or_query(county, person, django_assert_num_queries):
    with django_assert_num_queries(0):
        decision = decide(person, county, "COC", ALL)
    assert decision == Decision(frozenset(ALL), {}, (), custodian=True)
    assert decision.permits(SUD)


def test_custodian__sees_despite_a_deny_naming_it(case_manager, county, person):
    record(case_manager, person, provision(type="deny", organizations=[county], data_categories=ALL))
    decision = decide(person, county, "TREAT", ["demographics", SUD])
    assert decision.custodian and decision.permitted == {"demographics", SUD}


def test_custodian__marketing_is_still_never_permitted(county, person):
    decision = decide(person, county, "HMARKT", ["demographics", "contact"])
    assert decision.permitted == frozenset()
    assert decision.withheld == {
        "demographics": "purpose HMARKT is never permitted",
        "contact": "purpose HMARKT is never permitted",
    }
    assert decision.custodian is False


def test_another_county_agency_is_not_the_custodian(case_manager, person, db):
    from tests.factories import AgencyFactory

    neighbour = AgencyFactory(slug="ridge-county", name="Ridge County")
    decision = decide(person, neighbour, "COC", ["demographics"])
    assert decision.withheld == {"demographics": "no consent for county agency partners for demographics (COC)"}
    record(case_manager, person, provision(partner_categories=["county-agency"]))
    assert decide(person, neighbour, "COC", ["demographics"]).permits("demographics")


# Status and periods are read on every call


def test_revocation_takes_effect_on_the_very_next_decision(case_manager, person, provider):
    consent = record(case_manager, person, provision(partner_categories=["healthcare"]))
    before = decide(person, provider, "COC", ["demographics", "contact"])
    assert before.permitted == {"demographics", "contact"} and before.consents == (str(consent.pk),)
    consent_revoke(actor=case_manager, consent=consent, reason="Client asked us to stop sharing.", method="written")
    after = decide(person, provider, "COC", ["demographics", "contact"])
    assert after.permitted == frozenset()
    assert after.withheld == {
        "demographics": "no consent for healthcare partners for demographics (COC)",
        "contact": "no consent for healthcare partners for contact details (COC)",
    }
    assert after.consents == ()


def test_expiry_takes_effect_the_day_after_the_end(case_manager, person, provider):
    end = days(10)
    record(case_manager, person, provision(partner_categories=["healthcare"], start=days(-5), end=end))
    assert decide(person, provider, today=end).permits("demographics")
    assert decide(person, provider, today=days(-5)).permits("demographics")
    assert not decide(person, provider, today=days(-6)).permits("demographics")
    later = decide(person, provider, today=end + datetime.timedelta(days=1))
    assert later.withheld == {"demographics": "no consent for healthcare partners for demographics (COC)"}


def test_other_clients_consents_do_not_count(case_manager, county, person, provider):
    from tests.factories import ClientFactory

    other = ClientFactory(organization=county)
    record(case_manager, other, provision(partner_categories=["healthcare"]))
    assert not decide(person, provider).permits("demographics")
    assert decide(other, provider).permits("demographics")


# active_consents and query counts


def test_active_consents__only_active_with_a_provision_not_yet_ended(case_manager, person):
    current = record(case_manager, person, provision(partner_categories=["healthcare"]))
    upcoming = record(case_manager, person, provision(partner_categories=["healthcare"], start=days(5)))
    partly = record(
        case_manager,
        person,
        provision(partner_categories=["housing"], start=days(-60), end=days(-10)),
        provision(partner_categories=["healthcare"], start=days(-60), end=days(3)),
    )
    record(case_manager, person, provision(partner_categories=["healthcare"], start=days(-60), end=days(-1)))
    record(case_manager, person, provision(partner_categories=["healthcare"]), status="draft")
    record(case_manager, person, provision(partner_categories=["healthcare"]), status="rejected")
    revoked = record(case_manager, person, provision(partner_categories=["healthcare"]))
    consent_revoke(actor=case_manager, consent=revoked, reason="Withdrawn.", method="verbal")
    found = active_consents(person, days(0))
    assert sorted(str(c.pk) for c in found) == sorted(str(c.pk) for c in (current, upcoming, partly))
    # Each consent once, with all its provisions (also the ended one) loaded.
    [loaded] = [c for c in found if c.pk == partly.pk]
    assert len(loaded.provisions.all()) == 2
    assert Consent.objects.filter(client=person).count() == 7


def _many_consents(case_manager, client, organizations, count):
    for n in range(count):
        record(
            case_manager,
            client,
            provision(partner_categories=["housing"], organizations=organizations, data_categories=["housing"]),
            provision(organizations=organizations, data_categories=ALL, purposes=["TREAT"]),
            provision(type="deny", organizations=organizations[:1], purposes=["HRESCH"], start=days(-n - 1)),
        )


def _queries(client, recipient) -> tuple[int, Decision]:
    with CaptureQueriesContext(connection) as ctx:
        decision = decide(client, recipient, "TREAT", ALL)
    return len(ctx.captured_queries), decision


def test_query_count_is_bounded_whatever_the_number_of_consents(case_manager, county, person, orgs):
    from tests.factories import ClientFactory

    named = [orgs["harbor"], orgs["northside"], orgs["riverside"]]
    few_client = ClientFactory(organization=county)
    _many_consents(case_manager, few_client, named, 1)
    _many_consents(case_manager, person, named, 12)
    few, few_decision = _queries(few_client, orgs["harbor"])
    many, decision = _queries(person, orgs["harbor"])
    assert many == few <= 3
    assert decision.permitted == set(ALL)
    assert len(decision.consents) == 12
    assert few_decision.permitted == set(ALL) and len(few_decision.consents) == 1


def test_given_consents__no_query_and_same_decision(case_manager, person, provider, django_assert_num_queries):
    record(case_manager, person, provision(partner_categories=["healthcare"]))
    consents = active_consents(person, days(0))
    fresh = decide(person, provider, "COC", NON_PART2)
    with django_assert_num_queries(0):
        given = decide(person, provider, "COC", NON_PART2, consents=consents, today=days(0))
    assert given == fresh and given.permitted == set(NON_PART2)
