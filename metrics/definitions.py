"""What every referral performance number means: start and stop events, what counts, what is left out.

These definitions are the contract behind the dashboard, its CSV export and `GET /api/v1/metrics/referrals/`.
The conditions below are the only place they are written as queries (`metrics/selectors.py` uses them), and
`DEFINITIONS` is the same text the dashboard shows. Change a definition: change the condition, its text and
`DEFINITIONS_VERSION` together, so that two reports with the same version mean the same thing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import F, Q

from referrals.choices import Status

DEFINITIONS_VERSION = "2026-11-21.1"

# --- the population: which referrals a period's numbers are about -----------------------------------------

# Left out everywhere: a referral marked entered in error should never have existed.
EXCLUDED_STATUSES = (Status.ENTERED_IN_ERROR,)
DEFAULT_PERIOD_DAYS = 90
MAX_PERIOD_DAYS = 5 * 366


def period_bounds(since: datetime.date, until: datetime.date, tz: datetime.tzinfo) -> tuple[datetime.datetime, ...]:
    """[since 00:00, the day after until 00:00) in the portal's time zone: both days count, whole."""
    start = datetime.datetime.combine(since, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def population_q(start: datetime.datetime, end: datetime.datetime) -> Q:
    """Sent within the period (drafts have no sending time, so they never count), not entered in error."""
    return Q(sent_at__gte=start, sent_at__lt=end) & ~Q(status__in=EXCLUDED_STATUSES)


# --- counts ----------------------------------------------------------------------------------------------

DECLINED = Q(status=Status.DECLINED)
# Declining also stamps `acknowledged_at` when nobody acknowledged first (referrals/workflow.py), with the
# same time as `responded_at`: only an acknowledgement strictly before the decline counts as one.
ACKNOWLEDGED = Q(acknowledged_at__isnull=False) & (~DECLINED | Q(acknowledged_at__lt=F("responded_at")))
DECLINED_BEFORE_ACKNOWLEDGEMENT = DECLINED & ~Q(acknowledged_at__lt=F("responded_at"))
ACKNOWLEDGED_WITHIN_SLA = ACKNOWLEDGED & Q(
    acknowledge_due_at__isnull=False, acknowledged_at__lte=F("acknowledge_due_at")
)
# Only accepting and declining stamp `responded_at`, and a declined referral stays declined.
ACCEPTED = Q(responded_at__isnull=False) & ~DECLINED
CLOSED = Q(status=Status.CLOSED)
CANCELLED = Q(status=Status.CANCELLED)
LOOP_CLOSED = (CLOSED & ~Q(outcome="")) | (DECLINED & ~Q(decline_reason="")) | (CANCELLED & ~Q(cancel_reason=""))
OPEN_STATUSES = (Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD)
OPEN = Q(status__in=OPEN_STATUSES)

# --- durations -------------------------------------------------------------------------------------------

PERCENTILES = {"median": 0.5, "p90": 0.9}


@dataclass(frozen=True)
class Duration:
    key: str
    label: str
    stop_field: str
    among: Q

    @property
    def measured(self) -> Q:
        """Referrals that reached the stop event (a stop before the start is a data error: left out)."""
        return self.among & Q(**{f"{self.stop_field}__isnull": False, f"{self.stop_field}__gte": F("sent_at")})


DURATIONS = (
    Duration("time_to_acknowledge", "Time to acknowledge", "acknowledged_at", ACKNOWLEDGED),
    Duration("time_to_first_contact", "Time to first contact", "first_contact_at", Q()),
    Duration("time_to_service_start", "Time to service start", "service_started_at", Q()),
)

# --- open referrals by age, bottlenecks --------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBucket:
    key: str
    label: str
    min_days: int
    max_days: int | None  # exclusive; None: no upper bound


AGE_BUCKETS = (
    AgeBucket("under_3_days", "Under 3 days", 0, 3),
    AgeBucket("3_to_7_days", "3-7 days", 3, 8),
    AgeBucket("8_to_14_days", "8-14 days", 8, 15),
    AgeBucket("15_to_30_days", "15-30 days", 15, 31),
    AgeBucket("31_to_90_days", "31-90 days", 31, 91),
    AgeBucket("over_90_days", "Over 90 days", 91, None),
)


def age_bucket_q(bucket: AgeBucket, as_of: datetime.datetime) -> Q:
    """Open, and sent between `max_days` (exclusive) and `min_days` (inclusive) days before `as_of`."""
    q = OPEN & Q(sent_at__lte=as_of - datetime.timedelta(days=bucket.min_days))
    if bucket.max_days is not None:
        q &= Q(sent_at__gt=as_of - datetime.timedelta(days=bucket.max_days))
    return q


BOTTLENECK_MIN_VOLUME = 10
BOTTLENECK_TOP = 5


def rate(numerator: int, denominator: int) -> float | None:
    """A fraction between 0 and 1, rounded to 4 places; null when nothing was there to count."""
    return round(numerator / denominator, 4) if denominator else None


# --- the text the dashboard shows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    key: str
    term: str
    text: str


DEFINITIONS = (
    Definition(
        "period",
        "Period and population",
        "A period selects referrals by the time they were sent: from the first day 00:00 to the end of the last "
        "day, in the portal's time zone. Every number is about the referrals sent in the period, whatever "
        "happened to them since. Drafts (never sent) and referrals marked entered in error are left out. A "
        "rerouted referral is a new referral with its own sending time. Filters (receiving organization, "
        "referring organization, need, urgency) narrow the same population.",
    ),
    Definition(
        "scope",
        "Whose numbers",
        "An organization's supervisors and data stewards see its own referrals: the ones it sent (for the "
        "county, its whole provider network) and the ones it received. Governance leads see every referral. "
        "Case managers and intake workers have no performance page: they follow their referrals in the "
        "dashboard and inbox.",
    ),
    Definition("sent", "Sent", "Referrals in the population (counted once, whatever their status now)."),
    Definition(
        "acknowledged",
        "Acknowledged",
        "Sent referrals the provider acknowledged: an acknowledgement, or an acceptance (which confirms receipt). "
        "A referral declined without an acknowledgement before it counts as not acknowledged. Acknowledgement "
        "rate = acknowledged / sent.",
    ),
    Definition(
        "acknowledged_within_sla",
        "Acknowledged within SLA",
        "Acknowledged at or before the acknowledgement due time stored on the referral when it was sent "
        "(business hours of the receiving organization, or around the clock for crisis, see Response targets). "
        "Rate = acknowledged within SLA / sent, so unanswered referrals count against it.",
    ),
    Definition(
        "accepted",
        "Accepted, declined",
        "Accepted: the provider accepted it (whatever happened afterwards, closure or cancellation included). "
        "Declined: its status is declined, with a coded reason. Acceptance rate = accepted / (accepted + "
        "declined): of the referrals the provider answered, the share it took on. Decline reasons count the "
        "declined referrals by reason code.",
    ),
    Definition(
        "closed",
        "Closed and outcomes",
        "Closed: the provider closed the referral with a coded outcome (service completed, unable to contact, "
        "...). Outcomes count the closed referrals by outcome code.",
    ),
    Definition(
        "loop_closure_rate",
        "Loop closure rate",
        "Sent referrals that reached a terminal state with a code: closed with an outcome, declined with a "
        "reason, or cancelled by the referrer with a reason; divided by sent. Open referrals count against it.",
    ),
    Definition(
        "durations",
        "Time to acknowledge, to first contact, to service start",
        "Wall-clock time from sending to the acknowledgement (as counted above), to the first contact attempt "
        "(whatever its result), and to the start of service, over the referrals that reached that event; "
        "referrals that have not are left out, not counted as zero. Median and 90th percentile use continuous "
        "interpolation (PostgreSQL percentile_cont). In seconds in the API and CSV.",
    ),
    Definition(
        "sla_breaches",
        "SLA breaches by stage",
        "Missed response targets (acknowledgement, first contact, service start) recorded by the SLA sweep for "
        "the period's referrals, one at most per referral and stage. Breach rate = breaches at that stage / sent.",
    ),
    Definition(
        "exceptions",
        "Exceptions",
        "Exception queue items concerning the period's referrals, whatever their status now. Exception rate = "
        "referrals with at least one exception / sent. Exceptions about no referral (a partner system down, a "
        "possible duplicate client, a submission rejected before it was sent) are in the exception queue, not here.",
    ),
    Definition(
        "open_by_age",
        "Open referrals by age",
        "Referrals of the period still open now (sent, acknowledged, accepted, in progress or on hold), by the "
        "whole days since they were sent.",
    ),
    Definition(
        "bottlenecks",
        "Bottlenecks",
        "Needs (service categories) and providers with the highest decline rate (declined / answered) and breach "
        f"rate (referrals with any SLA breach / sent), among those with at least {BOTTLENECK_MIN_VOLUME} sent "
        f"referrals in the period (the API's min_volume), top {BOTTLENECK_TOP} each.",
    ),
)
