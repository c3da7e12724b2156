"""US federal holidays for a year, as the days offices close (observed: Saturday -> Friday, Sunday -> Monday)."""

from __future__ import annotations

import datetime


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> datetime.date:
    """The n-th `weekday` (Monday = 0) of the month; n = -1 is the last."""
    if n > 0:
        first = datetime.date(year, month, 1)
        return first + datetime.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = datetime.date(year + (month == 12), month % 12 + 1, 1) - datetime.timedelta(days=1)
    return last - datetime.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: datetime.date) -> datetime.date:
    if day.weekday() == 5:
        return day - datetime.timedelta(days=1)
    if day.weekday() == 6:
        return day + datetime.timedelta(days=1)
    return day


def us_federal_holidays(year: int) -> list[tuple[datetime.date, str]]:
    fixed = [
        (datetime.date(year, 1, 1), "New Year's Day"),
        (datetime.date(year, 6, 19), "Juneteenth National Independence Day"),
        (datetime.date(year, 7, 4), "Independence Day"),
        (datetime.date(year, 11, 11), "Veterans Day"),
        (datetime.date(year, 12, 25), "Christmas Day"),
    ]
    floating = [
        (_nth_weekday(year, 1, 0, 3), "Birthday of Martin Luther King, Jr."),
        (_nth_weekday(year, 2, 0, 3), "Washington's Birthday"),
        (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 10, 0, 2), "Columbus Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
    ]
    days = [(_observed(day), name if _observed(day) == day else f"{name} (observed)") for day, name in fixed]
    return sorted(days + floating)
