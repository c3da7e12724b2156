#!/usr/bin/env python
"""Benchmark: the client disclosure report and `audit_verify` over a million audit rows (PostgreSQL).

    .venv/bin/python bench/audit_report.py [--refill] [--runs 5] [--verify-runs 5]
    make bench

Fills the database `portal_bench` (on the PostgreSQL server of DATABASE_URL, default the local server;
BENCH_DATABASE_URL or --database-url name another) once with a realistic trail: 1,000 users,
100,000 clients, 1,000,000 audit events (about 10 % list reads of 20 clients each, indexed in
AuditEventClient) and about 200,000 ledger rows, spread over seven years. The hash chain is computed here
with `audit.chain` (so `audit_verify` passes) and the rows are loaded with COPY, indexes and foreign keys
rebuilt afterwards. Later runs reuse the filled database; `--refill` starts again.

Then it times, as the median of `--runs` runs after one warm-up (`audit_verify`: `--verify-runs`, no warm-up):
  - baseline: a primary-key lookup of one audit row, and COUNT(*) over 10,000 rows;
  - the report for a busy client (thousands of rows): first page of 50 + total count, as the admin page does;
  - the same for a typical client;
  - the CSV of the busy client, every line generated (what the export streams);
  - `manage.py audit_verify` over the whole chain.
Each is printed in seconds and as a ratio to the baselines, with PASS/FAIL against "report < 2 s".
Not a test: nothing here runs in `make test`.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.chain import CHAINED_FIELDS  # noqa: E402  (stdlib and a lazy django.db only: safe before setup)

BENCH_DATABASE = "portal_bench"
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/{BENCH_DATABASE}"
TARGET_SECONDS = 2.0
EVENTS = 1_000_000
USERS = 1_000
CLIENTS = 100_000
LIST_SIZE = 20
SPAN = datetime.timedelta(days=7 * 365)
SEED = 20261121
BUSY_CLIENT = uuid.UUID("b0b0b0b0-0000-4000-8000-000000000001")
PAGE = 50
COPY_CHUNK = 20_000

# (action, action code, weight, shape): the mix of a working portal's trail.
MIX = [
    ("client.viewed", "R", 30, "direct"),
    ("referral.viewed", "R", 25, "read"),
    ("referral.listed", "R", 6, "list"),
    ("client.listed", "R", 4, "list"),
    ("user.login", "E", 7, "none"),
    ("user.logout", "E", 3, "none"),
    ("client.updated", "U", 5, "direct"),
    ("referral.transitioned", "U", 6, "transition"),
    ("referral.created", "C", 3, "direct"),
    ("consent.viewed", "R", 4, "direct"),
    ("consent.recorded", "C", 2, "direct"),
    ("object.access_denied", "R", 3, "denied"),
    ("referral.assigned", "U", 1, "direct"),
    ("audit.listed", "R", 1, "none"),
]
TRANSITIONS = ["submit", "acknowledge", "accept", "start_service", "close", "record_contact_attempt"]
PROVIDER_LIST_SHARE = 0.03  # list reads by a provider: 20 ledger rows each
BUSY_DIRECT_SHARE = 1 / 200
BUSY_LIST_SHARE = 1 / 50


# --- database ----------------------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def default_url() -> str:
    """Never the application's own database: the bench drops and refills its database at will."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    app = os.environ.get("DATABASE_URL", "")
    if app.startswith(("postgres://", "postgresql://")):
        return _with_database(app, BENCH_DATABASE)
    return DEFAULT_URL


