"""The per-client disclosure report: who accessed or received one client's data, when, why, under which consent.

For one client over the last `AUDIT_DISCLOSURE_REPORT_YEARS` (six) years, newest first, it merges

- every audit event about the client (`client_id`, index (client_id, recorded_at)),
- every list read that showed the client (`AuditEventClient`, index (client_id, event)), and
- every ledger row of a disclosure to another organization (`Disclosure`, index (client_id, disclosed_at)).

The three sets are disjoint (a list read already naming the client in `client_id` is taken once), so one
UNION ALL of three index scans gives the keys of a page and another the total; the page's rows are then
read by primary key. A page costs the same four queries whatever the client's history holds.

This module answers for a client id; it does not decide who may ask. Callers authorize first (the clients
app: governance leads, and the custodian organization's staff over the API) and audit the read with
`audit_report_read`. List reads name other clients in their detail: the report never shows an event's
detail, and shows the consents of a list read only through the client's own ledger row.
"""

from __future__ import annotations

import csv
import datetime
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Q, QuerySet, Value
from django.http import StreamingHttpResponse
from django.utils import timezone

from .choices import AuditAction, Outcome
from .export import CHUNK_SIZE, EXPORT_ROW_LIMIT, _Echo, neutralize
from .models import AuditEvent, Disclosure, DisclosureKind
from .services import audit_record

ACCESS = "access"
DISCLOSURE = "disclosure"
# The report's `kind` filter: every access, every disclosure, or disclosures of one kind.
KIND_CHOICES = [
    (ACCESS, "Accesses (audit events)"),
    (DISCLOSURE, "Disclosures (ledger)"),
    *DisclosureKind.choices,
]
OUTCOME_WORDS = {Outcome.SUCCESS: "allowed", Outcome.DENIED: "denied", Outcome.FAILED: "failed"}
_DISCLOSURE_SOURCE, _EVENT_SOURCE = 0, 1


def report_years() -> int:
    return int(settings.AUDIT_DISCLOSURE_REPORT_YEARS)


def report_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """The oldest moment the report covers: `report_years()` calendar years back (29 February -> 28th)."""
    now = now or timezone.now()
    try:
        return now.replace(year=now.year - report_years())
    except ValueError:
        return now.replace(year=now.year - report_years(), day=28)


@dataclass(frozen=True)
class ReportRow:
    """One line of the report: an access (audit event) or a disclosure (ledger row)."""

    record: str  # ACCESS or DISCLOSURE
    reference: int  # the event's sequence number, or the ledger row's id
    at: datetime.datetime
    action: str  # an AuditAction value, or a DisclosureKind value
    action_label: str
    outcome: str  # allowed / denied / failed
    outcome_reason: str
    user_id: int | None
    user: str
    organization: str
    role: str
    purpose_of_use: str
    consents: tuple[str, ...]
    categories: tuple[str, ...]
    target_type: str
    target_id: str
    target: str
    source: str
    via: str  # how the client appeared: "record", "list" (a list read showed them), or "ledger"
    event_sequence: int | None  # the audit event a ledger row belongs to

    @property
    def denied(self) -> bool:
        return self.outcome != "allowed"


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _event_row(event: AuditEvent, client_id: uuid.UUID) -> ReportRow:
    listed = event.client_id != client_id
    return ReportRow(
        record=ACCESS,
        reference=event.sequence,
        at=event.recorded_at,
        action=event.action,
        action_label=_label(AuditAction, event.action),
        outcome=OUTCOME_WORDS.get(event.outcome, event.outcome),
        outcome_reason=event.outcome_reason,
        user_id=event.actor_id,
        user=event.actor_display,
        organization=event.actor_organization_name,
        role=event.actor_role,
        purpose_of_use=event.purpose_of_use,
        # A list read's consents are those of every client on the page: this client's are on its ledger row.
        consents=() if listed else tuple(event.consents or ()),
        categories=(),
        target_type=event.target_type,
        target_id=event.target_id,
        target=event.target_repr,
        source=event.source,
        via="list" if listed else "record",
        event_sequence=event.sequence,
    )


