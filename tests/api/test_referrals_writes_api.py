"""Creating and editing referrals, rerouting, routing options, assignment and shares over `/api/v1/referrals/`."""

import datetime
import uuid

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from coordination.roles import Role
from providers.services import membership_grant
from referrals.models import Referral, ReferralEvent, ReferralUserObjectPermission
from tests.factories import AgencyFactory, ClientFactory, PostalCodeFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/referrals/"


def url(referral, suffix: str = "") -> str:
    return f"/api/v1/referrals/{getattr(referral, 'pk', referral)}/{suffix}"


@pytest.fixture
def payload(county_client, service):
    def build(**overrides):
        data = {
            "client": str(county_client.pk),
            "service": str(service.pk),
            "category": "food-insecurity",
            "urgency": "urgent",
            "reason": "Family of four, no groceries until the 1st.",
            "risk_flags": ["do-not-contact-directly"],
            "contact_constraints": "Call the shelter desk, not her phone.",
            "safe_contact_times": "Weekdays 9-12",
            "eligibility_basis": ["medicaid", "county-resident"],
            "eligibility_note": "",
            "interpreter_needed": True,
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return build


def timeline(referral) -> list[str]:
    return list(
        ReferralEvent.objects.filter(referral_id=getattr(referral, "pk", referral)).values_list("name", flat=True)
    )


# --- create ---------------------------------------------------------------------------------------------


def test_create__makes_a_draft_with_the_template(api, signed_in, case_manager, county, county_client, service, payload):
    response = signed_in(case_manager).post(LIST_URL, payload(), format="json")

    assert response.status_code == 201
    body = response.json()
    referral = Referral.objects.get(pk=body["id"])
    assert (referral.status, body["status"]) == ("draft", "draft")
    assert referral.client == county_client
    assert referral.referring_organization == county
    assert referral.service == service
    assert referral.created_by == referral.assigned_to == case_manager
    assert referral.urgency == "urgent"
    assert referral.risk_flags == ["do-not-contact-directly"]
    assert referral.eligibility_basis == ["medicaid", "county-resident"]
    assert referral.contact_constraints == "Call the shelter desk, not her phone."
    assert referral.language == county_client.preferred_language  # defaulted from the client
    assert referral.interpreter_needed is True
    assert referral.sent_at is None
    assert body["allowed_transitions"] == ["submit", "cancel"]
    assert body["client"]["id"] == str(county_client.pk)
    assert body["receiving_organization"]["slug"] == "harbor-health"
    assert timeline(referral) == ["create"]
    created = AuditEvent.objects.get(action="referral.created")
    assert (created.actor, created.client_id, created.target_id) == (case_manager, county_client.pk, str(referral.pk))


def test_create__submit_true_sends_at_once(api, case_manager, provider, payload):
    response = api.as_user(case_manager).post(LIST_URL, payload(submit=True), format="json")

    assert response.status_code == 201
    body = response.json()
    referral = Referral.objects.get(pk=body["id"])
    assert referral.status == body["status"] == "sent"
    assert referral.sent_at is not None
    assert referral.receiving_organization == provider
    assert referral.acknowledge_due_at is not None
    assert body["sla"]["acknowledge_due_at"] is not None
    assert timeline(referral) == ["create", "submit"]


def test_create__submit_without_a_service_creates_nothing(api, case_manager, payload):
    response = api.as_user(case_manager).post(LIST_URL, payload(service=None, submit=True), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"service": ["Choose a service before sending the referral."]}
    assert not Referral.objects.exists()


def test_create__draft_without_a_service_is_allowed(api, case_manager, payload):
    response = api.as_user(case_manager).post(LIST_URL, payload(service=None), format="json")

    assert response.status_code == 201
    assert response.json()["service"] is None
    assert response.json()["receiving_organization"] is None


def test_create__language_can_be_given(api, case_manager, payload):
    response = api.as_user(case_manager).post(LIST_URL, payload(language="es"), format="json")

    assert Referral.objects.get(pk=response.json()["id"]).language == "es"


def test_create__referring_organization_by_slug_when_working_for_two_agencies(api, case_manager, county, payload):
    second = AgencyFactory(slug="river-county")
    membership_grant(actor=None, user=case_manager, organization=second, role=Role.CASE_MANAGER)

    ambiguous = api.as_user(case_manager).post(LIST_URL, payload(), format="json")
    chosen = api.post(LIST_URL, payload(referring_organization="lakeside-county"), format="json")

    assert ambiguous.status_code == 400
    assert ambiguous.json()["errors"] == {"referring_organization": ["Say which agency is referring."]}
    assert chosen.status_code == 201
    assert chosen.json()["referring_organization"]["id"] == str(county.pk)
    assert Referral.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"risk_flags": ["unlucky"]}, "risk_flags"),
        ({"risk_flags": ["safety-risk", "safety-risk"]}, "risk_flags"),
        ({"eligibility_basis": ["other"], "eligibility_note": ""}, "eligibility_note"),
        ({"eligibility_basis": ["lottery"]}, "eligibility_basis"),
        ({"category": "snacks"}, "category"),
        ({"urgency": "yesterday"}, "urgency"),
        ({"reason": ""}, "reason"),
        ({"reason": None}, "reason"),
        ({"language": "xx"}, "language"),
        ({"client": "not-a-uuid"}, "client"),
        ({"client": str(uuid.uuid4())}, "client"),
        ({"service": str(uuid.uuid4())}, "service"),
        ({"referring_organization": "harbor-health"}, "referring_organization"),
        ({"referring_organization": "no such org!"}, "referring_organization"),
        ({"status": "accepted"}, "status"),
        ({"submit": "maybe"}, "submit"),
    ],
)
def test_create__invalid_fields_answer_400_and_create_nothing(api, case_manager, payload, overrides, field):
    data = payload(**{k: v for k, v in overrides.items() if v is not None})
    for key in [k for k, v in overrides.items() if v is None]:
        data.pop(key)

    response = api.as_user(case_manager).post(LIST_URL, data, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "The request has invalid fields."
    assert field in response.json()["errors"]
    assert not Referral.objects.exists()


def test_create__client_of_another_agency_answers_400(api, case_manager, payload):
    theirs = ClientFactory(organization=AgencyFactory(slug="river-county"))

    response = api.as_user(case_manager).post(LIST_URL, payload(client=str(theirs.pk)), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"client": ["No such client among the clients you can see."]}
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    "change",
    [{"accepting_referrals": False}, {"status": "inactive"}],
)
def test_create__service_not_taking_referrals_answers_400(api, case_manager, service, payload, change):
    for key, value in change.items():
        setattr(service, key, value)
    service.save()

    response = api.as_user(case_manager).post(LIST_URL, payload(), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "service": ["Harbor Food Pantry is not active or not accepting referrals; choose another service."]
    }
    assert not Referral.objects.exists()


