"""The data quality numbers: per sending organization, per user, per week and per field, in SQL aggregates.

Definitions (also on the page):
- **sent**: referrals sent, counted from the referral timeline (`submit` steps, by the sending agency and the
  person who sent them);
- **refused**: sends the rule set refused for errors (`ValidationRejection`); a send held only for a warning is
  not refused;
- **attempts** = sent + refused; **refusal rate** = refused / attempts (none without attempts);
- **fields**: the errors of the refused sends by field and kind (missing, invalid format, contradictory); one
  refused send may count in several fields.
Weeks run Monday 00:00 to Sunday 24:00 in the portal's time zone; a period starts on the Monday of its first day.

Every number comes from a fixed number of grouped queries (five, whatever the number of rows); the scope
(which organizations) is decided by the caller through `quality.access`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.utils import timezone

from providers.models import Organization
from referrals.choices import Side
from referrals.models import ReferralEvent
from referrals.validation.codes import FIELD_LABELS, Kind, Rule

from .models import RejectionProblem, ValidationRejection

ONE_WEEK = datetime.timedelta(days=7)
KINDS = tuple(Kind.values)


def week_start_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class Counts:
    sent: int = 0
    refused: int = 0

    @property
    def attempts(self) -> int:
        return self.sent + self.refused

    @property
    def rate(self) -> float | None:
        return round(self.refused / self.attempts, 4) if self.attempts else None

    def add(self, other: Counts) -> None:
        self.sent += other.sent
        self.refused += other.refused

    def as_dict(self) -> dict:
        return {"attempts": self.attempts, "sent": self.sent, "refused": self.refused, "rate": self.rate}


def _week_of(value) -> datetime.date:
    """TruncWeek answers an aware datetime (PostgreSQL) or, on some backends, a date."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def quality_numbers(*, organizations: Iterable[Organization], since: datetime.date, until: datetime.date) -> dict:
    """The numbers of these sending organizations for the weeks from `since`'s Monday to `until` (inclusive)."""
    organizations = list(organizations)
    org_ids = [o.pk for o in organizations]
    first_week = week_start_of(since)
    start, end = local_midnight(first_week), local_midnight(until + datetime.timedelta(days=1))
    zone = timezone.get_current_timezone()

    # (organization, user, week) -> counts: everything else is summed from these two grouped queries.
    cells: dict[tuple, Counts] = defaultdict(Counts)
    sends = (
        ReferralEvent.objects.filter(
            name="submit", side=Side.REFERRER, organization_id__in=org_ids, occurred_at__gte=start, occurred_at__lt=end
        )
        .annotate(week=TruncWeek("occurred_at", tzinfo=zone))
        .values("organization_id", "actor_id", "week")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in sends:
        cells[(row["organization_id"], row["actor_id"], _week_of(row["week"]))].sent += row["n"]
    refusals = (
        ValidationRejection.objects.filter(organization_id__in=org_ids, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(week=TruncWeek("occurred_at", tzinfo=zone))
        .values("organization_id", "user_id", "week")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in refusals:
        cells[(row["organization_id"], row["user_id"], _week_of(row["week"]))].refused += row["n"]

    weeks = []
    week = first_week
    while week <= until:
        weeks.append(week)
        week += ONE_WEEK
    return {
        "period": {"since": first_week, "until": until, "time_zone": str(zone)},
        "weeks": weeks,
        **_sums(cells, weeks, organizations),
        **_fields(org_ids, start, end),
    }


def _sums(cells: dict[tuple, Counts], weeks: list[datetime.date], organizations: list[Organization]) -> dict:
    totals = Counts()
    by_week: dict[datetime.date, Counts] = {w: Counts() for w in weeks}
    by_org: dict = {o.pk: Counts() for o in organizations}
    by_org_week: dict = defaultdict(Counts)
    by_user: dict[tuple, Counts] = defaultdict(Counts)
    by_user_week: dict[tuple, Counts] = defaultdict(Counts)
    for (org_id, user_id, week), counts in cells.items():
        totals.add(counts)
        by_week.setdefault(week, Counts()).add(counts)
        by_org[org_id].add(counts)
        by_org_week[(org_id, week)].add(counts)
        by_user[(org_id, user_id)].add(counts)
        by_user_week[(org_id, user_id, week)].add(counts)
    names = _user_names({user_id for _, user_id in by_user})
    org_names = {o.pk: o.name for o in organizations}
    users = [
        {
            "organization_id": str(org_id),
            "organization": org_names[org_id],
            "user_id": user_id,
            "name": names.get(user_id, "Unknown or system"),
            **counts.as_dict(),
            "weeks": {w.isoformat(): by_user_week[(org_id, user_id, w)].as_dict() for w in weeks},
        }
        for (org_id, user_id), counts in by_user.items()
    ]
    users.sort(key=lambda u: (-u["refused"], -(u["rate"] or 0), u["name"], u["organization"]))
    return {
        "totals": totals.as_dict(),
        "by_week": [{"week_start": w, **by_week[w].as_dict()} for w in weeks],
        "organizations": [
            {
                "id": str(o.pk),
                "name": o.name,
                **by_org[o.pk].as_dict(),
                "weeks": {w.isoformat(): by_org_week[(o.pk, w)].as_dict() for w in weeks},
            }
            for o in sorted(organizations, key=lambda o: o.name)
        ],
        "users": users,
    }


def _user_names(user_ids: set) -> dict:
    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    users = get_user_model().objects.filter(pk__in=ids).only("username", "first_name", "last_name")
    return {u.pk: u.get_full_name() or u.get_username() for u in users}


def _fields(org_ids: list, start: datetime.datetime, end: datetime.datetime) -> dict:
    problems = RejectionProblem.objects.filter(
        rejection__organization_id__in=org_ids, rejection__occurred_at__gte=start, rejection__occurred_at__lt=end
    )
    by_field: dict[str, dict] = {}
    by_code: dict[str, int] = defaultdict(int)
    for row in problems.values("field", "kind", "code").annotate(n=Count("id")).order_by():
        entry = by_field.setdefault(
            row["field"],
            {"field": row["field"], "label": FIELD_LABELS.get(row["field"], row["field"]), **dict.fromkeys(KINDS, 0)},
        )
        entry[row["kind"]] = entry.get(row["kind"], 0) + row["n"]
        by_code[row["code"]] += row["n"]
    fields = [{**entry, "total": sum(entry[k] for k in KINDS)} for entry in by_field.values()]
    fields.sort(key=lambda f: (-f["total"], f["label"]))
    labels = dict(Rule.choices)
    codes = [{"code": code, "label": str(labels.get(code, code)), "count": n} for code, n in by_code.items()]
    codes.sort(key=lambda c: (-c["count"], c["code"]))
    return {"fields": fields, "codes": codes}
