"""The "Client disclosure report" in the governance admin: pick a client, read the report, export it as CSV.

Clients are picked among those the governance lead may see (`Client.objects.visible_to`); any other id
answers 404 and leaves a denied audit row. The search, each report page and each export are audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from audit.choices import AuditAction
from audit.report import ReportTooLarge, audit_report_read, disclosure_report_csv, report_cutoff
from audit.services import audit_record

from .disclosures import DisclosureReportFilterForm, ReportNotAllowed, report_check, report_client_get
from .models import Client
from .selectors import client_search

PAGE_SIZE = 50
PICK_LIMIT = 25


class DisclosureReportAdminMixin:
    """Adds the report's pages to the client admin (URLs under /admin/clients/client/)."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        own = [
            path("disclosure-report/", wrap(self.disclosure_pick_view), name="clients_client_disclosure_pick"),
            path(
                "<path:object_id>/disclosure-report/",
                wrap(self.disclosure_report_view),
                name="clients_client_disclosure_report",
            ),
            path(
                "<path:object_id>/disclosure-report/csv/",
                wrap(self.disclosure_export_view),
                name="clients_client_disclosure_export",
            ),
        ]
        return own + super().get_urls()

    def _context(self, request: HttpRequest, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def disclosure_pick_view(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
        results: list[Client] = []
        if query:
            results = list(client_search(actor=request.user, q=query)[: PICK_LIMIT + 1])
            # The matches name clients: the search is a list read like any other.
            audit_record(
                action=AuditAction.CLIENT_LISTED,
                subtype="admin-disclosure-pick",
                detail={"client_ids": [str(c.pk) for c in results[:PICK_LIMIT]], "query": {"q": query}},
            )
        context = self._context(
            request,
            title="Client disclosure report",
            query=query,
            results=results[:PICK_LIMIT],
            more=len(results) > PICK_LIMIT,
        )
        return TemplateResponse(request, "admin/clients/disclosure_pick.html", context)

    def _report_client(self, request: HttpRequest, object_id) -> Client:
        try:
            client = report_client_get(actor=request.user, client_id=object_id)
        except Client.DoesNotExist:
            raise Http404("No such client.") from None
        try:
            report_check(actor=request.user, client=client)
        except ReportNotAllowed as refused:
            raise PermissionDenied(str(refused)) from None
        return client

    def disclosure_report_view(self, request: HttpRequest, object_id) -> HttpResponse:
        client = self._report_client(request, object_id)
        form = DisclosureReportFilterForm(request.GET)
        report = form.report(client)
        paginator = Paginator(report, PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        rows = list(page.object_list)
        audit_report_read(
            actor=request.user,
            client_id=client.pk,
            report=report,
            page=page.number,
            rows=len(rows),
            total=paginator.count,
            via="admin",
        )
        filters = request.GET.copy()
        filters.pop("page", None)
        context = self._context(
            request,
            title=f"Disclosure report: {client.full_name}",
            client=client,
            form=form,
            page=page,
            rows=rows,
            cutoff=report_cutoff(),
            filter_query=filters.urlencode(),
            export_url=reverse("admin:clients_client_disclosure_export", args=[client.pk]),
        )
        return TemplateResponse(request, "admin/clients/disclosure_report.html", context)

    def disclosure_export_view(self, request: HttpRequest, object_id) -> HttpResponse:
        client = self._report_client(request, object_id)
        form = DisclosureReportFilterForm(request.GET)
        if request.GET and not form.is_valid():
            messages.error(request, "Fix the filters before exporting.")
            report_url = reverse("admin:clients_client_disclosure_report", args=[client.pk])
            return redirect(f"{report_url}?{request.GET.urlencode()}")
        try:
            return disclosure_report_csv(actor=request.user, client_id=client.pk, report=form.report(client))
        except ReportTooLarge as too_large:
            messages.error(request, str(too_large))
            return redirect("admin:clients_client_disclosure_report", client.pk)
