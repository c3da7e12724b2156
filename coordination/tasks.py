from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone
from knox.models import AuthToken


@shared_task(acks_late=True)
def clear_expired_credentials() -> dict[str, int]:
    """Drop expired sessions and API tokens so stale credentials do not pile up."""
    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    tokens, _ = AuthToken.objects.filter(expiry__lt=now).delete()
    return {"sessions": sessions, "tokens": tokens}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def outbox_process(message_id: str) -> bool:
    """Run the registered handlers for one outbox message (idempotent: a processed message is skipped)."""
    from coordination.outbox import outbox_process_message

    return outbox_process_message(message_id=message_id)


@shared_task(acks_late=True, ignore_result=True)
def outbox_sweep() -> int:
    """Hand over again the outbox rows not processed and due (never handed over, lost, or to retry)."""
    from coordination.outbox import outbox_sweep_run

    return outbox_sweep_run()
