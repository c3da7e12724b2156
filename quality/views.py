"""The data quality page (`/quality/`), its CSV export and the stored weekly reports.

County supervisors and data stewards see their own agency, governance leads every agency; everyone else gets
403 (`quality.access`). Each view and export writes one light audit row: the slice asked for, no client data.
"""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from audit.choices import AuditAction
from audit.export import neutralize
from audit.services import audit_record

from .access import may_view_quality, quality_organizations, sees_network
from .conf import min_weekly_submissions, rejection_rate_threshold
from .forms import SECTIONS, QualityFilterForm, clean_section
from .models import WeeklyQualityReport
from .selectors import quality_numbers

REFUSED = "The data quality report is for county supervisors, data stewards and governance leads."
RECENT_REPORTS = 12


def _form(request: HttpRequest) -> QualityFilterForm:
    if not may_view_quality(request.user):
        raise PermissionDenied(REFUSED)
    return QualityFilterForm(request.GET, organizations=quality_organizations(request.user).order_by("name"))


@login_required
def report(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    context = {
        "form": form,
        "network": sees_network(request.user),
        "threshold": rejection_rate_threshold(),
        "min_attempts": min_weekly_submissions(),
    }
    if not form.is_valid():
        return render(request, "quality/report.html", context, status=400)
    organizations = form.chosen_organizations()
    numbers = quality_numbers(
        organizations=organizations, since=form.cleaned_data["since"], until=form.cleaned_data["until"]
    )
    reports = (
        WeeklyQualityReport.objects.visible_to(request.user)
        .filter(organization__in=[o.pk for o in organizations])
        .select_related("organization")[:RECENT_REPORTS]
    )
    params = form.as_params()
    audit_record(action=AuditAction.QUALITY_VIEWED, subtype="page", detail={"query": params})
    context.update(
        numbers=numbers,
        reports=reports,
        exports={s: f"{reverse('quality:export')}?{urlencode({**params, 'section': s})}" for s in SECTIONS},
    )
    return render(request, "quality/report.html", context)


CSV_COLUMNS = {
    "weeks": ["week_start", "attempts", "sent", "refused", "rate"],
    "organizations": ["organization", "attempts", "sent", "refused", "rate"],
    "users": ["organization", "person", "attempts", "sent", "refused", "rate"],
    "fields": ["field", "label", "missing", "invalid", "contradictory", "total"],
}


def csv_rows(numbers: dict, section: str) -> list[list]:
    if section == "weeks":
        rows = [
            [w["week_start"].isoformat(), w["attempts"], w["sent"], w["refused"], w["rate"]] for w in numbers["by_week"]
        ]
    elif section == "organizations":
        rows = [[o["name"], o["attempts"], o["sent"], o["refused"], o["rate"]] for o in numbers["organizations"]]
    elif section == "users":
        rows = [
            [u["organization"], u["name"], u["attempts"], u["sent"], u["refused"], u["rate"]] for u in numbers["users"]
        ]
    else:
        rows = [
            [f["field"], f["label"], f["missing"], f["invalid"], f["contradictory"], f["total"]]
            for f in numbers["fields"]
        ]
    cells = [[neutralize(str(c)) if isinstance(c, str) else ("" if c is None else c) for c in row] for row in rows]
    return [CSV_COLUMNS[section], *cells]


@login_required
def export(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    section = clean_section(request.GET.get("section"))
    if not form.is_valid() or section is None:
        errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in form.errors.items())
        if section is None:
            errors = f"section: one of {', '.join(SECTIONS)}. {errors}".strip()
        return HttpResponse(f"Invalid request. {errors}", status=400, content_type="text/plain; charset=utf-8")
    numbers = quality_numbers(
        organizations=form.chosen_organizations(), since=form.cleaned_data["since"], until=form.cleaned_data["until"]
    )
    params = form.as_params()
    audit_record(action=AuditAction.QUALITY_EXPORTED, subtype=section, detail={"query": params})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="data-quality-{section}-{params["since"]}-{params["until"]}.csv"'
    )
    csv.writer(response).writerows(csv_rows(numbers, section))
    return response


@login_required
def weekly_report(request: HttpRequest, pk: int) -> HttpResponse:
    if not may_view_quality(request.user):
        raise PermissionDenied(REFUSED)
    found = WeeklyQualityReport.objects.visible_to(request.user).select_related("organization").filter(pk=pk).first()
    if found is None:
        raise Http404("No such report.")
    audit_record(action=AuditAction.QUALITY_VIEWED, subtype="weekly-report", target=found)
    return render(request, "quality/weekly_report.html", {"report": found, "numbers": found.numbers})
