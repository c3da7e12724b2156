"""Celery tasks: thin wrappers over `webhooks.delivery` (idempotent, take ids, acks late)."""

from celery import shared_task

from audit.choices import Source
from coordination.context import acting_as


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def webhook_deliver(delivery_id: str) -> bool:
    """Make the due attempt of one delivery; a delivery that is not due or not open is skipped."""
    from .delivery import delivery_attempt

    with acting_as(None, source=Source.TASK):
        return delivery_attempt(delivery_id=delivery_id) is not None


@shared_task(acks_late=True, ignore_result=True)
def webhook_sweep() -> int:
    """Hand over every delivery due for an attempt (first ones whose hand-over was lost, and retries)."""
    from .delivery import webhook_sweep_run

    with acting_as(None, source=Source.TASK):
        return webhook_sweep_run()
