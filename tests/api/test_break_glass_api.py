"""`/api/v1/break-glass/`: starting, listing and ending emergency access, and reading with `X-Purpose-Of-Use: BTG`.

Only care roles with a referral for the client may start one, with a typed reason, for 5 to 240 minutes. It is
audited with purpose BTG and emails the client's organization's governance leads. While it lasts, BTG reads
see what consent withholds, except substance-use data (42 CFR Part 2); when it ends or expires they stop.
"""

import datetime
import uuid

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from consent.break_glass import break_glass_start
from consent.models import BreakGlassAccess
from consent.services import consent_revoke
from coordination.purpose import HEADER
from tests.factories import ClientFactory, full_consent, referral_in

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/break-glass/"
REASON = "Client in crisis at our door, need the safety plan now"
NO_REFERRAL = "Emergency access opens withheld data on a referral you can see; there is none."
SUBSTANCE_USE_REASON = "Opioid use disorder in early recovery; needs groceries while in treatment."


def end_url(access) -> str:
    return f"{LIST_URL}{getattr(access, 'pk', access)}/end/"


def referral_url(referral) -> str:
    return f"/api/v1/referrals/{referral.pk}/"


def rows(action: str):
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


@pytest.fixture
def accepted(make_referral):
    return make_referral("accepted")


@pytest.fixture
def part2_referral(make_referral, county_client, provider, case_manager):
    """Sent under a consent naming the provider for substance use; the client then kept only demographics (COC)."""
    full_consent(county_client, organizations=[provider])
    referral = make_referral("accepted", sensitive_categories=["substance-use"], reason=SUBSTANCE_USE_REASON)
    for consent in county_client.consents.filter(status="active"):
        consent_revoke(actor=case_manager, consent=consent, reason="Client asked us to stop sharing", method="verbal")
    full_consent(county_client, data_categories=["demographics"])
    return referral


def start(api, client, **overrides):
    payload = {"client": str(client.pk), "reason": REASON, "minutes": 30, **overrides}
    return api.post(LIST_URL, payload, format="json")


# Starting


