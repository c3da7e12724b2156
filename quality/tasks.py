"""Thin Celery wrappers (beat: `CELERY_BEAT_SCHEDULE` in coordination/settings/base.py)."""

from celery import shared_task

from coordination.context import acting_as

from .notifications import report_email_sweep_run
from .weekly import weekly_reports_issue


@shared_task(acks_late=True, ignore_result=True)
def weekly_quality_reports() -> int:
    """Mondays 07:00 (portal time zone): last week's report for every agency, once each."""
    with acting_as(None, source="task"):
        return len(weekly_reports_issue())


@shared_task(acks_late=True, ignore_result=True)
def report_email_sweep() -> int:
    """Every ten minutes: send the weekly report emails a failure or a stopped worker left pending."""
    with acting_as(None, source="task"):
        return report_email_sweep_run()
