"""Who reaches consent records: the custodian organization's staff and its governance lead, nobody else."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from consent.models import Consent, ConsentProvision
from coordination.access import Action
from coordination.roles import Role
from providers.services import membership_grant
from tests.factories import AgencyFactory, ClientFactory, UserFactory

from .support import provision, record

V, A, C = Action.VIEW, Action.ADD, Action.CHANGE
ALL_ACTIONS = (V, A, C, Action.DELETE)


@pytest.fixture
def consents(case_manager, provider_intake, person, provider, other_provider):
    """A county client's consent (custodian: the county) and a provider's own client's consent (custodian: Harbor)."""
    county_consent = record(
        case_manager,
        person,
        provision(partner_categories=["healthcare"]),
        provision(type="deny", organizations=[other_provider], data_categories=["risk-flags"]),
    )
    harbor_client = ClientFactory(organization=provider)
    harbor_consent = record(provider_intake, harbor_client, provision(partner_categories=["housing"]))
    return {"county": county_consent, "harbor": harbor_consent}


def _inactive_case_manager(county):
    user = UserFactory(username="gone", is_active=False)
    membership_grant(actor=None, user=user, organization=county, role=Role.CASE_MANAGER)
    return user


def _ended_membership(county):
    user = UserFactory(username="former")
    membership_grant(actor=None, user=user, organization=county, role=Role.CASE_MANAGER)
    user.memberships.update(active=False)
    return user


def _other_agency_case_manager(county):
    user = UserFactory(username="ridge-cm")
    membership_grant(actor=None, user=user, organization=AgencyFactory(slug="ridge"), role=Role.CASE_MANAGER)
    return user


def _other_agency_governance(county):
    user = UserFactory(username="ridge-gov", is_staff=True)
    membership_grant(actor=None, user=user, organization=AgencyFactory(slug="ridge"), role=Role.GOVERNANCE_LEAD)
    return user


BUILT = {
    "inactive_user": _inactive_case_manager,
    "ended_membership": _ended_membership,
    "other_agency_case_manager": _other_agency_case_manager,
    "other_agency_governance": _other_agency_governance,
}

# user -> {consent: actions allowed}
MATRIX = [
    ("case_manager", {"county": {V, A, C}}),
    ("county_supervisor", {"county": {V, A, C}}),
    ("governance_lead", {"county": {V}}),
    ("provider_intake", {"harbor": {V, A, C}}),
    ("provider_supervisor", {"harbor": {V, A, C}}),
    ("partner_system", {"harbor": {V, A, C}}),
    ("other_provider_intake", {}),
    ("data_steward", {}),
    ("no_role_user", {}),
    ("superuser", {}),
    ("inactive_user", {}),
    ("ended_membership", {}),
    ("other_agency_case_manager", {}),
    ("other_agency_governance", {}),
    ("anonymous", {}),
    ("none", {}),
]


def _user(request, county, name):
    if name == "anonymous":
        return AnonymousUser()
    if name == "none":
        return None
    if name in BUILT:
        return BUILT[name](county)
    return request.getfixturevalue(name)


@pytest.mark.parametrize(("name", "allowed"), MATRIX, ids=[m[0] for m in MATRIX])
@pytest.mark.parametrize("action", ALL_ACTIONS, ids=lambda a: a.value)
def test_visible_to_matrix(request, county, consents, name, allowed, action):
    user = _user(request, county, name)
    expected_consents = {str(consents[k].pk) for k, actions in allowed.items() if action in actions}
    got = {str(pk) for pk in Consent.objects.visible_to(user, action).values_list("pk", flat=True)}
    assert got == expected_consents
    expected_provisions = set(
        ConsentProvision.objects.filter(consent_id__in=expected_consents).values_list("pk", flat=True)
    )
    got_provisions = set(ConsentProvision.objects.visible_to(user, action).values_list("pk", flat=True))
    assert got_provisions == expected_provisions
    # The county consent has two provisions, Harbor's one: the expectation is never vacuous for those who see.
    assert len(expected_provisions) == sum(2 if k == "county" else 1 for k in allowed if action in allowed[k])


def test_matrix_names_every_role_of_the_cast():
    names = {m[0] for m in MATRIX}
    assert {"case_manager", "county_supervisor", "governance_lead", "provider_intake", "data_steward"} <= names
    assert {r.value for r in Role} <= {
        "case_manager",
        "county_supervisor",
        "governance_lead",
        "provider_intake",
        "provider_supervisor",
        "partner_system",
        "data_steward",
    }


def test_inactive_organization_hides_its_consents(case_manager, county, consents):
    assert Consent.objects.visible_to(case_manager).count() == 1
    county.active = False
    county.save()
    assert not Consent.objects.visible_to(case_manager).exists()
    assert not ConsentProvision.objects.visible_to(case_manager).exists()


def test_a_sent_referral_does_not_open_the_consent_to_the_receiving_provider(
    make_referral, provider_intake, county_client
):
    referral = make_referral("accepted")
    [consent] = county_client.consents.all()
    assert referral.receiving_organization == provider_intake.memberships.get().organization
    assert not Consent.objects.visible_to(provider_intake).filter(pk=consent.pk).exists()
    assert not ConsentProvision.objects.visible_to(provider_intake).filter(consent=consent).exists()


def test_visible_to_is_one_query(case_manager, consents, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(ConsentProvision.objects.visible_to(case_manager).select_related("consent"))
