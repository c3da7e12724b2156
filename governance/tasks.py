from celery import shared_task

from coordination.context import acting_as

from .services import campaigns_remind_overdue


@shared_task(acks_late=True, ignore_result=True)
def remind_overdue_access_reviews() -> int:
    """Hourly: remind reviewers of overdue campaigns (each campaign at most once a day)."""
    with acting_as(None, source="task"):
        return campaigns_remind_overdue()
