#!/usr/bin/env python
"""Benchmark: the referral performance numbers over one million referrals (PostgreSQL).

    .venv/bin/python bench/metrics.py [--refill] [--runs 5] [--referrals 1000000]
    make bench

Fills `portal_metrics_bench` (BENCH_METRICS_DATABASE_URL, default the local server) once with a network of
3 agencies and 60 providers, 100,000 clients and 1,000,000 referrals sent over the last 365 days with a
realistic mix (about 2 % drafts and 0.5 % entered in error; acknowledged, accepted, declined before or
after acknowledging, contacted, started, closed, cancelled, each milestone stamped as the workflow would),
plus the SLA breaches a sweep would have recorded (late or missing milestones) and exceptions on about 3 % of
the referrals. Rows are loaded with COPY (columns from the models, so new columns get their defaults).
Later runs reuse the filled database; `--refill` starts again.

Then it times, as the median of `--runs` runs after one warm-up:
  - baseline: `SELECT COUNT(*)` over the referrals table (the cheapest full pass over it);
  - `referral_metrics` (the selector behind the page, the CSV and the API) for governance over the whole year
    (every referral: the worst case), the county over the default 90 days, one provider over the year;
  - `GET /api/v1/metrics/referrals/` end to end (authentication, form, numbers, audit row, JSON) for
    governance over the year;
and prints each in seconds and as a ratio to the baseline. The targets are ratios, so that a loaded machine
does not fail them and a plan regression does (a per-referral subquery took minutes, a lost index path on a
provider's referrals several times the baseline): the whole-network year within 75 COUNT(*)s (six passes over
the table and three sorts of about a million durations), one provider's year within 10 (it reads its own
referrals through the organization indexes, not the whole table).
Not a test: nothing here runs in `make test`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_metrics_bench"
# Targets as multiples of the baseline (see the docstring); None: measured, not judged.
TARGETS = {"network": 75.0, "provider": 10.0}
REFERRALS = 1_000_000
CLIENTS = 100_000
PROVIDERS = 60
SPAN_DAYS = 365
SEED = 20261121
COPY_CHUNK = 20_000
CATEGORIES = [
    "food-insecurity",
    "housing-instability",
    "homelessness",
    "transportation-insecurity",
    "financial-insecurity",
    "utility-insecurity",
    "employment-status",
    "social-connection",
]
DECLINES = ["no-capacity", "not-eligible", "outside-service-area", "client-declined", "waitlist-offered", "other"]
OUTCOMES = ["service-completed", "service-partially-completed", "unable-to-contact", "client-declined", "no-show"]
ACK_DUE_HOURS = {"routine": 48, "urgent": 24, "crisis": 8}
H = datetime.timedelta(hours=1)


# --- database -------------------------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def prepare_database(url: str, *, drop: bool) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as admin:
        if drop:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings.test")
    import django

    django.setup()


def referral_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM referrals_referral")
        return cursor.fetchone()[0]


# --- COPY rows built from the models ----------------------------------------------------------------------------


def _text(value) -> str:
    """COPY text format; every generated value is free of tabs, newlines and backslashes."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


class Table:
    """A model's concrete columns; values not given take the field's default (or NULL)."""

    def __init__(self, model):
        self.model = model
        self.fields = model._meta.concrete_fields
        self.columns = [f.column for f in self.fields]
        self.defaults = {}
        for f in self.fields:
            # Field.get_default(): the declared default (callables once: every row here gives its own ids and
            # times), "" for text columns without one, None otherwise (then a value is required unless nullable).
            default = f.get_default()
            if default is not None or f.null:
                self.defaults[f.attname] = _text(default)

    def line(self, values: dict) -> str:
        cells = []
        for f in self.fields:
            if f.attname in values:
                cells.append(_text(values[f.attname]))
            elif f.attname in self.defaults:
                cells.append(self.defaults[f.attname])
            else:
                raise KeyError(f"{self.model._meta.label}.{f.attname} needs a value")
        return "\t".join(cells) + "\n"

    def copy(self, cursor, rows: Iterator[dict], label: str) -> int:
        count = 0
        table = self.model._meta.db_table
        with cursor.copy(f"COPY {table} ({', '.join(self.columns)}) FROM STDIN") as copy:
            chunk = []
            for values in rows:
                chunk.append(self.line(values))
                count += 1
                if len(chunk) >= COPY_CHUNK:
                    copy.write("".join(chunk))
                    chunk = []
                    if count % 200_000 == 0:
                        print(f"  {label}: {count:,}", flush=True)
            copy.write("".join(chunk))
        return count


