"""The client edit page: who may correct a record, what it validates, what it audits, where it returns to."""

import uuid

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from audit.choices import AuditAction, Outcome
from clients.models import Client
from tests.factories import ClientFactory


@pytest.fixture
def person(county):
    return ClientFactory(organization=county, given_name="Rosa", family_name="Martinez", phone="541-555-0100")


def _edit(person_or_pk):
    return reverse("clients:edit", args=[getattr(person_or_pk, "pk", person_or_pk)])


def _form(person, **changes):
    data = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "birth_date": person.birth_date.isoformat(),
        "phone": person.phone,
        "email": person.email,
        "address_line": person.address_line,
        "city": person.city,
        "postal_code": person.postal_code,
        "county": person.county,
        "preferred_contact_method": person.preferred_contact_method,
        "preferred_language": person.preferred_language,
    }
    data.update(changes)
    return data


def test_edit__own_case_manager_sees_the_record_in_the_form_and_the_read_is_audited(
    client, case_manager, person, audit_rows
):
    client.force_login(case_manager)
    response = client.get(_edit(person))
    assert response.status_code == 200
    assertContains(response, 'value="541-555-0100"')
    [row] = audit_rows(AuditAction.CLIENT_VIEWED)
    assert (row.actor, row.client_id, row.subtype) == (case_manager, person.pk, "edit-form")


def test_edit__saves_through_the_audited_service_and_returns_to_next(client, case_manager, person, audit_rows):
    client.force_login(case_manager)
    back = reverse("clients:search")
    response = client.post(_edit(person), {**_form(person, email="rosa@example.org"), "next": back})
    assertRedirects(response, back, fetch_redirect_response=False)
    person.refresh_from_db()
    assert person.email == "rosa@example.org"
    [row] = audit_rows(AuditAction.CLIENT_UPDATED)
    assert (row.actor, row.client_id, row.detail) == (case_manager, person.pk, {"fields": ["email"]})
    assert person.history.first().history_user == case_manager


def test_edit__without_next_returns_to_the_record(client, case_manager, person):
    client.force_login(case_manager)
    response = client.post(_edit(person), _form(person, city="Riverbend"))
    assertRedirects(response, reverse("clients:detail", args=[person.pk]), fetch_redirect_response=False)


def test_edit__an_offsite_next_is_ignored(client, case_manager, person):
    client.force_login(case_manager)
    response = client.post(_edit(person), {**_form(person), "next": "https://evil.example.com/"})
    assert response["Location"] == reverse("clients:detail", args=[person.pk])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"preferred_contact_method": "phone", "phone": ""}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"given_name": ""}, "given_name"),
    ],
)
def test_edit__bad_input_is_a_form_error_and_nothing_is_saved(client, case_manager, person, changes, field, audit_rows):
    client.force_login(case_manager)
    before = Client.objects.values().get(pk=person.pk)
    response = client.post(_edit(person), _form(person, **changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assertContains(response, "Nothing was saved.")
    assertContains(response, "Rosa Martinez")  # the heading shows the record as saved, not the rejected input
    assert Client.objects.values().get(pk=person.pk) == before
    assert audit_rows(AuditAction.CLIENT_UPDATED) == []


def test_edit__another_organization_gets_404_and_the_attempt_is_audited(
    client, other_provider_intake, person, audit_rows
):
    client.force_login(other_provider_intake)
    assert client.get(_edit(person)).status_code == 404
    assert client.post(_edit(person), _form(person, city="X")).status_code == 404
    assert Client.objects.get(pk=person.pk).city == person.city
    rows = audit_rows(AuditAction.OBJECT_ACCESS_DENIED)
    assert len(rows) == 2
    assert {(row.outcome, row.client_id) for row in rows} == {(Outcome.DENIED, person.pk)}


def test_edit__a_reader_who_may_not_change_gets_403(client, governance_lead, person, audit_rows):
    client.force_login(governance_lead)
    assert client.get(_edit(person)).status_code == 403
    assert client.post(_edit(person), _form(person, city="X")).status_code == 403
    assert Client.objects.get(pk=person.pk).city == person.city
    assert audit_rows(AuditAction.CLIENT_VIEWED) == []


def test_edit__no_role_gets_404_and_anonymous_is_sent_to_sign_in(client, no_role_user, person):
    client.force_login(no_role_user)
    assert client.get(_edit(person)).status_code == 404
    client.logout()
    response = client.get(_edit(person))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_edit__a_missing_client_is_404(client, case_manager):
    client.force_login(case_manager)
    assert client.get(_edit(uuid.uuid4())).status_code == 404


def test_detail__offers_the_edit_link_only_to_who_may_change(client, case_manager, governance_lead, person):
    client.force_login(case_manager)
    assertContains(client.get(reverse("clients:detail", args=[person.pk])), _edit(person))
    client.force_login(governance_lead)
    response = client.get(reverse("clients:detail", args=[person.pk]))
    assert response.status_code == 200
    assert _edit(person) not in response.content.decode()
