"""Demo calendar for `seed_demo`: the default policies, the demo years' US federal holidays, and one provider with
hours of its own (Safe Haven Housing's shelter intake is open every day 08:00-20:00). Idempotent."""

from __future__ import annotations

import datetime

from providers.models import Organization

from .holidays import us_federal_holidays
from .models import Holiday, OpeningHours, SlaPolicy
from .policy import default_policy_rows

DEMO_HOURS = {"safe-haven-housing": [(day, datetime.time(8), datetime.time(20)) for day in range(7)]}


def seed_sla_calendar(*, today: datetime.date) -> int:
    """Returns how many rows it created. The holidays of this year and the next (due times look ahead)."""
    created = 0
    for row in default_policy_rows():
        _, new = SlaPolicy.objects.get_or_create(urgency=row["urgency"], category=row["category"], defaults=row)
        created += new
    for year in (today.year, today.year + 1):
        for day, name in us_federal_holidays(year):
            _, new = Holiday.objects.get_or_create(date=day, organization=None, defaults={"name": name})
            created += new
    for slug, rows in DEMO_HOURS.items():
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None or organization.opening_hours.exists():
            continue
        for weekday, opens, closes in rows:
            OpeningHours.objects.create(organization=organization, weekday=weekday, opens=opens, closes=closes)
            created += 1
    return created
