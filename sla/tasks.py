from celery import shared_task
from django.utils import timezone

from coordination.context import acting_as


@shared_task(acks_late=True, ignore_result=True)
def sla_sweep() -> dict[str, int]:
    """Every minute (beat): record missed targets and escalate. Idempotent, and safe beside another run."""
    from .sweep import sla_sweep as run

    with acting_as(None, source="task"):
        return run(now=timezone.now())
