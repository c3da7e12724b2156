"""`manage.py sla_sweep [--at ISO-8601]`: the beat task's sweep, on demand (operations, replay)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coordination.context import acting_as
from sla.sweep import sla_sweep


def parse_at(value: str, *, now: datetime.datetime) -> datetime.datetime:
    """An ISO 8601 time with a zone, not in the future (a future replay would breach targets not yet missed)."""
    try:
        at = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"--at {value[:60]!r} is not an ISO 8601 time; use e.g. 2026-05-04T09:30:00-07:00 or 2026-05-04T16:30:00Z."
        ) from None
    if timezone.is_naive(at):
        local = timezone.make_aware(at).isoformat()  # the portal's offset at that time, as a hint only
        raise CommandError(f"--at {value[:60]!r} has no time zone; add one, e.g. {local} or {at.isoformat()}Z.")
    if at > now:
        raise CommandError(f"--at {at.isoformat()} is in the future; a sweep can only judge times that have passed.")
    return at


class Command(BaseCommand):
    help = (
        "Run the SLA sweep now: record missed response targets once, escalate, write the heartbeat. "
        "--at judges the due times as of an earlier moment (replay)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--at", help="Judge due times as of this ISO 8601 time (with a zone; not in the future).")

    def handle(self, *args, **options):
        now = timezone.now()
        at = parse_at(options["at"], now=now) if options.get("at") else now
        with acting_as(None, source="command"):
            counts = sla_sweep(now=at)
        summary = ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in counts.items())
        self.stdout.write(self.style.SUCCESS(f"SLA sweep as of {at.isoformat()}: {summary}."))
