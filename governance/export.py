"""A campaign as CSV evidence: every item with its evidence and decision; the export itself is audited first.

Cells a spreadsheet would evaluate are neutralized as in the audit log export.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from audit.choices import AuditAction
from audit.export import neutralize
from audit.services import audit_record

from .evidence import roles_text
from .models import AccessReviewCampaign, AccessReviewItem

COLUMNS = [
    "campaign",
    "campaign_id",
    "campaign_status",
    "period_start",
    "period_end",
    "due_at",
    "item_id",
    "kind",
    "username",
    "user_name",
    "organization",
    "role",
    "permission",
    "referral_id",
    "user_active",
    "last_login",
    "last_activity",
    "clients_accessed",
    "denied_attempts",
    "referral_reads",
    "roles_held",
    "decision",
    "new_role",
    "note",
    "decided_by",
    "decided_at",
    "access_removed_at",
    "evidence",
]


def _iso(value) -> str:
    return value.isoformat() if value else ""


def item_row(campaign: AccessReviewCampaign, item: AccessReviewItem) -> list[str]:
    evidence = item.evidence or {}
    values = [
        campaign.name,
        str(campaign.pk),
        campaign.status,
        campaign.period_start.isoformat(),
        campaign.period_end.isoformat(),
        _iso(campaign.due_at),
        str(item.pk),
        item.kind,
        item.subject_username,
        item.subject_name,
        item.organization_name,
        item.role,
        item.permission,
        str(item.referral_id or ""),
        str(evidence.get("user_active", "")),
        evidence.get("last_login") or "",
        evidence.get("last_activity") or "",
        str(evidence.get("clients_accessed", "")),
        str(evidence.get("denied_attempts", "")),
        str(evidence.get("referral_reads", "")),
        roles_text(evidence),
        item.decision or "undecided",
        item.new_role,
        item.note,
        item.decided_by.get_username() if item.decided_by else "",
        _iso(item.decided_at),
        _iso(item.access_removed_at),
        json.dumps(evidence, sort_keys=True),
    ]
    return [neutralize(str(v)) for v in values]


def _rows(campaign: AccessReviewCampaign) -> Iterator[list[str]]:
    yield COLUMNS
    items = campaign.items.select_related("decided_by").order_by("organization_name", "subject_username", "kind", "pk")
    for item in items.iterator(chunk_size=2000):
        yield item_row(campaign, item)


class _Echo:
    def write(self, value: str) -> str:
        return value


def campaign_evidence_csv(*, actor, campaign: AccessReviewCampaign) -> StreamingHttpResponse:
    """Audit the export, then stream the campaign's items. The caller has checked `actor` may see the campaign."""
    audit_record(
        action=AuditAction.ACCESS_REVIEW_EXPORTED,
        actor=actor,
        target=campaign,
        detail={"rows": campaign.items.count(), "format": "csv", "status": campaign.status},
    )
    writer = csv.writer(_Echo())
    rows = (writer.writerow(row) for row in _rows(campaign))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    name = slugify(campaign.name)[:50] or "campaign"
    response["Content-Disposition"] = f'attachment; filename="access-review-{name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
