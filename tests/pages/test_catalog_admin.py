"""The governance admin's consent pages: the exchange catalog (kept with history), consents (read-only,
scoped, audited) and break-glass accesses (read-only review)."""

import datetime

import pytest
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from consent.models import BreakGlassAccess, ExchangeUseCase
from tests.factories import AgencyFactory, ClientFactory, full_consent

pytestmark = pytest.mark.django_db

CATALOG = "/admin/consent/exchangeusecase/"
CONSENTS = "/admin/consent/consent/"
BREAK_GLASS = "/admin/consent/breakglassaccess/"


@pytest.fixture
def housing(db):
    return ExchangeUseCase.objects.create(
        slug="housing-referral",
        name="Housing referral",
        referral_categories=["homelessness", "housing-instability"],
        receiving_role="provider_intake",
        data_elements=["given_name", "phone", "reason", "risk_flags"],
        testing_notes="Check risk flags reach intake.",
    )


@pytest.fixture
def any_need(db):
    return ExchangeUseCase.objects.create(
        slug="supervisor-default",
        name="Supervisor review",
        referral_categories=[],
        receiving_role="provider_supervisor",
        data_elements=["given_name", "birth_date"],
    )


def form_data(**overrides) -> dict:
    data = {
        "name": "Food referral",
        "slug": "food-referral",
        "referral_categories": ["food-insecurity"],
        "receiving_role": "provider_intake",
        "data_elements": ["given_name", "phone", "postal_code", "reason"],
        "purpose": "COC",
        "sending_party": "County case manager",
        "receiving_party": "Food bank intake",
        "consent_rule": "Consent for food partners (COC).",
        "testing_notes": "",
        "active": "on",
    }
    data.update(overrides)
    return data


# --- the catalog -------------------------------------------------------------------------------------------


def test_catalog_list__governance_sees_entries_with_role_needs_and_elements(client, governance_lead, housing, any_need):
    client.force_login(governance_lead)

    response = client.get(CATALOG)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Housing referral" in body and "Supervisor review" in body
    assert "Provider intake" in body and "Homelessness, Housing instability" in body and "Any need" in body
    assert "<code>risk_flags</code>" in body


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"receiving_role": "provider_supervisor"}, "Supervisor review", "Housing referral"),
        ({"receiving_role": "provider_intake"}, "Housing referral", "Supervisor review"),
        ({"q": "risk flags reach"}, "Housing referral", "Supervisor review"),
        ({"need": "food-insecurity"}, "Supervisor review", "Housing referral"),  # any need covers food
    ],
)
def test_catalog_list__filter_by_role_and_need_and_search(
    client, governance_lead, housing, any_need, query, shown, hidden
):
    client.force_login(governance_lead)

    body = client.get(CATALOG, query).content.decode()

    assert shown in body
    assert f">{hidden}<" not in body


def test_catalog_add__creates_the_entry_with_history_naming_the_governance_lead(client, governance_lead):
    client.force_login(governance_lead)

    response = client.post(f"{CATALOG}add/", form_data())

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = ExchangeUseCase.objects.get(slug="food-referral")
    assert entry.referral_categories == ["food-insecurity"]
    assert entry.data_elements == ["given_name", "phone", "postal_code", "reason"]
    assert (entry.receiving_role, entry.purpose, entry.active) == ("provider_intake", "COC", True)
    [version] = entry.history.all()
    assert version.history_user == governance_lead


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"data_elements": ["given_name", "ssn"]}, "data_elements"),
        ({"data_elements": []}, "data_elements"),
        ({"receiving_role": "janitor"}, "receiving_role"),
        ({"referral_categories": ["astrology"]}, "referral_categories"),
        ({"purpose": "HMARKT"}, "purpose"),
    ],
)
def test_catalog_add__refuses_what_the_portal_does_not_know(client, governance_lead, overrides, field):
    client.force_login(governance_lead)

    response = client.post(f"{CATALOG}add/", form_data(**overrides))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not ExchangeUseCase.objects.exists()


def test_catalog_change__keeps_each_version_in_the_history(client, governance_lead, housing):
    client.force_login(governance_lead)

    response = client.post(
        f"{CATALOG}{housing.pk}/change/",
        form_data(
            name="Housing referral",
            slug="housing-referral",
            referral_categories=["homelessness"],
            data_elements=["given_name", "phone", "reason"],
        ),
    )

    assert response.status_code == 302
    housing.refresh_from_db()
    assert housing.data_elements == ["given_name", "phone", "reason"]
    versions = list(housing.history.order_by("history_date"))
    assert [v.data_elements for v in versions] == [
        ["given_name", "phone", "reason", "risk_flags"],
        ["given_name", "phone", "reason"],
    ]
    assert versions[-1].history_user == governance_lead
    history = client.get(f"{CATALOG}{housing.pk}/history/")
    assert history.status_code == 200 and governance_lead.username in history.content.decode()


