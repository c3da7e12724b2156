"""Announce consents whose period ended: `consent.expired`, once per consent.

A consent expires silently (its last provision's end date passes, nothing is written), so an hourly sweep
finds the active consents with no provision still current and no `ConsentExpiryNotice`, and for each writes
the notice and the outbox row in one transaction. The notice is unique per consent: a second sweep, even
a concurrent one, announces nothing twice.
"""

from __future__ import annotations

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from consent.models import Consent
from consent.selectors import client_data_recipients, expired_consents
from coordination.events import Event
from coordination.outbox import outbox_enqueue

from .models import ConsentExpiryNotice

logger = logging.getLogger(__name__)


def consent_expiry_announce(*, consent: Consent, now: datetime.datetime | None = None) -> bool:
    """Write the notice and enqueue `consent.expired` for one consent; False if it was announced already."""
    try:
        with transaction.atomic():
            if ConsentExpiryNotice.objects.filter(consent_id=consent.pk).exists():
                return False
            recipients = client_data_recipients(consent.client)
            message = outbox_enqueue(
                Event.CONSENT_EXPIRED,
                subject=consent,
                data={"client_id": str(consent.client_id), "organization_ids": [str(o.pk) for o in recipients]},
            )
            ConsentExpiryNotice.objects.create(consent=consent, message=message, announced_at=now or timezone.now())
    except IntegrityError:
        # Another sweep announced it between our check and our insert; its transaction holds the outbox row.
        return False
    return True


def consent_expiry_sweep_run(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Announce every expired consent not announced yet; return how many were announced."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    pending = (
        expired_consents(today)
        .exclude(pk__in=ConsentExpiryNotice.objects.values("consent_id"))
        .select_related("client")
        .order_by("pk")[:limit]
    )
    announced = sum(consent_expiry_announce(consent=consent, now=now) for consent in pending)
    if announced:
        logger.info("consent expiry: announced %d consent(s)", announced)
    return announced