def prepare_database(url: str, *, drop: bool) -> None:
    """Create the bench database if missing (drop it first with `drop`)."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as admin:
        if drop:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    # The test settings: DEBUG off (no query log), no anchor file, tasks in process.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings.test")
    import django

    django.setup()


def event_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        return cursor.fetchone()[0]


# --- generating the trail -------------------------------------------------------------------------------------


# COPY text format. Every value generated here is free of tabs, newlines and backslashes (ids, fixed words,
# JSON of such values), so only NULL needs spelling out; escaping each cell would double the fill time.
def _text(value) -> str:
    return "\\N" if value is None else str(value)


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class World:
    """Users, organizations and clients of the fake network, from a fixed seed."""

    def __init__(self, rng: random.Random, user_ids: list[int]):
        self.rng = rng
        self.agencies = [(uuid.UUID(int=rng.getrandbits(128), version=4), f"Agency {i}") for i in range(10)]
        self.providers = [(uuid.UUID(int=rng.getrandbits(128), version=4), f"Provider {i}") for i in range(40)]
        self.clients = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(CLIENTS - 1)] + [BUSY_CLIENT]
        roles = (
            ["case_manager"] * 400
            + ["county_supervisor"] * 100
            + ["data_steward"] * 30
            + ["governance_lead"] * 20
            + ["provider_intake"] * 250
            + ["provider_supervisor"] * 150
            + ["partner_system"] * 50
        )
        self.users = []
        for user_id, role in zip(user_ids, roles, strict=True):
            side = "provider" if role.startswith("provider") or role == "partner_system" else "agency"
            org = rng.choice(self.providers if side == "provider" else self.agencies)
            self.users.append((user_id, f"User {user_id}", org, role, side))
        self.agency_users = [u for u in self.users if u[4] == "agency"]
        self.provider_users = [u for u in self.users if u[4] == "provider"]

    def consent_of(self, client: uuid.UUID) -> str:
        return str(uuid.uuid5(client, "consent"))


def create_users() -> list[int]:
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    users = [
        user_model(username=f"bench-{i:04d}", password="!", first_name="User", last_name=str(i)) for i in range(USERS)
    ]
    user_model.objects.bulk_create(users, batch_size=500)
    return list(user_model.objects.filter(username__startswith="bench-").order_by("pk").values_list("pk", flat=True))


EVENT_COLUMNS = ["sequence", *CHAINED_FIELDS, "prev_hash", "row_hash"]
LISTED_COLUMNS = ["id", "event_id", "client_id"]
LEDGER_COLUMNS = [
    "id",
    "disclosed_at",
    "kind",
    "client_id",
    "recipient_organization_id",
    "recipient_organization_name",
    "recipient_user_id",
    "recipient_display",
    "categories",
    "description",
    "purpose_of_use",
    "consents",
    "target_type",
    "target_id",
    "event_id",
]
READ_CATEGORIES = ["demographics", "contact", "referral-reason"]


class Generator:
    """Builds the three tables' COPY lines in chain order, hashing each event as `audit_record` would."""

    def __init__(self, world: World, start: datetime.datetime):
        from audit import chain

        self.chain = chain
        self.world = world
        self.rng = world.rng
        self.start = start
        self.previous = chain.GENESIS
        self.listed_id = 0
        self.ledger_id = 0
        self.counts = {"events": 0, "listed": 0, "ledger": 0, "busy_rows": 0}
        shapes = self.rng.choices(range(len(MIX)), weights=[m[2] for m in MIX], k=EVENTS)
        self.shapes = shapes

    def _client(self) -> uuid.UUID:
        if self.rng.random() < BUSY_DIRECT_SHARE:
            return BUSY_CLIENT
        return self.rng.choice(self.world.clients)

    def _ledger(self, event: dict, client: uuid.UUID, kind: str, org, user, categories, description: str) -> str:
        self.ledger_id += 1
        self.counts["ledger"] += 1
        if client == BUSY_CLIENT:
            self.counts["busy_rows"] += 1
        values = [
            self.ledger_id,
            event["recorded_at"].isoformat(),
            kind,
            client,
            org[0],
            org[1],
            user[0] if user else None,
            user[1] if user else "",
        ]
        return (
            "\t".join(_text(v) for v in values)
            + "\t"
            + _json(categories)
            + "\t"
            + _text(description)
            + "\tCOC\t"
            + _json([self.world.consent_of(client)])
            + "\treferrals.Referral\t"
            + _text(event["target_id"] or str(uuid.UUID(int=self.rng.getrandbits(128))))
            + "\t"
            + str(event["sequence"])
            + "\n"
        )

    def event(self, index: int) -> tuple[str, list[str], list[str]]:
        """One event's COPY line, with its AuditEventClient and ledger lines."""
        action, code, _, shape = MIX[self.shapes[index]]
        rng = self.rng
        when = self.start + SPAN * (index / EVENTS) + datetime.timedelta(microseconds=index % 997)
        user = rng.choice(self.world.provider_users if shape == "read" and rng.random() < 0.5 else self.world.users)
        if shape in ("direct", "denied", "transition", "list") and user[4] == "provider":
            user = rng.choice(self.world.agency_users)
        if shape == "list" and rng.random() < PROVIDER_LIST_SHARE:
            user = rng.choice(self.world.provider_users)
        source = "api" if user[3] == "partner_system" else "page"
        values = {
            "sequence": index + 1,
            "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
            "recorded_at": when,
            "action": action,
            "subtype": "",
            "action_code": code,
            "outcome": "success",
            "outcome_reason": "",
            "actor_id": user[0],
            "actor_display": user[1],
            "actor_organization_id": user[2][0],
            "actor_organization_name": user[2][1],
            "actor_role": user[3],
            "purpose_of_use": "COC",
            "client_id": None,
            "target_type": "",
            "target_id": "",
            "target_repr": "",
            "consents": [],
            "detail": {},
            "request_id": uuid.UUID(int=rng.getrandbits(128), version=4).hex,
            "source": source,
            "remote_addr": f"10.{index % 200}.{index % 250}.{(index // 250) % 250 + 1}",
            "user_agent": "Mozilla/5.0 (bench)",
        }
        listed: list[str] = []
        ledger: list[str] = []
        client = None
        if shape in ("direct", "read", "denied", "transition"):
            client = self._client()
            values["client_id"] = client
            values["target_type"] = "clients.Client" if shape in ("direct", "denied") else "referrals.Referral"
            values["target_id"] = str(client) if shape == "direct" else str(uuid.UUID(int=rng.getrandbits(128)))
            values["target_repr"] = "A client" if shape == "direct" else "Referral (Food insecurity, Sent)"
            if client == BUSY_CLIENT:
                self.counts["busy_rows"] += 1
        if shape == "denied":
            values.update(
                outcome="denied", outcome_reason="not visible to this user", detail={"model": "clients.Client"}
            )
        if shape == "read":
            values["consents"] = [self.world.consent_of(client)]
            values["detail"] = {"client_fields": ["given_name", "family_name", "phone"]}
            if user[4] == "provider":
                kind = "api_read" if user[3] == "partner_system" else "referral_read"
                ledger.append(self._ledger(values, client, kind, user[2], user, READ_CATEGORIES, "Referral read"))
        if shape == "transition":
            values["subtype"] = rng.choice(TRANSITIONS)
            values["detail"] = {"from": "draft", "to": "sent"}
            if values["subtype"] == "submit":
                values["consents"] = [self.world.consent_of(client)]
                org = rng.choice(self.world.providers)
                ledger.append(self._ledger(values, client, "referral_sent", org, None, READ_CATEGORIES, "Sent"))
        if shape == "list":
            clients = rng.sample(self.world.clients, LIST_SIZE)
            if BUSY_CLIENT not in clients and rng.random() < BUSY_LIST_SHARE:
                clients[0] = BUSY_CLIENT
            names = sorted(str(c) for c in clients)
            values["detail"] = {"client_ids": names, "query": {"page": "1"}}
            for name in names:
                self.listed_id += 1
                listed.append(f"{self.listed_id}\t{index + 1}\t{name}\n")
            self.counts["listed"] += len(names)
            if BUSY_CLIENT in clients:
                self.counts["busy_rows"] += 1
            if user[4] == "provider":
                values["consents"] = [self.world.consent_of(c) for c in clients]
                for listed_client in clients:
                    ledger.append(
                        self._ledger(
                            values, listed_client, "referral_read", user[2], user, READ_CATEGORIES, "Referrals listed"
                        )
                    )
        values["prev_hash"] = self.previous
        values["row_hash"] = self.chain.row_hash(self.previous, self.chain.canonical(values))
        self.previous = values["row_hash"]
        self.counts["events"] += 1
        return _event_line(values), listed, ledger


