"""Likely-duplicate detection: the name comparison, and the candidate search over what the actor may see."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from clients.matching import names_similar, normalize_name
from clients.selectors import client_duplicate_candidates
from coordination.roles import Role
from providers.models import Membership
from providers.services import membership_grant, membership_revoke
from tests.factories import ClientFactory, UserFactory

BIRTH = datetime.date(1984, 3, 17)

# --- normalize_name -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("José", "jose"),
        ("ÑÚÑEZ", "nunez"),
        ("O'Brien-Smith", "obriensmith"),
        ("Mary Ann", "maryann"),
        ("Straße", "strasse"),
        ("Nguyễn", "nguyen"),
        ("  ", ""),
        ("李", "李"),
    ],
)
def test_normalize_name__folds_case_accents_and_punctuation(raw, normalized):
    assert normalize_name(raw) == normalized


# --- names_similar ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pair",
    [
        (("Ana", "Alvarez"), ("Ana", "Alvarez")),
        (("ana", "ALVAREZ"), ("Ana", "Alvarez")),
        (("José", "Núñez"), ("Jose", "Nunez")),
        (("Alvarez", "Ana"), ("Ana", "Alvarez")),
        (("Núñez", "josé"), ("JOSE", "Nunez")),
        (("Rob", "Smith"), ("Robert", "Smith")),
        (("J", "Smith"), ("John", "Smith")),
        (("Maria", "Garcia"), ("Maria", "Garcia-Lopez")),
        (("Mary Ann", "O'Brien"), ("Maryann", "OBrien")),
        (("Jonathan", "Smith"), ("Jonathon", "Smith")),
        (("Hans", "Müller"), ("Hans", "Mueller")),
    ],
    ids=[
        "identical",
        "case",
        "accents",
        "swapped",
        "swapped-with-case-and-accents",
        "short-given-name",
        "initial",
        "double-family-name",
        "spaces-and-apostrophes",
        "one-letter-typo",
        "umlaut-spelled-out",
    ],
)
def test_names_similar__same_person(pair):
    (given_a, family_a), (given_b, family_b) = pair

    assert names_similar(given_a, family_a, given_b, family_b) is True
    assert names_similar(given_b, family_b, given_a, family_a) is True


@pytest.mark.parametrize(
    "pair",
    [
        (("John", "Smith"), ("Jane", "Doe")),
        (("Ana", "Alvarez"), ("Carl", "Alvarez")),
        (("Rob", "Smith"), ("Robert", "Jones")),
        (("Ana", "Alvarez"), ("Anabel", "Baker")),
        (("Ivan", "Petrov"), ("Иван", "Петров")),
    ],
    ids=[
        "different-people",
        "same-family-different-given",
        "short-given-name-other-family",
        "given-prefix-other-family",
        "other-script",
    ],
)
def test_names_similar__different_people(pair):
    (given_a, family_a), (given_b, family_b) = pair

    assert names_similar(given_a, family_a, given_b, family_b) is False
    assert names_similar(given_b, family_b, given_a, family_a) is False


@pytest.mark.parametrize(
    "names",
    [
        ("", "Smith", "", "Smith"),
        ("Ana", "", "Ana", ""),
        ("--", "Smith", "--", "Smith"),
        ("Ana", "Smith", " ", "Smith"),
    ],
    ids=["no-given-names", "no-family-names", "punctuation-only", "one-blank"],
)
def test_names_similar__empty_names_never_match(names):
    assert names_similar(*names) is False


# --- client_duplicate_candidates ----------------------------------------------------------------------

needs_db = pytest.mark.django_db


@pytest.fixture
def marisol(county):
    return ClientFactory(
        organization=county,
        given_name="Marisol",
        family_name="Quintero",
        birth_date=BIRTH,
        identifiers=[("medicaid-id", "MX-9")],
    )


def candidates(actor, given="Marisol", family="Quintero", birth_date=BIRTH, identifiers=()):
    return client_duplicate_candidates(
        actor=actor, given_name=given, family_name=family, birth_date=birth_date, identifiers=identifiers
    )


@needs_db
@pytest.mark.parametrize(
    ("given", "family"),
    [("Marisol", "Quintero"), ("MARISOL", "Quintéro"), ("Quintero", "Marisol"), ("Mari", "Quintero")],
    ids=["same", "case-and-accents", "swapped", "short-given-name"],
)
def test_duplicate_candidates__similar_name_and_same_birth_date(case_manager, marisol, given, family):
    assert candidates(case_manager, given, family) == [marisol]


@needs_db
def test_duplicate_candidates__different_birth_date_is_not_matched_by_name(case_manager, marisol):
    assert candidates(case_manager, birth_date=BIRTH + datetime.timedelta(days=1)) == []


@needs_db
def test_duplicate_candidates__same_birth_date_different_name_is_not_matched(case_manager, marisol):
    ClientFactory(organization=marisol.organization, given_name="Carl", family_name="Baker", birth_date=BIRTH)

    assert candidates(case_manager, "Carl", "Alvarez") == []


@needs_db
def test_duplicate_candidates__shared_identifier_matches_whatever_the_name_and_birth_date(case_manager, marisol):
    found = candidates(
        case_manager, "Someone", "Else", datetime.date(2001, 1, 1), identifiers=[("medicaid-id", "mx-9")]
    )

    assert found == [marisol]


@needs_db
def test_duplicate_candidates__identifier_must_match_system_and_value(case_manager, marisol):
    other = dict(given="Someone", family="Else", birth_date=datetime.date(2001, 1, 1))

    assert candidates(case_manager, **other, identifiers=[("mrn", "MX-9")]) == []
    assert candidates(case_manager, **other, identifiers=[("medicaid-id", "MX-90")]) == []


@needs_db
def test_duplicate_candidates__a_client_matching_twice_is_listed_once(case_manager, marisol):
    found = candidates(case_manager, identifiers=[("medicaid-id", "MX-9")])

    assert found == [marisol]


@needs_db
def test_duplicate_candidates__several_matches_are_all_returned(case_manager, county, marisol):
    twin = ClientFactory(organization=county, given_name="Marisol", family_name="Quintero", birth_date=BIRTH)
    by_id = ClientFactory(organization=county, given_name="Zed", family_name="Zane", identifiers=[("mrn", "R-1")])

    found = candidates(case_manager, identifiers=[("mrn", "r-1")])

    assert {c.pk for c in found} == {marisol.pk, twin.pk, by_id.pk}
    assert len(found) == 3


@needs_db
@pytest.mark.parametrize("who", ["provider_intake", "other_provider_intake", "no_role_user", "superuser"])
def test_duplicate_candidates__never_returns_clients_the_actor_cannot_see(request, marisol, who):
    actor = request.getfixturevalue(who)

    assert candidates(actor) == []
    assert candidates(actor, "Someone", "Else", identifiers=[("medicaid-id", "MX-9")]) == []


@needs_db
def test_duplicate_candidates__only_the_actors_organization_is_searched(provider_intake, provider, marisol):
    own = ClientFactory(organization=provider, given_name="Marisol", family_name="Quintero", birth_date=BIRTH)

    assert candidates(provider_intake, identifiers=[("medicaid-id", "MX-9")]) == [own]


@needs_db
def test_duplicate_candidates__anonymous_or_missing_actor_sees_nothing(marisol):
    assert candidates(AnonymousUser()) == []
    assert candidates(None) == []


@needs_db
def test_duplicate_candidates__revoked_membership_sees_nothing(case_manager, marisol):
    membership_revoke(actor=None, membership=Membership.objects.get(user=case_manager))

    assert candidates(case_manager) == []


@needs_db
def test_duplicate_candidates__view_only_role_still_finds_duplicates(data_steward, marisol):
    assert candidates(data_steward) == [marisol]


@needs_db
def test_duplicate_candidates__staff_of_two_organizations_search_both(county, provider, marisol):
    user = UserFactory(username="two-hats")
    membership_grant(actor=None, user=user, organization=county, role=Role.CASE_MANAGER)
    membership_grant(actor=None, user=user, organization=provider, role=Role.PROVIDER_INTAKE)
    own = ClientFactory(organization=provider, given_name="Marisol", family_name="Quintero", birth_date=BIRTH)

    assert {c.pk for c in candidates(user)} == {marisol.pk, own.pk}
