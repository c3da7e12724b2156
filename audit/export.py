"""The audit log as CSV: every column, one row per event, streamed; the export itself is audited first.

Cells a spreadsheet would read as a formula (starting with =, +, -, @, or a tab/CR) are prefixed with a
quote so opening the file runs nothing. Exports are capped: past `EXPORT_ROW_LIMIT` rows the export is
refused (and the refusal audited) so the caller narrows the filters instead of getting a silently cut file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from .chain import CHAINED_FIELDS
from .choices import AuditAction, Outcome
from .models import AuditEvent
from .services import audit_record

EXPORT_ROW_LIMIT = 100_000
CHUNK_SIZE = 2000

COLUMNS = ["sequence", *CHAINED_FIELDS]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportTooLarge(Exception):
    def __init__(self, count: int, limit: int):
        self.count = count
        super().__init__(
            f"{count:,} audit events match; an export holds at most {limit:,}. Narrow the filters "
            "(for example a shorter date range) and export again."
        )


def neutralize(value: str) -> str:
    """A cell a spreadsheet shows as text, never evaluates."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _cell(event: AuditEvent, column: str) -> str:
    value = getattr(event, column)
    if column in {"consents", "detail"}:
        return neutralize(json.dumps(value, sort_keys=True, default=str))
    if value is None:
        return ""
    if column == "recorded_at":
        return value.isoformat()
    return neutralize(str(value))


def csv_rows(events: Iterable[AuditEvent]) -> Iterator[list[str]]:
    yield COLUMNS
    for event in events:
        yield [_cell(event, column) for column in COLUMNS]


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def audit_events_csv(*, queryset: QuerySet, actor, filters: dict, limit: int | None = None):
    """Audit the export (filters, row count) and answer a streaming CSV of `queryset`.

    Raises `ExportTooLarge` (after auditing the refusal) when more than `limit` (default `EXPORT_ROW_LIMIT`)
    rows match.
    """
    limit = EXPORT_ROW_LIMIT if limit is None else limit
    count = queryset.count()
    if count > limit:
        audit_record(
            action=AuditAction.AUDIT_EXPORTED,
            actor=actor,
            outcome=Outcome.FAILED,
            outcome_reason=f"more than {limit} rows",
            detail={"filters": filters, "rows": count, "format": "csv"},
        )
        raise ExportTooLarge(count, limit)
    exported = audit_record(
        action=AuditAction.AUDIT_EXPORTED,
        actor=actor,
        detail={"filters": filters, "rows": count, "format": "csv"},
    )
    writer = csv.writer(_Echo())
    # The file holds the trail as of the export's own row: nothing recorded later (nor that row) joins it.
    events = queryset.filter(sequence__lt=exported.sequence).iterator(chunk_size=CHUNK_SIZE)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in csv_rows(events)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
