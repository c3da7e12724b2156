import datetime

from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from clients.models import Client
from consent.catalog import ExchangeCatalog
from consent.choices import DataCategory
from consent.models import Consent, ConsentProvision, ExchangeUseCase
from consent.policy import active_consents, disclosure_decision
from demo import network
from providers.models import Membership, Organization, PostalCode, Service, ServiceArea, ServiceLanguage
from referrals.choices import Status
from referrals.models import Referral, ReferralEvent
from referrals.sla import overdue_q, overdue_stages

MODELS = (
    Organization,
    Service,
    ServiceArea,
    ServiceLanguage,
    Client,
    Membership,
    PostalCode,
    get_user_model(),
    Referral,
    ReferralEvent,
    Referral.history.model,
    Consent,
    ConsentProvision,
    Consent.history.model,
    ConsentProvision.history.model,
    ExchangeUseCase,
    ExchangeUseCase.history.model,
    AuditEvent,
)


def _counts():
    return {m._meta.label: m.objects.count() for m in MODELS}


def test_seed_demo__creates_the_network_and_is_idempotent(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    first = _counts()
    statuses = sorted(Referral.objects.values_list("id", "status", "version"))
    call_command("seed_demo", verbosity=0)
    second = _counts()
    # Seeding again adds nothing: no referral, timeline entry, history row or audit row.
    assert second == first
    assert sorted(Referral.objects.values_list("id", "status", "version")) == statuses
    assert first["referrals.Referral"] > 0
    assert first["consent.Consent"] == len(network.CONSENTS)
    assert set(Organization.objects.values_list("slug", flat=True)) == {
        "lakeside-county",
        "harbor-health",
        "northside-bh",
        "safe-haven-housing",
        "meals-together",
    }
    assert Client.objects.filter(organization__slug="lakeside-county").count() == len(network.CLIENTS)
    for username, *_ in network.USERS:
        assert authenticate(username=username, password=network.DEMO_PASSWORD) is not None, username
    harbor = Membership.objects.get(user__username="harbor")
    assert (harbor.organization.slug, harbor.role) == ("harbor-health", "provider_intake")
    assert get_user_model().objects.get(username="governance").has_perm("audit.view_auditevent")
    stale = [s for s in Service.objects.all() if s.is_stale()]
    assert stale and len(stale) < Service.objects.count()
    assert {s.capacity_status for s in Service.objects.all()} >= {"capacity", "waitlist", "no-capacity"}


def test_seed_demo__tells_referral_stories_in_every_status(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    referrals = Referral.objects.select_related("service__organization", "client")
    assert {r.status for r in referrals} == set(Status.values)
    assert {r.urgency for r in referrals} == {"crisis", "urgent", "routine"}
    # One referral per story, plus the draft each reroute started.
    assert referrals.count() == len(network.REFERRALS) + sum("reroute" in s for s in network.REFERRALS)

    # Every referral was written by the services: a "create" event, then one event per transition.
    for referral in referrals:
        events = list(referral.events.order_by("occurred_at", "id"))
        assert events[0].name == "create", referral
        transitions = [e for e in events if e.name not in ("create", "reroute")]
        assert referral.version == 1 + len(transitions), referral
        assert AuditEvent.objects.filter(action="referral.transitioned", target_id=str(referral.pk)).count() == len(
            transitions
        )
        assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
        assert all(e.occurred_at <= timezone.now() for e in events)
        if referral.status != "draft":
            assert referral.sent_at is not None and referral.acknowledge_due_at is not None

    # The rerouted pair: a declined referral and the draft-turned-active referral it led to.
    [rerouted] = referrals.filter(rerouted_from__isnull=False)
    assert rerouted.rerouted_from.status == "declined"
    assert rerouted.reason == rerouted.rerouted_from.reason
    assert rerouted.service != rerouted.rerouted_from.service
    assert rerouted.rerouted_from.events.filter(name="reroute").exists()

    # Each provider answers its own referrals; the supervisor marked the one made in error.
    for referral in referrals.exclude(status="draft"):
        for event in referral.events.filter(side="receiver"):
            assert event.organization == referral.receiving_organization
            assert event.actor.memberships.filter(organization=referral.receiving_organization).exists()
    eie = referrals.get(status="entered_in_error")
    assert eie.events.get(name="mark_entered_in_error").actor.username == "supervisor"

    # Some referrals are overdue, in Python and in SQL alike; not all of them.
    now = timezone.now()
    overdue = {r.pk for r in referrals if overdue_stages(r, now)}
    assert overdue == set(Referral.objects.filter(overdue_q(now)).values_list("pk", flat=True))
    assert 2 <= len(overdue) < referrals.count()
    crisis = referrals.get(urgency="crisis", status="sent")
    assert "acknowledge" in overdue_stages(crisis, now)

    # Providers see what was sent to them, never the draft.
    harbor = get_user_model().objects.get(username="harbor")
    draft = referrals.get(status="draft")
    assert draft.receiving_organization.slug == "harbor-health"
    assert not Referral.objects.visible_to(harbor).filter(pk=draft.pk).exists()
    assert Referral.objects.visible_to(harbor).filter(receiving_organization__slug="harbor-health").exists()


# The categories a referral discloses to its receiving provider, and so what consent must cover to send it.
HOUSING_NEEDS = {"housing-instability", "homelessness", "inadequate-housing"}
FINANCIAL_NEEDS = {
    "financial-insecurity",
    "material-hardship",
    "medical-cost-burden",
    "health-insurance-coverage-status",
}
NOT_PART2 = [c for c in DataCategory.values if c != "substance-use"]


def _referral_categories(referral) -> list[str]:
    categories = ["demographics", "contact", "referral-reason"]
    if referral.risk_flags:
        categories.append("risk-flags")
    if referral.category in HOUSING_NEEDS:
        categories.append("housing")
    if referral.category in FINANCIAL_NEEDS or "income" in referral.eligibility_basis:
        categories.append("income-benefits")
    return categories + list(getattr(referral, "sensitive_categories", None) or [])


def _client(identifier):
    return Client.objects.get(identifiers__system="county-case-number", identifiers__value=identifier)


def test_seed_demo__consents_recorded_through_the_services_cover_every_sent_referral(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    county = Organization.objects.get(slug="lakeside-county")
    orgs = {o.slug: o for o in Organization.objects.all()}
    today = timezone.localdate()

    # Written by consent_record (and consent_revoke) as the clients' case managers, each with its audit row,
    # all before the first referral was created.
    consents = Consent.objects.select_related("client", "recorded_by")
    assert consents.count() == len(network.CONSENTS)
    assert {c.organization for c in consents} == {county}
    for story in network.CONSENTS:
        client = _client(story["client"])
        assert consents.filter(client=client, recorded_by__username=story["by"], method=story["method"]).exists()
    recorded = AuditEvent.objects.filter(action="consent.recorded")
    assert sorted(recorded.values_list("target_id", flat=True)) == sorted(str(c.pk) for c in consents)
    first_referral = AuditEvent.objects.filter(action="referral.created").order_by("sequence").first()
    assert max(recorded.values_list("sequence", flat=True)) < first_referral.sequence

    # Every client has an active consent; each story shows up as the policy reads it.
    for data in network.CLIENTS:
        assert active_consents(_client(data["identifier"]), today), data["identifier"]
    [revoked] = consents.filter(status="inactive")
    assert (revoked.client.given_name, revoked.revoked_by.username, revoked.revocation_method) == (
        "Linh",
        "casemanager2",
        "written",
    )
    assert revoked.revocation_reason and revoked.revoked_at is not None
    assert [h.status for h in revoked.history.order_by("history_date")] == ["active", "inactive"]
    assert AuditEvent.objects.filter(action="consent.revoked", target_id=str(revoked.pk)).count() == 1
    [expired] = [
        c for c in consents.filter(status="active") if all(p.end and p.end < today for p in c.provisions.all())
    ]
    assert expired.client.given_name == "James"
    assert expired not in active_consents(expired.client, today)

    def decide(identifier, slug, categories, purpose="COC"):
        return disclosure_decision(
            client=_client(identifier), recipient=orgs[slug], purpose=purpose, categories=categories
        )

    # Full: every demo partner for everything but Part 2 data.
    for slug in ("harbor-health", "northside-bh", "safe-haven-housing", "meals-together"):
        for identifier in ("LC-100234", "LC-100871", "LC-101552"):
            decision = decide(identifier, slug, [*NOT_PART2, "substance-use"])
            assert decision.permitted == set(NOT_PART2), (identifier, slug)
            assert set(decision.withheld) == {"substance-use"}
            assert str(revoked.pk) not in decision.consents
    # Housing only (plus one consent naming Northside for his counseling).
    assert decide("LC-102288", "safe-haven-housing", ["housing", "income-benefits"]).complete
    assert decide("LC-102288", "harbor-health", ["demographics"]).withheld == {
        "demographics": "no consent for healthcare partners for demographics (COC)"
    }
    assert decide("LC-102288", "meals-together", ["contact"]).withheld == {
        "contact": "no consent for food partners for contact details (COC)"
    }
    assert decide("LC-102288", "northside-bh", ["demographics", "behavioral-health"]).complete
    assert not decide("LC-102288", "northside-bh", ["housing"]).complete
    # Part 2: substance-use data goes to Northside, named, and nowhere else.
    assert decide("LC-102019", "northside-bh", ["substance-use"], purpose="TREAT").complete
    assert decide("LC-102019", "harbor-health", ["demographics", "substance-use"]).withheld == {
        "substance-use": "no consent naming Harbor Community Health for substance use (42 CFR Part 2) (COC)"
    }
    assert not decide("LC-102019", "safe-haven-housing", ["demographics"]).complete

    # Each sent referral was covered by consent for its receiving provider, and still is.
    sent = Referral.objects.filter(sent_at__isnull=False).select_related("client", "receiving_organization")
    assert sent.count() == Referral.objects.exclude(status="draft").count() > 0
    for referral in sent:
        categories = _referral_categories(referral)
        decision = disclosure_decision(
            client=referral.client, recipient=referral.receiving_organization, purpose="COC", categories=categories
        )
        assert decision.complete, (referral.client, referral.receiving_organization, decision.withheld)
        assert decision.consents, referral


def test_seed_demo__exchange_catalog_is_seeded_once_and_restored_on_a_rerun(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    assert set(ExchangeUseCase.objects.values_list("slug", "receiving_role")) == {
        ("care-coordination-referral", "provider_intake"),
        ("housing-referral", "provider_intake"),
        ("food-referral", "provider_intake"),
        ("behavioral-health-referral", "provider_intake"),
    }
    catalog = ExchangeCatalog.load()
    housing = catalog.fields(referral_category="homelessness", role="provider_intake")
    food = catalog.fields(referral_category="food-insecurity", role="provider_intake")
    other = catalog.fields(referral_category="transportation-insecurity", role="provider_intake")
    # Intake gets contact details and constraints, the reason and (for housing) the risk flags; never the address.
    assert {"phone", "contact_constraints", "safe_contact_times", "reason", "risk_flags"} <= housing
    assert "risk_flags" not in food and "postal_code" in food
    assert "risk_flags" not in other and "reason" in other
    assert not {"address_line", "city", "county"} & (housing | food | other)
    assert catalog.fields(referral_category="homelessness", role="provider_supervisor") is None

    # A governance edit to a demo entry is put back by the next run, with one history row; nothing else changes.
    housing_entry = ExchangeUseCase.objects.get(slug="housing-referral")
    housing_entry.data_elements = ["reason"]
    housing_entry.active = False
    housing_entry.save()
    before = _counts()
    call_command("seed_demo", verbosity=0)
    after = _counts()
    housing_entry.refresh_from_db()
    assert housing_entry.active and "risk_flags" in housing_entry.data_elements
    assert after["consent.HistoricalExchangeUseCase"] == before["consent.HistoricalExchangeUseCase"] + 1
    assert {k: v for k, v in after.items() if k != "consent.HistoricalExchangeUseCase"} == {
        k: v for k, v in before.items() if k != "consent.HistoricalExchangeUseCase"
    }


def test_seed_demo__quality_history_spans_weeks_and_last_weeks_report_is_issued_once(db, settings):
    from quality.models import RejectionProblem, ValidationRejection, WeeklyQualityReport
    from quality.selectors import week_start_of

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    rejections = ValidationRejection.objects.all()
    assert rejections.count() == 12
    assert RejectionProblem.objects.count() == 13
    weeks = {week_start_of(timezone.localtime(r.occurred_at).date()) for r in rejections}
    assert len(weeks) >= 4
    assert set(rejections.values_list("user__username", flat=True)) == {"casemanager", "casemanager2"}
    assert set(rejections.values_list("organization__slug", flat=True)) == {"lakeside-county"}
    [report] = WeeklyQualityReport.objects.all()
    assert report.organization.slug == "lakeside-county"
    assert report.week_start == week_start_of(timezone.localdate()) - datetime.timedelta(days=7)
