"""The weekly report's email to the agency's county supervisors and data stewards.

The outbox message (`quality.weekly_report`, ids only) is handled in the processing transaction: one
`WeeklyReportEmail` row per recipient, unique per report and person, so processing it again adds nothing.
After commit each row is sent once: locked (`skip_locked`) while sending and stamped `sent_at` in the same
transaction; a failure keeps the row for `quality.tasks.report_email_sweep` with backoff. Names and addresses
are read when sending; the text carries counts, field names and staff names, never client data.
"""

from __future__ import annotations

import datetime
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from coordination.outbox import outbox_handler
from coordination.roles import Role
from notifications.email import pending_email_deliver
from providers.models import Organization

from .models import WeeklyQualityReport, WeeklyReportEmail
from .weekly import WEEKLY_REPORT_EVENT

RECIPIENT_ROLES = (Role.COUNTY_SUPERVISOR, Role.DATA_STEWARD)


def report_recipients(organization: Organization) -> list:
    """Active browser users holding an active county supervisor or data steward role at the organization."""
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organization=organization,
            memberships__active=True,
            memberships__role__in=RECIPIENT_ROLES,
        )
        .exclude(email="")
        .distinct()
        .order_by("username")
    )


@outbox_handler
def weekly_report_emails(message) -> None:
    if message.event != WEEKLY_REPORT_EVENT:
        return
    report = WeeklyQualityReport.objects.select_related("organization").filter(pk=message.data.get("report_id")).first()
    if report is None:
        return
    now = timezone.now()
    created = []
    for user in report_recipients(report.organization):
        email, new = WeeklyReportEmail.objects.get_or_create(
            report=report,
            recipient=user,
            defaults={"address": user.email, "created_at": now, "next_attempt_at": now + email_grace()},
        )
        if new:
            created.append(email.pk)
    if created:
        transaction.on_commit(partial(report_emails_deliver, created))


def email_grace() -> datetime.timedelta:
    """How long the sweep leaves a new email to the sending right after commit."""
    return getattr(settings, "NOTIFICATION_EMAIL_GRACE", datetime.timedelta(minutes=2))


def _percent(rate) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def report_email_content(report: WeeklyQualityReport) -> tuple[str, str]:
    numbers = report.numbers
    organization = numbers["organization"]["name"]
    start = datetime.date.fromisoformat(numbers["week_start"])
    end = datetime.date.fromisoformat(numbers["week_end"])
    totals, previous = numbers["totals"], numbers["previous"]
    base = getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
    lines = [
        f"Data quality for {organization}, week of {start:%A %B} {start.day}, {start.year} "
        f"to {end:%A %B} {end.day} ({numbers['time_zone']}).",
        "",
        f"Referrals sent: {totals['sent']}. Sends refused by validation: {totals['refused']} of "
        f"{totals['attempts']} attempts ({_percent(totals['rate'])}).",
        f"The week before: {previous['refused']} of {previous['attempts']} ({_percent(previous['rate'])}).",
    ]
    if numbers["fields"]:
        lines += ["", "Fields that failed most (missing / invalid / contradictory):"]
        lines += [
            f"- {f['label']}: {f['total']} ({f['missing']} / {f['invalid']} / {f['contradictory']})"
            for f in numbers["fields"]
        ]
    if numbers["users"]:
        lines += ["", "By person (refused of attempts):"]
        lines += [f"- {u['name']}: {u['refused']} of {u['attempts']} ({_percent(u['rate'])})" for u in numbers["users"]]
    if numbers["persistent"]:
        threshold = numbers["threshold"]
        lines += [
            "",
            f"Above {threshold['rate']:.0%} with at least {threshold['min_attempts']} attempts two weeks running "
            "(an exception for a corrective plan is open for the data stewards):",
        ]
        lines += [f"- {p['name']}: {' then '.join(_percent(r) for r in p['rates'])}" for p in numbers["persistent"]]
    lines += [
        "",
        f"The full report: {base}{reverse('quality:weekly_report', args=[report.pk])}",
        "",
        f"You receive this as a county supervisor or data steward of {organization} in the care coordination portal.",
    ]
    subject = f"[Care Coordination] Data quality, week of {start:%b} {start.day}: {organization}"
    return subject[:200], "\n".join(lines)


def report_email_deliver(*, email_id, now: datetime.datetime | None = None) -> bool:
    """Send one pending report email; True if this call sent it."""
    return pending_email_deliver(
        WeeklyReportEmail.objects.select_related("report"),
        email_id=email_id,
        content=lambda email: report_email_content(email.report),
        now=now,
        what="quality report email",
    )


def report_emails_deliver(email_ids) -> int:
    return sum(report_email_deliver(email_id=email_id) for email_id in email_ids)


def report_email_sweep_run(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Send the pending report emails that are due; return how many were sent."""
    now = now or timezone.now()
    due = WeeklyReportEmail.objects.filter(sent_at__isnull=True, next_attempt_at__lte=now).order_by("next_attempt_at")
    return report_emails_deliver(list(due.values_list("pk", flat=True)[:limit]))
