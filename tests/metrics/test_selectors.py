"""The numbers themselves: every one hand-checked (tests/metrics/expected.py), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from coordination.roles import Role
from metrics.aggregates import PercentileCont, duration_expression, percentile_by_offset
from metrics.definitions import ACKNOWLEDGED, DEFINITIONS, DEFINITIONS_VERSION, DURATIONS
from metrics.forms import MetricsQuery
from metrics.models import MeasuredReferral
from metrics.selectors import _ranked, metrics_population, referral_metrics
from providers.services import membership_revoke
from referrals.models import Referral
from referrals.services import referral_transition
from tests.conftest import _staff
from tests.factories import AgencyFactory, ClientFactory, ReferralFactory, full_consent

from .conftest import NOW, local
from .expected import EMPTY, HARBOR_MEASURES, NETWORK

FEB = {"since": datetime.date(2026, 2, 2), "until": datetime.date(2026, 2, 15)}


def numbers(actor, **filters) -> dict:
    return referral_metrics(actor=actor, query=MetricsQuery(**{**FEB, **filters}), now=NOW)


def assert_numbers(found: dict, expected: dict) -> None:
    mismatched = {key: (found[key], value) for key, value in expected.items() if found[key] != value}
    assert not mismatched, mismatched


def test_network__every_number_matches_the_hand_checked_values(network, governance_lead, provider):
    found = numbers(governance_lead)
    assert_numbers(found, NETWORK)
    assert found["definitions_version"] == DEFINITIONS_VERSION
    assert found["period"] == {"since": "2026-02-02", "until": "2026-02-15", "time_zone": "America/Los_Angeles"}
    assert found["filters"] == {
        "receiving_organization": None,
        "referring_organization": None,
        "category": None,
        "urgency": None,
    }
    assert found["scope"] == {"network": True, "organizations": []}
    assert found["as_of"] == NOW.isoformat()
    harbor = {"id": str(provider.pk), "name": "Harbor Community Health"}
    food = {"category": "food-insecurity", "label": "Food insecurity", **HARBOR_MEASURES}
    # Default minimum volume 10: Harbor and food have exactly 10 sent; Northside and housing have 1.
    assert found["bottlenecks"] == {
        "min_volume": 10,
        "categories": {"by_decline_rate": [food], "by_breach_rate": [food]},
        "providers": {
            "by_decline_rate": [{"organization": harbor, **HARBOR_MEASURES}],
            "by_breach_rate": [{"organization": harbor, **HARBOR_MEASURES}],
        },
    }


def test_network__every_key_of_the_answer_is_checked_somewhere(network, governance_lead):
    checked = {*NETWORK, "definitions_version", "period", "filters", "scope", "as_of", "bottlenecks"}
    assert set(numbers(governance_lead)) == checked


@pytest.mark.parametrize("who", ["county_supervisor", "data_steward"])
def test_county__sees_its_network_every_referral_it_sent(network, request, county, who):
    found = numbers(request.getfixturevalue(who))
    assert_numbers(found, NETWORK)
    assert found["scope"] == {"network": False, "organizations": [{"id": str(county.pk), "name": county.name}]}


def test_provider_supervisor__sees_only_what_its_organization_received(network, provider_supervisor, provider):
    found = numbers(provider_supervisor)
    assert found["scope"]["organizations"] == [{"id": str(provider.pk), "name": "Harbor Community Health"}]
    assert_numbers(
        found,
        {
            "sent": 10,  # not R10 (Northside)
            "acknowledged": 6,
            "acknowledged_within_sla": 5,
            "acknowledgement_rate": 0.6,
            "acknowledged_within_sla_rate": 0.5,
            "accepted": 4,
            "declined": 3,
            "acceptance_rate": 0.5714,
            "loop_closed": 6,
            "loop_closure_rate": 0.6,
            # 1,1,2,4,24,28 h: median rank 2.5 -> 3 h; p90 rank 4.5 -> 24 h + 0.5 * 4 h = 26 h.
            "time_to_acknowledge": {"median": 10800, "p90": 93600, "count": 6},
            "time_to_first_contact": NETWORK["time_to_first_contact"],
            "time_to_service_start": NETWORK["time_to_service_start"],
            "sla_breaches": NETWORK["sla_breaches"],
            "exceptions_opened": 3,
            "exception_rate": 0.2,
            "open": 4,
            "weekly": [
                {"week_start": "2026-02-02", "sent": 4, "acknowledged": 3, "acknowledged_within_sla": 2},
                {"week_start": "2026-02-09", "sent": 6, "acknowledged": 3, "acknowledged_within_sla": 3},
            ],
        },
    )


def test_other_provider__sees_its_one_referral_and_nothing_of_harbor(network, other_provider_supervisor):
    found = numbers(other_provider_supervisor)
    assert_numbers(
        found,
        {
            "sent": 1,
            "acknowledged": 1,
            "acknowledged_within_sla": 1,
            "acceptance_rate": None,  # neither accepted nor declined yet
            "decline_reasons": EMPTY["decline_reasons"],
            "time_to_acknowledge": {"median": 7200, "p90": 7200, "count": 1},
            "time_to_first_contact": EMPTY["time_to_first_contact"],
            "sla_breaches": EMPTY["sla_breaches"],
            "exceptions_opened": 0,
            "open": 1,
        },
    )


def test_provider__filtering_on_another_organization_counts_nothing_of_it(network, provider_supervisor, other_provider):
    assert numbers(provider_supervisor, receiving_organization=other_provider)["sent"] == 0


def test_filters__category_and_urgency(network, governance_lead):
    cases = [
        ({"category": "housing-instability"}, 1),
        ({"category": "food-insecurity"}, 10),
        ({"category": "homelessness"}, 0),
        ({"urgency": "urgent"}, 1),
        ({"urgency": "routine"}, 10),
        ({"urgency": "crisis"}, 0),
        ({"category": "food-insecurity", "urgency": "urgent"}, 0),
    ]
    assert [numbers(governance_lead, **filters)["sent"] for filters, _ in cases] == [sent for _, sent in cases]


def test_filters__organizations(network, governance_lead, county, provider, other_provider):
    assert numbers(governance_lead, receiving_organization=provider)["sent"] == 10
    found = numbers(governance_lead, receiving_organization=other_provider, urgency="urgent")
    assert (found["sent"], found["acknowledged"]) == (1, 1)
    assert found["filters"]["receiving_organization"] == {"id": str(other_provider.pk), "name": other_provider.name}
    assert found["filters"]["urgency"] == "urgent"
    assert numbers(governance_lead, referring_organization=county)["sent"] == 11
    assert numbers(governance_lead, referring_organization=AgencyFactory(slug="elsewhere"))["sent"] == 0


def test_no_referrals__zeros_and_nulls(governance_lead):
    found = numbers(governance_lead)
    assert_numbers(found, EMPTY)


def test_period__selects_by_sending_time_whole_days_in_portal_time(network, governance_lead):
    last_day = numbers(governance_lead, since=datetime.date(2026, 2, 15), until=datetime.date(2026, 2, 15))
    assert last_day["sent"] == 1  # R11 at 23:30; X2 at 00:00 the next day is not in it
    assert last_day["weekly"] == [
        {"week_start": "2026-02-09", "sent": 1, "acknowledged": 0, "acknowledged_within_sla": 0}
    ]
    with_next_day = numbers(governance_lead, since=datetime.date(2026, 2, 15), until=datetime.date(2026, 2, 16))
    assert with_next_day["sent"] == 2
    january = numbers(governance_lead, since=datetime.date(2026, 1, 1), until=datetime.date(2026, 1, 31))
    # X1 alone: accepted, so acknowledged too; its breach and exception count in its own period.
    assert_numbers(
        january,
        {
            "sent": 1,
            "accepted": 1,
            "acknowledged": 1,
            "exceptions_opened": 1,
            "sla_breaches": {"acknowledge": 1, "first_contact": 0, "service_start": 0},
        },
    )


def test_population__drafts_and_entered_in_error_are_left_out(network, governance_lead):
    population = metrics_population(actor=governance_lead, query=MetricsQuery(**FEB))
    assert network["X3"].status == "draft"
    assert network["X4"].status == "entered_in_error"
    assert network["X4"].sent_at.date() == datetime.date(2026, 2, 5)
    ids = set(population.values_list("pk", flat=True))
    assert ids == {network[f"R{i}"].pk for i in range(1, 12)}


def test_declined_before_acknowledgement__is_not_acknowledged_even_though_the_stamp_is_set(network):
    r3 = network["R3"]
    # The workflow stamps acknowledged_at when declining straight away: the definition must see through it.
    assert r3.acknowledged_at == r3.responded_at
    assert not Referral.objects.filter(ACKNOWLEDGED, pk=r3.pk).exists()
    assert Referral.objects.filter(ACKNOWLEDGED, pk=network["R2"].pk).exists()


def test_durations__a_stop_before_the_start_is_left_out(build, governance_lead):
    referral = build(local(3, 9), [("acknowledge", local(3, 10), {})])
    build(local(4, 9), [("acknowledge", local(4, 12), {})])
    Referral.objects.filter(pk=referral.pk).update(acknowledged_at=local(3, 8))  # an impossible import
    found = numbers(governance_lead)
    assert found["acknowledged"] == 2
    assert found["time_to_acknowledge"] == {"median": 3 * 3600, "p90": 3 * 3600, "count": 1}


def test_scope__another_agencys_referral_counts_for_the_provider_not_for_the_county(
    network, county_supervisor, provider_supervisor, governance_lead, service
):
    agency = AgencyFactory(slug="riverside-county", name="Riverside County")
    case_manager = _staff("rivercm", agency, Role.CASE_MANAGER)
    client = ClientFactory(organization=agency)
    full_consent(client)
    referral = ReferralFactory(client=client, service=service, created_by=case_manager)
    referral_transition(actor=case_manager, referral=referral, name="submit", now=local(6, 9), confirm_warnings=True)
    assert numbers(county_supervisor)["sent"] == 11
    assert numbers(provider_supervisor)["sent"] == 11
    assert numbers(governance_lead)["sent"] == 12
    riverside = _staff("riversup", agency, Role.COUNTY_SUPERVISOR)
    assert numbers(riverside)["sent"] == 1


@pytest.mark.parametrize(
    "who", ["case_manager", "provider_intake", "other_provider_intake", "partner_system", "no_role_user"]
)
def test_scope__roles_without_metrics_count_nothing(network, request, who):
    user = request.getfixturevalue(who)
    assert not MeasuredReferral.objects.visible_to(user).exists()
    assert numbers(user)["sent"] == 0


def test_scope__a_revoked_membership_takes_the_numbers_away(network, county_supervisor):
    membership = county_supervisor.memberships.get()
    membership_revoke(actor=None, membership=membership)
    assert numbers(county_supervisor)["sent"] == 0


# --- percentiles: the SQLite fallback and PostgreSQL's percentile_cont agree ----------------------------------


def test_percentile_by_offset__interpolates_like_percentile_cont(network, governance_lead):
    population = metrics_population(actor=governance_lead, query=MetricsQuery(**FEB))
    acknowledge = DURATIONS[0]
    expression = duration_expression(acknowledge.stop_field)
    picks = {
        fraction: percentile_by_offset(population, expression, acknowledge.measured, fraction, 7)
        for fraction in (0, 0.25, 0.5, 0.9, 1)
    }
    # 1,1,2,2,4,24,28 h: rank 0 -> 1 h; 1.5 -> 1.5 h; 3 -> 2 h; 5.4 -> 25.6 h; 6 -> 28 h.
    assert picks == {0: 3600, 0.25: 5400, 0.5: 7200, 0.9: 92160, 1: 100800}
    assert percentile_by_offset(population, expression, acknowledge.measured, 0.5, 0) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="percentile_cont is PostgreSQL's")
def test_percentile_cont__postgresql_gives_the_same_as_the_fallback(network, governance_lead):
    population = metrics_population(actor=governance_lead, query=MetricsQuery(**FEB))
    for duration in DURATIONS:
        expression = duration_expression(duration.stop_field)
        count = population.filter(duration.measured).count()
        for fraction in (0.1, 0.5, 0.9):
            native = population.aggregate(value=PercentileCont(expression, fraction, filter=duration.measured))["value"]
            fallback = percentile_by_offset(population, expression, duration.measured, fraction, count)
            assert native == pytest.approx(fallback, abs=1e-6), (duration.key, fraction)


def test_percentile_cont__refuses_a_fraction_outside_0_to_1():
    with pytest.raises(ValueError, match="between 0 and 1"):
        PercentileCont(duration_expression("acknowledged_at"), 1.5)


# --- bottleneck ranking, definitions ---------------------------------------------------------------------------


def test_ranked__highest_rate_first_then_volume_then_name_zero_and_unknown_left_out():
    def row(name, sent, decline_rate, breach_rate):
        return {"category": name, "sent": sent, "decline_rate": decline_rate, "breach_rate": breach_rate}

    rows = [
        row("a", 10, 0.5, 0.0),
        row("b", 30, 0.5, 0.1),
        row("c", 20, 0.9, None),
        row("d", 10, None, 0.3),
        row("e", 10, 0.0, 0.1),
        *(row(f"z{i}", 10, 0.1, 0.05) for i in range(5)),
    ]
    ranked = _ranked(rows)
    assert [r["category"] for r in ranked["by_decline_rate"]] == ["c", "b", "a", "z0", "z1"]
    assert [r["category"] for r in ranked["by_breach_rate"]] == ["d", "b", "e", "z0", "z1"]


def test_definitions__each_has_a_term_and_text_and_a_unique_key():
    keys = [d.key for d in DEFINITIONS]
    assert len(keys) == len(set(keys))
    assert all(d.term and len(d.text) > 40 for d in DEFINITIONS)
    assert DEFINITIONS_VERSION