# --- the network ------------------------------------------------------------------------------------------------


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class Network:
    def __init__(self, rng: random.Random, now: datetime.datetime):
        self.rng = rng
        self.now = now
        self.agencies = [(_uuid(rng), name) for name in ("Lakeside County", "Riverside County", "Hill County")]
        self.providers = [(_uuid(rng), f"Provider {i:02d}") for i in range(PROVIDERS)]
        # Each provider offers two needs; a referral goes to a service of its need.
        self.services = []
        for org_id, _ in self.providers:
            for category in rng.sample(CATEGORIES, 2):
                self.services.append((_uuid(rng), org_id, category))
        self.clients = [(_uuid(rng), rng.choices(self.agencies, weights=(80, 15, 5))[0][0]) for _ in range(CLIENTS)]

    def organizations(self) -> Iterator[dict]:
        for kind, rows in (("agency", self.agencies), ("provider", self.providers)):
            for org_id, name in rows:
                yield {
                    "id": org_id,
                    "name": name,
                    "slug": f"bench-{org_id.hex[:12]}",
                    "kind": kind,
                    "partner_category": "county-agency" if kind == "agency" else "social-support",
                    "description": "Benchmark organization.",
                    "created_at": self.now,
                    "updated_at": self.now,
                }

    def service_rows(self) -> Iterator[dict]:
        for service_id, org_id, category in self.services:
            yield {
                "id": service_id,
                "organization_id": org_id,
                "name": f"Service {service_id.hex[:6]}",
                "description": "Benchmark service.",
                "category": category,
                "capacity_as_of": self.now,
                "created_at": self.now,
                "updated_at": self.now,
            }

    def client_rows(self) -> Iterator[dict]:
        for client_id, org_id in self.clients:
            yield {
                "id": client_id,
                "organization_id": org_id,
                "given_name": "Bench",
                "family_name": f"Client{client_id.hex[:6]}",
                "birth_date": datetime.date(1970, 1, 1) + datetime.timedelta(days=self.rng.randrange(20000)),
                "created_at": self.now,
                "updated_at": self.now,
            }


