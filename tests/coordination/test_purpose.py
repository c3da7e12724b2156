"""Purpose of use: role defaults, which roles may use which purpose, break-the-glass liveness, the page middleware."""

import datetime

import pytest
import time_machine

from audit.models import AuditEvent
from consent.break_glass import break_glass_end, break_glass_start
from coordination.purpose import (
    ROLE_PURPOSES,
    PurposeOfUse,
    PurposeRefused,
    active_roles,
    default_purpose,
    has_live_break_glass,
    purposes_for,
    refuse_purpose,
    resolve_purpose,
)
from coordination.roles import Role
from providers.services import membership_grant

pytestmark = pytest.mark.django_db

REASON = "Client collapsed in our lobby, need contacts"


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([Role.CASE_MANAGER], "COC"),
        ([Role.PROVIDER_INTAKE], "COC"),
        ([Role.PARTNER_SYSTEM], "COC"),
        ([Role.GOVERNANCE_LEAD], "HOPERAT"),
        ([Role.DATA_STEWARD], "HOPERAT"),
        ([Role.GOVERNANCE_LEAD, Role.DATA_STEWARD], "HOPERAT"),
        ([Role.GOVERNANCE_LEAD, Role.CASE_MANAGER], "COC"),
        ([], ""),
    ],
)
def test_default_purpose__care_work_coc_governance_operations(roles, expected):
    assert default_purpose(roles) == expected


def test_purposes_for__is_the_union_of_the_roles():
    assert purposes_for([Role.CASE_MANAGER]) == {"COC", "TREAT", "ETREAT", "CAREMGT", "BTG"}
    assert purposes_for([Role.PARTNER_SYSTEM]) == {"COC", "TREAT", "ETREAT", "CAREMGT"}
    assert purposes_for([Role.GOVERNANCE_LEAD]) == {"HOPERAT", "CAREMGT", "HQUALIMP", "PERFMSR"}
    assert purposes_for([Role.GOVERNANCE_LEAD, Role.PARTNER_SYSTEM]) == {
        "COC",
        "TREAT",
        "ETREAT",
        "CAREMGT",
        "HOPERAT",
        "HQUALIMP",
        "PERFMSR",
    }
    assert purposes_for([]) == frozenset()


def test_no_role_may_use_marketing_research_or_payment():
    for allowed in ROLE_PURPOSES.values():
        assert not allowed & {"HMARKT", "HRESCH", "HPAYMT", "PUBHLTH"}


def test_resolve_purpose__normalises_and_refuses(case_manager, governance_lead):
    roles = active_roles(case_manager)
    assert roles == [Role.CASE_MANAGER]
    assert resolve_purpose(case_manager, roles, None) == "COC"
    assert resolve_purpose(case_manager, roles, "  treat ") == "TREAT"
    with pytest.raises(PurposeRefused, match="Unknown purpose of use 'NOPE'"):
        resolve_purpose(case_manager, roles, "nope")
    with pytest.raises(PurposeRefused, match="Marketing"):
        resolve_purpose(case_manager, roles, "HMARKT")
    with pytest.raises(PurposeRefused, match="may not act for purpose HOPERAT"):
        resolve_purpose(case_manager, roles, "HOPERAT")
    with pytest.raises(PurposeRefused, match="needs a live emergency access"):
        resolve_purpose(case_manager, roles, "btg")
    assert resolve_purpose(governance_lead, active_roles(governance_lead), "") == "HOPERAT"


def test_resolve_purpose__a_revoked_role_no_longer_grants_its_purposes(case_manager, county, governance_lead):
    membership_grant(actor=None, user=case_manager, organization=county, role=Role.GOVERNANCE_LEAD)
    assert resolve_purpose(case_manager, active_roles(case_manager), "HQUALIMP") == "HQUALIMP"
    case_manager.memberships.filter(role=Role.GOVERNANCE_LEAD).update(active=False)

    with pytest.raises(PurposeRefused):
        resolve_purpose(case_manager, active_roles(case_manager), "HQUALIMP")


def test_has_live_break_glass__per_client_until_expiry_or_end(provider_intake, make_referral, county_client):
    make_referral("accepted")
    assert not has_live_break_glass(provider_intake)
    access = break_glass_start(actor=provider_intake, client=county_client, reason=REASON, minutes=15)

    assert has_live_break_glass(provider_intake)
    assert has_live_break_glass(provider_intake, county_client.pk)
    assert resolve_purpose(provider_intake, active_roles(provider_intake), "BTG") == PurposeOfUse.BTG
    with time_machine.travel(access.expires_at + datetime.timedelta(seconds=1)):
        assert not has_live_break_glass(provider_intake)
    break_glass_end(actor=provider_intake, access=access)
    assert not has_live_break_glass(provider_intake, county_client.pk)


def test_has_live_break_glass__not_for_another_client_or_user(
    provider_intake, provider_supervisor, make_referral, county_client, county
):
    from tests.factories import ClientFactory

    make_referral("accepted")
    break_glass_start(actor=provider_intake, client=county_client, reason=REASON)

    assert not has_live_break_glass(provider_intake, ClientFactory(organization=county).pk)
    assert not has_live_break_glass(provider_supervisor)


def test_refuse_purpose__writes_one_denied_row():
    refuse_purpose(" hmarkt ", PurposeRefused("Marketing (HMARKT) is never a permitted purpose."))

    [row] = AuditEvent.objects.filter(action="purpose.refused")
    assert (row.outcome, row.purpose_of_use) == ("denied", "HMARKT")
    assert row.outcome_reason == "Marketing (HMARKT) is never a permitted purpose."


# The page middleware


def _last_viewed():
    return AuditEvent.objects.filter(action="referral.viewed").order_by("sequence").last()


def test_middleware__pages_act_under_the_session_purpose(client, case_manager, make_referral):
    referral = make_referral("accepted")
    client.force_login(case_manager)
    session = client.session
    session["purpose_of_use"] = "TREAT"
    session.save()

    body = client.get(f"/referrals/{referral.pk}/").content.decode()

    assert _last_viewed().purpose_of_use == "TREAT"
    assert "<strong>TREAT</strong>" in body


def test_middleware__a_purpose_the_role_may_not_use_falls_back_quietly(client, case_manager, make_referral):
    referral = make_referral("accepted")
    client.force_login(case_manager)
    session = client.session
    session["purpose_of_use"] = "HOPERAT"
    session.save()

    response = client.get(f"/referrals/{referral.pk}/")

    assert response.status_code == 200
    assert _last_viewed().purpose_of_use == "COC"
    assert "purpose_of_use" not in client.session
    assert not AuditEvent.objects.filter(action="purpose.refused").exists()


def test_middleware__btg_without_live_access_falls_back(client, provider_intake, make_referral):
    referral = make_referral("accepted")
    client.force_login(provider_intake)
    session = client.session
    session["purpose_of_use"] = "BTG"
    session.save()

    client.get(f"/referrals/{referral.pk}/")

    assert _last_viewed().purpose_of_use == "COC"
    assert "purpose_of_use" not in client.session


def test_middleware__api_requests_ignore_the_session_purpose(client, case_manager, make_referral):
    referral = make_referral("accepted")
    client.force_login(case_manager)
    session = client.session
    session["purpose_of_use"] = "TREAT"
    session.save()

    client.get(f"/api/v1/referrals/{referral.pk}/")

    assert _last_viewed().purpose_of_use == "COC"
    assert client.session["purpose_of_use"] == "TREAT"
