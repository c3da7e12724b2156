"""`python manage.py audit_verify`: walk the audit hash chain; exit 1 naming the first row that does not fit."""

from __future__ import annotations

import re
import time

from django.core.management.base import BaseCommand, CommandError

from audit import chain
from audit.choices import AuditAction, Outcome
from audit.models import AuditAnchor, AuditEvent
from audit.services import audit_record
from coordination.context import acting_as

_ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain, its head and its anchors. Exits 1 and names the first altered, "
        "deleted, inserted or reordered row. Gaps in sequence numbers are normal (rolled-back transactions)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from-anchor",
            action="store_true",
            help="Start at the latest stored anchor (trusting the rows before it) instead of the first row.",
        )
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQUENCE:HASH",
            help="An anchor kept outside the database (from the anchor log); may be repeated.",
        )

    def handle(self, *args, **options):
        external = [self._parse_anchor(value) for value in options["anchor"]]
        start_after, start_hash = None, chain.GENESIS
        if options["from_anchor"]:
            anchor = AuditAnchor.objects.order_by("-sequence").first()
            if anchor is not None:
                start_after, start_hash = anchor.sequence, anchor.row_hash

        started = time.monotonic()
        report = chain.verify(start_after=start_after, start_hash=start_hash)
        problem = report.first_break
        if problem is None:
            problem = chain.check_head(report) or chain.check_anchors() or self._check_external(external)
        elapsed = time.monotonic() - started

        self._record(report, problem, elapsed)
        if problem is not None:
            self.stderr.write(f"Audit chain BROKEN after {report.checked} good rows. First bad: {problem}")
            raise CommandError(f"first bad {problem}", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} rows checked up to #{report.last_sequence} "
                f"in {elapsed:.1f}s; head and {AuditAnchor.objects.count()} anchors match."
            )
        )

    def _parse_anchor(self, value: str) -> tuple[int, str]:
        match = _ANCHOR.match(value.strip().lower())
        if match is None:
            raise CommandError(f"--anchor {value!r}: expected SEQUENCE:HASH (a number, a colon, 64 hex digits).")
        return int(match[1]), match[2]

    def _check_external(self, anchors: list[tuple[int, str]]) -> chain.Break | None:
        for sequence, anchored_hash in anchors:
            stored = AuditEvent.objects.filter(sequence=sequence).values_list("row_hash", flat=True).first()
            if stored != anchored_hash:
                return chain.Break(sequence, "does not match the anchor given on the command line: chain rewritten")
        return None

    def _record(self, report: chain.Report, problem: chain.Break | None, elapsed: float) -> None:
        with acting_as(None, source="command"):
            audit_record(
                action=AuditAction.AUDIT_VERIFIED,
                outcome=Outcome.FAILED if problem else Outcome.SUCCESS,
                outcome_reason=str(problem or "")[:300],
                actor_display="audit_verify",
                detail={
                    "checked": report.checked,
                    "last_sequence": report.last_sequence,
                    "first_bad_sequence": problem.sequence if problem else None,
                    "seconds": round(elapsed, 3),
                },
            )