def test_catalog__entries_are_retired_never_deleted(client, governance_lead, housing):
    client.force_login(governance_lead)

    assert client.post(f"{CATALOG}{housing.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ExchangeUseCase.objects.filter(pk=housing.pk).exists()


@pytest.mark.parametrize("who", ["case_manager", "provider_intake", "provider_supervisor", "data_steward"])
def test_catalog__staff_without_governance_cannot_reach_it(client, request, housing, who):
    client.force_login(request.getfixturevalue(who))

    for response in (client.get(CATALOG), client.post(f"{CATALOG}add/", form_data())):
        assert response.status_code in (302, 403)
    assert list(ExchangeUseCase.objects.values_list("slug", flat=True)) == ["housing-referral"]


# --- consents (read-only, audited) -----------------------------------------------------------------------------


def test_consent_list__own_agency_only_read_only_and_audited(client, governance_lead, county, audit_rows):
    own = ClientFactory(organization=county, family_name="Ownagency")
    foreign = ClientFactory(organization=AgencyFactory(slug="elsewhere"), family_name="Elsewhereton")
    full_consent(own)
    full_consent(foreign)
    client.force_login(governance_lead)

    response = client.get(CONSENTS)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Ownagency" in body and "Elsewhereton" not in body
    assert "Add consent" not in body
    [row] = audit_rows(AuditAction.CONSENT_LISTED)
    assert (row.actor, row.subtype, row.purpose_of_use) == (governance_lead, "admin", "HOPERAT")
    assert row.detail["client_ids"] == [str(own.pk)]


def test_consent_change_view__shows_provisions_read_only_and_audits_the_view(
    client, governance_lead, county_client, audit_rows
):
    consent = county_client.consents.get()
    client.force_login(governance_lead)

    response = client.get(f"{CONSENTS}{consent.pk}/change/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "COC" in body and "housing" in body  # the provisions, shown read-only
    assert 'name="_save"' not in body
    [row] = audit_rows(AuditAction.CONSENT_VIEWED)
    assert (row.client_id, row.target_id, row.subtype) == (county_client.pk, str(consent.pk), "admin")


def test_consent_admin__no_add_change_or_delete(client, governance_lead, county_client):
    consent = county_client.consents.get()
    client.force_login(governance_lead)

    assert client.get(f"{CONSENTS}add/").status_code == 403
    assert client.post(f"{CONSENTS}{consent.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"{CONSENTS}{consent.pk}/change/", {"status": "inactive"})
    consent.refresh_from_db()
    assert consent.status == "active"


def test_consent_history_of_another_agency__404_and_denial_audited(client, governance_lead, audit_rows):
    foreign = ClientFactory(organization=AgencyFactory(slug="elsewhere"))
    consent = full_consent(foreign)
    client.force_login(governance_lead)

    response = client.get(f"{CONSENTS}{consent.pk}/history/{consent.history.get().history_id}/")

    assert response.status_code == 404
    [denied] = audit_rows(AuditAction.OBJECT_ACCESS_DENIED)
    assert (denied.outcome, denied.detail["model"]) == (Outcome.DENIED, "consent.Consent")


# --- break-glass review ------------------------------------------------------------------------------------------


def _access(user, person, *, minutes_ago=10, minutes=60, ended=False, reason="Client unreachable, crisis line call."):
    started = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return BreakGlassAccess.objects.create(
        user=user,
        client=person,
        reason=reason,
        started_at=started,
        expires_at=started + datetime.timedelta(minutes=minutes),
        ended_at=started + datetime.timedelta(minutes=5) if ended else None,
    )


def test_break_glass_list__governance_reviews_accesses_on_its_clients(
    client, governance_lead, provider_intake, county_client, audit_rows
):
    live = _access(provider_intake, county_client, reason="Live emergency: overdose risk reported.")
    _access(provider_intake, county_client, minutes_ago=200, reason="Lapsed: shelter eviction tonight.")
    _access(provider_intake, county_client, ended=True, reason="Stopped: client called back.")
    _access(provider_intake, ClientFactory(organization=AgencyFactory(slug="elsewhere")), reason="Elsewhere access.")
    client.force_login(governance_lead)

    body = client.get(BREAK_GLASS).content.decode()

    assert "Live emergency" in body and "Lapsed: shelter" in body and "Stopped: client" in body
    assert "Elsewhere access" not in body
    assert provider_intake.username in body
    [row] = audit_rows(AuditAction.BREAK_GLASS_LISTED)
    assert row.detail["client_ids"] == [str(county_client.pk)] * 3

    live_only = client.get(BREAK_GLASS, {"state": "live"}).content.decode()
    assert "Live emergency" in live_only and "Lapsed: shelter" not in live_only and "Stopped: client" not in live_only
    assert client.get(f"{BREAK_GLASS}{live.pk}/change/").status_code == 200
    assert audit_rows(AuditAction.BREAK_GLASS_VIEWED)[-1].target_id == str(live.pk)


def test_break_glass_admin__read_only(client, governance_lead, provider_intake, county_client):
    access = _access(provider_intake, county_client)
    client.force_login(governance_lead)

    assert client.get(f"{BREAK_GLASS}add/").status_code == 403
    assert client.post(f"{BREAK_GLASS}{access.pk}/delete/", {"post": "yes"}).status_code == 403
    body = client.get(f"{BREAK_GLASS}{access.pk}/change/").content.decode()
    assert 'name="_save"' not in body
