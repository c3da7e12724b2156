"""Load the Lakeside County demo network. Safe to run again: it converges on the same data."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from clients.models import Client, ClientIdentifier
from clients.services import client_create
from consent.catalog import validate_data_elements
from consent.models import Consent, ExchangeUseCase
from consent.services import consent_record, consent_revoke
from coordination.context import acting_as
from demo import network
from demo.exceptions import seed_exceptions
from demo.quality import seed_quality
from providers.choices import ServiceAreaKind
from providers.models import Location, Organization, Service, ServiceArea, ServiceLanguage
from providers.services import membership_grant
from referrals.models import Referral
from referrals.services import referral_create, referral_reroute, referral_transition
from sla.demo import seed_sla_calendar

SERVICE_FIELDS = (
    "category",
    "minimum_age",
    "maximum_age",
    "capacity_status",
    "capacity_note",
    "interpretation_services",
    "eligibility_description",
    "application_process",
)


class Command(BaseCommand):
    help = (
        "Create or refresh the demo network (organizations, services, staff, clients, referrals in every status). "
        "Refuses in production."
    )

    def handle(self, *args, **options):
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError("Demo data is disabled in these settings (production). Nothing was written.")
        call_command("load_postal_codes", verbosity=0)
        with acting_as(None, source="command"), transaction.atomic():
            organizations = self._organizations()
            self._services(organizations)
            users = self._users(organizations)
            created = self._clients(organizations["lakeside-county"], users["casemanager"])
            use_cases = self._catalog()
            # Before the referrals: sending one needs consent covering the receiving provider.
            consents = self._consents(organizations, users)
            # Before the referrals too: their due times follow the policies, opening hours and holidays.
            seed_sla_calendar(today=timezone.localdate())
            referrals = self._referrals(organizations["lakeside-county"], users)
            exceptions = seed_exceptions(organizations, users)
            refused = seed_quality(organizations["lakeside-county"], users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo network ready: {len(organizations)} organizations, {len(network.SERVICES)} services, "
                f"{len(users)} users, {created} new clients, {consents} new consents, "
                f"{referrals} new referral stories, {use_cases} new exchange catalog entries, "
                f"{exceptions} new exceptions, {refused} refused sends for the quality report. "
                f"Password for every demo user: {network.DEMO_PASSWORD}"
            )
        )

    def _organizations(self) -> dict[str, Organization]:
        result = {}
        for data in network.ORGANIZATIONS:
            org, _ = Organization.objects.update_or_create(slug=data["slug"], defaults={**data, "active": True})
            result[org.slug] = org
        for slug, rows in network.LOCATIONS.items():
            for name, address, city, postal_code, lat, lon in rows:
                Location.objects.update_or_create(
                    organization=result[slug],
                    name=name,
                    defaults={
                        "address_1": address,
                        "city": city,
                        "state_province": "OR",
                        "postal_code": postal_code,
                        "latitude": lat,
                        "longitude": lon,
                    },
                )
        return result

    def _services(self, organizations: dict[str, Organization]) -> None:
        today = timezone.localdate()
        for data in network.SERVICES:
            org = organizations[data["organization"]]
            service, _ = Service.objects.update_or_create(
                organization=org,
                name=data["name"],
                defaults={
                    **{f: data[f] for f in SERVICE_FIELDS},
                    "description": data["eligibility_description"],
                    "status": "active",
                    "accepting_referrals": True,
                    "capacity_as_of": timezone.now(),
                    "assured_date": today - datetime.timedelta(days=data["assured_days_ago"]),
                    "assurer_email": org.email,
                },
            )
            service.locations.set(org.locations.all())
            self._replace(ServiceLanguage, service, [{"code": c} for c in data["languages"]])
            areas = [{"kind": ServiceAreaKind.POSTAL_CODE, "value": p} for p in data["postal_codes"]]
            areas += [{"kind": ServiceAreaKind.COUNTY, "value": c} for c in data["counties"]]
            self._replace(ServiceArea, service, areas)

    @staticmethod
    def _replace(model, service: Service, rows: list[dict]) -> None:
        wanted = {tuple(sorted(r.items())) for r in rows}
        for existing in model.objects.filter(service=service):
            key = tuple(sorted((k, getattr(existing, k)) for k in rows[0])) if rows else None
            if key not in wanted:
                existing.delete()
        for row in rows:
            model.objects.get_or_create(service=service, **row)

    def _users(self, organizations: dict[str, Organization]) -> dict:
        user_model = get_user_model()
        users = {}
        for username, first, last, org_slug, role, is_staff in network.USERS:
            user, _ = user_model.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "is_staff": is_staff,
                    "is_active": True,
                    "email": f"{username}@{org_slug}.example.org",
                },
            )
            user.set_password(network.DEMO_PASSWORD)
            user.save(update_fields=["password"])
            membership_grant(actor=None, user=user, organization=organizations[org_slug], role=role)
            users[username] = user
        return users

    def _clients(self, organization: Organization, case_manager) -> int:
        created = 0
        for data in network.CLIENTS:
            data = dict(data)
            identifier = data.pop("identifier")
            exists = ClientIdentifier.objects.filter(
                system="county-case-number", value=identifier, client__organization=organization
            ).exists()
            if exists:
                continue
            client_create(
                actor=case_manager,
                organization=organization,
                data=data,
                identifiers=[{"system": "county-case-number", "value": identifier}],
            )
            created += 1
        return created

    @staticmethod
    def _client(county: Organization, identifier: str) -> Client:
        return Client.objects.get(
            organization=county, identifiers__system="county-case-number", identifiers__value=identifier
        )

    @staticmethod
    def _provision_key(rows) -> tuple:
        """What a consent says, independent of the day it was seeded: recognises it on a later run."""
        return tuple(
            sorted(
                (
                    row["type"],
                    tuple(sorted(row["partners"])),
                    tuple(sorted(row["organizations"])),
                    tuple(sorted(row["purposes"])),
                    tuple(sorted(row["data"])),
                    row["end"] is not None,
                )
                for row in rows
            )
        )

    def _consents(self, organizations: dict[str, Organization], users: dict) -> int:
        """Record each demo consent through the consent services, as the case manager; skip those already there."""
        today = timezone.localdate()
        county = organizations["lakeside-county"]
        recorded = 0

        def day(offset):
            return None if offset is None else today + datetime.timedelta(days=offset)

        for story in network.CONSENTS:
            client = self._client(county, story["client"])
            wanted = self._provision_key(
                {"partners": [], "organizations": [], "end": None, **p} for p in story["provisions"]
            )
            existing = Consent.objects.filter(client=client, organization=county).prefetch_related(
                "provisions__organizations"
            )
            have = {
                self._provision_key(
                    {
                        "type": p.type,
                        "partners": p.partner_categories,
                        "organizations": [o.slug for o in p.organizations.all()],
                        "purposes": p.purposes,
                        "data": p.data_categories,
                        "end": p.end,
                    }
                    for p in consent.provisions.all()
                )
                for consent in existing
            }
            if wanted in have:
                continue
            consent = consent_record(
                actor=users[story["by"]],
                client=client,
                method=story["method"],
                date=day(story["date"]),
                provisions=[
                    {
                        "type": p["type"],
                        "partner_categories": p.get("partners", []),
                        "organizations": [organizations[slug] for slug in p.get("organizations", [])],
                        "purposes": p["purposes"],
                        "data_categories": p["data"],
                        "start": day(p["start"]),
                        "end": day(p.get("end")),
                    }
                    for p in story["provisions"]
                ],
            )
            if "revoke" in story:
                revoke = story["revoke"]
                consent_revoke(
                    actor=users[revoke["by"]], consent=consent, reason=revoke["reason"], method=revoke["method"]
                )
            recorded += 1
        return recorded

    @staticmethod
    def _catalog() -> int:
        """The exchange catalog entries, created or brought back to the demo's wording (saved only when changed)."""
        created = 0
        for data in network.EXCHANGE_CATALOG:
            validate_data_elements(data["data_elements"])
            use_case = ExchangeUseCase.objects.filter(slug=data["slug"]).first()
            if use_case is None:
                ExchangeUseCase.objects.create(**data, active=True)
                created += 1
                continue
            changed = {k: v for k, v in {**data, "active": True}.items() if getattr(use_case, k) != v}
            if changed:
                for name, value in changed.items():
                    setattr(use_case, name, value)
                use_case.save(update_fields=[*changed, "updated_at"])
        return created

    def _referrals(self, county: Organization, users: dict) -> int:
        """Tell each referral story through the real services, as the demo users; skip stories already told."""
        now = timezone.now()
        intake_of = {org: users[name] for name, _, _, org, role, _ in network.USERS if role == "provider_intake"}
        told = 0
        for story in network.REFERRALS:
            client = self._client(county, story["client"])
            service = self._service(story["service"])
            reason = story["template"]["reason"]
            if Referral.objects.filter(client=client, service=service, reason=reason).exists():
                continue
            referrer = users[story["by"]]
            sent = story["sent"]
            start = now + datetime.timedelta(hours=story["created"] if sent is None else sent)
            referral = referral_create(
                actor=referrer,
                client=client,
                data=story["template"],
                service=service,
                submit=sent is not None,
                now=start,
            )
            actors = {"referrer": referrer, "provider": intake_of[story["service"][0]], **users}
            self._steps(referral, story["steps"], actors, start, now)
            if "reroute" in story:
                detour = story["reroute"]
                new = referral_reroute(
                    actor=referrer,
                    referral=referral,
                    service=self._service(detour["service"]),
                    now=start + datetime.timedelta(hours=detour["after"]),
                )
                actors["provider"] = intake_of[detour["service"][0]]
                self._steps(new, detour["steps"], actors, start, now)
            told += 1
        return told

    @staticmethod
    def _service(key: tuple[str, str]) -> Service:
        return Service.objects.get(organization__slug=key[0], name=key[1])

    @staticmethod
    def _steps(referral: Referral, steps: list[dict], actors: dict, start, now) -> Referral:
        for step in steps:
            inputs = dict(step.get("inputs", {}))
            if "appointment_at" in step:
                inputs["appointment_at"] = now + datetime.timedelta(hours=step["appointment_at"])
            referral = referral_transition(
                actor=actors[step["by"]],
                referral=referral,
                name=step["name"],
                now=start + datetime.timedelta(hours=step["after"]),
                **inputs,
            )
        return referral
