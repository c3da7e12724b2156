"""factory_boy factories: each builds a valid object with sensible defaults."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from audit.choices import ACTION_CODES, AuditAction
from audit.models import AuditEvent
from clients.models import Client, ClientIdentifier
from consent.choices import DataCategory
from consent.models import Consent, ConsentProvision
from providers.choices import PartnerCategory, ServiceAreaKind
from providers.models import Organization, PostalCode, Service, ServiceArea, ServiceLanguage
from referrals.models import Referral

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    # Fixed staff names: random ones once matched a client's name and made a "not shown" assertion flaky.
    first_name = factory.Iterator(["Avery", "Jordan", "Quinn", "Rowan", "Sasha", "Taylor"])
    last_name = factory.Sequence(lambda n: f"Staffer{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    kind = "provider"
    partner_category = "social-support"
    description = "A community organization."


class AgencyFactory(OrganizationFactory):
    kind = "agency"
    partner_category = "county-agency"


class PostalCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostalCode
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{97000 + n:05d}")
    county = "Lakeside"
    state = "OR"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    category = "food-insecurity"
    status = "active"
    capacity_status = "capacity"
    accepting_referrals = True
    assured_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))

    @factory.post_generation
    def languages(obj, create, extracted, **kwargs):
        for code in extracted or []:
            ServiceLanguage.objects.create(service=obj, code=code)

    @factory.post_generation
    def postal_codes(obj, create, extracted, **kwargs):
        for code in extracted or []:
            ServiceArea.objects.create(service=obj, kind=ServiceAreaKind.POSTAL_CODE, value=code)

    @factory.post_generation
    def counties(obj, create, extracted, **kwargs):
        for county in extracted or []:
            ServiceArea.objects.create(service=obj, kind=ServiceAreaKind.COUNTY, value=county)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        skip_postgeneration_save = True

    organization = factory.SubFactory(AgencyFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    birth_date = factory.Faker("date_of_birth", minimum_age=18, maximum_age=90)
    phone = "541-555-0100"
    address_line = "12 Alder St"
    postal_code = "97401"
    county = "Lakeside"

    @factory.post_generation
    def register_postal_code(obj, create, extracted, **kwargs):
        """Sending checks the client's postal code against the county's table, so a factory client's code is in it
        (pass `register_postal_code=False` for a client whose code the table does not know)."""
        code = (obj.postal_code or "")[:5]
        if create and extracted is not False and len(code) == 5 and code.isdigit():
            PostalCode.objects.get_or_create(code=code, defaults={"county": obj.county or "Lakeside", "state": "OR"})

    @factory.post_generation
    def identifiers(obj, create, extracted, **kwargs):
        for system, value in extracted or []:
            ClientIdentifier.objects.create(client=obj, system=system, value=value)


class ReferralFactory(factory.django.DjangoModelFactory):
    """A draft referral from the client's agency to a service (drive later states with `referral_in`)."""

    class Meta:
        model = Referral

    client = factory.SubFactory(ClientFactory)
    referring_organization = factory.LazyAttribute(lambda r: r.client.organization)
    service = factory.SubFactory(ServiceFactory)
    receiving_organization = factory.LazyAttribute(lambda r: r.service.organization if r.service else None)
    category = factory.LazyAttribute(lambda r: r.service.category if r.service else "food-insecurity")
    urgency = "routine"
    reason = "Needs help with groceries this month."
    language = "en"
    # What sending needs beyond a draft (referrals/validation/rules.py); the client factory brings the rest.
    # A crisis names its risk, and a client flagged not to be contacted directly is reached through the referrer.
    risk_flags = factory.LazyAttribute(lambda r: ["safety-risk"] if r.urgency == "crisis" else [])
    contact_method = factory.LazyAttribute(
        lambda r: "through-referrer" if "do-not-contact-directly" in r.risk_flags else "phone"
    )
    eligibility_basis = factory.LazyFunction(lambda: ["county-resident"])


