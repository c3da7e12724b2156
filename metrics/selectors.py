"""The referral performance numbers, computed by the database in a fixed number of aggregate queries.

`referral_metrics(actor=, query=)` is the one read behind the dashboard, its CSV export and the API. Whatever
the number of referrals it costs the same queries: one aggregate for every count, rate and age bucket (and,
on PostgreSQL, the percentiles), one grouped query each for breaches by stage, exceptions and the weekly trend,
two for the bottlenecks (volumes and breached referrals per need and provider pair), one or two for the scope;
on SQLite one small ordered pick per percentile.

The referrals come from `MeasuredReferral.objects.visible_to(actor)`: the metrics scope (`metrics/access.py`).
SLA breaches and exceptions are counted only through that scoped set of referrals (`referral__in=...`), so an
organization's numbers never include another organization's referrals; nothing but counts leaves here.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from coordination.access import Action
from exceptionqueue.models import ExceptionItem
from providers.choices import SdohCategory
from providers.models import Organization
from referrals.choices import CloseOutcome, DeclineReason
from sla.models import SlaBreach
from sla.stages import Stage

from . import definitions as d
from .access import metrics_scope
from .aggregates import PercentileCont, duration_expression, native_percentiles, percentile_by_offset
from .forms import MetricsQuery
from .models import MeasuredReferral


def metrics_population(*, actor, query: MetricsQuery) -> QuerySet[MeasuredReferral]:
    """The referrals the numbers are about: in the actor's scope, sent in the period, filtered."""
    start, end = query.bounds()
    return (
        MeasuredReferral.objects.visible_to(actor, Action.VIEW)
        .filter(d.population_q(start, end))
        .filter(**query.referral_filters())
    )


# The percentiles sort up to a year of a network's durations (about a million values each): room to sort
# in memory instead of on disk, for these statements only (`SET LOCAL`, ended with their transaction).
SORT_WORK_MEM = "64MB"


@contextmanager
def _report_transaction() -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{SORT_WORK_MEM}'")
        yield


