"""Sample audit checks: a random draw of access events, each judged by a reviewer."""

from __future__ import annotations

import datetime
import random

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.access import Action
from providers.access import holds_permission
from providers.models import Organization

from ..choices import Verdict
from ..errors import NotAllowed, NotAReviewer
from ..evidence import Window
from ..models import AuditSample, AuditSampleItem
from ..sampling import draw_access_events
from ..selectors import sample_reviewers
from .common import audited_refusal, clean_note

SAMPLE_MAX_SIZE = 500


@transaction.atomic
def sample_draw(
    *,
    actor,
    period_start: datetime.date,
    period_end: datetime.date,
    size: int,
    reviewer,
    organization: Organization | None = None,
    rng: random.Random | None = None,
) -> AuditSample:
    """Draw up to `size` access events of the period at random (fewer only if the period has fewer)."""
    if not (holds_permission(actor, "governance.add_auditsample") and holds_permission(actor, "audit.view_auditevent")):
        raise NotAllowed("Only governance leads draw audit samples.")
    errors: dict[str, list[str]] = {}
    if not 1 <= size <= SAMPLE_MAX_SIZE:
        errors["size"] = [f"Draw between 1 and {SAMPLE_MAX_SIZE} events."]
    if period_start > period_end:
        errors["period_end"] = ["The period ends before it starts."]
    if reviewer is None or not sample_reviewers().filter(pk=reviewer.pk).exists():
        errors["reviewer"] = ["The reviewer must be an active governance lead."]
    if errors:
        raise ValidationError(errors)
    sequences = draw_access_events(
        window=Window.of_days(period_start, period_end),
        size=size,
        rng=rng or random.SystemRandom(),
        organization_id=organization.pk if organization else None,
        exclude_actor_id=reviewer.pk,
    )
    sample = AuditSample(
        period_start=period_start,
        period_end=period_end,
        size=size,
        organization=organization,
        reviewer=reviewer,
        created_by=actor,
    )
    sample._history_user = actor
    sample.save()
    items = [AuditSampleItem(sample=sample, event_id=sequence) for sequence in sorted(sequences)]
    bulk_create_with_history(items, AuditSampleItem, default_user=actor)
    audit_record(
        action=AuditAction.AUDIT_SAMPLE_DRAWN,
        actor=actor,
        target=sample,
        detail={
            "period": [period_start.isoformat(), period_end.isoformat()],
            "size": size,
            "drawn": len(items),
            "organization": str(organization.pk) if organization else None,
            "reviewer": reviewer.pk,
            "events": sorted(sequences),
        },
    )
    return sample


def sample_item_review(*, actor, item: AuditSampleItem, verdict: str, note: str = "") -> AuditSampleItem:
    """The sample's reviewer (or whoever drew it) marks one event appropriate or inappropriate."""
    return audited_refusal(
        AuditAction.AUDIT_SAMPLE_ITEM_REVIEWED, actor, item, str(verdict), lambda: _review(actor, item, verdict, note)
    )


def _review(actor, item: AuditSampleItem, verdict: str, note: str) -> AuditSampleItem:
    if not AuditSampleItem.objects.visible_to(actor, Action.CHANGE).filter(pk=item.pk).exists():
        raise NotAReviewer("Only the sample's reviewer, or the governance lead who drew it, reviews its events.")
    if verdict not in (Verdict.APPROPRIATE, Verdict.INAPPROPRIATE):
        raise ValidationError({"verdict": ["Choose appropriate or inappropriate."]})
    note = clean_note(
        note, required=verdict == Verdict.INAPPROPRIATE, why="Say what was inappropriate: the note is the finding."
    )
    locked = AuditSampleItem.objects.select_for_update().get(pk=item.pk)
    previous = locked.verdict
    locked.verdict = verdict
    locked.note = note
    locked.reviewed_by = actor
    locked.reviewed_at = timezone.now()
    locked._history_user = actor
    locked.save(update_fields=["verdict", "note", "reviewed_by", "reviewed_at"])
    audit_record(
        action=AuditAction.AUDIT_SAMPLE_ITEM_REVIEWED,
        actor=actor,
        target=locked,
        subtype=verdict,
        detail={
            "sample": str(locked.sample_id),
            "event": locked.event_id,
            "verdict": verdict,
            "previous_verdict": previous,
        },
    )
    return locked
