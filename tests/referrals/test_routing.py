"""Routing suggestions for a draft: which services, in what order, and the reasons given for each."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from referrals.routing import routing_options
from tests.factories import AgencyFactory, ClientFactory, PostalCodeFactory, ReferralFactory, ServiceFactory

TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def draft(county, provider):
    """A Spanish-speaking 40-year-old in 97401 (Lakeside county) needing food, as a draft without a service."""
    PostalCodeFactory(code="97401", county="Lakeside")
    client = ClientFactory(
        organization=county, postal_code="97401", preferred_language="es", birth_date=datetime.date(1985, 6, 1)
    )
    return ReferralFactory(client=client, service=None, category="food-insecurity", language="es")


def _service(provider, name, **kwargs):
    kwargs.setdefault("languages", ["es"])
    kwargs.setdefault("postal_codes", ["97401"])
    kwargs.setdefault("assured_date", TODAY - datetime.timedelta(days=10))
    return ServiceFactory(organization=provider, name=name, **kwargs)


def _ranked(actor, referral, **kwargs):
    return [(o.service.name, o.reasons) for o in routing_options(actor=actor, referral=referral, today=TODAY, **kwargs)]


def _names(actor, referral, **kwargs):
    return [name for name, _ in _ranked(actor, referral, **kwargs)]


def test_area__postal_code_beats_county_beats_none(draft, case_manager, provider):
    _service(provider, "C none", postal_codes=["97999"])
    _service(provider, "B county", postal_codes=[], counties=["Lakeside"])
    _service(provider, "A postal")
    ranked = _ranked(case_manager, draft)
    assert [name for name, _ in ranked] == ["A postal", "B county", "C none"]
    assert ranked[0][1][0] == "serves 97401"
    assert ranked[1][1][0] == "serves Lakeside county"
    assert ranked[2][1][0] == "does not list 97401 in its service area"


def test_area__beats_language(draft, case_manager, provider):
    _service(provider, "A county, speaks es", postal_codes=[], counties=["Lakeside"])
    _service(provider, "B postal, english only", languages=["en"])
    assert _names(case_manager, draft) == ["B postal, english only", "A county, speaks es"]


def test_language__spoken_beats_interpretation_beats_none(draft, case_manager, provider):
    _service(provider, "A none", languages=["en"])
    _service(provider, "B interpretation", languages=["en"], interpretation_services="Phone line")
    _service(provider, "C speaks", languages=["en", "es"])
    ranked = _ranked(case_manager, draft)
    assert [name for name, _ in ranked] == ["C speaks", "B interpretation", "A none"]
    assert "speaks es" in ranked[0][1]
    assert "offers interpretation for Spanish" in ranked[1][1]
    assert "no Spanish speakers listed" in ranked[2][1]


def test_language__uses_the_referrals_language_over_the_clients(draft, case_manager, provider):
    draft.language = "vi"
    draft.save()
    _service(provider, "A spanish")
    _service(provider, "B vietnamese", languages=["vi"])
    ranked = _ranked(case_manager, draft)
    assert [name for name, _ in ranked] == ["B vietnamese", "A spanish"]
    assert "speaks vi" in ranked[0][1]


def test_capacity__capacity_beats_waitlist_beats_assessment(draft, case_manager, provider):
    _service(provider, "A assessment", capacity_status="additional-assessment-required")
    _service(provider, "B waitlist", capacity_status="waitlist")
    _service(provider, "C capacity", capacity_status="capacity")
    ranked = _ranked(case_manager, draft)
    assert [name for name, _ in ranked] == ["C capacity", "B waitlist", "A assessment"]
    assert [reasons[2] for _, reasons in ranked] == ["has capacity", "waitlist", "additional assessment required"]


def test_capacity__no_capacity_excluded_unless_asked(draft, case_manager, provider):
    _service(provider, "A full", capacity_status="no-capacity")
    _service(provider, "B waitlist", capacity_status="waitlist")
    assert _names(case_manager, draft) == ["B waitlist"]
    ranked = _ranked(case_manager, draft, include_full=True)
    assert [name for name, _ in ranked] == ["B waitlist", "A full"]
    assert "no capacity" in ranked[1][1]


def test_age__ineligible_ranked_lower_with_a_reason(draft, case_manager, provider):
    _service(provider, "A seniors", minimum_age=60)
    _service(provider, "B adults", minimum_age=18, maximum_age=64)
    _service(provider, "C youth", maximum_age=24)
    ranked = _ranked(case_manager, draft)
    assert [name for name, _ in ranked] == ["B adults", "A seniors", "C youth"]
    reasons = dict(ranked)
    assert "ages 18-64 fits age 40" in reasons["B adults"]
    assert "ages 60+: client is 40" in reasons["A seniors"]
    assert "ages 0-24: client is 40" in reasons["C youth"]


def test_age__counts_the_birthday(county, case_manager, provider):
    PostalCodeFactory(code="97401", county="Lakeside")
    client = ClientFactory(organization=county, birth_date=datetime.date(1966, 3, 2))  # 60 tomorrow
    referral = ReferralFactory(client=client, service=None, category="food-insecurity", language="es")
    _service(provider, "Seniors", minimum_age=60)
    [(_, reasons)] = _ranked(case_manager, referral)
    assert "ages 60+: client is 59" in reasons


def test_freshness__stale_listing_ranked_lower(draft, case_manager, provider):
    _service(provider, "A stale", assured_date=TODAY - datetime.timedelta(days=400))
    _service(provider, "B fresh", assured_date=TODAY - datetime.timedelta(days=30))
    _service(provider, "C never verified", assured_date=None)
    ranked = _ranked(case_manager, draft)
    assert [name for name, _ in ranked] == ["B fresh", "A stale", "C never verified"]
    assert ranked[0][1][-1] == f"listing verified {TODAY - datetime.timedelta(days=30):%Y-%m-%d}"
    assert ranked[1][1][-1] == "listing not verified in the last year"


def test_excluded__wrong_category_inactive_not_accepting_or_not_a_provider(draft, case_manager, provider):
    _service(provider, "Good")
    _service(provider, "Housing", category="housing-instability")
    _service(provider, "Inactive", status="inactive")
    _service(provider, "Temporarily closed", status="temporarily closed")
    _service(provider, "Not accepting", accepting_referrals=False)
    closed_org = AgencyFactory(slug="closed-org", kind="provider", active=False)
    _service(closed_org, "At a deactivated provider")
    _service(AgencyFactory(slug="other-county"), "Run by an agency")
    assert _names(case_manager, draft, include_full=True) == ["Good"]


def test_ranks__are_positions_and_the_reasons_read_as_the_issue_asks(draft, case_manager, provider):
    _service(provider, "Pantry", interpretation_services="Phone line")
    _service(provider, "Second", postal_codes=[], counties=["Lakeside"], capacity_status="waitlist")
    options = routing_options(actor=case_manager, referral=draft, today=TODAY)
    assert [o.rank for o in options] == [1, 2]
    assert options[0].reasons[:3] == ["serves 97401", "speaks es", "has capacity"]


def test_client_without_postal_code__says_so(county, case_manager, provider):
    client = ClientFactory(organization=county, postal_code="", preferred_language="es")
    referral = ReferralFactory(client=client, service=None, category="food-insecurity", language="es")
    _service(provider, "Pantry")
    [(_, reasons)] = _ranked(case_manager, referral)
    assert reasons[0] == "client has no postal code on file"


def test_defaults_to_today(draft, case_manager, provider):
    _service(provider, "Pantry", assured_date=timezone.localdate())
    [option] = routing_options(actor=case_manager, referral=draft)
    assert option.reasons[-1] == f"listing verified {timezone.localdate():%Y-%m-%d}"
