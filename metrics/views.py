"""The referral performance dashboard (`/dashboard/performance/`) and its CSV export.

Same form, same numbers as the API (`metrics.selectors.referral_metrics`); a role without metrics gets 403.
Each page view and each export writes one light audit row: the slice asked for, never client data.
"""

from __future__ import annotations

import csv
import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from audit.choices import AuditAction
from audit.services import audit_record
from referrals.choices import CloseOutcome, DeclineReason
from sla.stages import Stage

from .access import may_view_metrics
from .charts import bar_chart, column_chart, line_chart
from .definitions import DEFINITIONS, DEFINITIONS_VERSION, DURATIONS
from .export import csv_rows
from .forms import QUERY_FIELDS, MetricsFilterForm
from .selectors import referral_metrics

REFUSED = "The performance dashboard is for supervisors, data stewards and governance leads."
TREND_SERIES = [
    ("sent", "Sent", "#0b5c63", ""),
    ("acknowledged_within_sla", "Acknowledged within SLA", "#a34a00", "6 4"),
]


def _checked_form(request: HttpRequest) -> MetricsFilterForm:
    if not may_view_metrics(request.user):
        raise PermissionDenied(REFUSED)
    return MetricsFilterForm(request.GET, user=request.user)


@login_required
def performance(request: HttpRequest) -> HttpResponse:
    form = _checked_form(request)
    context = {
        "form": form,
        "fields": [form[name] for name in QUERY_FIELDS],
        "definitions": DEFINITIONS,
        "definitions_version": DEFINITIONS_VERSION,
        "filtered": any(request.GET.get(name) for name in QUERY_FIELDS),
    }
    if not form.is_valid():
        return render(request, "metrics/performance.html", context, status=400)
    query = form.query()
    numbers = referral_metrics(actor=request.user, query=query)
    audit_record(
        action=AuditAction.METRICS_VIEWED,
        subtype="page",
        detail={"query": query.as_params(), "network": numbers["scope"]["network"]},
    )
    context.update(numbers=numbers, charts=_charts(numbers), durations=_durations(numbers))
    context["as_of"] = timezone.localtime(datetime.datetime.fromisoformat(numbers["as_of"]))
    context["export_url"] = f"{reverse('metrics:performance_csv')}?{urlencode(query.as_params())}"
    return render(request, "metrics/performance.html", context)


@login_required
def performance_csv(request: HttpRequest) -> HttpResponse:
    form = _checked_form(request)
    if not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in form.errors.items())
        return HttpResponse(f"Invalid filters. {errors}", status=400, content_type="text/plain; charset=utf-8")
    query = form.query()
    numbers = referral_metrics(actor=request.user, query=query)
    audit_record(
        action=AuditAction.METRICS_EXPORTED,
        subtype="csv",
        detail={"query": query.as_params(), "network": numbers["scope"]["network"]},
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="referral-performance-{query.since}-{query.until}.csv"'
    writer = csv.writer(response)
    writer.writerows(csv_rows(numbers))
    return response


def _charts(numbers: dict) -> dict:
    declines = dict(DeclineReason.choices)
    outcomes = dict(CloseOutcome.choices)
    stages = dict(Stage.choices)

    def nonzero(counts: dict, labels: dict) -> list[tuple[str, int]]:
        found = [(labels.get(code, code), count) for code, count in counts.items() if count]
        return sorted(found, key=lambda item: (-item[1], item[0]))

    return {
        "trend": line_chart(numbers["weekly"], TREND_SERIES),
        "declines": bar_chart(nonzero(numbers["decline_reasons"], declines)),
        "outcomes": bar_chart(nonzero(numbers["outcomes"], outcomes)),
        "breaches": bar_chart([(stages[stage], count) for stage, count in numbers["sla_breaches"].items()]),
        "age": column_chart([(bucket["label"], bucket["count"]) for bucket in numbers["open_by_age"]]),
    }


def _durations(numbers: dict) -> list[dict]:
    return [{"label": duration.label, **numbers[duration.key]} for duration in DURATIONS]
