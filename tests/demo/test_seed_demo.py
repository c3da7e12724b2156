from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from clients.models import Client
from demo import network
from providers.models import Membership, Organization, PostalCode, Service, ServiceArea, ServiceLanguage


def _counts():
    return [
        m.objects.count()
        for m in (Organization, Service, ServiceArea, ServiceLanguage, Client, Membership, PostalCode, get_user_model())
    ]


def test_seed_demo__creates_the_network_and_is_idempotent(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    first = _counts()
    call_command("seed_demo", verbosity=0)
    assert _counts() == first
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
