"""Counting refused sends, and asking a data steward to help when one submission keeps failing.

`rejection_record` runs for every counted rejection (`referrals.validation.rejection` announces it through the
`submission_rejected` signal, in the transaction that also writes its audit row).

The repeated-rejection rule: when the same submission is refused `QUALITY_REPEATED_REJECTIONS` times (3) - the
same draft, or for a create-and-send that saves nothing, the same user and client within 24 hours - one
`validation-rejected` exception opens for the sending agency's data stewards (severity medium), deduplicated
while it is open, so the sender gets help instead of trying a fourth time on their own.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction

from clients.models import Client
from coordination.roles import Role
from exceptionqueue.choices import ExceptionKind, Severity
from exceptionqueue.services import exception_raise
from referrals.models import Referral
from referrals.validation.codes import Problem
from referrals.validation.codes import Severity as ProblemSeverity

from .conf import repeated_rejections
from .models import Channel, RejectionProblem, ValidationRejection

CREATE_AND_SEND_WINDOW = datetime.timedelta(hours=24)


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@transaction.atomic
def rejection_record(
    *,
    actor,
    organization_id,
    referral_id,
    client_id,
    channel: str,
    problems: Iterable[Problem],
    occurred_at: datetime.datetime,
) -> ValidationRejection:
    errors = [p for p in problems if p.severity == ProblemSeverity.ERROR]
    rejection = ValidationRejection.objects.create(
        occurred_at=occurred_at,
        organization_id=organization_id,
        user=_user_or_none(actor),
        channel=channel if channel in Channel.values else Channel.OTHER,
        referral_id=referral_id,
        client_id=client_id,
        codes=list(dict.fromkeys(p.code for p in errors)),
    )
    RejectionProblem.objects.bulk_create(
        RejectionProblem(rejection=rejection, field=p.field, code=p.code, kind=p.kind) for p in errors
    )
    _raise_if_repeated(rejection, actor)
    return rejection


def _raise_if_repeated(rejection: ValidationRejection, actor) -> None:
    if rejection.referral_id:
        same = ValidationRejection.objects.filter(referral_id=rejection.referral_id)
        key = f"validation-rejected:referral:{rejection.referral_id}"
        concerning = Referral.objects.filter(pk=rejection.referral_id).first()
        what = f"Referral {concerning.reference}" if concerning else "A referral"
    else:
        same = ValidationRejection.objects.filter(
            referral__isnull=True,
            client_id=rejection.client_id,
            user_id=rejection.user_id,
            occurred_at__gte=rejection.occurred_at - CREATE_AND_SEND_WINDOW,
        )
        key = f"validation-rejected:client:{rejection.client_id}:user:{rejection.user_id}"
        concerning = Client.objects.filter(pk=rejection.client_id).first()
        what = "A new referral (nothing saved)"
    count = same.count()
    if count < repeated_rejections():
        return
    exception_raise(
        kind=ExceptionKind.VALIDATION_REJECTED,
        summary=f"{what} was refused {count} times at sending ({', '.join(rejection.codes)}): help the sender fix it.",
        owner_organization=rejection.organization,
        owner_role=Role.DATA_STEWARD,
        severity=Severity.MEDIUM,
        concerning=concerning,
        detail={
            "rejections": count,
            "codes": rejection.codes,
            "channel": rejection.channel,
            "user_id": rejection.user_id,
            "rejection_id": rejection.pk,
        },
        dedupe_key=key,
        actor=_user_or_none(actor),
    )
