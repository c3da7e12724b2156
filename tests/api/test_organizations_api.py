"""`/api/v1/organizations/`: the directory's organizations, readable by anyone signed in."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from providers.models import Organization
from tests.api.conftest import EVERY_SIGNED_IN_USER
from tests.factories import AgencyFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/organizations/"


def detail_url(organization) -> str:
    return f"/api/v1/organizations/{organization.pk}/"


def slugs(response) -> list[str]:
    return [row["slug"] for row in response.json()["results"]]


@pytest.fixture
def directory(county, provider, other_provider):
    return [county, provider, other_provider]


# --- permission matrix -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERY_SIGNED_IN_USER)
def test_organization_list__every_signed_in_user_reads_every_active_organization(api, cast, who, directory):
    response = api.as_user(cast(who)).get(LIST_URL)

    assert response.status_code == 200
    # Ordered by name; not just the caller's own organization.
    assert slugs(response) == ["harbor-health", "lakeside-county", "northside-bh"]
    assert response.json()["count"] == 3


@pytest.mark.parametrize("who", EVERY_SIGNED_IN_USER)
def test_organization_detail__every_signed_in_user_reads_another_organization(api, cast, who, directory):
    other_provider = directory[2]

    response = api.as_user(cast(who)).get(detail_url(other_provider))

    assert response.status_code == 200
    assert response.json()["slug"] == "northside-bh"


def test_organization_list__anonymous_gets_401(api, directory):
    response = api.as_user(None).get(LIST_URL)

    assert response.status_code == 401
    assert "detail" in response.json()
    assert "lakeside-county" not in response.content.decode()


def test_organization_detail__anonymous_gets_401(api, county):
    response = api.as_user(None).get(detail_url(county))

    assert response.status_code == 401
    assert "Lakeside" not in response.content.decode()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_organization_write__even_governance_lead_gets_405(api, governance_lead, county, method):
    url = LIST_URL if method == "post" else detail_url(county)

    response = getattr(api.as_user(governance_lead), method)(
        url, {"name": "Renamed", "slug": "renamed", "kind": "agency"}, format="json"
    )

    assert response.status_code == 405
    assert list(Organization.objects.values_list("slug", "name")) == [
        ("lakeside-county", "Lakeside County Human Services")
    ]


def test_organization_detail__missing_and_non_uuid_ids_get_404(api, case_manager):
    assert api.as_user(case_manager).get(f"/api/v1/organizations/{uuid.uuid4()}/").status_code == 404
    assert api.get("/api/v1/organizations/lakeside-county/").status_code == 404


def test_organization_list__leaves_out_inactive_organizations(api, case_manager, directory):
    closed = OrganizationFactory(slug="closed-org", name="Aaa Closed", active=False)

    response = api.as_user(case_manager).get(LIST_URL)
    detail = api.get(detail_url(closed))

    assert "closed-org" not in slugs(response)
    assert detail.status_code == 404


# --- data --------------------------------------------------------------------------------------------


def test_organization_detail__answers_the_documented_fields(api, no_role_user):
    organization = AgencyFactory(
        slug="river-county",
        name="River County Social Services",
        alternate_name="RCSS",
        description="County social services.",
        email="info@river.example.gov",
        website="https://river.example.gov",
        phone="541-555-0199",
    )

    body = api.as_user(no_role_user).get(detail_url(organization)).json()

    assert body == {
        "id": str(organization.pk),
        "slug": "river-county",
        "name": "River County Social Services",
        "alternate_name": "RCSS",
        "kind": "agency",
        "partner_category": "county-agency",
        "description": "County social services.",
        "email": "info@river.example.gov",
        "website": "https://river.example.gov",
        "phone": "541-555-0199",
        "active": True,
    }


def test_organization_list__filters_by_kind_partner_category_and_name(api, case_manager, directory):
    api.as_user(case_manager)

    assert slugs(api.get(LIST_URL, {"kind": "agency"})) == ["lakeside-county"]
    assert slugs(api.get(LIST_URL, {"partner_category": "behavioral-health"})) == ["northside-bh"]
    assert slugs(api.get(LIST_URL, {"q": "HARBOR"})) == ["harbor-health"]


@pytest.mark.parametrize(("param", "value"), [("kind", "club"), ("partner_category", "bogus"), ("q", "x" * 5000)])
def test_organization_list__invalid_filter_value_gets_400(api, case_manager, directory, param, value):
    response = api.as_user(case_manager).get(LIST_URL, {param: value})

    assert response.status_code == 400
    assert param in response.json()["errors"]


def test_organization_list__page_past_the_end_gets_404(api, case_manager, directory):
    response = api.as_user(case_manager).get(LIST_URL, {"page": 9999})

    assert response.status_code == 404


# --- query budget ------------------------------------------------------------------------------------


def test_organization_list__query_count_does_not_grow_with_rows(
    api, case_manager, county, django_assert_max_num_queries
):
    for _ in range(2):
        OrganizationFactory()
    api.as_user(case_manager)
    with CaptureQueriesContext(connection) as few:
        assert api.get(LIST_URL).json()["count"] == 3
    for _ in range(27):
        OrganizationFactory()

    # count, page, and the caller's memberships (for the purpose of use)
    with django_assert_max_num_queries(3), CaptureQueriesContext(connection) as many:
        response = api.get(LIST_URL)

    assert response.json()["count"] == 30
    assert len(many) == len(few)
