"""Business time: how a target's amount turns into a due time. Pure arithmetic over one organization's calendar.

The calendar is the RECEIVING organization's weekly opening hours (`OpeningHours`; with none, the default
`settings.SLA_DEFAULT_BUSINESS_HOURS`, Monday to Friday 08:00-18:00) and the holidays (`Holiday`: every
organization's, plus the organization's own closures), all in the portal's time zone (`settings.TIME_ZONE`,
through zoneinfo). A day is an *open day* when it has opening hours and is not a holiday. "Open" means inside
one of the day's intervals, closing time excluded: at 18:00 sharp the office is closed.

Every due time is an instant (stored in UTC). All elapsed-time arithmetic is done in UTC, so a daylight-saving
change never adds or loses an hour of counted time; wall-clock positions (opening times, "the same time of day")
are built in local time and then converted. A local time that does not exist (the spring-forward gap) moves
forward by the gap (02:30 becomes 03:30); one that exists twice (the fall-back hour) is the first occurrence.

The three units:

* **N hours in business time** (`hours`, policy not around the clock): only time inside the organization's
  open intervals counts. If the referral arrives while the organization is closed, the clock starts at the next
  opening. The due time is the instant the N-th hour of open time completes; if that is exactly a closing time,
  the due time is that closing time (not the next opening). Example with the default hours: 4 hours from
  Friday 17:00 is 1 hour on Friday and 3 on Monday, due Monday 11:00; from Saturday 10:00, due Monday 12:00.

* **N hours around the clock** (`hours`, policy around the clock): N x 60 real minutes after the start,
  whatever the day or hour. 1 hour from 01:30 on the night clocks spring forward is 03:30 local.

* **N business days** (`business_days`): first the *anchor*: the start itself when the organization is open
  then, otherwise the last closing time before the start (the same moment in business time: nothing counts
  in between). The due time is the anchor's local time of day on the N-th open day after the anchor's day.
  If the organization closes earlier than that time on the due day, the due time is the last closing before
  that time on that day; if it opens only after that time, the closing of the previous open day. Examples with
  the default hours: 2 business days from Friday 17:00 is Tuesday 17:00 (Monday, Tuesday); from Friday 19:00,
  Saturday, or Monday 07:00 alike it is Tuesday 18:00 (anchor: Friday 18:00); with Monday a holiday, from
  Friday 17:00 it is Wednesday 17:00.

* **N calendar days** (`days`): the same local wall-clock time N dates later, ignoring opening hours and
  holidays (30 days from May 1 10:00 is May 31 10:00, across a DST change too, so 30 x 24 +/- 1 real hours).
  Around-the-clock policies count `business_days` this way as well (the admin form refuses that combination).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from .choices import Unit

logger = logging.getLogger(__name__)

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
# How far the arithmetic looks for open time before giving up (a calendar with no open day for years).
HORIZON_DAYS = 3 * 366
# How far back the business-day anchor looks for the last closing time.
LOOKBACK_DAYS = 31

# One interval of a day, as offsets from local midnight: (opens, closes), closes up to 24 h.
Interval = tuple[datetime.timedelta, datetime.timedelta]


class CalendarExhausted(Exception):
    """No open time within the horizon: the calendar has no open days (every day a holiday?)."""


def _offset(value: datetime.time) -> datetime.timedelta:
    return datetime.timedelta(
        hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond
    )


def _parse(value) -> datetime.time:
    if isinstance(value, datetime.time):
        return value
    return datetime.time(0) if str(value) == "24:00" else datetime.time.fromisoformat(str(value))


def day_interval(opens, closes) -> Interval:
    """(opens, closes) as offsets; a closing of 00:00 (or "24:00") is midnight at the end of the day."""
    start, end = _offset(_parse(opens)), _offset(_parse(closes))
    return start, (end if end > start else DAY)


def merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, with overlapping or touching intervals joined (08-12 and 12-18 is one 08-18 stretch)."""
    merged: list[list[datetime.timedelta]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def default_weekly() -> dict[int, tuple[Interval, ...]]:
    configured = getattr(settings, "SLA_DEFAULT_BUSINESS_HOURS", None) or {
        day: [("08:00", "18:00")] for day in range(5)
    }
    return {int(day): merge(day_interval(o, c) for o, c in rows) for day, rows in configured.items()}


@dataclass(frozen=True)
class BusinessCalendar:
    weekly: dict[int, tuple[Interval, ...]]  # Monday = 0
    holidays: frozenset[datetime.date] = frozenset()
    zone: ZoneInfo | None = None

    @property
    def tz(self):
        return self.zone or timezone.get_default_timezone()

    # --- positions -----------------------------------------------------------------------------------------

    def at(self, day: datetime.date, offset: datetime.timedelta) -> datetime.datetime:
        """The instant of local wall-clock `day` + `offset` (gap: moved forward; repeated hour: first one)."""
        naive = datetime.datetime.combine(day, datetime.time()) + offset
        return naive.replace(tzinfo=self.tz).astimezone(UTC)

    def local(self, instant: datetime.datetime) -> datetime.datetime:
        return instant.astimezone(self.tz)

    def intervals_on(self, day: datetime.date) -> tuple[Interval, ...]:
        if day in self.holidays:
            return ()
        return self.weekly.get(day.weekday(), ())

    def is_open_day(self, day: datetime.date) -> bool:
        return bool(self.intervals_on(day))

    def open_intervals(self, start: datetime.datetime) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
        """Open intervals (UTC) that end after `start`, in order, up to the horizon."""
        first = self.local(start).date() - DAY  # an interval of yesterday cannot reach past midnight, but be safe
        for step in range(HORIZON_DAYS + 2):
            day = first + step * DAY
            for opens, closes in self.intervals_on(day):
                begin, end = self.at(day, opens), self.at(day, closes)
                if end > start:
                    yield begin, end

    def is_open_at(self, instant: datetime.datetime) -> bool:
        day = self.local(instant).date()
        return any(
            self.at(d, opens) <= instant < self.at(d, closes)
            for d in (day - DAY, day)
            for opens, closes in self.intervals_on(d)
        )

    def last_close_at_or_before(self, instant: datetime.datetime) -> tuple[datetime.date, datetime.timedelta] | None:
        """(day, closing offset) of the last closing time at or before `instant`, within the look-back."""
        day = self.local(instant).date()
        for back in range(LOOKBACK_DAYS + 1):
            candidate = day - back * DAY
            for _, closes in reversed(self.intervals_on(candidate)):
                if self.at(candidate, closes) <= instant:
                    return candidate, closes
        return None

    # --- arithmetic ----------------------------------------------------------------------------------------

    def add_business_hours(self, start: datetime.datetime, duration: datetime.timedelta) -> datetime.datetime:
        remaining = duration
        for begin, end in self.open_intervals(start):
            begin = max(begin, start)
            span = end - begin
            if remaining <= span:
                return begin + remaining
            remaining -= span
        raise CalendarExhausted(f"no {duration} of open time within {HORIZON_DAYS} days")

    def add_business_days(self, start: datetime.datetime, days: int) -> datetime.datetime:
        anchor = self._anchor(start)
        if anchor is None:
            raise CalendarExhausted(f"no open time within {LOOKBACK_DAYS} days before {start.isoformat()}")
        day, offset = anchor
        counted = 0
        for _ in range(HORIZON_DAYS):
            if counted == days:
                return self._clamp(day, offset)
            day += DAY
            counted += self.is_open_day(day)
        if counted == days:
            return self._clamp(day, offset)
        raise CalendarExhausted(f"fewer than {days} open days within {HORIZON_DAYS} days")

    def _anchor(self, start: datetime.datetime) -> tuple[datetime.date, datetime.timedelta] | None:
        if self.is_open_at(start):
            local = self.local(start)
            day = local.date()
            # Measured on the wall clock of that day (what "the same time of day" means).
            return day, local.replace(tzinfo=None) - datetime.datetime.combine(day, datetime.time())
        return self.last_close_at_or_before(start)

    def _clamp(self, day: datetime.date, offset: datetime.timedelta) -> datetime.datetime:
        """`offset` on `day`, pulled back into the day's opening hours (see the module docstring)."""
        intervals = self.intervals_on(day)
        if any(opens <= offset <= closes for opens, closes in intervals):
            return self.at(day, offset)
        earlier = [closes for _, closes in intervals if closes < offset]
        if earlier:
            return self.at(day, earlier[-1])
        previous = self.last_close_at_or_before(self.at(day, datetime.timedelta()))
        if previous is None:
            return self.at(day, offset)
        return self.at(*previous)

    def add_calendar_days(self, start: datetime.datetime, days: int) -> datetime.datetime:
        local = self.local(start).replace(tzinfo=None) + days * DAY
        return local.replace(tzinfo=self.tz).astimezone(UTC)

    def add(self, start: datetime.datetime, amount: int, unit: str, *, around_the_clock: bool) -> datetime.datetime:
        """`amount` of `unit` after `start` (an aware instant), by the rules in the module docstring."""
        if unit == Unit.HOURS:
            if around_the_clock:
                return start.astimezone(UTC) + datetime.timedelta(hours=amount)
            return self.add_business_hours(start.astimezone(UTC), datetime.timedelta(hours=amount))
        if unit == Unit.BUSINESS_DAYS and not around_the_clock:
            return self.add_business_days(start.astimezone(UTC), amount)
        return self.add_calendar_days(start, amount)


def safe_add(
    calendar: BusinessCalendar, start: datetime.datetime, amount: int, unit: str, *, around_the_clock: bool
) -> datetime.datetime:
    """`calendar.add`, falling back to around-the-clock counting for a calendar with no open time at all."""
    try:
        return calendar.add(start, amount, unit, around_the_clock=around_the_clock)
    except CalendarExhausted:
        logger.warning("sla: calendar has no open time; counting %s %s around the clock", amount, unit)
        return calendar.add(start, amount, unit, around_the_clock=True)