@pytest.mark.parametrize("who", ["provider_intake", "partner_system", "no_role_user", "data_steward"])
def test_create__refused_before_validation_for_roles_that_cannot_refer(api, cast, who):
    response = api.as_user(cast(who)).post(LIST_URL, {}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow making referrals."}


# --- edit a draft ---------------------------------------------------------------------------------------


def test_patch__edits_the_draft_and_bumps_the_version(api, signed_in, case_manager, make_referral):
    referral = make_referral("draft")

    response = signed_in(case_manager).patch(
        url(referral), {"reason": "Now also needs diapers.", "urgency": "crisis", "version": 1}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["reason"], response.json()["urgency"], response.json()["version"]) == (
        "Now also needs diapers.",
        "crisis",
        2,
    )
    referral.refresh_from_db()
    assert (referral.reason, referral.urgency, referral.version) == ("Now also needs diapers.", "crisis", 2)
    edit = ReferralEvent.objects.get(referral=referral, name="edit")
    assert sorted(edit.detail["fields"]) == ["reason", "urgency"]
    assert AuditEvent.objects.get(action="referral.updated").client_id == referral.client_id


def test_patch__changes_the_service_and_the_receiving_organization(api, case_manager, other_provider, make_referral):
    referral = make_referral("draft")
    elsewhere = ServiceFactory(organization=other_provider, name="Northside Meals")

    response = api.as_user(case_manager).patch(url(referral), {"service": str(elsewhere.pk)}, format="json")

    assert response.json()["service"] == {"id": str(elsewhere.pk), "name": "Northside Meals"}
    assert response.json()["receiving_organization"]["slug"] == "northside-bh"
    assert Referral.objects.get(pk=referral.pk).receiving_organization == other_provider


def test_patch__stale_version_answers_409_and_changes_nothing(api, case_manager, make_referral):
    referral = make_referral("draft")
    api.as_user(case_manager).patch(url(referral), {"reason": "First edit."}, format="json")

    response = api.patch(url(referral), {"reason": "Second edit from an old form.", "version": 1}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    referral.refresh_from_db()
    assert (referral.reason, referral.version) == ("First edit.", 2)
    assert timeline(referral) == ["edit"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "sent"}, "status"),
        ({"risk_flags": ["unlucky"]}, "risk_flags"),
        ({"eligibility_basis": ["other"]}, "eligibility_note"),
        ({"reason": "   "}, "reason"),
        ({"version": 0}, "version"),
    ],
)
def test_patch__invalid_fields_answer_400_and_change_nothing(api, case_manager, make_referral, body, field):
    referral = make_referral("draft")

    response = api.as_user(case_manager).patch(url(referral), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    fresh = Referral.objects.get(pk=referral.pk)
    assert (fresh.version, fresh.status, fresh.risk_flags, fresh.eligibility_basis) == (
        1,
        "draft",
        referral.risk_flags,
        referral.eligibility_basis,
    )
    assert timeline(referral) == []


def test_put_is_not_offered(api, case_manager, make_referral):
    referral = make_referral("draft")

    response = api.as_user(case_manager).put(url(referral), {"reason": "x"}, format="json")

    assert response.status_code == 405
    assert Referral.objects.get(pk=referral.pk).reason != "x"


# --- reroute --------------------------------------------------------------------------------------------


@pytest.fixture
def second_service(provider):
    return ServiceFactory(organization=provider, name="Harbor Grocery Delivery", postal_codes=["97401"])


@pytest.mark.parametrize("start", ["declined", "cancelled"])
def test_reroute__starts_a_linked_draft_with_the_same_template(
    api, signed_in, case_manager, make_referral, second_service, start
):
    original = make_referral(start, urgency="urgent", risk_flags=["safety-risk"], contact_constraints="Text only.")

    response = signed_in(case_manager).post(
        url(original, "reroute/"), {"service": str(second_service.pk)}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    new = Referral.objects.get(pk=body["id"])
    assert body["rerouted_from"] == str(original.pk)
    assert (new.status, new.service, new.rerouted_from_id) == ("draft", second_service, original.pk)
    assert (new.urgency, new.risk_flags, new.contact_constraints) == ("urgent", ["safety-risk"], "Text only.")
    assert new.client_id == original.client_id
    assert timeline(new) == ["create"]
    assert timeline(original)[-1] == "reroute"
    assert AuditEvent.objects.get(action="referral.rerouted").target_id == str(new.pk)


def test_reroute__only_once(api, case_manager, make_referral, second_service, provider):
    original = make_referral("declined")
    api.as_user(case_manager).post(url(original, "reroute/"), {"service": str(second_service.pk)}, format="json")
    third = ServiceFactory(organization=provider, name="Harbor Hot Meals")

    response = api.post(url(original, "reroute/"), {"service": str(third.pk)}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Referral.objects.filter(rerouted_from=original).count() == 1


@pytest.mark.parametrize("start", ["draft", "sent", "accepted", "closed"])
def test_reroute__open_or_closed_referrals_answer_409(api, case_manager, make_referral, second_service, start):
    original = make_referral(start)

    response = api.as_user(case_manager).post(
        url(original, "reroute/"), {"service": str(second_service.pk)}, format="json"
    )

    assert response.status_code == 409
    assert not Referral.objects.filter(rerouted_from=original).exists()


def test_reroute__to_the_same_service_answers_400(api, case_manager, make_referral, service):
    original = make_referral("declined")

    response = api.as_user(case_manager).post(url(original, "reroute/"), {"service": str(service.pk)}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["service"]
    assert not Referral.objects.filter(rerouted_from=original).exists()


def test_reroute__missing_service_answers_400(api, case_manager, make_referral):
    original = make_referral("declined")

    response = api.as_user(case_manager).post(url(original, "reroute/"), {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["service"]


# --- routing options ------------------------------------------------------------------------------------


@pytest.fixture
def directory(provider, other_provider, service):
    """Around the pantry (serves 97401, has capacity): a county-wide waitlist, a full one, and non-matches."""
    PostalCodeFactory(code="97401", county="Lakeside")
    return {
        "pantry": service,
        "county_waitlist": ServiceFactory(
            organization=other_provider,
            name="Lakeside Meals on Wheels",
            languages=["en"],
            counties=["Lakeside"],
            capacity_status="waitlist",
        ),
        "full": ServiceFactory(
            organization=other_provider,
            name="Northside Pantry",
            languages=["en"],
            postal_codes=["97401"],
            capacity_status="no-capacity",
        ),
        "not_accepting": ServiceFactory(
            organization=provider, name="Closed Intake", postal_codes=["97401"], accepting_referrals=False
        ),
        "housing": ServiceFactory(
            organization=provider, name="Harbor Housing", category="housing-instability", postal_codes=["97401"]
        ),
    }


def test_routing_options__ranked_with_reasons(api, signed_in, case_manager, make_referral, directory, provider):
    referral = make_referral("draft")

    response = signed_in(case_manager).get(url(referral, "routing-options/"))

    assert response.status_code == 200
    options = response.json()
    assert [(o["rank"], o["service"]["name"]) for o in options] == [
        (1, "Harbor Food Pantry"),
        (2, "Lakeside Meals on Wheels"),
    ]
    best = options[0]
    assert best["service"] == {
        "id": str(directory["pantry"].pk),
        "name": "Harbor Food Pantry",
        "organization": {"id": str(provider.pk), "slug": "harbor-health", "name": provider.name},
        "capacity_status": "capacity",
        "accepting_referrals": True,
    }
    assert best["reasons"][:3] == ["serves 97401", "speaks en", "has capacity"]
    assert best["reasons"][-1].startswith("listing verified ")
    assert options[1]["reasons"][:3] == ["serves Lakeside county", "speaks en", "waitlist"]
    row = AuditEvent.objects.get(action="referral.viewed")
    assert (row.subtype, row.client_id, row.actor) == ("routing-options", referral.client_id, case_manager)


def test_routing_options__include_full_adds_services_without_capacity(api, case_manager, make_referral, directory):
    referral = make_referral("draft")

    options = api.as_user(case_manager).get(url(referral, "routing-options/"), {"include_full": "true"}).json()

    assert [o["service"]["name"] for o in options] == [
        "Harbor Food Pantry",
        "Northside Pantry",
        "Lakeside Meals on Wheels",
    ]
    assert "no capacity" in options[1]["reasons"]


def test_routing_options__invalid_include_full_answers_400(api, case_manager, make_referral, directory):
    referral = make_referral("draft")

    response = api.as_user(case_manager).get(url(referral, "routing-options/"), {"include_full": "perhaps"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["include_full"]
    assert not AuditEvent.objects.filter(action="referral.viewed").exists()


def test_routing_options__not_for_the_receiving_provider(api, provider_intake, make_referral, directory):
    referral = make_referral("sent")

    response = api.as_user(provider_intake).get(url(referral, "routing-options/"))

    assert response.status_code == 403
    assert "Harbor Food Pantry" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="referral.viewed").exists()


# --- assignment -----------------------------------------------------------------------------------------


def test_assign_worker__by_the_provider_supervisor(api, provider_supervisor, provider_intake, make_referral):
    referral = make_referral("accepted")

    response = api.as_user(provider_supervisor).post(
        url(referral, "assign/"), {"worker": provider_intake.pk}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["assigned_worker"] == {
        "id": provider_intake.pk,
        "username": "intake",
        "name": provider_intake.get_full_name(),
    }
    referral.refresh_from_db()
    assert referral.assigned_worker == provider_intake
    grant = ReferralUserObjectPermission.objects.get(content_object=referral)
    assert (grant.user, grant.permission.codename, grant.granted_by) == (
        provider_intake,
        "change_referral",
        provider_supervisor,
    )
    assert timeline(referral)[-1] == "assign"


def test_assign_worker__null_removes_the_assignment(api, provider_supervisor, provider_intake, make_referral):
    referral = make_referral("accepted")
    api.as_user(provider_supervisor).post(url(referral, "assign/"), {"worker": provider_intake.pk}, format="json")

    response = api.post(url(referral, "assign/"), {"worker": None}, format="json")

    assert response.json()["assigned_worker"] is None
    assert Referral.objects.get(pk=referral.pk).assigned_worker is None
    assert not ReferralUserObjectPermission.objects.filter(content_object=referral).exists()


@pytest.mark.parametrize("worker", ["other_provider_intake", "case_manager", "missing"])
def test_assign_worker__must_be_staff_of_the_receiving_provider(api, cast, provider_supervisor, make_referral, worker):
    referral = make_referral("accepted")
    worker_id = 999_999 if worker == "missing" else cast(worker).pk

    response = api.as_user(provider_supervisor).post(url(referral, "assign/"), {"worker": worker_id}, format="json")

    # An unknown id gets the same answer as a real user who does not qualify.
    assert response.status_code == 400
    assert response.json()["errors"] == {"worker": ["Choose a staff member of the receiving provider."]}
    assert Referral.objects.get(pk=referral.pk).assigned_worker is None


def test_assign_case_manager__by_the_county_supervisor(api, county_supervisor, county, make_referral):
    referral = make_referral("sent")
    colleague = UserFactory(username="cm2")
    membership_grant(actor=None, user=colleague, organization=county, role=Role.CASE_MANAGER)

    response = api.as_user(county_supervisor).post(
        url(referral, "assign/"), {"case_manager": colleague.pk}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["assigned_to"]["username"] == "cm2"
    assert Referral.objects.get(pk=referral.pk).assigned_to == colleague


def test_assign_case_manager__a_case_manager_may_claim_but_not_hand_off(api, case_manager, county, make_referral):
    colleague = UserFactory(username="cm2")
    membership_grant(actor=None, user=colleague, organization=county, role=Role.CASE_MANAGER)
    referral = make_referral("sent", assigned_to=colleague)

    claimed = api.as_user(case_manager).post(url(referral, "assign/"), {"case_manager": case_manager.pk}, format="json")
    handed = api.post(url(referral, "assign/"), {"case_manager": colleague.pk}, format="json")

    assert claimed.status_code == 200
    assert claimed.json()["assigned_to"]["id"] == case_manager.pk
    assert handed.status_code == 403
    assert Referral.objects.get(pk=referral.pk).assigned_to == case_manager


def test_assign__both_at_once_is_all_or_nothing(api, provider_supervisor, provider_intake, case_manager, make_referral):
    referral = make_referral("accepted")

    response = api.as_user(provider_supervisor).post(
        url(referral, "assign/"), {"worker": provider_intake.pk, "case_manager": case_manager.pk}, format="json"
    )

    # The provider supervisor may assign the worker but not the case manager: neither happens.
    assert response.status_code == 403
    assert Referral.objects.get(pk=referral.pk).assigned_worker is None
    assert not ReferralUserObjectPermission.objects.filter(content_object=referral).exists()
    assert "assign" not in timeline(referral)


def test_assign__empty_body_answers_400(api, provider_supervisor, make_referral):
    referral = make_referral("accepted")

    response = api.as_user(provider_supervisor).post(url(referral, "assign/"), {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"non_field_errors": ["Give a worker, a case_manager, or both."]}


def test_assigned_worker_can_act_on_the_referral(api, provider_supervisor, provider, make_referral):
    worker = UserFactory(username="worker")
    membership_grant(actor=None, user=worker, organization=provider, role=Role.PROVIDER_INTAKE)
    referral = make_referral("accepted")
    api.as_user(provider_supervisor).post(url(referral, "assign/"), {"worker": worker.pk}, format="json")

    response = api.as_user(worker).post(
        url(referral, "transitions/"), {"name": "record_contact_attempt", "contact_result": "reached"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["contact_attempts"] == 1


# --- shares ---------------------------------------------------------------------------------------------


def test_share__gives_read_only_access_until_removed(
    api, signed_in, case_manager, other_provider_intake, make_referral
):
    referral = make_referral("sent")
    expires = (timezone.now() + datetime.timedelta(days=7)).replace(microsecond=0)

    response = signed_in(case_manager).post(
        url(referral, "shares/"),
        {"colleague": other_provider_intake.pk, "expires_at": expires.isoformat()},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["colleague"]["id"] == other_provider_intake.pk
    assert body["granted_by"]["id"] == case_manager.pk
    assert datetime.datetime.fromisoformat(body["expires_at"]) == expires
    assert AuditEvent.objects.get(action="referral.shared").detail["colleague"] == str(other_provider_intake.pk)

    api.as_user(other_provider_intake)
    seen = api.get(url(referral))
    acted = api.post(url(referral, "transitions/"), {"name": "accept"}, format="json")
    assert seen.status_code == 200
    assert seen.json()["allowed_transitions"] == []
    assert acted.status_code == 403
    assert Referral.objects.get(pk=referral.pk).status == "sent"

    signed_in(case_manager).delete(url(referral, f"shares/{other_provider_intake.pk}/"))

    assert api.as_user(other_provider_intake).get(url(referral)).status_code == 404
    assert AuditEvent.objects.filter(action="referral.unshared").count() == 1


def test_unshare__by_post_for_clients_without_delete(api, case_manager, other_provider_intake, make_referral):
    referral = make_referral("sent")
    api.as_user(case_manager).post(url(referral, "shares/"), {"colleague": other_provider_intake.pk}, format="json")

    response = api.post(url(referral, "shares/remove/"), {"colleague": other_provider_intake.pk}, format="json")

    assert response.status_code == 204
    assert not ReferralUserObjectPermission.objects.filter(content_object=referral).exists()
    assert timeline(referral)[-2:] == ["share", "unshare"]


def test_unshare__someone_it_was_not_shared_with_answers_400(api, case_manager, other_provider_intake, make_referral):
    referral = make_referral("sent")

    response = api.as_user(case_manager).delete(url(referral, f"shares/{other_provider_intake.pk}/"))

    assert response.status_code == 400
    assert response.json()["errors"] == {"colleague": ["This referral is not shared with that person."]}
    assert "unshare" not in timeline(referral)


@pytest.mark.parametrize(
    ("colleague", "field"),
    [("no_role_user", "colleague"), ("missing", "colleague"), ("case_manager", "colleague")],
)
def test_share__with_someone_who_cannot_hold_it_answers_400(api, cast, case_manager, make_referral, colleague, field):
    referral = make_referral("sent")
    colleague_id = 999_999 if colleague == "missing" else cast(colleague).pk

    response = api.as_user(case_manager).post(url(referral, "shares/"), {"colleague": colleague_id}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not ReferralUserObjectPermission.objects.filter(content_object=referral).exists()


def test_share__expiry_in_the_past_answers_400(api, case_manager, other_provider_intake, make_referral):
    referral = make_referral("sent")
    past = (timezone.now() - datetime.timedelta(hours=1)).isoformat()

    response = api.as_user(case_manager).post(
        url(referral, "shares/"), {"colleague": other_provider_intake.pk, "expires_at": past}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["expires_at"]
    assert not ReferralUserObjectPermission.objects.filter(content_object=referral).exists()