class ReferralGenerator:
    """One referral's life, with the milestones the workflow would stamp; breaches and exceptions beside it."""

    def __init__(self, network: Network):
        self.network = network
        self.rng = network.rng
        self.breaches: list[dict] = []
        self.exceptions: list[dict] = []

    def hours(self, mean: float) -> datetime.timedelta:
        return datetime.timedelta(hours=self.rng.expovariate(1 / mean))

    def referrals(self, count: int) -> Iterator[dict]:
        rng, now = self.rng, self.network.now
        for _ in range(count):
            referral_id = _uuid(rng)
            client_id, agency_id = rng.choice(self.network.clients)
            service_id, provider_id, category = rng.choice(self.network.services)
            urgency = rng.choices(("routine", "urgent", "crisis"), weights=(75, 20, 5))[0]
            created = now - datetime.timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
            row = {
                "id": referral_id,
                "client_id": client_id,
                "referring_organization_id": agency_id,
                "service_id": service_id,
                "receiving_organization_id": provider_id,
                "category": category,
                "urgency": urgency,
                "reason": "Benchmark referral.",
                "created_at": created,
                "updated_at": created,
                "status": "draft",
            }
            if rng.random() < 0.02:
                yield row  # a draft, never sent
                continue
            self._life(row, created + self.hours(2), urgency)
            yield row

    def _life(self, row: dict, sent: datetime.datetime, urgency: str) -> None:
        rng, now = self.rng, self.network.now
        row.update(
            sent_at=sent,
            status="sent",
            acknowledge_due_at=sent + ACK_DUE_HOURS[urgency] * H,
            first_contact_due_at=sent + 120 * H,
            service_start_due_at=sent + 480 * H,
        )
        late = []
        if rng.random() < 0.005:
            self._stamp(row, "closed_at", sent + 3 * H, status="entered_in_error")
            return
        roll = rng.random()
        if roll < 0.06:  # declined before acknowledging
            at = sent + self.hours(20)
            if at < now:
                row.update(acknowledged_at=at, responded_at=at, status="declined", decline_reason=rng.choice(DECLINES))
                if at > row["acknowledge_due_at"]:
                    late.append("acknowledge")
        elif roll < 0.92:
            ack = sent + self.hours(10)
            if ack < now:
                row.update(acknowledged_at=ack, status="acknowledged")
                self._respond(row, ack)
            if (row.get("acknowledged_at") or now) > row["acknowledge_due_at"]:
                late.append("acknowledge")
        elif rng.random() < 0.5:
            self._stamp(row, "closed_at", sent + self.hours(60), status="cancelled", cancel_reason="client-request")
        if row["status"] == "sent" and row["acknowledge_due_at"] < now:
            late.append("acknowledge")
        for stage, due, done in (
            ("first_contact", "first_contact_due_at", "first_contact_at"),
            ("service_start", "service_start_due_at", "service_started_at"),
        ):
            stamped = row.get(done)
            owed = stamped is None and row["status"] in ("sent", "acknowledged", "accepted", "in_progress")
            if (stamped is not None and stamped > row[due]) or (owed and row[due] < now):
                late.append(stage)
        for stage in dict.fromkeys(late):
            due = row[
                {"acknowledge": "acknowledge_due_at", "first_contact": "first_contact_due_at"}.get(
                    stage, "service_start_due_at"
                )
            ]
            if due < now:
                self.breaches.append(
                    {
                        "id": _uuid(rng),
                        "referral_id": row["id"],
                        "stage": stage,
                        "due_at": due,
                        "breached_at": due + datetime.timedelta(minutes=1),
                    }
                )
        if rng.random() < 0.03:
            self._exception(row)

    def _respond(self, row: dict, ack: datetime.datetime) -> None:
        rng, now = self.rng, self.network.now
        answer = ack + self.hours(6)
        if answer >= now:
            return
        if rng.random() < 0.12:
            row.update(responded_at=answer, status="declined", decline_reason=rng.choice(DECLINES))
            return
        row.update(responded_at=answer, status="accepted")
        contact = answer + self.hours(24)
        if contact < now and rng.random() < 0.9:
            row.update(first_contact_at=contact, status="in_progress", contact_attempts=1)
            row["last_contact_result"] = "reached"
            start = contact + self.hours(72)
            if start < now and rng.random() < 0.75:
                row.update(service_started_at=start)
                close = start + self.hours(400)
                if close < now and rng.random() < 0.8:
                    self._stamp(row, "closed_at", close, status="closed", outcome=rng.choice(OUTCOMES))

    def _stamp(self, row: dict, field: str, at: datetime.datetime, **values) -> None:
        if at < self.network.now:
            row[field] = at
            row.update(values)

    def _exception(self, row: dict) -> None:
        created = row["sent_at"] + self.hours(30)
        if created >= self.network.now:
            return
        self.exceptions.append(
            {
                "id": _uuid(self.rng),
                "kind": self.rng.choice(("sla-breach", "duplicate-referral", "wrong-routing", "consent-conflict")),
                "summary": "Benchmark exception",
                "concerning_type": "referrals.Referral",
                "concerning_id": str(row["id"]),
                "referral_id": row["id"],
                "owner_organization_id": row["referring_organization_id"],
                "owner_role": "data_steward",
                "status": "open",
                "due_at": created + 72 * H,
                "created_at": created,
                "updated_at": created,
            }
        )


def fill(count: int) -> dict[str, int]:
    from django.db import connection

    from clients.models import Client
    from exceptionqueue.models import ExceptionItem
    from providers.models import Organization, Service
    from referrals.models import Referral
    from sla.models import SlaBreach

    started = time.monotonic()
    rng = random.Random(SEED)
    network = Network(rng, datetime.datetime.now(tz=datetime.UTC).replace(microsecond=0))
    generator = ReferralGenerator(network)
    counts = {}
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        counts["organizations"] = Table(Organization).copy(cursor, network.organizations(), "organizations")
        counts["services"] = Table(Service).copy(cursor, network.service_rows(), "services")
        counts["clients"] = Table(Client).copy(cursor, network.client_rows(), "clients")
        counts["referrals"] = Table(Referral).copy(cursor, generator.referrals(count), "referrals")
        counts["sla_breaches"] = Table(SlaBreach).copy(cursor, iter(generator.breaches), "breaches")
        counts["exceptions"] = Table(ExceptionItem).copy(cursor, iter(generator.exceptions), "exceptions")
        for model in (Organization, Service, Client, Referral, SlaBreach, ExceptionItem):
            wrapper.execute(f"ANALYZE {model._meta.db_table}")
    print(f"  filled in {time.monotonic() - started:.0f} s: {counts}", flush=True)
    return counts


