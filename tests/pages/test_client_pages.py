"""Client search, create and detail pages: who may use them, what they validate, what they audit."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from audit.choices import AuditAction, Outcome
from clients.models import Client
from tests.factories import ClientFactory

SEARCH = reverse("clients:search")
CREATE = reverse("clients:create")


def _detail(client_or_pk):
    return reverse("clients:detail", args=[getattr(client_or_pk, "pk", client_or_pk)])


def _shown(response):
    return [c.pk for c in response.context["page"].object_list]


@pytest.fixture
def county_client(county):
    return ClientFactory(
        organization=county,
        given_name="Rosa",
        family_name="Martinez",
        birth_date=datetime.date(1984, 3, 14),
        identifiers=[("county-case-number", "LC-100234")],
    )


@pytest.fixture
def provider_client(provider):
    return ClientFactory(organization=provider, given_name="Rosa", family_name="Marquez")


@pytest.fixture
def valid_form():
    return {
        "given_name": "Linh",
        "family_name": "Tran",
        "birth_date": "1991-07-23",
        "phone": "541-555-0402",
        "email": "",
        "address_line": "",
        "city": "Lakeside",
        "postal_code": "97401",
        "county": "Lakeside",
        "preferred_contact_method": "phone",
        "preferred_language": "vi",
        "identifier_system": "county-case-number",
        "identifier_value": "LC-101552",
    }


# Search: permission matrix


def test_client_search__anonymous_is_sent_to_login(client, county_client, audit_rows):
    response = client.get(SEARCH, {"q": "rosa"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert audit_rows(AuditAction.CLIENT_LISTED) == []


def test_client_search__no_role_user_gets_403(client, no_role_user, county_client, audit_rows):
    client.force_login(no_role_user)
    response = client.get(SEARCH, {"q": "rosa"})
    assert response.status_code == 403
    assertContains(response, "You don't have access to this page", status_code=403)
    assertContains(response, "Your role does not allow searching clients.", status_code=403)
    assert audit_rows(AuditAction.CLIENT_LISTED) == []


@pytest.mark.parametrize(
    ("user_fixture", "sees_county", "sees_provider"),
    [
        ("case_manager", True, False),
        ("county_supervisor", True, False),
        ("data_steward", True, False),
        ("governance_lead", True, False),
        ("provider_intake", False, True),
        ("other_provider_intake", False, False),
        # Partner systems cannot sign in to the browser; even a forged session sees only their organization.
        ("partner_system", False, True),
    ],
)
def test_client_search__each_role_sees_only_its_organizations_clients(
    client, request, user_fixture, sees_county, sees_provider, county_client, provider_client
):
    client.force_login(request.getfixturevalue(user_fixture))
    response = client.get(SEARCH, {"q": "rosa"})
    assert response.status_code == 200
    expected = [c.pk for c, sees in ((provider_client, sees_provider), (county_client, sees_county)) if sees]
    assert _shown(response) == expected


# Search: results, validation, audit


def test_client_search__first_visit_shows_form_only_and_writes_no_audit(
    client, case_manager, county_client, audit_rows
):
    client.force_login(case_manager)
    response = client.get(SEARCH)
    assert response.status_code == 200
    assert response.context["page"] is None
    assertNotContains(response, "Martinez")
    assert audit_rows(AuditAction.CLIENT_LISTED) == []


def test_client_search__shows_result_columns_and_links(client, case_manager, county_client):
    client.force_login(case_manager)
    response = client.get(SEARCH, {"q": "martinez"})
    for text in (
        "Martinez, Rosa",
        "Mar 14, 1984",
        "County case number",
        "LC-100234",
        "97401",
        "Lakeside County Human Services",
        _detail(county_client),
        CREATE,
    ):
        assertContains(response, text)


def test_client_search__by_birth_date_and_identifier(client, case_manager, county_client):
    ClientFactory(organization=county_client.organization, given_name="Ana", birth_date=datetime.date(1990, 1, 1))
    client.force_login(case_manager)
    assert _shown(client.get(SEARCH, {"birth_date": "1984-03-14"})) == [county_client.pk]
    assert _shown(client.get(SEARCH, {"identifier": "lc-100234"})) == [county_client.pk]
    assert _shown(client.get(SEARCH, {"q": "LC-100234"})) == [county_client.pk]


def test_client_search__writes_one_audit_row_listing_the_shown_clients(
    client, case_manager, county_client, provider_client, audit_rows
):
    client.force_login(case_manager)
    client.get(SEARCH, {"q": "rosa", "birth_date": "1984-03-14"})
    [row] = audit_rows(AuditAction.CLIENT_LISTED)
    assert row.actor == case_manager
    assert row.outcome == Outcome.SUCCESS
    assert row.source == "page"
    assert row.detail == {
        "client_ids": [str(county_client.pk)],
        "query": {"q": "rosa", "birth_date": "1984-03-14", "identifier": "", "page": 1},
    }


def test_client_search__no_match_is_still_audited_with_no_ids(client, case_manager, county_client, audit_rows):
    client.force_login(case_manager)
    response = client.get(SEARCH, {"q": "nobody"})
    assertContains(response, "No clients match.")
    [row] = audit_rows(AuditAction.CLIENT_LISTED)
    assert row.detail["client_ids"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"birth_date": "1984-13-45"}, "Enter a valid date."),
        ({"birth_date": "yesterday"}, "Enter a valid date."),
        ({"q": "", "birth_date": "", "identifier": ""}, "Enter a name, birth date or identifier to search."),
        ({"identifier": "x" * 65}, "Ensure this value has at most 64 characters"),
    ],
)
def test_client_search__bad_input_shows_form_error_and_lists_nothing(
    client, case_manager, county_client, audit_rows, params, message
):
    client.force_login(case_manager)
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    assertContains(response, message)
    assert response.context["page"] is None
    assertNotContains(response, "Martinez")
    assert audit_rows(AuditAction.CLIENT_LISTED) == []


def test_client_search__paginates_and_audits_each_page_separately(client, case_manager, county, audit_rows):
    clients = [ClientFactory(organization=county, family_name="Smith", given_name=f"Pat{n:02d}") for n in range(30)]
    client.force_login(case_manager)
    first = client.get(SEARCH, {"q": "smith"})
    second = client.get(SEARCH, {"q": "smith", "page": 2})
    assert _shown(first) == [c.pk for c in clients[:25]]
    assert _shown(second) == [c.pk for c in clients[25:]]
    assertContains(first, "Page 1 of 2")
    assertContains(first, 'href="?q=smith&amp;page=2"')
    rows = audit_rows(AuditAction.CLIENT_LISTED)
    assert [len(r.detail["client_ids"]) for r in rows] == [25, 5]
    assert rows[1].detail["client_ids"] == [str(c.pk) for c in clients[25:]]
    assert rows[1].detail["query"]["page"] == 2


def test_client_search__query_count_does_not_grow_with_rows(
    client, case_manager, county, django_assert_max_num_queries
):
    def add(count):
        for _ in range(count):
            ClientFactory(organization=county, family_name="Smith", identifiers=[("mrn", f"MRN-{uuid.uuid4()}")])

    client.force_login(case_manager)
    add(3)
    client.get(SEARCH, {"q": "smith"})  # warm caches (content types, sessions)
    # 17: one of them is the unread-notifications badge in the header (one COUNT on every page).
    with django_assert_max_num_queries(17) as few:
        assert len(_shown(client.get(SEARCH, {"q": "smith"}))) == 3
    add(27)
    with django_assert_max_num_queries(17) as many:
        assert len(_shown(client.get(SEARCH, {"q": "smith"}))) == 25
    assert len(many.captured_queries) == len(few.captured_queries)


# Create: permission matrix


def test_client_create__anonymous_is_sent_to_login(db, client, valid_form):
    response = client.post(CREATE, valid_form)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Client.objects.exists()


@pytest.mark.parametrize("user_fixture", ["no_role_user", "data_steward", "governance_lead"])
def test_client_create__roles_without_add_client_get_403(client, request, user_fixture, valid_form):
    client.force_login(request.getfixturevalue(user_fixture))
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, valid_form).status_code == 403
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("user_fixture", "org_fixture"),
    [("case_manager", "county"), ("county_supervisor", "county"), ("provider_intake", "provider")],
)
def test_client_create__creates_for_the_users_own_organization(
    client, request, user_fixture, org_fixture, valid_form, audit_rows
):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    form_page = client.get(CREATE)
    assert "organization" not in form_page.context["form"].fields
    response = client.post(CREATE, valid_form)
    created = Client.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _detail(created)
    assert created.organization == request.getfixturevalue(org_fixture)
    assert created.created_by == user
    assert (created.given_name, created.family_name, created.birth_date) == ("Linh", "Tran", datetime.date(1991, 7, 23))
    assert created.preferred_language == "vi"
    assert list(created.identifiers.values_list("system", "value")) == [("county-case-number", "LC-101552")]
    [row] = audit_rows(AuditAction.CLIENT_CREATED)
    assert (row.actor, row.client_id) == (user, created.pk)


def test_client_create__success_message_on_detail_page(client, case_manager, valid_form):
    client.force_login(case_manager)
    response = client.post(CREATE, valid_form, follow=True)
    assertContains(response, "Linh Tran was added.")
    assertContains(response, "LC-101552")


def test_client_create__single_org_user_cannot_pick_another_organization(
    client, case_manager, other_provider, valid_form
):
    client.force_login(case_manager)
    client.post(CREATE, {**valid_form, "organization": str(other_provider.pk)})
    assert Client.objects.get().organization.slug == "lakeside-county"


def test_client_create__two_org_user_chooses_the_organization(client, two_org_worker, provider, valid_form):
    client.force_login(two_org_worker)
    form = client.get(CREATE).context["form"]
    assert {o.slug for o in form.fields["organization"].queryset} == {"lakeside-county", "harbor-health"}
    missing = client.post(CREATE, valid_form)
    assertContains(missing, "This field is required.")
    assert not Client.objects.exists()
    client.post(CREATE, {**valid_form, "organization": str(provider.pk)})
    assert Client.objects.get().organization == provider


def test_client_create__two_org_user_cannot_pick_an_organization_outside_their_roles(
    client, two_org_worker, other_provider, valid_form
):
    client.force_login(two_org_worker)
    response = client.post(CREATE, {**valid_form, "organization": str(other_provider.pk)})
    assertContains(response, "Select a valid choice.")
    assert not Client.objects.exists()


# Create: validation like the API


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"birth_date": "2999-01-01"}, "birth_date", "A birth date cannot be in the future."),
        ({"birth_date": "1850-01-01"}, "birth_date", "A birth date more than 130 years ago is not plausible."),
        ({"birth_date": "1991-02-30"}, "birth_date", "Enter a valid date."),
        ({"given_name": ""}, "given_name", "This field is required."),
        ({"preferred_contact_method": "phone", "phone": ""}, "phone", "Required when the preferred contact method is"),
        ({"preferred_contact_method": "text", "phone": ""}, "phone", "Required when the preferred contact method is"),
        ({"preferred_contact_method": "email"}, "email", "Required when the preferred contact method is email."),
        ({"preferred_contact_method": "mail"}, "address_line", "Required when the preferred contact method is mail."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"postal_code": "abc"}, "postal_code", "Enter a 5-digit postal code (or ZIP+4)."),
        ({"phone": "call me"}, "phone", "Enter a phone number of 7 to 20 digits"),
        ({"identifier_value": ""}, "identifier_value", "Enter the identifier, or choose no identifier type."),
        ({"identifier_system": ""}, "identifier_system", "Choose what kind of identifier this is."),
        ({"identifier_system": "ssn"}, "identifier_system", "Select a valid choice."),
        ({"preferred_language": "xx"}, "preferred_language", "Select a valid choice."),
    ],
)
def test_client_create__invalid_input_shows_error_next_to_field(
    client, case_manager, valid_form, audit_rows, changes, field, message
):
    client.force_login(case_manager)
    response = client.post(CREATE, {**valid_form, **changes})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assertContains(response, f'id="id_{field}_error"')
    assert not Client.objects.exists()
    assert audit_rows(AuditAction.CLIENT_CREATED) == []


def test_client_create__today_is_an_acceptable_birth_date(client, case_manager, valid_form):
    client.force_login(case_manager)
    client.post(CREATE, {**valid_form, "birth_date": timezone.localdate().isoformat()})
    assert Client.objects.get().birth_date == timezone.localdate()


def test_client_create__without_identifier(client, case_manager, valid_form):
    client.force_login(case_manager)
    client.post(CREATE, {**valid_form, "identifier_system": "", "identifier_value": ""})
    assert not Client.objects.get().identifiers.exists()


# Create: the duplicate check


def test_client_create__likely_duplicate_shows_candidates_and_creates_nothing(
    client, case_manager, county_client, valid_form, audit_rows
):
    client.force_login(case_manager)
    response = client.post(
        CREATE, {**valid_form, "given_name": "Rosa", "family_name": "Martínez", "birth_date": "1984-03-14"}
    )
    assert response.status_code == 200
    assert response.context["candidates"] == [county_client]
    assertContains(response, "This person may already have a record")
    assertContains(response, _detail(county_client))
    assertContains(response, "LC-100234")
    assertContains(response, "This is a different person: create a new record anyway")
    assert Client.objects.count() == 1
    assert audit_rows(AuditAction.CLIENT_CREATED) == []
    # Showing the candidates discloses them: recorded like any other listing.
    [row] = audit_rows(AuditAction.CLIENT_LISTED)
    assert (row.actor, row.subtype, row.detail["client_ids"]) == (
        case_manager,
        "duplicate-check",
        [str(county_client.pk)],
    )


def test_client_create__same_identifier_is_a_likely_duplicate(client, case_manager, county_client, valid_form):
    client.force_login(case_manager)
    response = client.post(CREATE, {**valid_form, "identifier_value": "LC-100234"})
    assert response.context["candidates"] == [county_client]
    assert Client.objects.count() == 1


def test_client_create__confirmed_different_person_is_created(
    client, case_manager, county_client, valid_form, audit_rows
):
    client.force_login(case_manager)
    data = {**valid_form, "given_name": "Rosa", "family_name": "Martinez", "birth_date": "1984-03-14"}
    client.post(CREATE, data)
    response = client.post(CREATE, {**data, "allow_duplicate": "on"})
    created = Client.objects.exclude(pk=county_client.pk).get()
    assert response["Location"] == _detail(created)
    [row] = audit_rows(AuditAction.CLIENT_CREATED)
    assert row.client_id == created.pk
    assert row.detail == {"duplicate_override_of": [str(county_client.pk)]}


def test_client_create__other_organizations_clients_are_never_shown_as_candidates(
    client, other_provider_intake, county_client, valid_form, audit_rows
):
    client.force_login(other_provider_intake)
    response = client.post(
        CREATE, {**valid_form, "given_name": "Rosa", "family_name": "Martinez", "birth_date": "1984-03-14"}
    )
    assert response.status_code == 302
    assert Client.objects.count() == 2
    assert audit_rows(AuditAction.CLIENT_LISTED) == []


# Detail


def test_client_detail__anonymous_is_sent_to_login(client, county_client, audit_rows):
    response = client.get(_detail(county_client))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert audit_rows(AuditAction.CLIENT_VIEWED) == audit_rows(AuditAction.OBJECT_ACCESS_DENIED) == []


@pytest.mark.parametrize("user_fixture", ["case_manager", "county_supervisor", "data_steward", "governance_lead"])
def test_client_detail__own_organization_sees_it_and_is_audited(
    client, request, user_fixture, county_client, audit_rows
):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    response = client.get(_detail(county_client))
    assert response.status_code == 200
    assert response.context["client"] == county_client
    [row] = audit_rows(AuditAction.CLIENT_VIEWED)
    assert (row.actor, row.client_id, row.target_type, row.target_id) == (
        user,
        county_client.pk,
        "clients.Client",
        str(county_client.pk),
    )


def test_client_detail__shows_demographics_contact_language_identifiers(client, case_manager, county):
    record = ClientFactory(
        organization=county,
        given_name="James",
        family_name="Whitaker",
        birth_date=datetime.date(1957, 11, 2),
        phone="541-555-0388",
        email="jwhitaker@example.net",
        address_line="402 Mill Rd",
        city="Millbrook",
        postal_code="97419",
        preferred_contact_method="email",
        preferred_language="es",
        interpreter_needed=True,
        identifiers=[("medicaid-id", "MC-55")],
    )
    client.force_login(case_manager)
    response = client.get(_detail(record))
    for text in (
        "James Whitaker",
        "Nov 2, 1957",
        "541-555-0388",
        "jwhitaker@example.net",
        "402 Mill Rd",
        "Millbrook 97419",
        "Email",
        "Spanish",
        "Interpreter needed",
        "Medicaid ID",
        "MC-55",
        "Lakeside County Human Services",
        "Created",
        "Last updated",
    ):
        assertContains(response, text)


@pytest.mark.parametrize("user_fixture", ["provider_intake", "other_provider_intake", "no_role_user"])
def test_client_detail__other_provider_gets_404_and_a_denied_audit_row(
    client, request, user_fixture, county_client, audit_rows
):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    response = client.get(_detail(county_client))
    assert response.status_code == 404
    assertNotContains(response, "Martinez", status_code=404)
    assert audit_rows(AuditAction.CLIENT_VIEWED) == []
    [row] = audit_rows(AuditAction.OBJECT_ACCESS_DENIED)
    assert (row.actor, row.client_id, row.outcome, row.outcome_reason) == (
        user,
        county_client.pk,
        Outcome.DENIED,
        "not visible to this user",
    )
    assert row.detail == {"model": "clients.Client", "lookup": {"pk": str(county_client.pk)}}


def test_client_detail__missing_client_gets_the_same_404_without_denied_row(client, case_manager, audit_rows):
    client.force_login(case_manager)
    response = client.get(_detail(uuid.uuid4()))
    assert response.status_code == 404
    assertContains(response, "We couldn't find that page", status_code=404)
    assert audit_rows(AuditAction.OBJECT_ACCESS_DENIED) == []


def test_client_detail__not_a_uuid_is_404(client, case_manager):
    client.force_login(case_manager)
    assert client.get("/clients/not-a-uuid/").status_code == 404


def test_client_create__with_next_returns_there_with_the_new_client(client, case_manager, valid_form):
    client.force_login(case_manager)
    form_page = client.get(reverse("clients:create") + "?next=/referrals/new/")
    assertContains(form_page, 'name="next" value="/referrals/new/"')
    response = client.post(reverse("clients:create"), {**valid_form, "next": "/referrals/new/"})
    created = Client.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/new/?client={created.pk}"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_client_create__ignores_a_next_outside_the_site(client, case_manager, valid_form, target):
    client.force_login(case_manager)
    response = client.post(reverse("clients:create"), {**valid_form, "next": target})
    created = Client.objects.get()
    assert response["Location"] == reverse("clients:detail", args=[created.pk])


def test_client_detail__offers_a_new_referral_to_those_who_refer(client, case_manager, data_steward, county):
    record = ClientFactory(organization=county)
    url = reverse("clients:detail", args=[record.pk])
    client.force_login(case_manager)
    assertContains(client.get(url), f'href="/referrals/new/?client={record.pk}"')
    client.force_login(data_steward)
    assertNotContains(client.get(url), "/referrals/new/")