def test_start__by_receiving_intake_returns_201_audits_and_emails_governance(
    signed_in, provider_intake, accepted, county_client, governance_lead, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = start(signed_in(provider_intake), county_client)

    assert response.status_code == 201
    body = response.json()
    access = BreakGlassAccess.objects.get()
    assert body["id"] == str(access.pk)
    assert body["client"] == str(county_client.pk)
    assert body["reason"] == REASON
    assert body["user"]["username"] == "intake"
    assert body["ended_at"] is None
    assert body["live"] is True
    assert access.user == provider_intake
    assert access.started_at >= before
    assert access.expires_at - access.started_at == datetime.timedelta(minutes=30)
    [started] = rows("break_glass.started")
    assert (started.actor_id, started.client_id, started.purpose_of_use) == (
        provider_intake.pk,
        county_client.pk,
        "BTG",
    )
    assert started.target_id == str(access.pk)
    assert started.detail["reason"] == REASON
    [email] = mail.outbox
    assert email.to == [governance_lead.email]
    assert email.subject == "Break-the-glass access started"
    assert REASON in email.body
    assert str(access.pk) in email.body


def test_start__minutes_default_to_an_hour(signed_in, provider_intake, accepted, county_client):
    response = signed_in(provider_intake).post(
        LIST_URL, {"client": str(county_client.pk), "reason": REASON}, format="json"
    )

    assert response.status_code == 201
    access = BreakGlassAccess.objects.get()
    assert access.expires_at - access.started_at == datetime.timedelta(minutes=60)


def test_start__a_deactivated_governance_lead_is_not_emailed(
    signed_in, provider_intake, accepted, county_client, governance_lead, django_capture_on_commit_callbacks
):
    governance_lead.is_active = False
    governance_lead.save(update_fields=["is_active"])

    with django_capture_on_commit_callbacks(execute=True):
        assert start(signed_in(provider_intake), county_client).status_code == 201

    assert mail.outbox == []


@pytest.mark.parametrize("reason", ["", "   ", "help now", "x" * 14, " " + "y" * 14 + " "])
def test_start__reason_shorter_than_15_characters_returns_400(
    signed_in, provider_intake, accepted, county_client, reason, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = start(signed_in(provider_intake), county_client, reason=reason)

    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": ["Describe the emergency (at least 15 characters)."]}
    assert not BreakGlassAccess.objects.exists()
    assert rows("break_glass.started") == []
    assert mail.outbox == []


@pytest.mark.parametrize("minutes", [0, 4, 241, 10_000, -30])
def test_start__minutes_outside_5_to_240_returns_400(signed_in, provider_intake, accepted, county_client, minutes):
    response = start(signed_in(provider_intake), county_client, minutes=minutes)

    assert response.status_code == 400
    assert response.json()["errors"] == {"minutes": ["Emergency access lasts 5 to 240 minutes."]}
    assert not BreakGlassAccess.objects.exists()


@pytest.mark.parametrize("minutes", [5, 240])
def test_start__minutes_at_the_bounds_are_accepted(signed_in, provider_intake, accepted, county_client, minutes):
    response = start(signed_in(provider_intake), county_client, minutes=minutes)

    assert response.status_code == 201
    access = BreakGlassAccess.objects.get()
    assert access.expires_at - access.started_at == datetime.timedelta(minutes=minutes)


@pytest.mark.parametrize("minutes", ["soon", "12.5", True, None, [30]])
def test_start__minutes_not_a_whole_number_returns_400(signed_in, provider_intake, accepted, county_client, minutes):
    response = start(signed_in(provider_intake), county_client, minutes=minutes)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["minutes"]
    assert not BreakGlassAccess.objects.exists()


def test_start__unknown_keys_and_a_bad_client_id_return_400(signed_in, provider_intake, accepted, county_client):
    response = start(signed_in(provider_intake), county_client, purpose="BTG", user=1)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "purpose": ["Not a field this request takes."],
        "user": ["Not a field this request takes."],
    }
    bad = signed_in(provider_intake).post(LIST_URL, {"client": "nope", "reason": REASON}, format="json")
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["client"]
    assert not BreakGlassAccess.objects.exists()


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("partner_system", "Your role may not break the glass."),
        ("governance_lead", "Your role may not break the glass."),
        ("data_steward", "Your role may not break the glass."),
        ("no_role_user", "Your role may not break the glass."),
        ("other_provider_intake", NO_REFERRAL),
    ],
)
def test_start__refused_returns_403_and_the_refusal_is_audited(
    signed_in, cast, who, message, accepted, county_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = start(signed_in(cast(who)), county_client)

    assert response.status_code == 403
    assert response.json() == {"detail": message}
    assert not BreakGlassAccess.objects.exists()
    assert rows("break_glass.started") == []
    assert mail.outbox == []
    [denied] = rows("object.access_denied")
    assert (denied.subtype, denied.outcome, denied.outcome_reason) == ("break-glass", "denied", message)
    assert denied.actor_id == cast(who).pk
    assert denied.client_id == county_client.pk


def test_start__client_without_a_referral_for_the_caller_returns_403(signed_in, provider_intake, county, accepted):
    stranger = ClientFactory(organization=county)

    response = start(signed_in(provider_intake), stranger)

    assert response.status_code == 403
    assert response.json() == {"detail": NO_REFERRAL}
    assert not BreakGlassAccess.objects.exists()


def test_start__missing_client_gets_the_same_403_as_a_hidden_one(signed_in, provider_intake, accepted):
    missing = uuid.uuid4()

    response = signed_in(provider_intake).post(LIST_URL, {"client": str(missing), "reason": REASON}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": NO_REFERRAL}
    [denied] = rows("object.access_denied")
    assert denied.client_id is None
    assert denied.detail["lookup"] == {"client": str(missing)}


def test_start__anonymous_returns_401(api, accepted, county_client):
    response = start(api, county_client)

    assert response.status_code == 401
    assert not BreakGlassAccess.objects.exists()


# Listing


def test_list__own_accesses_only_for_care_staff(
    signed_in, provider_intake, provider_supervisor, case_manager, accepted, county_client
):
    mine = break_glass_start(actor=provider_intake, client=county_client, reason=REASON)
    break_glass_start(actor=provider_supervisor, client=county_client, reason=REASON)

    body = signed_in(provider_intake).get(LIST_URL).json()

    assert [row["id"] for row in body["results"]] == [str(mine.pk)]
    assert body["results"][0]["reason"] == REASON
    assert signed_in(case_manager).get(LIST_URL).json()["results"] == []


def test_list__governance_sees_every_access_on_its_organizations_clients(
    signed_in, governance_lead, provider_intake, provider_supervisor, accepted, county_client, other_provider
):
    first = break_glass_start(actor=provider_intake, client=county_client, reason=REASON)
    second = break_glass_start(actor=provider_supervisor, client=county_client, reason=REASON + " again")
    # A client of another organization: not this governance lead's business.
    elsewhere = ClientFactory(organization=other_provider)
    BreakGlassAccess.objects.create(
        user=provider_intake,
        client=elsewhere,
        reason=REASON,
        started_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(minutes=5),
    )

    body = signed_in(governance_lead).get(LIST_URL).json()

    assert {row["id"] for row in body["results"]} == {str(first.pk), str(second.pk)}
    assert {row["user"]["username"] for row in body["results"]} == {"intake", "provsup"}


def test_list__outsiders_see_none(
    signed_in, other_provider_intake, no_role_user, provider_intake, accepted, county_client
):
    break_glass_start(actor=provider_intake, client=county_client, reason=REASON)

    for user in (other_provider_intake, no_role_user):
        assert signed_in(user).get(LIST_URL).json()["results"] == []


def test_list__query_count_does_not_grow_with_rows(signed_in, provider_intake, accepted, county_client):
    api = signed_in(provider_intake)
    break_glass_start(actor=provider_intake, client=county_client, reason=REASON)
    with CaptureQueriesContext(connection) as one:
        assert len(api.get(LIST_URL).json()["results"]) == 1
    for _ in range(4):
        break_glass_start(actor=provider_intake, client=county_client, reason=REASON)
    with CaptureQueriesContext(connection) as five:
        assert len(api.get(LIST_URL).json()["results"]) == 5

    assert len(five.captured_queries) == len(one.captured_queries)


# Ending


def test_end__by_its_owner_returns_200_and_audits(signed_in, provider_intake, accepted, county_client):
    access = break_glass_start(actor=provider_intake, client=county_client, reason=REASON)

    response = signed_in(provider_intake).post(end_url(access))

    assert response.status_code == 200
    body = response.json()
    access.refresh_from_db()
    assert access.ended_at is not None
    assert body["ended_at"] is not None
    assert body["live"] is False
    [ended] = rows("break_glass.ended")
    assert (ended.actor_id, ended.client_id, ended.purpose_of_use, ended.target_id) == (
        provider_intake.pk,
        county_client.pk,
        "BTG",
        str(access.pk),
    )


def test_end__twice_changes_nothing_the_second_time(signed_in, provider_intake, accepted, county_client):
    access = break_glass_start(actor=provider_intake, client=county_client, reason=REASON)
    api = signed_in(provider_intake)
    first = api.post(end_url(access)).json()

    second = api.post(end_url(access))

    assert second.status_code == 200
    assert second.json()["ended_at"] == first["ended_at"]
    assert len(rows("break_glass.ended")) == 1


def test_end__governance_may_read_but_not_end_someone_elses(
    signed_in, governance_lead, provider_intake, accepted, county_client
):
    access = break_glass_start(actor=provider_intake, client=county_client, reason=REASON)

    response = signed_in(governance_lead).post(end_url(access))

    assert response.status_code == 403
    assert response.json() == {"detail": "Only the person who started an emergency access can end it."}
    access.refresh_from_db()
    assert access.ended_at is None
    assert rows("break_glass.ended") == []


@pytest.mark.parametrize("who", ["other_provider_intake", "provider_supervisor", "case_manager"])
def test_end__someone_who_cannot_see_it_gets_404(signed_in, cast, who, provider_intake, accepted, county_client):
    access = break_glass_start(actor=provider_intake, client=county_client, reason=REASON)

    response = signed_in(cast(who)).post(end_url(access))

    assert response.status_code == 404
    access.refresh_from_db()
    assert access.ended_at is None


def test_end__missing_and_junk_ids_404(signed_in, provider_intake):
    api = signed_in(provider_intake)

    assert api.post(end_url(uuid.uuid4())).status_code == 404
    assert api.post(end_url("not-a-uuid")).status_code == 404


def test_end__get_is_not_allowed(signed_in, provider_intake, accepted, county_client):
    access = break_glass_start(actor=provider_intake, client=county_client, reason=REASON)

    assert signed_in(provider_intake).get(end_url(access)).status_code == 405


# Reading with BTG, end to end


def test_btg__end_to_end_opens_all_but_part_2_until_expiry(
    signed_in, provider_intake, part2_referral, county_client, governance_lead, django_capture_on_commit_callbacks
):
    api = signed_in(provider_intake)
    everyday = api.get(referral_url(part2_referral)).json()
    assert set(everyday["client"]) == {
        "id",
        "given_name",
        "family_name",
        "birth_date",
        "preferred_language",
        "interpreter_needed",
    }
    assert {w["category"] for w in everyday["withheld"]} == {"contact", "referral-reason", "substance-use"}
    assert "reason" not in everyday

    with django_capture_on_commit_callbacks(execute=True):
        started = start(api, county_client, minutes=15)
    assert started.status_code == 201
    assert [email.to for email in mail.outbox] == [[governance_lead.email]]

    opened = api.get(referral_url(part2_referral), headers={HEADER: "BTG"}).json()
    assert opened["client"]["phone"] == county_client.phone
    assert opened["client"]["postal_code"] == county_client.postal_code
    assert opened["withheld"] == [
        {
            "category": "substance-use",
            "reason": "no consent naming Harbor Community Health for substance use (42 CFR Part 2) (COC)",
        }
    ]
    # The reason itself speaks of substance use: it stays out with Part 2.
    assert "reason" not in opened
    assert SUBSTANCE_USE_REASON not in str(opened)
    viewed = rows("referral.viewed")
    assert viewed[-1].purpose_of_use == "BTG"
    assert "phone" in viewed[-1].detail["client_fields"]
    assert viewed[-1].detail["withheld"] == {
        "substance-use": "no consent naming Harbor Community Health for substance use (42 CFR Part 2) (COC)"
    }

    # Without the header the same user reads under COC: consent applies again.
    plain = api.get(referral_url(part2_referral)).json()
    assert "phone" not in plain["client"]

    expires_at = BreakGlassAccess.objects.get().expires_at
    with time_machine.travel(expires_at + datetime.timedelta(seconds=1)):
        expired = api.get(referral_url(part2_referral), headers={HEADER: "BTG"})
        assert expired.status_code == 403
        assert expired.json()["code"] == "purpose_refused"
        again = api.get(referral_url(part2_referral)).json()
        assert "phone" not in again["client"]
        assert {w["category"] for w in again["withheld"]} == {"contact", "referral-reason", "substance-use"}
        listed = api.get(LIST_URL).json()["results"]
        assert [row["live"] for row in listed] == [False]
    assert rows("purpose.refused")[-1].purpose_of_use == "BTG"


def test_btg__ending_closes_it_at_once(signed_in, provider_intake, part2_referral, county_client):
    api = signed_in(provider_intake)
    access_id = start(api, county_client).json()["id"]
    assert "phone" in api.get(referral_url(part2_referral), headers={HEADER: "BTG"}).json()["client"]

    assert api.post(end_url(access_id)).status_code == 200

    refused = api.get(referral_url(part2_referral), headers={HEADER: "BTG"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "purpose_refused"
    assert [row.action for row in rows("break_glass.started") + rows("break_glass.ended")] == [
        "break_glass.started",
        "break_glass.ended",
    ]


def test_btg__for_one_client_opens_nothing_of_another(
    signed_in, provider_intake, part2_referral, county_client, county, case_manager, service
):
    other_client = ClientFactory(organization=county, given_name="Ana", family_name="Ruiz")
    other = referral_in(
        "accepted", referrer=case_manager, receiver=provider_intake, client=other_client, service=service
    )
    for consent in other_client.consents.all():
        consent_revoke(actor=case_manager, consent=consent, reason="Client asked us to stop sharing", method="verbal")
    api = signed_in(provider_intake)
    assert start(api, county_client).status_code == 201

    body = api.get(referral_url(other), headers={HEADER: "BTG"}).json()

    assert body["client"] == {"id": str(other_client.pk)}
    assert {w["category"] for w in body["withheld"]} == {"demographics", "contact", "referral-reason"}


def test_btg__a_provider_cannot_open_a_referral_it_does_not_see(
    signed_in, provider_intake, other_provider_intake, part2_referral, county_client
):
    assert start(signed_in(provider_intake), county_client).status_code == 201

    response = signed_in(other_provider_intake).get(referral_url(part2_referral), headers={HEADER: "BTG"})

    assert response.status_code == 403  # no live emergency access of its own: the purpose itself is refused
    assert response.json()["code"] == "purpose_refused"


def test_list__is_audited_as_a_read_of_client_data(api, provider_intake, accepted, county_client):

    break_glass_start(actor=provider_intake, client=county_client, reason="Client collapsed at the pantry door.")
    api.as_user(provider_intake).get("/api/v1/break-glass/")
    [row] = AuditEvent.objects.filter(action="break_glass.listed")
    assert row.detail["client_ids"] == [str(county_client.pk)]