def bench_users() -> dict:
    """A governance lead and a county supervisor at the main agency, a supervisor at the first provider."""
    from django.contrib.auth import get_user_model

    from coordination.roles import Role
    from providers.models import Organization
    from providers.services import membership_grant

    user_model = get_user_model()
    agency = Organization.objects.get(name="Lakeside County")  # 80 % of the referrals
    provider = Organization.objects.filter(kind="provider").order_by("name").first()
    users = {}
    for key, organization, role in (
        ("governance", agency, Role.GOVERNANCE_LEAD),
        ("county", agency, Role.COUNTY_SUPERVISOR),
        ("provider", provider, Role.PROVIDER_SUPERVISOR),
    ):
        user, created = user_model.objects.get_or_create(username=f"bench-metrics-{key}")
        if created:
            membership_grant(actor=None, user=user, organization=organization, role=role)
        users[key] = user
    return users


# --- timing ------------------------------------------------------------------------------------------------------


def median_seconds(call: Callable[[], object], runs: int) -> float:
    call()  # warm-up: caches and plans, as on a server that has been up a while
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def count_all() -> int:
    return referral_count()


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, PostgreSQL {server}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_METRICS_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--refill", action="store_true", help="Drop and fill the bench database again.")
    parser.add_argument("--runs", type=int, default=5, help="Timed runs per measurement (median).")
    parser.add_argument("--referrals", type=int, default=REFERRALS, help="Referrals to fill (default 1,000,000).")
    args = parser.parse_args()

    prepare_database(args.database_url, drop=args.refill)
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    if args.refill or referral_count() < args.referrals:
        if referral_count():
            print("The bench database holds fewer referrals than asked for: starting it again.", flush=True)
            connections.close_all()
            prepare_database(args.database_url, drop=True)
            call_command("migrate", verbosity=0)
        print(f"Filling {args.referrals:,} referrals (seed {SEED})...", flush=True)
        fill(args.referrals)
    else:
        print(f"Reusing the filled bench database ({referral_count():,} referrals; --refill to start again).")

    from django.utils import timezone
    from rest_framework.test import APIClient

    from exceptionqueue.models import ExceptionItem
    from metrics.forms import MetricsQuery
    from metrics.selectors import referral_metrics
    from sla.models import SlaBreach

    users = bench_users()
    today = timezone.localdate()
    year = MetricsQuery(since=today - datetime.timedelta(days=SPAN_DAYS), until=today)
    quarter = MetricsQuery.default(today)
    print(f"Machine: {machine()}")
    print("Load average before timing (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()))
    print(
        f"Rows: {referral_count():,} referrals, {SlaBreach.objects.count():,} SLA breaches, "
        f"{ExceptionItem.objects.count():,} exceptions"
    )
    network_year = referral_metrics(actor=users["governance"], query=year)
    county_quarter = referral_metrics(actor=users["county"], query=quarter)
    provider_year = referral_metrics(actor=users["provider"], query=year)
    print(
        f"Sent: whole network, year {network_year['sent']:,}; county, 90 days {county_quarter['sent']:,}; "
        f"one provider, year {provider_year['sent']:,}"
    )
    print(
        f"Network year: acknowledgement {network_year['acknowledgement_rate']}, within SLA "
        f"{network_year['acknowledged_within_sla_rate']}, acceptance {network_year['acceptance_rate']}, "
        f"median time to acknowledge {network_year['time_to_acknowledge']['median']} s\n"
    )

    api = APIClient()
    api.force_authenticate(users["governance"])
    params = {"since": year.since.isoformat(), "until": year.until.isoformat()}

    def api_year() -> None:
        response = api.get("/api/v1/metrics/referrals/", params)
        assert response.status_code == 200, response.content[:300]

    baseline = median_seconds(count_all, args.runs)
    results = [
        ("numbers, whole network, year", lambda: referral_metrics(actor=users["governance"], query=year), "network"),
        ("numbers, county, last 90 days", lambda: referral_metrics(actor=users["county"], query=quarter), None),
        ("numbers, one provider, year", lambda: referral_metrics(actor=users["provider"], query=year), "provider"),
        ("GET /api/v1/metrics/referrals/, network, year", api_year, None),
    ]
    print(f"baseline: SELECT COUNT(*) FROM referrals_referral  {baseline:10.4f} s")
    failed = False
    for label, call, target in results:
        seconds = median_seconds(call, args.runs)
        ratio = seconds / baseline
        verdict = ""
        if target is not None:
            verdict = f"{'PASS' if ratio <= TARGETS[target] else 'FAIL'} (target x{TARGETS[target]:g})"
            failed |= ratio > TARGETS[target]
        print(f"{label:<48} {seconds:10.4f} s  x{ratio:>7,.1f} count(*)  {verdict}")
    print("Load average after timing (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()))
    print(f"\nTargets (multiples of COUNT(*)): {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