def _disclosure_row(disclosure: Disclosure) -> ReportRow:
    same_user = disclosure.recipient_user_id is not None and disclosure.recipient_user_id == disclosure.event_actor
    return ReportRow(
        record=DISCLOSURE,
        reference=disclosure.pk,
        at=disclosure.disclosed_at,
        action=disclosure.kind,
        action_label=_label(DisclosureKind, disclosure.kind),
        outcome="allowed",
        outcome_reason="",
        user_id=disclosure.recipient_user_id,
        user=disclosure.recipient_display,
        organization=disclosure.recipient_organization_name,
        role=disclosure.event_role if same_user else "",
        purpose_of_use=disclosure.purpose_of_use,
        consents=tuple(disclosure.consents or ()),
        categories=tuple(disclosure.categories or ()),
        target_type=disclosure.target_type,
        target_id=disclosure.target_id,
        target=disclosure.description,
        source=disclosure.event_source or "",
        via="ledger",
        event_sequence=disclosure.event_id,
    )


class ClientDisclosureReport:
    """The report for one client as a lazy sequence: `count()` and slicing each run a bounded query.

    Django's `Paginator` (admin page) and DRF's page-number pagination (API) page it like a queryset.
    `as_of` (an audit event, normally the one recording this very read) leaves out that event and anything
    recorded after it, so the report is what the trail held when it was asked for.
    """

    def __init__(
        self,
        *,
        client_id,
        since: datetime.datetime | None = None,
        until: datetime.datetime | None = None,
        kind: str = "",
        as_of: AuditEvent | None = None,
        now: datetime.datetime | None = None,
    ):
        self.client_id = client_id if isinstance(client_id, uuid.UUID) else uuid.UUID(str(client_id))
        self.cutoff = report_cutoff(now)
        self.since = max(since, self.cutoff) if since else self.cutoff
        self.until = until
        self.kind = kind
        self.as_of = as_of
        self._count: int | None = None

    # --- the keys: one UNION ALL over the three indexes -------------------------------------------------------

    def _events(self) -> list[QuerySet]:
        if self.kind not in ("", ACCESS):
            return []
        window = Q(recorded_at__gte=self.since)
        if self.until is not None:
            window &= Q(recorded_at__lt=self.until)
        if self.as_of is not None:
            window &= Q(sequence__lt=self.as_of.sequence)
        direct = AuditEvent.objects.filter(window, client_id=self.client_id)
        listed = AuditEvent.objects.filter(window, listed_clients__client_id=self.client_id).exclude(
            client_id=self.client_id
        )
        return [_keys(qs, _EVENT_SOURCE, "sequence", "recorded_at") for qs in (direct, listed)]

    def _disclosures(self) -> list[QuerySet]:
        if self.kind == ACCESS:
            return []
        rows = Disclosure.objects.filter(client_id=self.client_id, disclosed_at__gte=self.since)
        if self.kind and self.kind != DISCLOSURE:
            rows = rows.filter(kind=self.kind)
        if self.until is not None:
            rows = rows.filter(disclosed_at__lt=self.until)
        if self.as_of is not None:
            rows = rows.filter(
                Q(event__lt=self.as_of.sequence) | Q(event__isnull=True, disclosed_at__lte=self.as_of.recorded_at)
            )
        return [_keys(rows, _DISCLOSURE_SOURCE, "id", "disclosed_at")]

    def keys(self) -> QuerySet | None:
        """(source, key, at) of every row, newest first; None when the filters exclude every source."""
        parts = [*self._events(), *self._disclosures()]
        if not parts:
            return None
        combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        # Ties (a ledger row shares its event's time) put the disclosure first, then the event.
        return combined.order_by("-at", "src", "-key")

    def count(self) -> int:
        if self._count is None:
            keys = self.keys()
            self._count = keys.count() if keys is not None else 0
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, int):
            rows = self[index : index + 1]
            if not rows:
                raise IndexError(index)
            return rows[0]
        keys = self.keys()
        if keys is None:
            return []
        return self.rows_for(list(keys[index]))

    # --- the rows, by primary key ---------------------------------------------------------------------------

    def rows_for(self, keys: Sequence[tuple[int, int, datetime.datetime]]) -> list[ReportRow]:
        """The report rows for these keys, in the keys' order (two queries, whatever their number)."""
        sequences = [key for source, key, _ in keys if source == _EVENT_SOURCE]
        ledger_ids = [key for source, key, _ in keys if source == _DISCLOSURE_SOURCE]
        events = AuditEvent.objects.in_bulk(sequences) if sequences else {}
        disclosures = (
            Disclosure.objects.annotate(
                event_actor=F("event__actor"), event_role=F("event__actor_role"), event_source=F("event__source")
            ).in_bulk(ledger_ids)
            if ledger_ids
            else {}
        )
        rows = []
        for source, key, _ in keys:
            if source == _EVENT_SOURCE and key in events:
                rows.append(_event_row(events[key], self.client_id))
            elif source == _DISCLOSURE_SOURCE and key in disclosures:
                rows.append(_disclosure_row(disclosures[key]))
        return rows

    def iter_rows(self, chunk: int = CHUNK_SIZE) -> Iterator[ReportRow]:
        """Every row, newest first: the keys in one query, then the rows a chunk at a time."""
        keys = self.keys()
        if keys is None:
            return
        every = list(keys)
        for start in range(0, len(every), chunk):
            yield from self.rows_for(every[start : start + chunk])

    def filters(self) -> dict[str, str]:
        """The filters in force, for the audit row of a read or an export."""
        used = {"since": self.since.isoformat()}
        if self.until is not None:
            used["until"] = self.until.isoformat()
        if self.kind:
            used["kind"] = self.kind
        return used


