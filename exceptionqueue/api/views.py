"""`/api/v1/exceptions/`: thin views over the queue services; access and audit come from the base viewset.

Detail routes look the item up with `Action.VIEW` and leave the work rule to the services, whose refusals
map to 403 (`NotAllowed`), 409 (`TransitionConflict`), 400 (`InvalidInput`) and 404 (`ExceptionNotFound`).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.access import Action
from coordination.api.viewsets import AccessReadOnlyViewSet, AuditReads

from ..errors import ExceptionNotFound, ExceptionQueueError, InvalidInput, NotAllowed, TransitionConflict
from ..filters import ExceptionFilter
from ..models import ExceptionItem
from ..selectors import exception_events
from ..services import exception_assign, exception_transition
from .serializers import (
    ExceptionAssignRequestSerializer,
    ExceptionEventSerializer,
    ExceptionItemSerializer,
    ExceptionRefusalSerializer,
    ExceptionTransitionRequestSerializer,
)

REFUSAL_STATUS = {
    NotAllowed: status.HTTP_403_FORBIDDEN,
    TransitionConflict: status.HTTP_409_CONFLICT,
    InvalidInput: status.HTTP_400_BAD_REQUEST,
}
REFUSED = OpenApiResponse(ExceptionRefusalSerializer, description="Refused, with a message saying why.")
NOT_FOUND = OpenApiResponse(description="No such exception, or not one you may see.")
WRITE_ERRORS = {400: REFUSED, 403: REFUSED, 404: NOT_FOUND, 409: REFUSED}


class ExceptionRefused(APIException):
    def __init__(self, error: ExceptionQueueError):
        self.status_code = REFUSAL_STATUS.get(type(error), status.HTTP_409_CONFLICT)
        super().__init__(detail=error.message, code=error.code)


def _user_or_placeholder(user_id: int | None):
    """The user with this id, or an unsaved stand-in the service refuses like any non-colleague (no id leaks)."""
    if user_id is None:
        return None
    user_model = get_user_model()
    return user_model.objects.filter(pk=user_id).first() or user_model(pk=user_id, is_active=False)


@extend_schema_view(
    list=extend_schema(
        description=(
            "Exceptions owned by your organization's teams that you work (data stewards and supervisors see "
            "their organization's queue; governance sees all), soonest due first. Recorded in the audit trail."
        )
    ),
    retrieve=extend_schema(
        description="One exception, with what you may do next. Recorded in the audit trail.",
        responses={200: ExceptionItemSerializer, 404: NOT_FOUND},
    ),
)
class ExceptionViewSet(AccessReadOnlyViewSet):
    queryset = ExceptionItem.objects.select_related(
        "owner_organization", "assigned_to", "resolved_by", "referral"
    ).order_by("due_at", "created_at", "id")
    serializer_class = ExceptionItemSerializer
    filterset_class = ExceptionFilter
    audit_reads = AuditReads(
        listed=AuditAction.EXCEPTION_LISTED, viewed=AuditAction.EXCEPTION_VIEWED, client_id=lambda i: i.client_id
    )

    def handle_exception(self, exc):
        if isinstance(exc, ExceptionNotFound):
            return super().handle_exception(Http404())
        if isinstance(exc, ExceptionQueueError):
            response = super().handle_exception(ExceptionRefused(exc))
            response.data = {"detail": exc.message, "code": exc.code}
            return response
        return super().handle_exception(exc)

    def list(self, request, *args, **kwargs):
        # As the base list, but only items that concern a client name one in the audit row.
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        audit_record(
            action=AuditAction.EXCEPTION_LISTED,
            detail={
                "client_ids": [str(i.client_id) for i in page if i.client_id],
                "exception_ids": [str(i.pk) for i in page],
                "query": self._query_params(),
            },
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _respond(self, item: ExceptionItem) -> Response:
        fresh = self.queryset.visible_to(self.request.user, Action.VIEW).filter(pk=item.pk).first()
        if fresh is None:
            raise Http404
        return Response(self.get_serializer(fresh).data)

    def _parse(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        description=(
            "Work the exception: `start`, `resolve` and `dismiss` (both need a `note`), `reopen`. Only the owner "
            "organization's owner team, its supervisors and its data stewards may. Send the `version` you loaded "
            "to be refused (409) if someone changed it meanwhile."
        ),
        request=ExceptionTransitionRequestSerializer,
        responses={200: ExceptionItemSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], access_action=Action.VIEW, url_path="transitions")
    def transitions(self, request, pk=None):
        item = self.get_object()
        data = self._parse(ExceptionTransitionRequestSerializer)
        updated = exception_transition(
            actor=request.user, item=item, name=data["name"], note=data.get("note", ""), version=data.get("version")
        )
        return self._respond(updated)

    @extend_schema(
        description="Assign the exception to a colleague who may work it, or to nobody (`assignee: null`).",
        request=ExceptionAssignRequestSerializer,
        responses={200: ExceptionItemSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], access_action=Action.VIEW, url_path="assign")
    def assign(self, request, pk=None):
        item = self.get_object()
        data = self._parse(ExceptionAssignRequestSerializer)
        updated = exception_assign(
            actor=request.user,
            item=item,
            assignee=_user_or_placeholder(data["assignee"]),
            version=data.get("version"),
        )
        return self._respond(updated)

    @extend_schema(
        description="The exception's timeline: raised, each step with its note, assignments and escalations.",
        responses={200: ExceptionEventSerializer(many=True), 404: NOT_FOUND},
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        access_action=Action.VIEW,
        url_path="events",
        filter_backends=[],
        pagination_class=None,
    )
    def events(self, request, pk=None):
        item = self.get_object()
        events = exception_events(actor=request.user, item=item)
        audit_record(action=AuditAction.EXCEPTION_VIEWED, subtype="events", target=item, client_id=item.client_id)
        return Response(ExceptionEventSerializer(events, many=True).data)
