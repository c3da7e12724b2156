"""Anchors: the chain head written down at intervals, inside the database and outside it.

Recomputing every hash after an edit would give a self-consistent chain; the anchors taken before the edit
would not match it. Each anchor is also logged (and appended to `AUDIT_ANCHOR_FILE` when set) so a copy
lives where the database's owner cannot rewrite it; `audit_verify --anchor SEQ:HASH` checks such a copy.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import AuditAnchor, AuditEvent

logger = logging.getLogger(__name__)


@transaction.atomic
def anchor_record(*, now: datetime.datetime) -> AuditAnchor | None:
    """Anchor the latest event; nothing new since the last anchor means no new anchor."""
    last = AuditEvent.objects.order_by("-sequence").values("sequence", "row_hash").first()
    if last is None:
        return None
    previous = AuditAnchor.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    if previous == last["sequence"]:
        return None
    anchor = AuditAnchor.objects.create(
        created_at=now,
        sequence=last["sequence"],
        row_hash=last["row_hash"],
        event_count=AuditEvent.objects.filter(sequence__lte=last["sequence"]).count(),
    )
    line = f"{now.isoformat()} audit anchor {anchor.sequence}:{anchor.row_hash} ({anchor.event_count} events)"
    logger.info(line)
    transaction.on_commit(lambda: _append_to_file(line))
    return anchor


def _append_to_file(line: str) -> None:
    path = getattr(settings, "AUDIT_ANCHOR_FILE", "")
    if not path:
        return
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as file:
            file.write(line + "\n")
    except OSError:
        logger.exception("Could not append the audit anchor to %s", path)
