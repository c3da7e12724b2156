"""Directory search and ranking (providers.selectors), shared by the directory page and the API."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from providers.choices import CapacityStatus
from providers.models import Service
from providers.selectors import (
    CAPACITY_RANK,
    service_list,
    services_in_language,
    services_matching_text,
    services_ranked,
    services_serving,
)
from tests.factories import OrganizationFactory, PostalCodeFactory, ServiceFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


def names(queryset) -> list[str]:
    return [service.name for service in queryset]


def ranked(**kwargs) -> list[Service]:
    return list(services_ranked(Service.objects.all(), today=TODAY, **kwargs))


@pytest.fixture
def lakeside_codes():
    PostalCodeFactory(code="97401", county="Lakeside")
    PostalCodeFactory(code="97402", county="Lakeside")
    PostalCodeFactory(code="97999", county="Hillcrest")


# --- area ---------------------------------------------------------------------------------------------


def test_services_serving__direct_postal_code_or_the_codes_county(lakeside_codes):
    ServiceFactory(name="direct", postal_codes=["97401"])
    ServiceFactory(name="county", counties=["Lakeside"])
    ServiceFactory(name="both", postal_codes=["97401", "97402"], counties=["Lakeside", "Hillcrest"])
    ServiceFactory(name="neighbour code", postal_codes=["97402"])
    ServiceFactory(name="other county", counties=["Hillcrest"])
    ServiceFactory(name="no area")

    found = services_serving(Service.objects.all(), "97401")

    assert sorted(names(found)) == ["both", "county", "direct"]
    assert found.count() == 3  # no duplicate rows for a service listed several ways


def test_services_serving__unknown_postal_code_matches_only_direct_areas(lakeside_codes):
    ServiceFactory(name="direct", postal_codes=["97555"])
    ServiceFactory(name="county", counties=["Lakeside"])

    assert names(services_serving(Service.objects.all(), "97555")) == ["direct"]


def test_services_ranked__area_match_is_2_direct_1_county_0_otherwise(lakeside_codes):
    ServiceFactory(name="direct", postal_codes=["97401"], counties=["Lakeside"])
    ServiceFactory(name="county", counties=["Lakeside"])
    ServiceFactory(name="elsewhere", postal_codes=["97999"])

    scores = {s.name: s.area_match for s in ranked(postal_code="97401")}

    assert scores == {"direct": 2, "county": 1, "elsewhere": 0}


# --- language -----------------------------------------------------------------------------------------


def test_services_in_language__speaks_it_or_offers_interpretation():
    ServiceFactory(name="speaks", languages=["vi", "en"])
    ServiceFactory(name="interprets", languages=["en"], interpretation_services="Telephone interpreters")
    ServiceFactory(name="english only", languages=["en"])
    ServiceFactory(name="no languages")

    found = services_in_language(Service.objects.all(), "vi")

    assert sorted(names(found)) == ["interprets", "speaks"]


def test_services_ranked__language_match_is_2_speaks_1_interpretation_0_otherwise():
    ServiceFactory(name="speaks", languages=["vi"], interpretation_services="Also interpreters")
    ServiceFactory(name="interprets", interpretation_services="Telephone interpreters")
    ServiceFactory(name="neither", languages=["en"])

    scores = {s.name: s.language_match for s in ranked(language="vi")}

    assert scores == {"speaks": 2, "interprets": 1, "neither": 0}


def test_services_ranked__without_postal_code_or_language_those_scores_are_0(lakeside_codes):
    ServiceFactory(name="a", postal_codes=["97401"], languages=["vi"])

    (service,) = ranked()

    assert (service.area_match, service.language_match) == (0, 0)


# --- capacity and verification ------------------------------------------------------------------------


def test_capacity_rank__orders_capacity_waitlist_assessment_none():
    assert (
        CAPACITY_RANK[CapacityStatus.CAPACITY]
        > CAPACITY_RANK[CapacityStatus.WAITLIST]
        > CAPACITY_RANK[CapacityStatus.ADDITIONAL_ASSESSMENT_REQUIRED]
        > CAPACITY_RANK[CapacityStatus.NO_CAPACITY]
        == 0
    )
    assert set(CAPACITY_RANK) == set(CapacityStatus)


@pytest.mark.parametrize(
    ("capacity_status", "accepting", "rank"),
    [
        ("capacity", True, 3),
        ("waitlist", True, 2),
        ("additional-assessment-required", True, 1),
        ("no-capacity", True, 0),
        ("capacity", False, 0),
        ("waitlist", False, 0),
    ],
)
def test_services_ranked__capacity_rank(capacity_status, accepting, rank):
    ServiceFactory(capacity_status=capacity_status, accepting_referrals=accepting)

    (service,) = ranked()

    assert service.capacity_rank == rank


@pytest.mark.parametrize(
    ("assured_days_ago", "verified"),
    [(0, 1), (364, 1), (365, 1), (366, 0), (2000, 0), (None, 0)],
)
def test_services_ranked__verified_recently_means_within_365_days(assured_days_ago, verified):
    assured = None if assured_days_ago is None else TODAY - datetime.timedelta(days=assured_days_ago)
    ServiceFactory(assured_date=assured)

    (service,) = ranked()

    assert service.verified_recently == verified
    assert service.is_stale(today=TODAY) is (verified == 0)


# --- the order ----------------------------------------------------------------------------------------


def test_services_ranked__orders_area_language_capacity_verification_name(lakeside_codes):
    old = TODAY - datetime.timedelta(days=500)
    fresh = TODAY - datetime.timedelta(days=5)
    # Every tier is shown to outweigh the later ones (H beats G on area though G speaks the language, G beats F
    # on language though F has capacity, F beats E on capacity though E is verified, D beats C on verification,
    # A beats B on the name alone), and every name sorts against the expected order.
    ServiceFactory(name="H", postal_codes=["97401"], capacity_status="no-capacity", assured_date=old)
    ServiceFactory(name="G", counties=["Lakeside"], languages=["so"], capacity_status="no-capacity", assured_date=old)
    ServiceFactory(name="F", counties=["Lakeside"], interpretation_services="Yes", assured_date=old)
    ServiceFactory(
        name="E", counties=["Lakeside"], interpretation_services="Yes", capacity_status="waitlist", assured_date=fresh
    )
    ServiceFactory(
        name="D",
        counties=["Lakeside"],
        interpretation_services="Yes",
        capacity_status="additional-assessment-required",
        assured_date=fresh,
    )
    ServiceFactory(
        name="C",
        counties=["Lakeside"],
        interpretation_services="Yes",
        capacity_status="additional-assessment-required",
        assured_date=old,
    )
    ServiceFactory(name="B", languages=["so"], assured_date=fresh)
    ServiceFactory(name="A", languages=["so"], assured_date=fresh)

    order = names(ranked(postal_code="97401", language="so"))

    assert order == ["H", "G", "F", "E", "D", "C", "A", "B"]


def test_services_ranked__ties_break_by_name_then_id():
    for name in ["Zeta", "Alpha", "Mu", "Alpha"]:
        ServiceFactory(name=name)

    services = ranked()

    assert names(services) == ["Alpha", "Alpha", "Mu", "Zeta"]
    assert services[0].pk < services[1].pk


def test_services_ranked__does_not_repeat_services_with_many_languages_and_areas(lakeside_codes):
    ServiceFactory(name="busy", languages=["so", "en", "vi"], postal_codes=["97401", "97402"], counties=["Lakeside"])
    ServiceFactory(name="quiet")

    assert names(ranked(postal_code="97401", language="so")) == ["busy", "quiet"]


# --- text and visibility ------------------------------------------------------------------------------


def test_services_matching_text__every_term_must_match_somewhere():
    org = OrganizationFactory(name="Harbor Community Health")
    ServiceFactory(name="Pantry", organization=org, description="Groceries")
    ServiceFactory(name="Harbor rides", description="Transport to appointments")

    assert names(services_matching_text(Service.objects.all(), "harbor groceries")) == ["Pantry"]
    assert sorted(names(services_matching_text(Service.objects.all(), "HARBOR"))) == ["Harbor rides", "Pantry"]


def test_services_matching_text__uses_only_the_first_eight_terms():
    ServiceFactory(name="one two three four five six seven eight")

    found = services_matching_text(Service.objects.all(), "one two three four five six seven eight NOT-PRESENT")

    assert names(found) == ["one two three four five six seven eight"]


def test_service_list__any_signed_in_user_sees_services_of_active_organizations(no_role_user):
    ServiceFactory(name="listed")
    ServiceFactory(name="closed org", organization=OrganizationFactory(active=False))

    assert names(service_list(actor=no_role_user)) == ["listed"]


def test_service_list__anonymous_sees_nothing():
    ServiceFactory(name="listed")

    assert names(service_list(actor=AnonymousUser())) == []
