"""`GET /api/v1/audit-events/`: the audit trail for governance leads, filtered like the admin's list.

Rows come from the base viewset's `visible_to` (`AuditEventPolicy`: governance reads the whole trail,
since access reviews span organizations). Callers whose roles lack `audit.view_auditevent` get 403
rather than an empty list, so a misconfigured integration fails loudly. Each list call is itself recorded
(`audit.listed`, with the filters used and the rows returned): audit rows name clients.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.permissions import BasePermission, IsAuthenticated

from coordination.api.viewsets import AccessReadOnlyViewSet
from providers.access import holds_permission

from ..choices import AuditAction
from ..filters import AuditEventFilter, filters_used
from ..models import AuditEvent
from ..services import audit_record
from .serializers import AuditEventSerializer

READ_PERMISSION = "audit.view_auditevent"


class ReadsAuditLog(BasePermission):
    message = "Only governance leads may read the audit log."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and holds_permission(request.user, READ_PERMISSION))


@extend_schema_view(
    list=extend_schema(
        description=(
            "The audit trail, newest first: who did or saw what, when, why (purpose of use), about which client, "
            "and whether it was allowed. Governance leads only (403 for other roles). Filters: `client`, `actor` "
            "(user id or username), `organization` (the actor's organization, id or slug), `action` (repeatable), "
            "`outcome`, `purpose`, `source`, `recorded_after`/`recorded_before` (ISO 8601), `q` (actor name, "
            "target, request id); sort with `ordering` (e.g. `-recorded_at,actor_display`). Invalid values answer "
            "400. Each call is itself recorded in the audit trail."
        ),
        responses={
            200: AuditEventSerializer(many=True),
            400: OpenApiResponse(description="A filter or ordering value is invalid."),
            403: OpenApiResponse(description="Your role may not read the audit log."),
        },
    ),
)
class AuditEventViewSet(AccessReadOnlyViewSet):
    queryset = AuditEvent.objects.order_by("-sequence")
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    permission_classes = [IsAuthenticated, ReadsAuditLog]
    http_method_names = ["get", "head", "options"]

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        data = self.get_serializer(page, many=True).data
        audit_record(
            action=AuditAction.AUDIT_LISTED,
            detail={
                "filters": filters_used(request.query_params),
                "page": request.query_params.get("page", "1")[:20],
                "count": len(page),
                "total": self.paginator.page.paginator.count,
                "client_ids": sorted({str(event.client_id) for event in page if event.client_id}),
            },
        )
        return self.get_paginated_response(data)
