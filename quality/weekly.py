"""The weekly data quality report: issued once per agency and week, emailed, kept in the portal.

Every Monday at 07:00 (portal time zone; `quality.tasks.weekly_quality_reports`, Celery beat) each active
agency gets the report of the week that ended on Sunday. Issuing is idempotent per organization and week
(unique constraint; a rerun or a second worker returns the existing report and sends nothing again). In the
same transaction as the report: its audit row, one outbox message (`quality.weekly_report`, ids only) whose
handler emails the agency's county supervisors and data stewards (`quality.notifications`), and the
persistent-problem exceptions.

Persistent problems: a sender - the agency itself, or one of its staff - whose refusal rate was above
`QUALITY_REJECTION_RATE_THRESHOLD` (20 %) with at least `QUALITY_MIN_WEEKLY_SUBMISSIONS` (10) attempts in
each of the two weeks (the report's week and the one before) gets ONE `validation-rejected` exception for a
corrective plan, owned by the agency's data stewards; its dedupe key names the sender and the two weeks, and
it is raised only when the report is issued, so never twice for the same pair.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.outbox import outbox_enqueue
from coordination.roles import Role
from exceptionqueue.choices import ExceptionKind, Severity
from exceptionqueue.services import exception_raise
from providers.models import Organization

from .conf import min_weekly_submissions, rejection_rate_threshold
from .models import WeeklyQualityReport
from .selectors import ONE_WEEK, quality_numbers, week_start_of

WEEKLY_REPORT_EVENT = "quality.weekly_report"
REPORT_TOP_FIELDS = 10


def previous_week_start(now: datetime.datetime) -> datetime.date:
    """The Monday of the last complete week before `now` (portal time zone)."""
    return week_start_of(timezone.localdate(now)) - ONE_WEEK


def weekly_reports_issue(*, now: datetime.datetime | None = None) -> list[WeeklyQualityReport]:
    """Issue last week's report for every active agency that has none yet; return the new ones."""
    now = now or timezone.now()
    week = previous_week_start(now)
    issued = []
    for organization in Organization.objects.filter(kind="agency", active=True).order_by("name"):
        report, created = weekly_report_issue(organization=organization, week_start=week, now=now)
        if created:
            issued.append(report)
    return issued


@transaction.atomic
def weekly_report_issue(
    *, organization: Organization, week_start: datetime.date, now: datetime.datetime | None = None
) -> tuple[WeeklyQualityReport, bool]:
    """The organization's report for the week starting `week_start` (a Monday): the existing one, or a new one."""
    existing = WeeklyQualityReport.objects.filter(organization=organization, week_start=week_start).first()
    if existing is not None:
        return existing, False
    now = now or timezone.now()
    report = WeeklyQualityReport(
        organization=organization,
        week_start=week_start,
        created_at=now,
        numbers=weekly_numbers(organization, week_start),
    )
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:  # another worker issued it meanwhile
        return WeeklyQualityReport.objects.get(organization=organization, week_start=week_start), False
    numbers = report.numbers
    audit_record(
        action=AuditAction.QUALITY_WEEKLY_REPORT_ISSUED,
        target=report,
        organization=organization,
        detail={
            "week_start": week_start.isoformat(),
            "attempts": numbers["totals"]["attempts"],
            "refused": numbers["totals"]["refused"],
            "persistent": [f"{p['sender']}:{p['id']}" for p in numbers["persistent"]],
        },
    )
    outbox_enqueue(
        WEEKLY_REPORT_EVENT,
        subject=report,
        data={"report_id": report.pk, "organization_id": str(organization.pk), "week_start": week_start.isoformat()},
    )
    for sender in numbers["persistent"]:
        _raise_persistent(report, sender, now)
    return report, True


def _is_problem(counts: dict) -> bool:
    return (
        counts["attempts"] >= min_weekly_submissions()
        and counts["rate"] is not None
        and counts["rate"] > rejection_rate_threshold()
    )


def weekly_numbers(organization: Organization, week_start: datetime.date) -> dict:
    """What the report says, as JSON: this week, the week before, by person and by field, persistent senders."""
    previous_start = week_start - ONE_WEEK
    both = quality_numbers(
        organizations=[organization], since=previous_start, until=week_start + datetime.timedelta(days=6)
    )
    this_week = quality_numbers(
        organizations=[organization], since=week_start, until=week_start + datetime.timedelta(days=6)
    )
    key, previous_key = week_start.isoformat(), previous_start.isoformat()
    org_row = both["organizations"][0]
    senders = [("organization", str(organization.pk), organization.name, org_row["weeks"])]
    senders += [("user", u["user_id"], u["name"], u["weeks"]) for u in both["users"] if u["user_id"] is not None]
    persistent = [
        {
            "sender": kind,
            "id": sender_id,
            "name": name,
            "weeks": [previous_key, key],
            "rates": [weeks[previous_key]["rate"], weeks[key]["rate"]],
            "attempts": [weeks[previous_key]["attempts"], weeks[key]["attempts"]],
        }
        for kind, sender_id, name, weeks in senders
        if _is_problem(weeks[previous_key]) and _is_problem(weeks[key])
    ]
    return {
        "organization": {"id": str(organization.pk), "name": organization.name},
        "week_start": key,
        "week_end": (week_start + datetime.timedelta(days=6)).isoformat(),
        "time_zone": both["period"]["time_zone"],
        "totals": org_row["weeks"][key],
        "previous": org_row["weeks"][previous_key],
        "users": [
            {
                "user_id": u["user_id"],
                "name": u["name"],
                **u["weeks"][key],
                "previous_rate": u["weeks"][previous_key]["rate"],
            }
            for u in sorted(both["users"], key=lambda u: (-u["weeks"][key]["refused"], u["name"]))
            if u["weeks"][key]["attempts"]
        ],
        "fields": this_week["fields"][:REPORT_TOP_FIELDS],
        "codes": this_week["codes"],
        "persistent": persistent,
        "threshold": {"rate": rejection_rate_threshold(), "min_attempts": min_weekly_submissions()},
    }


def _raise_persistent(report: WeeklyQualityReport, sender: dict, now: datetime.datetime) -> None:
    rates = " and ".join(f"{r:.0%}" for r in sender["rates"])
    who = "The agency as a whole" if sender["sender"] == "organization" else sender["name"]
    exception_raise(
        kind=ExceptionKind.VALIDATION_REJECTED,
        summary=f"{who}: {rates} of sends refused two weeks running. Agree a corrective plan.",
        owner_organization=report.organization,
        owner_role=Role.DATA_STEWARD,
        severity=Severity.MEDIUM,
        concerning=report,
        detail={key: sender[key] for key in ("sender", "id", "weeks", "rates", "attempts")},
        dedupe_key=f"quality-persistent:{sender['sender']}:{sender['id']}:{sender['weeks'][0]}:{sender['weeks'][1]}",
        now=now,
    )
