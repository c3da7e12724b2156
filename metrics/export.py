"""The numbers as CSV: one tidy row per number (section, item, measure, value), easy to pivot in a spreadsheet.

The same dictionary the API returns, flattened; names that could start a spreadsheet formula are neutralized.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from audit.export import neutralize

from .definitions import DURATIONS

HEADER = ["section", "item", "measure", "value"]
SUMMARY = (
    "sent",
    "acknowledged",
    "acknowledged_within_sla",
    "acknowledgement_rate",
    "acknowledged_within_sla_rate",
    "accepted",
    "declined",
    "declined_before_acknowledgement",
    "acceptance_rate",
    "decline_rate",
    "closed",
    "cancelled",
    "loop_closed",
    "loop_closure_rate",
    "exceptions_opened",
    "referrals_with_exceptions",
    "exception_rate",
    "open",
)
BOTTLENECK_MEASURES = ("sent", "declined", "decline_rate", "breached", "breach_rate")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return neutralize(str(value))


def csv_rows(numbers: dict[str, Any]) -> Iterator[list[str]]:
    yield HEADER
    for row in _rows(numbers):
        yield [_cell(cell) for cell in row]


def _rows(n: dict[str, Any]) -> Iterator[tuple]:
    yield ("about", "definitions_version", "", n["definitions_version"])
    yield ("about", "as_of", "", n["as_of"])
    for key, value in n["period"].items():
        yield ("about", key, "", value)
    for key, value in n["filters"].items():
        yield ("about", key, "", value["name"] if isinstance(value, dict) else value)
    yield ("about", "scope", "", "network" if n["scope"]["network"] else _names(n["scope"]["organizations"]))
    for key in SUMMARY:
        yield ("summary", key, "rate" if key.endswith("_rate") else "count", n[key])
    for duration in DURATIONS:
        for measure, value in n[duration.key].items():
            yield ("durations", duration.key, f"{measure}_seconds" if measure != "count" else "count", value)
    for section in ("decline_reasons", "outcomes", "sla_breaches"):
        for code, count in n[section].items():
            yield (section, code, "count", count)
    for stage, value in n["sla_breach_rates"].items():
        yield ("sla_breaches", stage, "rate", value)
    for bucket in n["open_by_age"]:
        yield ("open_by_age", bucket["bucket"], "count", bucket["count"])
    for week in n["weekly"]:
        for measure in ("sent", "acknowledged", "acknowledged_within_sla"):
            yield ("weekly", week["week_start"], measure, week[measure])
    for kind in ("categories", "providers"):
        for ranking, rows in n["bottlenecks"][kind].items():
            for row in rows:
                item = row["organization"]["name"] if kind == "providers" else row["category"]
                for measure in BOTTLENECK_MEASURES:
                    yield (f"bottlenecks_{kind}_{ranking}", item, measure, row[measure])


def _names(organizations: list[dict]) -> str:
    return "; ".join(o["name"] for o in organizations)
