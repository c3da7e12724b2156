"""Helpers for the consent tests: provisions as `consent_record` takes them, and consents recorded through it."""

from __future__ import annotations

import datetime

from django.utils import timezone

from consent.choices import DataCategory
from consent.services import consent_record

NON_PART2 = [c for c in DataCategory.values if c != DataCategory.SUBSTANCE_USE]


def days(n: int) -> datetime.date:
    """A date `n` days from the real today (negative: in the past)."""
    return timezone.localdate() + datetime.timedelta(days=n)


def provision(
    *,
    type="permit",
    partner_categories=(),
    organizations=(),
    purposes=("COC",),
    data_categories=tuple(NON_PART2),
    start=None,
    end=None,
) -> dict:
    return {
        "type": type,
        "partner_categories": list(partner_categories),
        "organizations": list(organizations),
        "purposes": list(purposes),
        "data_categories": list(data_categories),
        "start": start or days(-30),
        "end": end,
    }


def record(actor, client, *provisions: dict, status="active", method="verbal", date=None, signed_form=None):
    return consent_record(
        actor=actor,
        client=client,
        method=method,
        date=date or days(-30),
        provisions=list(provisions),
        status=status,
        signed_form=signed_form,
    )
