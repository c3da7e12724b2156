"""The lists: the case manager's dashboard, the provider's inbox and the supervisors' team view.

Each page is a fixed number of queries however many rows it shows, and writes one REFERRAL_LISTED row
naming the clients on it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..choices import OPEN_STATUSES, TERMINAL_STATUSES
from ..filters import ReferralFilter
from ..forms import ListAsSelect
from ..selectors import (
    dashboard_order,
    inbox_order,
    referrals_made,
    referrals_received,
    split_open_closed,
    supervised_referrals,
    with_overdue,
    workload_by_person,
)
from .common import PAGE_SIZE, audit_listed, build_rows, require, roles

FILTER_FIELDS = ("q", "status", "urgency", "category", "overdue")
SIDES = {"referrer": "assigned_to", "receiver": "assigned_worker"}


def _tidy_filter_form(form, state: str) -> None:
    """Page-friendly widgets for the shared filter: single selects with an 'Any' choice."""
    form.label_suffix = ""
    terminal = {str(s) for s in TERMINAL_STATUSES}
    status = form.fields["status"]
    status.choices = [(v, label) for v, label in status.choices if (v in terminal) == (state == "closed")]
    for name in ("status", "urgency"):
        form.fields[name].widget = ListAsSelect(choices=[("", "Any"), *form.fields[name].choices])
    form.fields["category"].label = "Need"
    category = form.fields["category"]
    category.widget.choices = [("", "Any"), *((v, label) for v, label in category.choices if v)]
    form.fields["overdue"].widget.choices = [("unknown", "Any"), ("true", "Overdue only"), ("false", "On time")]
    form.fields["q"].label = "Search"
    form.fields["q"].help_text = "Reference, client, service or provider"


def _filtered(request: HttpRequest, referrals, state: str):
    filterset = ReferralFilter(request.GET, queryset=split_open_closed(referrals, state))
    _tidy_filter_form(filterset.form, state)
    return filterset


def _state(request: HttpRequest) -> str:
    return "closed" if request.GET.get("state") == "closed" else "open"


def _tab_counts(referrals) -> dict:
    return referrals.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)), closed=Count("pk", filter=Q(status__in=TERMINAL_STATUSES))
    )


def _query(request: HttpRequest, state: str, page) -> dict:
    query = {k: request.GET.getlist(k) if k in ("status", "urgency") else request.GET.get(k, "") for k in FILTER_FIELDS}
    return {**query, "state": state, "page": page.number if page else None}


def _list_page(request: HttpRequest, *, referrals, order, template: str, subtype: str, quick: bool = False):
    state = _state(request)
    filterset = _filtered(request, referrals, state)
    page, rows = None, []
    if filterset.is_valid():
        ordered = order(filterset.qs) if state == "open" else with_overdue(filterset.qs).order_by("-updated_at", "id")
        page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = build_rows(request.user, page.object_list, quick=quick)
    audit_listed(rows, subtype=subtype, query=_query(request, state, page))
    context = {
        "form": filterset.form,
        "fields": [filterset.form[name] for name in FILTER_FIELDS],
        "page": page,
        "rows": rows,
        "state": state,
        "counts": _tab_counts(referrals),
        "filtered": any(request.GET.get(k) for k in FILTER_FIELDS),
    }
    return render(request, template, context, status=200 if page is not None else 400)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    require(roles(request).refers, "Your role does not make referrals. Providers find theirs in the inbox.")
    return _list_page(
        request,
        referrals=referrals_made(actor=request.user),
        order=dashboard_order,
        template="referrals/dashboard.html",
        subtype="dashboard",
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    require(roles(request).receives, "Your role does not receive referrals. Referrals you make are on your dashboard.")
    return _list_page(
        request,
        referrals=referrals_received(actor=request.user),
        order=inbox_order,
        template="referrals/inbox.html",
        subtype="inbox",
        quick=True,
    )


def _person_name(row: dict, field: str) -> str:
    full = f"{row[f'{field}__first_name'] or ''} {row[f'{field}__last_name'] or ''}".strip()
    return full or row[f"{field}__username"] or "Unassigned"


@login_required
def team(request: HttpRequest) -> HttpResponse:
    held = roles(request)
    require(held.supervises_referring or held.supervises_receiving, "Only supervisors see their team's referrals.")
    available = [
        side for side, ok in (("referrer", held.supervises_referring), ("receiver", held.supervises_receiving)) if ok
    ]
    side = request.GET.get("side") if request.GET.get("side") in available else available[0]
    person_field = SIDES[side]
    referrals = supervised_referrals(actor=request.user, side=side)
    people = [
        {
            "id": "none" if row[f"{person_field}_id"] is None else str(row[f"{person_field}_id"]),
            "name": _person_name(row, person_field),
            "open": row["open"],
            "overdue": row["overdue"],
        }
        for row in workload_by_person(referrals, person_field)
    ]
    person = request.GET.get("person", "")
    chosen = next((p for p in people if p["id"] == person), None)
    shown = split_open_closed(referrals, "open")
    if chosen is not None:
        lookup = {f"{person_field}__isnull": True} if person == "none" else {f"{person_field}_id": person}
        shown = shown.filter(**lookup)
    page = Paginator(dashboard_order(shown), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = build_rows(request.user, page.object_list)
    audit_listed(rows, subtype="team", query={"side": side, "person": person, "page": page.number})
    context = {
        "side": side,
        "sides": available,
        "people": people,
        "chosen": chosen,
        "person_label": "Case manager" if side == "referrer" else "Assigned worker",
        "page": page,
        "rows": rows,
        "unknown_person": bool(person) and chosen is None,
        "inbox": side == "receiver",
    }
    return render(request, "referrals/team.html", context)
