"""Percentiles of a duration column, computed by the database.

PostgreSQL has the ordered-set aggregate `percentile_cont(f) WITHIN GROUP (ORDER BY x)`, so the median and
90th percentile are columns of the same single aggregate query as the counts (and its sort is shared
between the two fractions of the same expression).

SQLite has none. The fallback stays set-based: the database orders the one duration column and returns the
(at most) two neighbouring values around the wanted rank (`LIMIT 2 OFFSET k`), one small query per
percentile; the interpolation between them is `percentile_cont`'s, so both databases give the same answer.
No referral row is ever loaded.
"""

from __future__ import annotations

import math

from django.db import connection
from django.db.models import Aggregate, DurationField, ExpressionWrapper, F, FloatField, Func, Q, QuerySet


def duration_expression(stop_field: str, start_field: str = "sent_at") -> ExpressionWrapper:
    return ExpressionWrapper(F(stop_field) - F(start_field), output_field=DurationField())


class EpochSeconds(Func):
    """PostgreSQL: an interval as seconds (double precision sorts faster than interval, and is what we report)."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
    output_field = FloatField()


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile of seconds; with `filter=` it becomes `... FILTER (WHERE ...)`."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    arity = 1

    def __init__(self, expression, fraction: float, **extra):
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile fraction lies between 0 and 1.")
        # A float literal in the SQL (not a parameter): PostgreSQL needs the fraction's type at parse time.
        super().__init__(EpochSeconds(expression), fraction=repr(fraction), output_field=FloatField(), **extra)


def native_percentiles() -> bool:
    return connection.vendor == "postgresql"


def interpolate(lower: float, upper: float, weight: float) -> float:
    return lower + (upper - lower) * weight


def percentile_by_offset(queryset: QuerySet, expression, condition: Q, fraction: float, count: int) -> float | None:
    """`percentile_cont(fraction)` of `expression` (a duration) over `queryset.filter(condition)`, which has
    `count` rows, in seconds."""
    if count <= 0:
        return None
    position = fraction * (count - 1)
    lower_rank = math.floor(position)
    neighbours = list(
        queryset.filter(condition)
        .annotate(_duration=expression)
        .order_by("_duration")
        .values_list("_duration", flat=True)[lower_rank : lower_rank + 2]
    )
    if not neighbours:
        return None
    lower = neighbours[0].total_seconds()
    upper = neighbours[-1].total_seconds()
    return interpolate(lower, upper, position - lower_rank)
