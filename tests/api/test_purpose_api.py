"""`X-Purpose-Of-Use` on every API call: which roles may act for which purpose, and what a refusal leaves behind.

An allowed purpose is the one the read's audit row records; a refused one is a 403 with `code: purpose_refused`,
one PURPOSE_REFUSED audit row and no read. Without the header the role's usual purpose applies (COC for care
work, HOPERAT for governance and data stewards). The purpose also narrows what consent lets a provider see.
"""

import pytest

from audit.models import AuditEvent
from consent.break_glass import break_glass_end, break_glass_start
from coordination.purpose import HEADER

pytestmark = pytest.mark.django_db

# Every role reads something it may see: care roles and governance a referral, the data steward the client.
READS = {
    "case_manager": "referral",
    "county_supervisor": "referral",
    "provider_intake": "referral",
    "provider_supervisor": "referral",
    "partner_system": "referral",
    "governance_lead": "referral",
    "data_steward": "client",
}
VIEWED = {"referral": "referral.viewed", "client": "client.viewed"}

ALLOWED = [
    ("case_manager", "COC"),
    ("case_manager", "TREAT"),
    ("case_manager", "ETREAT"),
    ("case_manager", "CAREMGT"),
    ("county_supervisor", "TREAT"),
    ("provider_intake", "COC"),
    ("provider_intake", "TREAT"),
    ("provider_supervisor", "ETREAT"),
    ("partner_system", "COC"),
    ("partner_system", "TREAT"),
    ("governance_lead", "HOPERAT"),
    ("governance_lead", "CAREMGT"),
    ("governance_lead", "HQUALIMP"),
    ("governance_lead", "PERFMSR"),
    ("data_steward", "HOPERAT"),
    ("data_steward", "PERFMSR"),
]
NOT_FOR_THE_ROLE = [
    ("case_manager", "HOPERAT"),
    ("case_manager", "HRESCH"),
    ("case_manager", "PUBHLTH"),
    ("case_manager", "HPAYMT"),
    ("provider_intake", "HQUALIMP"),
    ("provider_supervisor", "PATRQT"),
    ("partner_system", "BTG"),
    ("governance_lead", "COC"),
    ("governance_lead", "TREAT"),
    ("governance_lead", "BTG"),
    ("data_steward", "TREAT"),
    ("data_steward", "ETREAT"),
]


@pytest.fixture
def accepted(make_referral):
    return make_referral("accepted")


@pytest.fixture
def read(signed_in, cast, accepted, county_client):
    """`read("case_manager", "TREAT")` -> the response of that role's read, sent with that purpose (None: no header)."""

    def get(who: str, purpose: str | None):
        api = signed_in(cast(who))
        target = READS.get(who, "referral")
        url = f"/api/v1/referrals/{accepted.pk}/" if target == "referral" else f"/api/v1/clients/{county_client.pk}/"
        headers = {} if purpose is None else {HEADER: purpose}
        return api.get(url, headers=headers)

    return get


def rows(action: str):
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def assert_refused(response, message: str, recorded_purpose: str) -> None:
    assert response.status_code == 403
    assert response.json() == {"detail": message, "code": "purpose_refused"}
    [refused] = rows("purpose.refused")
    assert (refused.outcome, refused.outcome_reason, refused.purpose_of_use) == ("denied", message, recorded_purpose)
    assert not AuditEvent.objects.filter(action__in=VIEWED.values()).exists()


@pytest.mark.parametrize(("who", "purpose"), ALLOWED)
def test_allowed_purpose__read_succeeds_and_its_audit_row_carries_the_purpose(read, cast, who, purpose):
    response = read(who, purpose)

    assert response.status_code == 200
    assert response.json()["id"]
    [viewed] = rows(VIEWED[READS[who]])
    assert viewed.purpose_of_use == purpose
    assert viewed.actor_id == cast(who).pk
    assert rows("purpose.refused") == []


@pytest.mark.parametrize(("who", "purpose"), NOT_FOR_THE_ROLE)
def test_purpose_not_for_the_role__403_purpose_refused_and_one_audit_row(read, cast, who, purpose):
    response = read(who, purpose)

    assert_refused(response, f"Your role may not act for purpose {purpose}.", purpose)
    assert rows("purpose.refused")[0].actor_id == cast(who).pk


@pytest.mark.parametrize(("who", "expected"), [("case_manager", "COC"), ("provider_intake", "COC")])
def test_no_header__the_role_default_is_recorded(read, who, expected):
    response = read(who, None)

    assert response.status_code == 200
    assert [row.purpose_of_use for row in rows("referral.viewed")] == [expected]


@pytest.mark.parametrize("who", ["governance_lead", "data_steward"])
def test_no_header__governance_roles_default_to_operations(read, who):
    response = read(who, None)

    assert response.status_code == 200
    [viewed] = rows(VIEWED[READS[who]])
    assert viewed.purpose_of_use == "HOPERAT"


