"""Directory search and service detail pages."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from providers.models import Location
from tests.factories import OrganizationFactory, PostalCodeFactory, ServiceFactory

DIRECTORY = reverse("providers:directory")


def _detail(service):
    return reverse("providers:service-detail", args=[service.pk])


def _names(response):
    return [service.name for service in response.context["page"].object_list]


@pytest.fixture
def pantry(provider):
    return ServiceFactory(
        organization=provider,
        name="Harbor Pantry",
        category="food-insecurity",
        capacity_status="waitlist",
        capacity_note="About ten days' wait.",
        eligibility_description="Anyone in need.",
        languages=["en", "es"],
        postal_codes=["97401"],
        counties=["Lakeside"],
    )


@pytest.fixture
def stale_shelter(other_provider):
    return ServiceFactory(
        organization=other_provider,
        name="Northside Shelter",
        category="homelessness",
        capacity_status="no-capacity",
        assured_date=datetime.date(2020, 5, 4),
    )


# Permission matrix


def test_directory__anonymous_is_sent_to_login(client, pantry):
    response = client.get(DIRECTORY)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={DIRECTORY}"


@pytest.mark.parametrize(
    "user_fixture", ["case_manager", "provider_intake", "other_provider_intake", "data_steward", "no_role_user"]
)
def test_directory__every_signed_in_user_reads_every_listing(client, request, user_fixture, pantry, stale_shelter):
    client.force_login(request.getfixturevalue(user_fixture))
    response = client.get(DIRECTORY)
    assert response.status_code == 200
    assert sorted(_names(response)) == ["Harbor Pantry", "Northside Shelter"]


def test_service_detail__anonymous_is_sent_to_login(client, pantry):
    response = client.get(_detail(pantry))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("user_fixture", ["case_manager", "provider_intake", "other_provider_intake", "no_role_user"])
def test_service_detail__any_signed_in_user_sees_it(client, request, user_fixture, pantry):
    client.force_login(request.getfixturevalue(user_fixture))
    response = client.get(_detail(pantry))
    assert response.status_code == 200
    assert response.context["service"] == pantry


def test_service_detail__unknown_id_gets_404_page(client, case_manager):
    client.force_login(case_manager)
    response = client.get(reverse("providers:service-detail", args=[uuid.uuid4()]))
    assert response.status_code == 404
    assertContains(response, "We couldn't find that page", status_code=404)


def test_service_detail__inactive_organization_gets_404(client, case_manager):
    service = ServiceFactory(organization=OrganizationFactory(active=False))
    client.force_login(case_manager)
    assert client.get(_detail(service)).status_code == 404


# What the results show


def test_directory__result_shows_listing_facts(client, case_manager, pantry):
    client.force_login(case_manager)
    response = client.get(DIRECTORY)
    for text in (
        "Harbor Pantry",
        "Harbor Community Health",
        "Food insecurity",
        "Waitlist",
        "About ten days&#x27; wait.",
        "English, Spanish",
        "Lakeside County, 97401</dd>",
        "Anyone in need.",
        _detail(pantry),
    ):
        assertContains(response, text)
    assertNotContains(response, "Stale listing")


def test_directory__stale_listing_is_marked_with_its_date(client, case_manager, stale_shelter):
    client.force_login(case_manager)
    response = client.get(DIRECTORY)
    assertContains(response, "Stale listing: not verified since May 4, 2020")
    assertContains(response, "No capacity")


def test_directory__never_verified_listing_is_marked_stale(client, case_manager):
    ServiceFactory(name="Unverified", assured_date=None)
    client.force_login(case_manager)
    assertContains(client.get(DIRECTORY), "Stale listing: never verified")


def test_directory__leaves_out_inactive_services_and_organizations(client, case_manager, pantry):
    ServiceFactory(name="Closed for good", status="defunct")
    ServiceFactory(name="Gone org", organization=OrganizationFactory(active=False))
    client.force_login(case_manager)
    assert _names(client.get(DIRECTORY)) == ["Harbor Pantry"]


def test_directory__ranks_services_serving_the_postal_code_first(client, case_manager, pantry):
    PostalCodeFactory(code="97401", county="Lakeside")
    ServiceFactory(name="Aardvark Food Help", postal_codes=["97999"])
    ServiceFactory(name="County-wide Meals", counties=["Lakeside"])
    client.force_login(case_manager)
    response = client.get(DIRECTORY, {"postal_code": "97401"})
    # Direct postal code match, then a county match; a service elsewhere is left out.
    assert _names(response) == ["Harbor Pantry", "County-wide Meals"]


def test_directory__filters_by_text_category_language_and_capacity(client, case_manager, pantry, stale_shelter):
    ServiceFactory(name="Vietnamese Pantry", languages=["vi"], capacity_status="capacity")
    client.force_login(case_manager)
    assert _names(client.get(DIRECTORY, {"q": "northside"})) == ["Northside Shelter"]
    assert _names(client.get(DIRECTORY, {"category": "homelessness"})) == ["Northside Shelter"]
    assert _names(client.get(DIRECTORY, {"language": "vi"})) == ["Vietnamese Pantry"]
    assert _names(client.get(DIRECTORY, {"capacity_status": "waitlist"})) == ["Harbor Pantry"]


# Bad input answers the form with errors, never a 500


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"postal_code": "abc"}, "postal_code", "Enter a 5-digit postal code (or ZIP+4)."),
        ({"category": "not-a-category"}, "category", "Select a valid choice."),
        ({"language": "xx"}, "language", "Select a valid choice."),
        ({"capacity_status": "plenty"}, "capacity_status", "Select a valid choice."),
        ({"q": "x" * 201}, "q", "Ensure this value has at most 200 characters"),
    ],
)
def test_directory__bad_value_shows_form_error(client, case_manager, pantry, params, field, message):
    client.force_login(case_manager)
    response = client.get(DIRECTORY, params)
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assertContains(response, message)
    assertContains(response, f'id="id_{field}_error"')
    assert response.context["page"] is None
    assertNotContains(response, "Harbor Pantry")


def test_directory__bad_page_number_shows_the_last_page(client, case_manager, pantry):
    client.force_login(case_manager)
    response = client.get(DIRECTORY, {"page": "999"})
    assert response.status_code == 200
    assert _names(response) == ["Harbor Pantry"]


# Pagination, HTMX and query budget


def test_directory__paginates_25_per_page(client, case_manager):
    for n in range(30):
        ServiceFactory(name=f"Listing {n:02d}")
    client.force_login(case_manager)
    first = client.get(DIRECTORY)
    second = client.get(DIRECTORY, {"page": 2})
    assert len(_names(first)) == 25
    assert _names(second) == [f"Listing {n:02d}" for n in range(25, 30)]
    assertContains(first, "Page 1 of 2")
    assertContains(first, "30 services found")


def test_directory__pagination_links_keep_the_search(client, case_manager):
    for n in range(30):
        ServiceFactory(name=f"Pantry {n:02d}", category="food-insecurity")
    client.force_login(case_manager)
    response = client.get(DIRECTORY, {"category": "food-insecurity"})
    assertContains(response, 'href="?category=food-insecurity&amp;page=2"')


def test_directory__htmx_request_gets_the_search_region_only(client, case_manager, pantry):
    client.force_login(case_manager)
    response = client.get(DIRECTORY, {"q": "pantry"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="directory-search"')
    assert "<html" not in body
    assert "Harbor Pantry" in body
    assert "HX-Request" in response["Vary"]


def test_directory__htmx_history_restore_gets_the_whole_page(client, case_manager, pantry):
    client.force_login(case_manager)
    response = client.get(DIRECTORY, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assertContains(response, "<html")


def test_directory__without_htmx_gets_the_whole_page(client, case_manager, pantry):
    client.force_login(case_manager)
    response = client.get(DIRECTORY, {"q": "pantry"})
    assertContains(response, "<html")
    assertContains(response, 'hx-get="/directory/"')


def test_directory__query_count_does_not_grow_with_rows(client, case_manager, django_assert_max_num_queries):
    PostalCodeFactory(code="97401", county="Lakeside")
    params = {"postal_code": "97401", "language": "es"}

    def add(count):
        for _ in range(count):
            ServiceFactory(languages=["en", "es"], postal_codes=["97401"], counties=["Lakeside"])

    client.force_login(case_manager)
    add(3)
    client.get(DIRECTORY, params)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(18) as few:
        assert len(_names(client.get(DIRECTORY, params))) == 3
    add(27)
    with django_assert_max_num_queries(18) as many:
        assert len(_names(client.get(DIRECTORY, params))) == 25
    assert len(many.captured_queries) == len(few.captured_queries)


# Service detail


def test_service_detail__shows_hsds_details(client, case_manager, pantry):
    location = Location.objects.create(
        organization=pantry.organization,
        name="Harbor Downtown Clinic",
        address_1="210 Harbor Way",
        city="Lakeside",
        state_province="OR",
        postal_code="97401",
    )
    pantry.locations.add(location)
    pantry.application_process = "Walk in, or referral from a case manager."
    pantry.interpretation_services = "Phone interpretation in 200 languages"
    pantry.assured_date = timezone.localdate() - datetime.timedelta(days=3)
    pantry.assurer_email = "verifier@harbor.example.org"
    pantry.minimum_age = 18
    pantry.save()
    client.force_login(case_manager)
    response = client.get(_detail(pantry))
    for text in (
        "Harbor Pantry",
        "Harbor Downtown Clinic",
        "210 Harbor Way",
        "Lakeside, OR 97401",
        "Walk in, or referral from a case manager.",
        "Phone interpretation in 200 languages",
        pantry.assured_date.strftime("%b %-d, %Y"),
        "verifier@harbor.example.org",
        "18 and older",
        "English, Spanish",
    ):
        assertContains(response, text)
    assertNotContains(response, "Stale listing")


def test_service_detail__stale_listing_is_marked(client, case_manager, stale_shelter):
    client.force_login(case_manager)
    assertContains(client.get(_detail(stale_shelter)), "Stale listing: not verified since May 4, 2020")
