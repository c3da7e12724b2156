"""Counts each refused send the referrals app announces (see `referrals.validation.rejection`)."""

from __future__ import annotations

from django.dispatch import receiver

from referrals.validation.rejection import submission_rejected

from .rejections import rejection_record


@receiver(submission_rejected, dispatch_uid="quality-count-rejection")
def count_rejection(
    sender, *, actor, organization_id, referral_id, client_id, channel, problems, occurred_at, **kwargs
):
    rejection_record(
        actor=actor,
        organization_id=organization_id,
        referral_id=referral_id,
        client_id=client_id,
        channel=channel,
        problems=problems,
        occurred_at=occurred_at,
    )
