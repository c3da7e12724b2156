"""`/api/v1/referrals/{referral_pk}/escalations/`: the escalation ladder of a referral, and acknowledging a rung.

The referral in the path is looked up through `Referral.objects.visible_to` (404 when hidden, the hidden read
audited); escalations come from the base `get_queryset`. Acknowledging is `sla.services.escalation_acknowledge`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from audit.services import audit_hidden_object
from coordination.access import Action
from coordination.api.viewsets import AccessGenericViewSet
from referrals.models import Referral

from ..errors import AlreadyAcknowledged, EscalationNotFound, NotNotified, SlaError
from ..models import SlaEscalation
from ..services import escalation_acknowledge
from .serializers import SlaEscalationSerializer, SlaRefusalSerializer

REFERRAL_PK = OpenApiParameter(
    "referral_pk", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The referral the escalations belong to."
)
NOT_FOUND = OpenApiResponse(description="No such referral or escalation, or not one you may see.")
REFUSED = OpenApiResponse(SlaRefusalSerializer, description="Not notified (403), or acknowledged already (409).")


@extend_schema_view(
    list=extend_schema(
        description=(
            "The referral's escalations, oldest first: level 1 at a missed response target (the provider's intake "
            "team and supervisors, the assigned worker and the case manager are told), level 2 when it is still "
            "missed after a second interval (the county supervisors are told and re-routing is suggested)."
        ),
        parameters=[REFERRAL_PK],
        responses={200: SlaEscalationSerializer(many=True), 404: NOT_FOUND},
    )
)
class SlaEscalationViewSet(AccessGenericViewSet):
    queryset = SlaEscalation.objects.select_related("acknowledged_by").order_by("created_at", "level")
    serializer_class = SlaEscalationSerializer
    filter_backends = []
    filterset_class = None
    pagination_class = None  # two rungs per stage at most

    def _referral(self) -> Referral:
        referral_pk = self.kwargs["referral_pk"]
        try:
            referral = Referral.objects.visible_to(self.request.user, Action.VIEW).filter(pk=referral_pk).first()
        except (ValidationError, ValueError, TypeError):
            referral = None
        if referral is None:
            audit_hidden_object(Referral, pk=referral_pk)
            raise Http404
        return referral

    def list(self, request, *args, **kwargs):
        referral = self._referral()
        rows = self.get_queryset().filter(referral_id=referral.pk)
        return Response(self.get_serializer(rows, many=True).data)

    @extend_schema(
        description=(
            "Acknowledge an escalation: you have seen it and are on it. Only someone it notified may, once; the "
            "acknowledgement is recorded in the audit trail."
        ),
        parameters=[REFERRAL_PK, OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        request=None,
        responses={200: SlaEscalationSerializer, 403: REFUSED, 404: NOT_FOUND, 409: REFUSED},
    )
    @action(detail=True, methods=["post"], access_action=Action.VIEW)
    def acknowledge(self, request, referral_pk=None, pk=None):
        try:
            escalation = escalation_acknowledge(actor=request.user, escalation_id=pk, referral_id=self._referral().pk)
        except EscalationNotFound:
            raise Http404 from None
        except (NotNotified, AlreadyAcknowledged) as refused:
            return self._refused(refused)
        return Response(self.get_serializer(escalation).data)

    @staticmethod
    def _refused(error: SlaError) -> Response:
        code = status.HTTP_403_FORBIDDEN if isinstance(error, NotNotified) else status.HTTP_409_CONFLICT
        return Response({"detail": error.message, "code": error.code}, status=code)
