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