# The real transitions that lead from a draft to each status, with their inputs.
PATH_TO_STATUS = {
    "draft": [],
    "sent": [("submit", {})],
    "acknowledged": [("submit", {}), ("acknowledge", {})],
    "accepted": [("submit", {}), ("accept", {})],
    "declined": [("submit", {}), ("decline", {"reason_code": "no-capacity"})],
    "in_progress": [("submit", {}), ("accept", {}), ("start_service", {})],
    "on_hold": [("submit", {}), ("accept", {}), ("hold", {"reason_code": "waitlisted"})],
    "closed": [("submit", {}), ("accept", {}), ("close", {"outcome_code": "service-completed"})],
    "cancelled": [("submit", {}), ("cancel", {"reason_code": "client-request"})],
    "entered_in_error": [("submit", {}), ("mark_entered_in_error", {"note": "Wrong client chosen."})],
}


def full_consent(client: Client, *, organizations=(), **provision) -> Consent:
    """An active consent letting every partner category see the client's non-Part-2 data for COC.

    Substance-use data is added when `organizations` names who may receive it.
    """
    categories = [c for c in DataCategory.values if c != DataCategory.SUBSTANCE_USE]
    if organizations:
        categories.append(DataCategory.SUBSTANCE_USE)
    consent = Consent.objects.create(
        client=client,
        organization=client.organization,
        method="written",
        date=timezone.localdate() - datetime.timedelta(days=30),
    )
    values = {
        "partner_categories": list(PartnerCategory.values),
        "purposes": ["COC"],
        "data_categories": categories,
        "start": timezone.localdate() - datetime.timedelta(days=30),
        **provision,
    }
    created = ConsentProvision.objects.create(consent=consent, **values)
    created.organizations.set(organizations)
    return consent


def referral_in(status: str, *, referrer, receiver, with_consent: bool = True, **factory_kwargs) -> Referral:
    """A referral brought to `status` through the workflow service, as the two sides would.

    Its client gets a full consent first (unless `with_consent=False`), since sending needs one. The send
    confirms the rules' warnings (a second open referral for the client and need, a crisis without a risk flag),
    as a sender would after reading them.
    """
    from coordination.roles import Role
    from providers.services import membership_grant
    from referrals.services import referral_transition
    from referrals.workflow import TRANSITIONS

    referral = ReferralFactory(**factory_kwargs)
    if with_consent and not referral.client.consents.filter(status="active").exists():
        full_consent(referral.client)
    for name, inputs in PATH_TO_STATUS[status]:
        actor = referrer if TRANSITIONS[name].side == "referrer" else receiver
        if name == "mark_entered_in_error":
            actor = UserFactory()
            membership_grant(
                actor=None, user=actor, organization=referral.referring_organization, role=Role.COUNTY_SUPERVISOR
            )
        confirm = {"confirm_warnings": True} if name == "submit" else {}
        referral = referral_transition(actor=actor, referral=referral, name=name, **confirm, **inputs)
    return referral


def audit_event(**fields) -> AuditEvent:
    """An audit row written directly (tests of reading the trail need rows with chosen times and actors)."""
    fields.setdefault("recorded_at", timezone.now())
    fields.setdefault("action", AuditAction.CLIENT_VIEWED)
    fields.setdefault("action_code", ACTION_CODES[AuditAction(fields["action"])])
    return AuditEvent.objects.create(**fields)


def _webhook_secret() -> str:
    from webhooks.signing import generate_secret

    return generate_secret()


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An active endpoint subscribed to every event, with a fresh Standard Webhooks secret."""

    class Meta:
        model = "webhooks.WebhookEndpoint"

    organization = factory.SubFactory(OrganizationFactory)
    url = factory.Sequence(lambda n: f"https://hooks{n}.partner.example.org/portal")
    description = "Partner EHR"
    events = factory.LazyFunction(list)
    secret = factory.LazyFunction(_webhook_secret)
