from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from clients.models import Client
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
