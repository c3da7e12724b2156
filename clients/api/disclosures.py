"""`GET /api/v1/clients/{id}/disclosures/`: the client's disclosure report, a page at a time, audited."""

from __future__ import annotations

from django import forms
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied

from audit.report import KIND_CHOICES, ClientDisclosureReport, audit_report_read
from coordination.access import Action

from ..disclosures import ReportNotAllowed, parse_moment, report_check


class DisclosureReportQuerySerializer(serializers.Serializer):
    since = serializers.CharField(
        required=False,
        help_text="From this date (2026-01-31, the portal's time zone) or ISO 8601 time; at most six years back.",
    )
    until = serializers.CharField(
        required=False, help_text="Up to this date (that whole day included) or ISO 8601 time (excluded)."
    )
    kind = serializers.ChoiceField(
        required=False,
        choices=KIND_CHOICES,
        help_text="`access` (audit events), `disclosure` (ledger rows), or one kind of disclosure.",
    )

    def _moment(self, value: str, *, end_of_day: bool):
        try:
            return parse_moment(value, end_of_day=end_of_day)
        except forms.ValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def validate_since(self, value):
        return self._moment(value, end_of_day=False)

    def validate_until(self, value):
        return self._moment(value, end_of_day=True)

    def validate(self, attrs):
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since >= until:
            raise serializers.ValidationError({"until": ["Give an end after the start."]})
        return attrs


class DisclosureReportRowSerializer(serializers.Serializer):
    """One access to the client's record (an audit event) or one disclosure to another organization."""

    record = serializers.ChoiceField(
        choices=["access", "disclosure"], help_text="An access (audit event) or a disclosure (ledger row)."
    )
    reference = serializers.IntegerField(help_text="The audit event's sequence number, or the ledger row's id.")
    at = serializers.DateTimeField()
    action = serializers.CharField(help_text="The audit action (e.g. `referral.viewed`) or the disclosure kind.")
    action_label = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["allowed", "denied", "failed"])
    outcome_reason = serializers.CharField(allow_blank=True)
    user_id = serializers.IntegerField(allow_null=True, help_text="Who acted, or who received the data.")
    user = serializers.CharField(allow_blank=True)
    organization = serializers.CharField(allow_blank=True, help_text="Their organization (the recipient's).")
    role = serializers.CharField(allow_blank=True)
    purpose_of_use = serializers.CharField(allow_blank=True)
    consents = serializers.ListField(child=serializers.CharField(), help_text="Ids of the consents relied on.")
    categories = serializers.ListField(child=serializers.CharField(), help_text="Data categories disclosed.")
    target_type = serializers.CharField(allow_blank=True)
    target_id = serializers.CharField(allow_blank=True)
    target = serializers.CharField(allow_blank=True, help_text="What was read or disclosed.")
    source = serializers.CharField(allow_blank=True)
    via = serializers.ChoiceField(
        choices=["record", "list", "ledger"], help_text="`list`: the client appeared in a list read."
    )
    event_sequence = serializers.IntegerField(allow_null=True)


class DisclosureReportPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DisclosureReportRowSerializer(many=True)


class ClientDisclosuresMixin:
    """The `disclosures` action of the client viewset (the base viewset's access rules apply first)."""

    @extend_schema(
        description=(
            "Who accessed this client's record or received its data, when, for what purpose, under which "
            "consent, and whether it was allowed: every audit event about the client (list reads that showed "
            "them included) and every disclosure to another organization, newest first, over the last six "
            "years. Governance leads, and the case managers, supervisors and data stewards of the client's own "
            "organization (403 for other roles there; 404 for a client you cannot see). Filters `since`, "
            "`until`, `kind`. Each call is itself recorded in the audit trail."
        ),
        parameters=[
            DisclosureReportQuerySerializer,
            OpenApiParameter("page", int, description="Page number (newest rows first)."),
            OpenApiParameter("page_size", int, description="Rows per page (at most 100)."),
        ],
        responses={
            200: DisclosureReportPageSerializer,
            400: OpenApiResponse(description="A filter value is invalid."),
            403: OpenApiResponse(description="Your role may not read this client's disclosure report."),
            404: OpenApiResponse(description="No such client, or not one you may see."),
        },
    )
    @action(detail=True, methods=["get"], access_action=Action.VIEW, filter_backends=[])
    def disclosures(self, request, pk=None):
        client = self.get_object()
        try:
            report_check(actor=request.user, client=client)
        except ReportNotAllowed as refused:
            raise PermissionDenied(str(refused)) from None
        query = DisclosureReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = ClientDisclosureReport(client_id=client.pk, **query.validated_data)
        page = self.paginate_queryset(report)
        data = DisclosureReportRowSerializer(page, many=True).data
        audit_report_read(
            actor=request.user,
            client_id=client.pk,
            report=report,
            page=request.query_params.get("page", "1")[:20],
            rows=len(page),
            total=report.count(),
            via="api",
        )
        return self.get_paginated_response(data)
