"""`/api/v1/services/`: the directory search partners code against."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from providers.models import Location, Service
from tests.api.conftest import EVERY_SIGNED_IN_USER
from tests.factories import OrganizationFactory, PostalCodeFactory, ServiceFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/services/"


def detail_url(service) -> str:
    return f"/api/v1/services/{service.pk}/"


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.fixture
def pantry(provider):
    return ServiceFactory(
        organization=provider,
        name="Harbor Food Pantry",
        description="Weekly groceries for families.",
        eligibility_description="Residents of Lakeside county.",
        category="food-insecurity",
        languages=["es", "en"],
        postal_codes=["97401", "97402"],
        counties=["Lakeside"],
        minimum_age=18,
        maximum_age=99,
        capacity_status="waitlist",
        capacity_note="Two-week wait.",
        interpretation_services="Phone interpreters on request.",
        application_process="Walk in.",
        assurer_email="listings@harbor.example.org",
    )


# --- permission matrix -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERY_SIGNED_IN_USER)
def test_service_list__every_signed_in_user_reads_the_directory(api, cast, who, pantry):
    response = api.as_user(cast(who)).get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == str(pantry.pk)
    assert body["results"][0]["organization"]["slug"] == "harbor-health"


@pytest.mark.parametrize("who", EVERY_SIGNED_IN_USER)
def test_service_detail__every_signed_in_user_reads_a_service(api, cast, who, pantry):
    response = api.as_user(cast(who)).get(detail_url(pantry))

    assert response.status_code == 200
    assert response.json()["name"] == "Harbor Food Pantry"


def test_service_list__anonymous_gets_401(api, pantry):
    response = api.as_user(None).get(LIST_URL)

    assert response.status_code == 401
    assert "results" not in response.json()
    assert "Harbor Food Pantry" not in response.content.decode()


def test_service_detail__anonymous_gets_401(api, pantry):
    response = api.as_user(None).get(detail_url(pantry))

    assert response.status_code == 401
    assert "Harbor Food Pantry" not in response.content.decode()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_service_write__even_provider_supervisor_gets_405(api, provider_supervisor, pantry, method):
    """The API is read-only for the directory, including for roles that maintain listings."""
    url = LIST_URL if method == "post" else detail_url(pantry)

    response = getattr(api.as_user(provider_supervisor), method)(url, {"name": "Renamed"}, format="json")

    assert response.status_code == 405
    assert Service.objects.filter(pk=pantry.pk, name="Harbor Food Pantry").exists()
    assert Service.objects.count() == 1


def test_service_detail__missing_id_gets_404(api, case_manager):
    response = api.as_user(case_manager).get(f"/api/v1/services/{uuid.uuid4()}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_service_detail__non_uuid_id_gets_404(api, case_manager, pantry):
    response = api.as_user(case_manager).get("/api/v1/services/not-a-uuid/")

    assert response.status_code == 404


def test_service_list__leaves_out_services_of_inactive_organizations(api, case_manager, pantry):
    closed_org = OrganizationFactory(slug="closed-org", active=False)
    ServiceFactory(organization=closed_org, name="Gone Service")

    response = api.as_user(case_manager).get(LIST_URL)

    assert names(response) == ["Harbor Food Pantry"]


def test_service_detail__service_of_inactive_organization_gets_404(api, case_manager):
    service = ServiceFactory(organization=OrganizationFactory(slug="closed-org", active=False))

    response = api.as_user(case_manager).get(detail_url(service))

    assert response.status_code == 404


# --- data --------------------------------------------------------------------------------------------


def test_service_detail__answers_the_documented_fields(api, case_manager, provider, pantry):
    location = Location.objects.create(
        organization=provider, name="Harbor Main", address_1="1 Dock St", city="Lakeside", postal_code="97401"
    )
    pantry.locations.add(location)

    body = api.as_user(case_manager).get(detail_url(pantry)).json()

    assert body["id"] == str(pantry.pk)
    assert body["name"] == "Harbor Food Pantry"
    assert body["organization"] == {
        "id": str(provider.pk),
        "slug": "harbor-health",
        "name": "Harbor Community Health",
        "partner_category": "healthcare",
    }
    assert body["category"] == "food-insecurity"
    assert body["status"] == "active"
    assert body["description"] == "Weekly groceries for families."
    assert body["eligibility_description"] == "Residents of Lakeside county."
    assert body["languages"] == ["en", "es"]
    assert body["interpretation_services"] == "Phone interpreters on request."
    assert body["application_process"] == "Walk in."
    assert body["postal_codes"] == ["97401", "97402"]
    assert body["counties"] == ["Lakeside"]
    assert (body["minimum_age"], body["maximum_age"]) == (18, 99)
    assert body["capacity_status"] == "waitlist"
    assert body["capacity_note"] == "Two-week wait."
    assert datetime.datetime.fromisoformat(body["capacity_as_of"]) == pantry.capacity_as_of
    assert body["accepting_referrals"] is True
    assert body["assured_date"] == days_ago(10).isoformat()
    assert body["assurer_email"] == "listings@harbor.example.org"
    assert body["stale"] is False
    assert [loc["name"] for loc in body["locations"]] == ["Harbor Main"]
    assert body["locations"][0]["postal_code"] == "97401"


@pytest.mark.parametrize(
    ("assured_date", "stale"),
    [(0, False), (365, False), (366, True), (None, True)],
    ids=["today", "exactly-a-year", "a-year-and-a-day", "never-verified"],
)
def test_service_detail__stale_when_not_verified_within_a_year(api, case_manager, assured_date, stale):
    service = ServiceFactory(assured_date=None if assured_date is None else days_ago(assured_date))

    body = api.as_user(case_manager).get(detail_url(service)).json()

    assert body["stale"] is stale


def test_service_list__is_paginated_with_count_and_links(api, case_manager):
    for index in range(3):
        ServiceFactory(name=f"Service {index}")

    first = api.as_user(case_manager).get(LIST_URL, {"page_size": 2}).json()
    second = api.get(LIST_URL, {"page_size": 2, "page": 2}).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 3
    assert first["previous"] is None
    assert "page=2" in first["next"]
    assert [r["name"] for r in first["results"]] == ["Service 0", "Service 1"]
    assert [r["name"] for r in second["results"]] == ["Service 2"]
    assert second["next"] is None


def test_service_list__page_past_the_end_gets_404(api, case_manager, pantry):
    response = api.as_user(case_manager).get(LIST_URL, {"page": 9999})

    assert response.status_code == 404
    assert "detail" in response.json()


# --- filters -----------------------------------------------------------------------------------------


def test_service_list__category_filter(api, case_manager):
    ServiceFactory(name="Food", category="food-insecurity")
    ServiceFactory(name="Rides", category="transportation-insecurity")

    response = api.as_user(case_manager).get(LIST_URL, {"category": "transportation-insecurity"})

    assert names(response) == ["Rides"]


def test_service_list__postal_code_matches_direct_area_and_county_of_the_code(api, case_manager):
    PostalCodeFactory(code="97401", county="Lakeside")
    PostalCodeFactory(code="97999", county="Hillcrest")
    ServiceFactory(name="A county-wide", counties=["Lakeside"])
    ServiceFactory(name="B direct", postal_codes=["97401"])
    ServiceFactory(name="C other code", postal_codes=["97402"])
    ServiceFactory(name="D other county", counties=["Hillcrest"])
    ServiceFactory(name="E nowhere")

    response = api.as_user(case_manager).get(LIST_URL, {"postal_code": "97401"})

    # Direct postal-code match ranks above the county match, whatever the names say.
    assert names(response) == ["B direct", "A county-wide"]


def test_service_list__postal_code_not_in_reference_table_matches_direct_areas_only(api, case_manager):
    ServiceFactory(name="Direct", postal_codes=["97555"])
    ServiceFactory(name="County", counties=["Lakeside"])

    response = api.as_user(case_manager).get(LIST_URL, {"postal_code": "97555"})

    assert response.status_code == 200
    assert names(response) == ["Direct"]


def test_service_list__zip_plus_four_matches_its_five_digit_area(api, case_manager):
    PostalCodeFactory(code="97401", county="Lakeside")
    ServiceFactory(name="Direct", postal_codes=["97401"])
    ServiceFactory(name="County", counties=["Lakeside"])

    response = api.as_user(case_manager).get(LIST_URL, {"postal_code": "97401-1234"})

    assert response.status_code == 200
    assert names(response) == ["Direct", "County"]


def test_service_list__language_matches_spoken_or_interpretation(api, case_manager):
    ServiceFactory(name="A interpreted", languages=["en"], interpretation_services="Language line")
    ServiceFactory(name="B speaks vietnamese", languages=["vi"])
    ServiceFactory(name="C english only", languages=["en"])

    response = api.as_user(case_manager).get(LIST_URL, {"language": "vi"})

    # Speaking the language ranks above offering interpretation.
    assert names(response) == ["B speaks vietnamese", "A interpreted"]


def test_service_list__capacity_status_filter(api, case_manager):
    ServiceFactory(name="Open", capacity_status="capacity")
    ServiceFactory(name="Full", capacity_status="no-capacity")
    ServiceFactory(name="Queue", capacity_status="waitlist")

    response = api.as_user(case_manager).get(LIST_URL, {"capacity_status": "waitlist"})

    assert names(response) == ["Queue"]


def test_service_list__organization_filter_takes_a_slug(api, case_manager, provider, other_provider):
    ServiceFactory(organization=provider, name="Harbor service")
    ServiceFactory(organization=other_provider, name="Northside service")

    response = api.as_user(case_manager).get(LIST_URL, {"organization": "northside-bh"})
    unknown = api.get(LIST_URL, {"organization": "no-such-org"})

    assert names(response) == ["Northside service"]
    assert unknown.status_code == 200
    assert unknown.json()["count"] == 0


def test_service_list__q_searches_name_description_eligibility_and_organization(api, case_manager, other_provider):
    ServiceFactory(name="Diaper bank")
    ServiceFactory(name="Pantry", description="Fresh produce and DIAPERS")
    ServiceFactory(name="Clinic", eligibility_description="Parents who need diapers")
    ServiceFactory(name="Counselling", organization=other_provider)
    ServiceFactory(name="Unrelated")

    by_text = api.as_user(case_manager).get(LIST_URL, {"q": "diaper"})
    by_org = api.get(LIST_URL, {"q": "northside"})

    assert sorted(names(by_text)) == ["Clinic", "Diaper bank", "Pantry"]
    assert names(by_org) == ["Counselling"]


def test_service_list__q_terms_must_all_match(api, case_manager):
    ServiceFactory(name="Food pantry", description="Groceries")
    ServiceFactory(name="Food boxes", description="Delivered to seniors")

    response = api.as_user(case_manager).get(LIST_URL, {"q": "food seniors"})

    assert names(response) == ["Food boxes"]


def test_service_list__status_defaults_to_listed_services(api, case_manager):
    ServiceFactory(name="Active", status="active")
    ServiceFactory(name="Closed for now", status="temporarily closed")
    ServiceFactory(name="Inactive", status="inactive")
    ServiceFactory(name="Defunct", status="defunct")

    default = api.as_user(case_manager).get(LIST_URL)
    defunct = api.get(LIST_URL, {"status": "defunct"})
    inactive = api.get(LIST_URL, {"status": "inactive"})

    assert names(default) == ["Active", "Closed for now"]
    assert names(defunct) == ["Defunct"]
    assert names(inactive) == ["Inactive"]


def test_service_list__filters_combine(api, case_manager, provider):
    PostalCodeFactory(code="97401", county="Lakeside")
    ServiceFactory(
        organization=provider, name="Match", category="food-insecurity", languages=["es"], counties=["Lakeside"]
    )
    ServiceFactory(
        organization=provider, name="Wrong category", category="stress", languages=["es"], counties=["Lakeside"]
    )
    ServiceFactory(organization=provider, name="Wrong language", languages=["fr"], counties=["Lakeside"])
    ServiceFactory(organization=provider, name="Wrong area", languages=["es"], postal_codes=["97402"])

    response = api.as_user(case_manager).get(
        LIST_URL,
        {"category": "food-insecurity", "language": "es", "postal_code": "97401", "organization": "harbor-health"},
    )

    assert names(response) == ["Match"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("capacity_status", "bogus"),
        ("language", "xx"),
        ("postal_code", "abc"),
        ("postal_code", "974011"),
        ("category", "bogus"),
        ("status", "closed"),
        ("q", "x" * 5000),
        ("organization", "o" * 5000),
    ],
)
def test_service_list__invalid_filter_value_gets_400_naming_the_field(api, case_manager, pantry, param, value):
    response = api.as_user(case_manager).get(LIST_URL, {param: value})

    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert param in body["errors"]


# --- ranking -----------------------------------------------------------------------------------------


def test_service_list__ranks_area_then_language_then_capacity_then_verification_then_name(api, case_manager):
    PostalCodeFactory(code="97401", county="Lakeside")
    old = days_ago(400)
    # Every tier outweighs the later ones (G beats F on language though F has capacity and is verified, E beats D
    # on capacity though D is verified, D beats C on verification, C beats B on area though B speaks Somali), and
    # every name sorts before the names it must rank after: only the ranking can produce the expected order.
    ServiceFactory(name="G", postal_codes=["97401"], languages=["so"], capacity_status="no-capacity", assured_date=old)
    ServiceFactory(name="F", postal_codes=["97401"], interpretation_services="Interpreters")
    ServiceFactory(
        name="E", postal_codes=["97401"], interpretation_services="Yes", capacity_status="waitlist", assured_date=old
    )
    ServiceFactory(
        name="D",
        postal_codes=["97401"],
        interpretation_services="Yes",
        capacity_status="additional-assessment-required",
    )
    ServiceFactory(
        name="C",
        postal_codes=["97401"],
        interpretation_services="Yes",
        capacity_status="additional-assessment-required",
        assured_date=old,
    )
    ServiceFactory(name="B", counties=["Lakeside"], languages=["so"])
    ServiceFactory(name="A", counties=["Lakeside"], languages=["so"])
    ServiceFactory(name="0 no somali", counties=["Lakeside"], languages=["en"])

    response = api.as_user(case_manager).get(LIST_URL, {"postal_code": "97401", "language": "so"})

    assert names(response) == ["G", "F", "E", "D", "C", "A", "B"]
    assert response.json()["count"] == 7


def test_service_list__capacity_ranks_capacity_waitlist_assessment_none(api, case_manager):
    ServiceFactory(name="A none", capacity_status="no-capacity")
    ServiceFactory(name="B assessment", capacity_status="additional-assessment-required")
    ServiceFactory(name="C waitlist", capacity_status="waitlist")
    ServiceFactory(name="D not accepting", capacity_status="capacity", accepting_referrals=False)
    ServiceFactory(name="E capacity", capacity_status="capacity")

    response = api.as_user(case_manager).get(LIST_URL)

    # Not accepting referrals ranks with no capacity (0); ties fall back to the name.
    assert names(response) == ["E capacity", "C waitlist", "B assessment", "A none", "D not accepting"]


# --- query budget ------------------------------------------------------------------------------------


def _populate(count: int, provider) -> None:
    location = Location.objects.create(organization=provider, name="Main site")
    for index in range(count):
        service = ServiceFactory(
            organization=OrganizationFactory(),
            name=f"Service {index:02d}",
            languages=["en", "es"],
            postal_codes=["97401"],
            counties=["Lakeside"],
        )
        service.locations.add(location)


@pytest.mark.parametrize(
    "params", [{}, {"postal_code": "97401", "language": "es", "q": "service"}], ids=["plain", "search"]
)
def test_service_list__query_count_does_not_grow_with_rows(api, case_manager, provider, params):
    PostalCodeFactory(code="97401", county="Lakeside")
    _populate(3, provider)
    api.as_user(case_manager)
    with CaptureQueriesContext(connection) as few:
        assert api.get(LIST_URL, params).json()["count"] == 3
    _populate(27, provider)

    with CaptureQueriesContext(connection) as many:
        response = api.get(LIST_URL, params)

    assert response.json()["count"] == 30
    assert len(response.json()["results"]) == 25
    assert len(many) == len(few)


def test_service_list__query_budget(api, case_manager, provider, django_assert_max_num_queries):
    PostalCodeFactory(code="97401", county="Lakeside")
    _populate(30, provider)
    api.as_user(case_manager)

    # count + page + languages + areas + locations, and the county lookups for the postal code.
    with django_assert_max_num_queries(7):
        response = api.get(LIST_URL, {"postal_code": "97401", "language": "es"})

    assert response.json()["count"] == 30