@pytest.mark.parametrize(("sent", "recorded"), [("treat", "TREAT"), (" Coc ", "COC"), ("eTreat", "ETREAT")])
def test_lowercase_and_padded_codes_are_accepted(read, sent, recorded):
    response = read("case_manager", sent)

    assert response.status_code == 200
    [viewed] = rows("referral.viewed")
    assert viewed.purpose_of_use == recorded


@pytest.mark.parametrize("who", ["case_manager", "governance_lead", "partner_system"])
def test_unknown_code__refused(read, who):
    response = read(who, "XYZZY")

    assert_refused(response, "Unknown purpose of use 'XYZZY'.", "XYZZY")


def test_unknown_code__long_junk_is_cut_in_the_message_and_the_audit_row(read):
    response = read("case_manager", "A" * 300)

    assert_refused(response, f"Unknown purpose of use '{'A' * 20}'.", "A" * 10)


@pytest.mark.parametrize("who", ["case_manager", "provider_intake", "governance_lead", "data_steward"])
@pytest.mark.parametrize("sent", ["HMARKT", "hmarkt"])
def test_marketing__refused_for_every_role(read, who, sent):
    response = read(who, sent)

    assert_refused(response, "Marketing (HMARKT) is never a permitted purpose.", "HMARKT")


@pytest.mark.parametrize("who", ["case_manager", "provider_intake", "provider_supervisor"])
def test_btg_without_a_live_emergency_access__refused(read, who):
    response = read(who, "BTG")

    assert_refused(
        response, "Break-the-glass (BTG) needs a live emergency access: start one with a reason first.", "BTG"
    )


def test_btg_after_the_emergency_access_ended__refused(read, provider_intake, county_client):
    access = break_glass_start(actor=provider_intake, client=county_client, reason="Client collapsed in our lobby")
    assert read("provider_intake", "BTG").status_code == 200
    break_glass_end(actor=provider_intake, access=access)

    response = read("provider_intake", "BTG")

    assert response.status_code == 403
    assert response.json()["code"] == "purpose_refused"
    assert [row.purpose_of_use for row in rows("referral.viewed")] == ["BTG"]
    assert [row.purpose_of_use for row in rows("purpose.refused")] == ["BTG"]


def test_user_without_roles__any_purpose_refused(signed_in, no_role_user, accepted):
    response = signed_in(no_role_user).get(f"/api/v1/referrals/{accepted.pk}/", headers={HEADER: "COC"})

    assert_refused(response, "Your role may not act for purpose COC.", "COC")


def test_refused_purpose__list_endpoints_refuse_too(signed_in, governance_lead, accepted):
    response = signed_in(governance_lead).get("/api/v1/referrals/", headers={HEADER: "TREAT"})

    assert response.status_code == 403
    assert response.json()["code"] == "purpose_refused"
    assert rows("referral.listed") == []
    assert len(rows("purpose.refused")) == 1


def test_anonymous__header_ignored_401_and_no_refusal_row(api, accepted):
    response = api.get(f"/api/v1/referrals/{accepted.pk}/", headers={HEADER: "HMARKT"})

    assert response.status_code == 401
    assert rows("purpose.refused") == []


# The purpose narrows what consent lets the provider see.


def test_treat__consent_only_for_coc_withholds_every_category(signed_in, provider_intake, accepted, county_client):
    api = signed_in(provider_intake)

    coc = api.get(f"/api/v1/referrals/{accepted.pk}/").json()
    treat = api.get(f"/api/v1/referrals/{accepted.pk}/", headers={HEADER: "TREAT"}).json()

    assert coc["client"]["family_name"] == "Lopez"
    assert coc["reason"] == accepted.reason
    assert coc["withheld"] == []
    assert treat["client"] == {"id": str(county_client.pk)}
    assert "reason" not in treat
    assert {w["category"]: w["reason"] for w in treat["withheld"]} == {
        "demographics": "no consent for healthcare partners for demographics (TREAT)",
        "contact": "no consent for healthcare partners for contact details (TREAT)",
        "referral-reason": "no consent for healthcare partners for referral reason (TREAT)",
    }
    viewed = rows("referral.viewed")
    assert [row.purpose_of_use for row in viewed] == ["COC", "TREAT"]
    assert viewed[1].detail["client_fields"] == []
    assert set(viewed[1].detail["withheld"]) == {"demographics", "contact", "referral-reason"}


def test_treat__the_referring_custodian_still_sees_everything(signed_in, case_manager, accepted):
    body = signed_in(case_manager).get(f"/api/v1/referrals/{accepted.pk}/", headers={HEADER: "TREAT"}).json()

    assert body["client"]["family_name"] == "Lopez"
    assert body["reason"] == accepted.reason
    assert body["withheld"] == []


def test_treat__a_consent_covering_treatment_opens_it_again(signed_in, provider_intake, accepted, county_client):
    from tests.factories import full_consent

    full_consent(county_client, purposes=["TREAT"])

    body = signed_in(provider_intake).get(f"/api/v1/referrals/{accepted.pk}/", headers={HEADER: "TREAT"}).json()

    assert body["client"]["family_name"] == "Lopez"
    assert body["withheld"] == []
