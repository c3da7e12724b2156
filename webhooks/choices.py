from django.db import models

from coordination.events import Event

# Partners subscribe to the portal's outbox events (coordination/events.py) by their names.
REFERRAL_EVENTS = frozenset(e.value for e in Event if e.value.startswith("referral."))
CONSENT_EVENTS = frozenset(e.value for e in Event if e.value.startswith("consent."))


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending (first attempt not made yet)"
    FAILED = "failed", "Failed (a retry is scheduled)"
    SUCCEEDED = "succeeded", "Succeeded"
    ABANDONED = "abandoned", "Abandoned (no more attempts)"


# Deliveries that still have an attempt to make.
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
