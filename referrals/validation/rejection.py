"""A refused save or send: the exception the services raise, and the record a refused send leaves.

A send refused for errors is counted. The refused transaction rolls back, so the record is written afterwards,
in its own transaction, by the service that was called (`referral_transition`, or `referral_create` for a
create-and-send; when the send ran inside `referral_create` the inner record rolls back with the draft and the
outer one remains, so each refused attempt leaves exactly one). The record is an audit row here and, through
the `submission_rejected` signal, a counted `quality.ValidationRejection` (the quality app sits above the
referrals app, so the referrals app announces and does not import it).

A send held back only by warnings is not a rejection: nothing is wrong yet, the sender is asked to confirm.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.services import audit_record
from coordination import context

from ..models import Referral
from .codes import CheckResult, Mode

WARNINGS_NEED_CONFIRMATION = "Check the warnings; send again with the confirmation to send it anyway."

# Sent after a counted rejection: actor, organization_id, referral_id (None when nothing was saved), client_id,
# channel ("page", "api" or "other"), problems (the CheckResult's problems), occurred_at.
submission_rejected = Signal()


class TemplateRejected(ValidationError):
    """The rule set refused a save or a send: errors per field, and warnings waiting for a confirmation."""

    def __init__(self, result: CheckResult, *, referral: Referral):
        self.result = result
        self.referral = referral
        messages = result.message_dict() or {"confirm_warnings": [WARNINGS_NEED_CONFIRMATION]}
        super().__init__(messages)

    @property
    def counted(self) -> bool:
        return self.result.mode == Mode.SUBMIT and bool(self.result.errors)


def enforce(result: CheckResult, *, referral: Referral, confirm_warnings: bool = False) -> None:
    if result.blocks(confirm_warnings=confirm_warnings):
        raise TemplateRejected(result, referral=referral)


def current_channel() -> str:
    source = context.current().source
    return source if source in ("page", "api") else "other"


def rejection_record(*, actor, rejected: TemplateRejected, saved: bool) -> None:
    """Audit a refused send and have it counted; call after the refused transaction rolled back.

    `saved`: the referral exists (a draft whose send was refused), as opposed to a create-and-send that left
    nothing behind. Only rule codes and field names are recorded, never the values.
    """
    if not rejected.counted:
        return
    referral = rejected.referral
    result = rejected.result
    channel = current_channel()
    now = timezone.now()
    with transaction.atomic():
        audit_record(
            action=AuditAction.REFERRAL_SUBMISSION_REJECTED,
            actor=actor,
            target=referral if saved else None,
            client_id=referral.client_id,
            organization=referral.referring_organization,
            subtype=channel,
            outcome=Outcome.FAILED,
            outcome_reason="; ".join(sorted({f"{p.field}: {p.code}" for p in result.errors}))[:300],
            detail={
                "errors": [{"field": p.field, "code": p.code} for p in result.errors],
                "warnings": [{"field": p.field, "code": p.code} for p in result.warnings],
            },
        )
        submission_rejected.send(
            sender=Referral,
            actor=actor,
            organization_id=referral.referring_organization_id,
            referral_id=referral.pk if saved else None,
            client_id=referral.client_id,
            channel=channel,
            problems=result.problems,
            occurred_at=now,
        )
