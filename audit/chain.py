"""The audit trail's hash chain: each row's hash covers the previous row's hash and its own content.

    row_hash = sha256(prev_hash + canonical(row))      (hex, UTF-8; the first row follows GENESIS)

`link()` takes the next link under a lock: one statement updates the single `AuditChainHead` row and
returns the old and new hash, computed by the database (`sha256` in PostgreSQL, a registered function in
SQLite). The row lock is held until the transaction ends, so audit writers take turns and sequence order
is chain order; a rolled-back write rolls the head back with it (sequence gaps are therefore normal).

`verify()` walks the chain in sequence order and names the first row that does not fit.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection

GENESIS = "0" * 64

# Every stored field but the sequence (assigned by the database after the hash) and the hashes themselves.
CHAINED_FIELDS = (
    "uuid",
    "recorded_at",
    "action",
    "subtype",
    "action_code",
    "outcome",
    "outcome_reason",
    "actor_id",
    "actor_display",
    "actor_organization_id",
    "actor_organization_name",
    "actor_role",
    "purpose_of_use",
    "client_id",
    "target_type",
    "target_id",
    "target_repr",
    "consents",
    "detail",
    "request_id",
    "source",
    "remote_addr",
    "user_agent",
)


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)  # UUIDs, IP addresses


def canonical(values: dict) -> str:
    """The content the hash covers: sorted keys, no whitespace, stable across databases."""
    return json.dumps(
        {name: _plain(values[name]) for name in CHAINED_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def row_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def sqlite_sha256(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


_LINK_SQL = {
    "postgresql": (
        "UPDATE audit_auditchainhead SET prev_hash = last_hash, "
        "last_hash = encode(sha256(convert_to(last_hash || %s, 'UTF8')), 'hex') WHERE id = 1 "
        "RETURNING prev_hash, last_hash"
    ),
    "sqlite": (
        "UPDATE audit_auditchainhead SET prev_hash = last_hash, last_hash = audit_sha256(last_hash || %s) "
        "WHERE id = 1 RETURNING prev_hash, last_hash"
    ),
}


def link(content: str) -> tuple[str, str]:
    """Append `content` to the chain: answers (prev_hash, row_hash). Call inside the writing transaction."""
    sql = _LINK_SQL[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql, [content])
        row = cursor.fetchone()
        if row is None:  # an empty database (fresh, or flushed by a test): start the chain
            cursor.execute(
                "INSERT INTO audit_auditchainhead (id, last_hash, prev_hash) VALUES (1, %s, '') "
                "ON CONFLICT (id) DO NOTHING",
                [GENESIS],
            )
            cursor.execute(sql, [content])
            row = cursor.fetchone()
    return row[0], row[1]


# --- verification ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    sequence: int | None
    problem: str

    def __str__(self) -> str:
        where = f"sequence {self.sequence}" if self.sequence is not None else "chain head"
        return f"{where}: {self.problem}"


@dataclass
class Report:
    checked: int = 0
    last_sequence: int | None = None
    last_hash: str = GENESIS
    first_break: Break | None = None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _rows(start_after: int | None, chunk: int) -> Iterator[dict]:
    from .models import AuditEvent

    rows = AuditEvent.objects.order_by("sequence").values("sequence", "prev_hash", "row_hash", *CHAINED_FIELDS)
    if start_after is not None:
        rows = rows.filter(sequence__gt=start_after)
    return rows.iterator(chunk_size=chunk)


def verify(*, start_after: int | None = None, start_hash: str = GENESIS, chunk: int = 5000) -> Report:
    """Walk the chain from the start (or from a trusted anchor) and stop at the first row that does not fit.

    A row "does not fit" when its content no longer gives its hash (altered, or inserted with a made-up
    hash) or when it does not follow the row before it (a row deleted, inserted or moved in between).
    """
    report = Report(last_sequence=start_after, last_hash=start_hash)
    previous = start_hash
    for row in _rows(start_after, chunk):
        sequence = row["sequence"]
        if row["prev_hash"] != previous:
            after = f"#{report.last_sequence}" if report.last_sequence is not None else "the start"
            report.first_break = Break(
                sequence,
                f"does not follow {after}: a row was deleted, inserted or moved between them",
            )
            return report
        if row_hash(previous, canonical(row)) != row["row_hash"]:
            report.first_break = Break(sequence, "its content does not match its hash: the row was altered or forged")
            return report
        previous = row["row_hash"]
        report.checked += 1
        report.last_sequence = sequence
        report.last_hash = previous
    return report


def check_head(report: Report) -> Break | None:
    """After a full walk: the head must name the last row, or rows were removed from the end."""
    from .models import AuditChainHead

    head = AuditChainHead.objects.filter(pk=1).values_list("last_hash", flat=True).first()
    if head is None or head == report.last_hash:
        return None
    return Break(
        None,
        f"the chain head is {head[:16]}... but the last row (#{report.last_sequence}) ends the chain "
        f"at {report.last_hash[:16]}...: rows were deleted from the end",
    )


def check_anchors() -> Break | None:
    """Every recorded anchor must still match its row, or the chain was rewritten since."""
    from .models import AuditAnchor, AuditEvent

    anchors = list(AuditAnchor.objects.order_by("sequence").values_list("sequence", "row_hash", "created_at"))
    if not anchors:
        return None
    stored = dict(AuditEvent.objects.filter(sequence__in=[a[0] for a in anchors]).values_list("sequence", "row_hash"))
    for sequence, anchored_hash, created_at in anchors:
        if stored.get(sequence) != anchored_hash:
            return Break(
                sequence,
                f"does not match the anchor taken at {created_at.isoformat()}: the chain was rewritten since",
            )
    return None