def _event_line(v: dict) -> str:
    """The event's COPY line, in EVENT_COLUMNS order."""
    cells = (
        str(v["sequence"]),
        str(v["uuid"]),
        v["recorded_at"].isoformat(),
        v["action"],
        v["subtype"],
        v["action_code"],
        v["outcome"],
        v["outcome_reason"],
        str(v["actor_id"]),
        v["actor_display"],
        str(v["actor_organization_id"]),
        v["actor_organization_name"],
        v["actor_role"],
        v["purpose_of_use"],
        _text(v["client_id"]),
        v["target_type"],
        v["target_id"],
        v["target_repr"],
        _json(v["consents"]),
        _json(v["detail"]),
        v["request_id"],
        v["source"],
        v["remote_addr"],
        v["user_agent"],
        v["prev_hash"],
        v["row_hash"],
    )
    return "\t".join(cells) + "\n"


# --- loading -------------------------------------------------------------------------------------------------

TABLES = ("audit_auditevent", "audit_auditeventclient", "audit_disclosure")


def _saved_schema(cursor) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """Foreign keys and plain indexes of the three tables (dropped for the load, rebuilt after)."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
        [list(TABLES)],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s))",
        [list(TABLES), list(TABLES)],
    )
    return foreign_keys, cursor.fetchall()


def fill() -> dict:
    from django.db import connection, transaction

    started = time.monotonic()
    rng = random.Random(SEED)
    user_ids = create_users()
    world = World(rng, user_ids)
    now = datetime.datetime.now(datetime.UTC)
    generator = Generator(world, now - SPAN)
    with transaction.atomic(), connection.cursor() as cursor:
        foreign_keys, indexes = _saved_schema(cursor)
        for table, name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        raw = cursor.cursor
        with raw.copy(f"COPY audit_auditevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as events_copy:
            listed_buffer, ledger_buffer = io.StringIO(), io.StringIO()
            chunk: list[str] = []
            for index in range(EVENTS):
                line, listed, ledger = generator.event(index)
                chunk.append(line)
                listed_buffer.writelines(listed)
                ledger_buffer.writelines(ledger)
                if len(chunk) >= COPY_CHUNK:
                    events_copy.write("".join(chunk))
                    chunk = []
                if index % 200_000 == 199_999:
                    print(f"  generated {index + 1:,} events ({time.monotonic() - started:.0f} s)", flush=True)
            events_copy.write("".join(chunk))
        with raw.copy(f"COPY audit_auditeventclient ({', '.join(LISTED_COLUMNS)}) FROM STDIN") as copy:
            copy.write(listed_buffer.getvalue())
        with raw.copy(f"COPY audit_disclosure ({', '.join(LEDGER_COLUMNS)}) FROM STDIN") as copy:
            copy.write(ledger_buffer.getvalue())
        print(f"  copied ({time.monotonic() - started:.0f} s); rebuilding indexes and keys", flush=True)
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table, column in (("audit_auditevent", "sequence"), *((t, "id") for t in TABLES[1:])):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"(SELECT COALESCE(MAX({column}), 1) FROM {table}))"
            )
        cursor.execute(
            "INSERT INTO audit_auditchainhead (id, last_hash, prev_hash) VALUES (1, %s, '') "
            "ON CONFLICT (id) DO UPDATE SET last_hash = EXCLUDED.last_hash, prev_hash = EXCLUDED.prev_hash",
            [generator.previous],
        )
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ANALYZE {table}")
    print(f"  filled in {time.monotonic() - started:.0f} s: {generator.counts}", flush=True)
    return generator.counts


# --- timing --------------------------------------------------------------------------------------------------


def median_seconds(call: Callable[[], object], runs: int, *, warm_up: bool = True) -> float:
    if warm_up:
        call()  # caches and plans, as on a server that has been up a while
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def first_page(client_id) -> tuple[int, int]:
    from audit.report import ClientDisclosureReport

    report = ClientDisclosureReport(client_id=client_id)
    rows = report[0:PAGE]
    return report.count(), len(rows)


def whole_csv(client_id) -> int:
    from audit.report import ClientDisclosureReport, report_csv_lines

    return sum(1 for _ in report_csv_lines(ClientDisclosureReport(client_id=client_id)))


def run_verify() -> None:
    from django.core.management import call_command

    call_command("audit_verify", stdout=io.StringIO())


def pk_lookup() -> None:
    from audit.models import AuditEvent

    AuditEvent.objects.filter(sequence=random.randint(1, EVENTS)).values_list("row_hash", flat=True).first()


def count_10k() -> int:
    from audit.models import AuditEvent

    return AuditEvent.objects.filter(sequence__lte=10_000).count()


def typical_client():
    from audit.models import AuditEvent

    middle = AuditEvent.objects.filter(sequence__gte=EVENTS // 2, client_id__isnull=False).order_by("sequence")
    return middle.values_list("client_id", flat=True).first()


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, PostgreSQL {server}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=default_url(),
        help="Default: $BENCH_DATABASE_URL, else "
        "the server of $DATABASE_URL (if PostgreSQL), else the local server; database portal_bench.",
    )
    parser.add_argument("--refill", action="store_true", help="Drop and fill the bench database again.")
    parser.add_argument("--runs", type=int, default=5, help="Timed runs per measurement (median).")
    parser.add_argument(
        "--verify-runs", type=int, default=5, help="Timed runs of audit_verify (median); 0 leaves it out."
    )
    args = parser.parse_args()

    prepare_database(args.database_url, drop=args.refill)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if args.refill or event_count() < EVENTS:
        if not args.refill:
            print("The bench database is not filled (or only partly): starting it again.", flush=True)
            from django.db import connections

            connections.close_all()
            prepare_database(args.database_url, drop=True)
            call_command("migrate", verbosity=0)
        print(f"Filling {EVENTS:,} audit events (seed {SEED})...", flush=True)
        fill()
    else:
        print(f"Reusing the filled bench database ({event_count():,} audit events; --refill to start again).")

    from audit.models import AuditEventClient, Disclosure

    print(f"Machine: {machine()}")
    print(
        f"Rows: {event_count():,} audit events, {AuditEventClient.objects.count():,} list-read links, "
        f"{Disclosure.objects.count():,} ledger rows"
    )
    typical = typical_client()
    busy_total, _ = first_page(BUSY_CLIENT)
    typical_total, _ = first_page(typical)
    csv_lines = whole_csv(BUSY_CLIENT)
    print(f"Busy client {BUSY_CLIENT}: {busy_total:,} report rows; typical client {typical}: {typical_total} rows\n")

    baseline_pk = median_seconds(pk_lookup, args.runs)
    baseline_count = median_seconds(count_10k, args.runs)
    results = [
        ("report, busy client (page of 50 + count)", median_seconds(lambda: first_page(BUSY_CLIENT), args.runs), True),
        ("report, typical client (page of 50 + count)", median_seconds(lambda: first_page(typical), args.runs), True),
        (f"CSV, busy client ({csv_lines:,} lines)", median_seconds(lambda: whole_csv(BUSY_CLIENT), args.runs), False),
    ]
    if args.verify_runs:  # 0 skips it: a quick look at the report alone
        label = f"audit_verify, whole chain (median of {args.verify_runs})"
        # No warm-up: it reads the whole trail anyway, and each run takes minutes.
        results.append((label, median_seconds(run_verify, args.verify_runs, warm_up=False), False))
    print(f"baseline: primary-key lookup of one audit row   {baseline_pk:10.5f} s")
    print(f"baseline: COUNT(*) over 10,000 audit rows       {baseline_count:10.5f} s\n")
    failed = False
    for label, seconds, targeted in results:
        verdict = ""
        if targeted:
            verdict = "PASS" if seconds < TARGET_SECONDS else "FAIL"
            failed |= seconds >= TARGET_SECONDS
        print(
            f"{label:<48} {seconds:10.4f} s  x{seconds / baseline_pk:>10,.0f} pk-lookup  "
            f"x{seconds / baseline_count:>8,.1f} count-10k  {verdict}"
        )
    print(f"\nTarget: the on-screen report under {TARGET_SECONDS:.0f} s -> {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