def referral_metrics(*, actor, query: MetricsQuery, now: datetime.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    population = metrics_population(actor=actor, query=query)
    with _report_transaction():
        counts = _headline(population, now)
        durations = _durations(population, counts)
        breaches = _breaches(population)
        exceptions = _exceptions(population)
        weekly = _weekly(population, query)
        bottlenecks = _bottlenecks(population, query.min_volume)
    sent = counts["sent"]
    answered = counts["accepted"] + counts["declined"]
    return {
        "definitions_version": d.DEFINITIONS_VERSION,
        "as_of": now.isoformat(),
        "period": {
            "since": query.since.isoformat(),
            "until": query.until.isoformat(),
            "time_zone": timezone.get_current_timezone_name(),
        },
        "filters": query.echo(),
        "scope": _scope(actor),
        "sent": sent,
        "acknowledged": counts["acknowledged"],
        "acknowledged_within_sla": counts["acknowledged_within_sla"],
        "acknowledgement_rate": d.rate(counts["acknowledged"], sent),
        "acknowledged_within_sla_rate": d.rate(counts["acknowledged_within_sla"], sent),
        "accepted": counts["accepted"],
        "declined": counts["declined"],
        "declined_before_acknowledgement": counts["declined_before_acknowledgement"],
        "acceptance_rate": d.rate(counts["accepted"], answered),
        "decline_rate": d.rate(counts["declined"], answered),
        "decline_reasons": {code: counts[f"decline_{i}"] for i, code in enumerate(DeclineReason.values)},
        "closed": counts["closed"],
        "outcomes": {code: counts[f"outcome_{i}"] for i, code in enumerate(CloseOutcome.values)},
        "cancelled": counts["cancelled"],
        "loop_closed": counts["loop_closed"],
        "loop_closure_rate": d.rate(counts["loop_closed"], sent),
        **durations,
        "sla_breaches": breaches,
        "sla_breach_rates": {stage: d.rate(n, sent) for stage, n in breaches.items()},
        "exceptions_opened": exceptions["opened"],
        "referrals_with_exceptions": exceptions["referrals"],
        "exception_rate": d.rate(exceptions["referrals"], sent),
        "open": counts["open"],
        "open_by_age": [
            {"bucket": b.key, "label": b.label, "min_days": b.min_days, "max_days": b.max_days, "count": counts[b.key]}
            for b in d.AGE_BUCKETS
        ],
        "weekly": weekly,
        "bottlenecks": bottlenecks,
    }


def _headline(population: QuerySet, now: datetime.datetime) -> dict[str, Any]:
    """Every count (and on PostgreSQL every percentile) in one aggregate query."""

    def count(condition: Q) -> Count:
        return Count("pk", filter=condition)

    aggregates: dict[str, Any] = {
        "sent": Count("pk"),
        "acknowledged": count(d.ACKNOWLEDGED),
        "acknowledged_within_sla": count(d.ACKNOWLEDGED_WITHIN_SLA),
        "accepted": count(d.ACCEPTED),
        "declined": count(d.DECLINED),
        "declined_before_acknowledgement": count(d.DECLINED_BEFORE_ACKNOWLEDGEMENT),
        "closed": count(d.CLOSED),
        "cancelled": count(d.CANCELLED),
        "loop_closed": count(d.LOOP_CLOSED),
        "open": count(d.OPEN),
    }
    for i, code in enumerate(DeclineReason.values):
        aggregates[f"decline_{i}"] = count(d.DECLINED & Q(decline_reason=code))
    for i, code in enumerate(CloseOutcome.values):
        aggregates[f"outcome_{i}"] = count(d.CLOSED & Q(outcome=code))
    for bucket in d.AGE_BUCKETS:
        aggregates[bucket.key] = count(d.age_bucket_q(bucket, now))
    for duration in d.DURATIONS:
        aggregates[f"{duration.key}__n"] = count(duration.measured)
        if native_percentiles():
            expression = duration_expression(duration.stop_field)
            for name, fraction in d.PERCENTILES.items():
                aggregates[f"{duration.key}__{name}"] = PercentileCont(expression, fraction, filter=duration.measured)
    return population.aggregate(**aggregates)


def _durations(population: QuerySet, counts: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    result = {}
    for duration in d.DURATIONS:
        summary = {}
        for name, fraction in d.PERCENTILES.items():
            if native_percentiles():
                value = counts[f"{duration.key}__{name}"]
            else:
                value = percentile_by_offset(
                    population,
                    duration_expression(duration.stop_field),
                    duration.measured,
                    fraction,
                    counts[f"{duration.key}__n"],
                )
            summary[name] = _seconds(value)
        summary["count"] = counts[f"{duration.key}__n"]
        result[duration.key] = summary
    return result


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _breaches(population: QuerySet) -> dict[str, int]:
    rows = (
        SlaBreach.objects.filter(referral_id__in=population.values("pk"))
        .values("stage")
        .annotate(n=Count("pk"))
        .order_by()
    )
    found = {row["stage"]: row["n"] for row in rows}
    return {stage: found.get(stage, 0) for stage in Stage.values}


def _exceptions(population: QuerySet) -> dict[str, int]:
    return ExceptionItem.objects.filter(referral_id__in=population.values("pk")).aggregate(
        opened=Count("pk"), referrals=Count("referral_id", distinct=True)
    )


def _weekly(population: QuerySet, query: MetricsQuery) -> list[dict[str, Any]]:
    """Per week (Monday to Sunday, portal time), every week of the period, empty weeks included."""
    tz = timezone.get_current_timezone()
    rows = (
        population.annotate(week=TruncWeek("sent_at", tzinfo=tz))
        .values("week")
        .annotate(
            sent=Count("pk"),
            acknowledged=Count("pk", filter=d.ACKNOWLEDGED),
            acknowledged_within_sla=Count("pk", filter=d.ACKNOWLEDGED_WITHIN_SLA),
        )
        .order_by("week")
    )
    by_week = {timezone.localtime(row["week"], tz).date(): row for row in rows}
    week = query.since - datetime.timedelta(days=query.since.weekday())
    weeks = []
    while week <= query.until:
        row = by_week.get(week, {})
        weeks.append(
            {
                "week_start": week.isoformat(),
                "sent": row.get("sent", 0),
                "acknowledged": row.get("acknowledged", 0),
                "acknowledged_within_sla": row.get("acknowledged_within_sla", 0),
            }
        )
        week += datetime.timedelta(days=7)
    return weeks


def _bottlenecks(population: QuerySet, min_volume: int) -> dict[str, Any]:
    """Two grouped queries (per need and provider pair), summed up per need and per provider here: a few
    hundred group rows, never referral rows."""
    volumes = population.values("category", "receiving_organization", "receiving_organization__name").annotate(
        sent=Count("pk"), accepted=Count("pk", filter=d.ACCEPTED), declined=Count("pk", filter=d.DECLINED)
    )
    # A semi-join on the breach table (hashed once), not a test per referral inside the aggregate.
    breached = (
        population.filter(pk__in=SlaBreach.objects.values("referral_id"))
        .values("category", "receiving_organization")
        .annotate(breached=Count("pk"))
        .order_by()
    )
    breached_by_pair = {(row["category"], row["receiving_organization"]): row["breached"] for row in breached}
    labels = dict(SdohCategory.choices)
    categories: dict[str, dict] = {}
    providers: dict[Any, dict] = {}
    for row in volumes.order_by():
        measures = Counter(
            sent=row["sent"],
            accepted=row["accepted"],
            declined=row["declined"],
            breached=breached_by_pair.get((row["category"], row["receiving_organization"]), 0),
        )
        code, organization = row["category"], row["receiving_organization"]
        categories.setdefault(
            code, {"key": {"category": code, "label": labels.get(code, code)}, "measures": Counter()}
        )["measures"].update(measures)
        providers.setdefault(
            organization,
            {
                "key": {"organization": {"id": str(organization), "name": row["receiving_organization__name"]}},
                "measures": Counter(),
            },
        )["measures"].update(measures)

    def ranked(groups: dict) -> dict[str, list[dict]]:
        rows = [{**g["key"], **_rates(g["measures"])} for g in groups.values() if g["measures"]["sent"] >= min_volume]
        return _ranked(rows)

    return {"min_volume": min_volume, "categories": ranked(categories), "providers": ranked(providers)}


def _rates(row) -> dict[str, Any]:
    return {
        "sent": row["sent"],
        "declined": row["declined"],
        "decline_rate": d.rate(row["declined"], row["accepted"] + row["declined"]),
        "breached": row["breached"],
        "breach_rate": d.rate(row["breached"], row["sent"]),
    }


def _ranked(rows: list[dict]) -> dict[str, list[dict]]:
    """Highest rate first (then volume, then name or code); rows with a zero or unknown rate are no bottleneck."""

    def top(key: str) -> list[dict]:
        ranked = [row for row in rows if row[key]]
        ranked.sort(key=lambda row: (-row[key], -row["sent"], _name(row)))
        return ranked[: d.BOTTLENECK_TOP]

    return {"by_decline_rate": top("decline_rate"), "by_breach_rate": top("breach_rate")}


def _name(row: dict) -> str:
    return row["organization"]["name"] if "organization" in row else row["category"]


def _scope(actor) -> dict[str, Any]:
    scope = metrics_scope(actor)
    if scope.network:
        return {"network": True, "organizations": []}
    organizations = (
        Organization.objects.visible_to(actor, Action.VIEW).filter(pk__in=scope.organization_ids).order_by("name")
    )
    return {"network": False, "organizations": [{"id": str(o.pk), "name": o.name} for o in organizations]}
