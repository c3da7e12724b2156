"""The exchange catalog: which fields each receiving role gets per need, and how the disclosure applies it."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.catalog import catalog_fields, data_element_choices, known_data_elements, validate_data_elements
from consent.models import ExchangeUseCase
from coordination.context import acting_as
from coordination.roles import Role
from providers.services import membership_grant
from referrals.assignment import referral_share
from referrals.disclosure import DisclosureCache, referral_disclosure
from referrals.selectors import referral_list
from referrals.views.common import build_rows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOUSING = ["housing-instability", "homelessness", "inadequate-housing"]


def use_case(slug, *, needs=(), role="provider_intake", elements=("reason",), active=True):
    return ExchangeUseCase.objects.create(
        slug=slug,
        name=slug.replace("-", " ").capitalize(),
        referral_categories=list(needs),
        receiving_role=role,
        data_elements=list(elements),
        active=active,
    )


# --- catalog_fields ----------------------------------------------------------------------------------------


def test_catalog_fields__none_when_no_entry_applies():
    use_case("housing", needs=HOUSING, elements=["phone"])
    use_case("supervisor-any", role="provider_supervisor", elements=["email"])

    assert catalog_fields(referral_category="food-insecurity", role="provider_intake") is None
    assert catalog_fields(referral_category="homelessness", role="partner_system") is None


def test_catalog_fields__joins_every_active_entry_for_the_need_or_any_need():
    use_case("any-need", elements=["given_name", "reason"])
    use_case("housing", needs=HOUSING, elements=["phone", "risk_flags"])
    use_case("food", needs=["food-insecurity"], elements=["postal_code"])
    use_case("retired", needs=HOUSING, elements=["address_line"], active=False)
    use_case("supervisors", needs=HOUSING, role="provider_supervisor", elements=["birth_date"])

    assert catalog_fields(referral_category="homelessness", role="provider_intake") == {
        "given_name",
        "reason",
        "phone",
        "risk_flags",
    }
    assert catalog_fields(referral_category="food-insecurity", role="provider_intake") == {
        "given_name",
        "reason",
        "postal_code",
    }
    assert catalog_fields(referral_category="stress", role="provider_intake") == {"given_name", "reason"}
    assert catalog_fields(referral_category="homelessness", role="provider_supervisor") == {"birth_date"}


def test_catalog_fields__a_retired_entry_is_as_if_absent():
    use_case("retired", needs=HOUSING, elements=["address_line"], active=False)

    assert catalog_fields(referral_category="homelessness", role="provider_intake") is None


# --- validate_data_elements --------------------------------------------------------------------------------


def test_validate_data_elements__accepts_client_and_referral_fields():
    validate_data_elements(["given_name", "phone", "reason", "risk_flags", "interpreter_needed", "category"])


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ([], "required"),
        ("phone", "invalid"),
        ([1, 2], "invalid"),
        (["phone", "ssn"], "unknown"),
        (["organization"], "unknown"),  # a client field, but not one the disclosure policy can release
        (["id"], "unknown"),  # the client's id always comes with the record; it is not an element to list
        (["phone", "phone"], "duplicate"),
    ],
)
def test_validate_data_elements__refuses(value, code):
    with pytest.raises(ValidationError) as raised:
        validate_data_elements(value)
    assert raised.value.code == code


def test_validate_data_elements__names_the_unknown_ones():
    with pytest.raises(ValidationError) as raised:
        validate_data_elements(["phone", "ssn", "diagnosis"])
    assert raised.value.messages == ["Not a client or referral field the portal can disclose: diagnosis, ssn."]


def test_data_element_choices__say_where_each_element_comes_from():
    choices = dict(data_element_choices())
    assert set(choices) == set(known_data_elements())
    assert choices["phone"] == "phone (client)"
    assert choices["risk_flags"] == "risk flags (referral)"
    assert choices["interpreter_needed"] == "interpreter needed (client and referral)"
    assert not {"id", "organization", "created_by", "status", "version"} & set(choices)


# --- the disclosure applies it -----------------------------------------------------------------------------


def disclose(user, referral, cache=None):
    """What `user` sees of the referral, as a page or the API would ask (the user on the acting context)."""
    from referrals.access import ReferralActor

    with acting_as(user, source="page"):
        actor = ReferralActor(user).load_grants([referral])
        return referral_disclosure(referral, actor.sides(referral), actor.organization_ids, cache)


def test_disclosure__intake_gets_what_the_catalog_lists_and_nothing_is_called_withheld(make_referral, provider_intake):
    use_case("food", needs=["food-insecurity"], elements=["given_name", "phone", "reason", "category", "urgency"])
    referral = make_referral("sent", risk_flags=["safety-risk"], contact_constraints="Text only.")

    seen = disclose(provider_intake, referral)

    assert set(seen.client) == {"id", "given_name", "phone"}
    assert {"risk_flags", "contact_constraints", "safe_contact_times", "eligibility_basis", "language"} <= (
        seen.hidden_fields
    )
    assert not {"reason", "category", "urgency"} & seen.hidden_fields
    assert seen.withheld == {}  # the catalog narrows; only consent withholds


def test_disclosure__the_catalog_can_give_more_than_the_default_but_never_more_than_consent(
    make_referral, provider_intake, county_client
):
    county_client.address_line = "12 Elm St"
    county_client.save()
    use_case("food", needs=["food-insecurity"], elements=["given_name", "address_line", "risk_flags"])
    referral = make_referral("sent", risk_flags=["safety-risk"])

    assert set(disclose(provider_intake, referral).client) == {"id", "given_name", "address_line"}

    provision = county_client.consents.get().provisions.get()
    provision.data_categories = ["demographics", "referral-reason"]
    provision.save()
    seen = disclose(provider_intake, referral)
    assert set(seen.client) == {"id", "given_name"}
    assert "risk_flags" in seen.hidden_fields
    assert set(seen.withheld) == {"contact", "risk-flags"}


def test_disclosure__a_role_without_an_entry_keeps_the_default(make_referral, provider_supervisor, county_client):
    use_case("food", needs=["food-insecurity"], elements=["given_name"])
    referral = make_referral("sent", risk_flags=["safety-risk"])

    seen = disclose(provider_supervisor, referral)

    assert "phone" in seen.client and "birth_date" in seen.client
    assert "address_line" not in seen.client
    assert not {"reason", "risk_flags", "eligibility_basis"} & seen.hidden_fields


def test_disclosure__two_roles_at_the_provider_get_what_either_role_gets(make_referral, provider):
    use_case("food-intake", needs=["food-insecurity"], elements=["given_name", "reason"])
    use_case("food-supervisor", needs=["food-insecurity"], role="provider_supervisor", elements=["birth_date"])
    both = UserFactory(username="bothhats")
    membership_grant(actor=None, user=both, organization=provider, role=Role.PROVIDER_INTAKE)
    membership_grant(actor=None, user=both, organization=provider, role=Role.PROVIDER_SUPERVISOR)
    referral = make_referral("sent")

    assert set(disclose(both, referral).client) == {"id", "given_name", "birth_date"}


def test_disclosure__a_share_gets_the_colleague_roles_entry(make_referral, case_manager, other_provider_intake):
    use_case("food", needs=["food-insecurity"], elements=["family_name"])
    referral = make_referral("sent")
    referral_share(actor=case_manager, referral=referral, colleague=other_provider_intake)

    seen = disclose(other_provider_intake, referral)

    assert set(seen.client) == {"id", "family_name"}
    assert "reason" in seen.hidden_fields


def test_disclosure__the_referring_custodian_sees_the_whole_record_whatever_the_catalog(make_referral, case_manager):
    use_case("cm", role="case_manager", elements=["given_name"])
    referral = make_referral("sent")

    seen = disclose(case_manager, referral)

    assert {"address_line", "county", "birth_date"} <= set(seen.client)
    assert seen.hidden_fields == frozenset()


def test_disclosure__the_catalog_is_read_once_for_a_page_of_referrals(make_referral, provider_intake, county):
    from tests.factories import ClientFactory, full_consent

    use_case("food", needs=["food-insecurity"], elements=["given_name", "reason"])

    def queries(n):
        for _ in range(n):
            client = ClientFactory(organization=county)
            full_consent(client)
            make_referral("sent", client=client)
        with acting_as(provider_intake, source="page"), CaptureQueriesContext(connection) as captured:
            rows = build_rows(provider_intake, referral_list(actor=provider_intake))
        assert all(set(row.client) == {"id", "given_name"} for row in rows)
        return sum("consent_exchangeusecase" in q["sql"] for q in captured), len(captured)

    small_catalog, small = queries(2)
    large_catalog, large = queries(6)

    assert small_catalog == large_catalog == 1
    assert small == large


def test_disclosure_cache__one_catalog_per_request_even_across_caches(make_referral, provider_intake):
    use_case("food", needs=["food-insecurity"], elements=["given_name"])
    referral = make_referral("sent")

    with acting_as(provider_intake, source="page"), CaptureQueriesContext(connection) as captured:
        first = DisclosureCache([referral]).catalog
        second = DisclosureCache([referral]).catalog

    assert first is second
    assert sum("consent_exchangeusecase" in q["sql"] for q in captured) == 1
