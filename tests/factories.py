"""factory_boy factories: each builds a valid object with sensible defaults."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from clients.models import Client, ClientIdentifier
from providers.choices import ServiceAreaKind
from providers.models import Organization, PostalCode, Service, ServiceArea, ServiceLanguage

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
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
    postal_code = "97401"
    county = "Lakeside"

    @factory.post_generation
    def identifiers(obj, create, extracted, **kwargs):
        for system, value in extracted or []:
            ClientIdentifier.objects.create(client=obj, system=system, value=value)