def _keys(queryset: QuerySet, source: int, key: str, at: str) -> QuerySet:
    return queryset.order_by().annotate(src=Value(source), key=F(key), at=F(at)).values_list("src", "key", "at")


# --- auditing the report, and the CSV --------------------------------------------------------------------------


def audit_report_read(
    *, actor, client_id, report: ClientDisclosureReport, exported: bool = False, **detail
) -> AuditEvent:
    """The report names who saw the client: reading or exporting it is itself an access to the client's record."""
    return audit_record(
        action=AuditAction.DISCLOSURE_REPORT_EXPORTED if exported else AuditAction.DISCLOSURE_REPORT_VIEWED,
        actor=actor,
        client_id=client_id,
        detail={"filters": report.filters(), **detail},
    )


CSV_COLUMNS = [
    "when",
    "record",
    "reference",
    "action",
    "description",
    "outcome",
    "outcome_reason",
    "user_id",
    "user",
    "organization",
    "role",
    "purpose_of_use",
    "consents",
    "categories",
    "target_type",
    "target_id",
    "target",
    "source",
    "via",
    "event_sequence",
]


def csv_cells(row: ReportRow) -> list[str]:
    """One CSV line; every text cell is neutralized so a spreadsheet shows it and never evaluates it."""
    values = [
        row.at.isoformat(),
        row.record,
        str(row.reference),
        row.action,
        row.action_label,
        row.outcome,
        row.outcome_reason,
        "" if row.user_id is None else str(row.user_id),
        row.user,
        row.organization,
        row.role,
        row.purpose_of_use,
        " ".join(row.consents),
        " ".join(row.categories),
        row.target_type,
        row.target_id,
        row.target,
        row.source,
        row.via,
        "" if row.event_sequence is None else str(row.event_sequence),
    ]
    return [neutralize(value) for value in values]


def report_csv_lines(report: ClientDisclosureReport) -> Iterator[str]:
    """The CSV text, line by line (the header first), streamed from `report.iter_rows()`."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for row in report.iter_rows():
        yield writer.writerow(csv_cells(row))


class ReportTooLarge(Exception):
    def __init__(self, count: int, limit: int):
        self.count = count
        super().__init__(
            f"{count:,} report rows match; an export holds at most {limit:,}. Narrow the dates and export again."
        )


def disclosure_report_csv(
    *, actor, client_id, report: ClientDisclosureReport, limit: int | None = None
) -> StreamingHttpResponse:
    """Audit the export, then stream the report as of that audit row (the export itself is not in the file).

    Raises `ReportTooLarge` (after auditing the refusal) past `limit` rows (default `EXPORT_ROW_LIMIT`).
    """
    limit = EXPORT_ROW_LIMIT if limit is None else limit
    count = report.count()
    if count > limit:
        audit_record(
            action=AuditAction.DISCLOSURE_REPORT_EXPORTED,
            actor=actor,
            client_id=client_id,
            outcome=Outcome.FAILED,
            outcome_reason=f"more than {limit} rows",
            detail={"filters": report.filters(), "rows": count, "format": "csv"},
        )
        raise ReportTooLarge(count, limit)
    exported = audit_report_read(
        actor=actor, client_id=client_id, report=report, exported=True, rows=count, format="csv"
    )
    frozen = ClientDisclosureReport(
        client_id=report.client_id, since=report.since, until=report.until, kind=report.kind, as_of=exported
    )
    response = StreamingHttpResponse(report_csv_lines(frozen), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="disclosures-{report.client_id}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
