"""`/api/v1/webhook-endpoints/`: an organization's supervisors manage its partner webhook endpoints.

Thin views over `webhooks.services`; the base viewset decides visibility (another organization's endpoint
answers 404 like a missing one; a visible endpoint the caller may not change answers 403). The secret is
returned on creation and rotation only, with `Cache-Control: no-store`.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from coordination.access import Action
from coordination.api.viewsets import AccessModelViewSet
from providers.access import organizations_granting
from providers.models import Organization

from ..access import governs_webhooks
from ..choices import DeliveryStatus
from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ..services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from .serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSecretSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWriteSerializer,
    WebhookErrorSerializer,
)

INVALID = OpenApiResponse(WebhookErrorSerializer, description="Missing or invalid fields (the URL, the events).")
FORBIDDEN = OpenApiResponse(WebhookErrorSerializer, description="Your role does not manage webhook endpoints.")
NOT_FOUND = OpenApiResponse(description="No such endpoint, or not one of your organization's.")
NO_FILTERS = {"filter_backends": []}


def _no_store(response: Response) -> Response:
    response["Cache-Control"] = "no-store"
    return response


@extend_schema_view(
    list=extend_schema(description="Your organization's webhook endpoints (governance: every organization's)."),
    retrieve=extend_schema(
        description="One endpoint (never its secret).", responses={200: WebhookEndpointSerializer, 404: NOT_FOUND}
    ),
    create=extend_schema(
        description=(
            "Add an endpoint. The response carries the signing secret (`whsec_...`) this once. Deliveries follow "
            "Standard Webhooks 1.0: `webhook-id`, `webhook-timestamp`, `webhook-signature` headers."
        ),
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointSecretSerializer, 400: INVALID, 403: FORBIDDEN},
    ),
    partial_update=extend_schema(
        description="Change the URL, description, subscribed events or the active flag.",
        request=WebhookEndpointWriteSerializer,
        responses={200: WebhookEndpointSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        description="Delete the endpoint: nothing more is sent to it. Its delivery log stays with governance.",
        responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
)
class WebhookEndpointViewSet(AccessModelViewSet):
    queryset = WebhookEndpoint.objects.select_related("organization").order_by("organization__name", "created_at", "id")
    serializer_class = WebhookEndpointSerializer
    filter_backends = []
    filterset_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _respond(self, endpoint: WebhookEndpoint, status_code=status.HTTP_200_OK, *, secret: str | None = None):
        fresh = self.queryset.visible_to(self.request.user, Action.VIEW).filter(pk=endpoint.pk).first()
        if fresh is None:
            raise Http404
        if secret is None:
            return Response(WebhookEndpointSerializer(fresh).data, status=status_code)
        fresh.secret = secret
        return _no_store(Response(WebhookEndpointSecretSerializer(fresh).data, status=status_code))

    def _organization(self, slug: str | None) -> Organization:
        user = self.request.user
        manageable = Organization.objects.filter(active=True)
        if not governs_webhooks(user):
            manageable = manageable.filter(pk__in=organizations_granting(user, "webhooks.add_webhookendpoint"))
        if not manageable.exists():
            raise PermissionDenied("Your role does not allow adding webhook endpoints.")
        if slug:
            organization = manageable.filter(slug=slug).first()
            if organization is None:
                raise ValidationError({"organization": ["Not an organization whose endpoints you manage."]})
            return organization
        candidates = list(manageable[:2])
        if len(candidates) > 1:
            raise ValidationError({"organization": ["Say which organization (its slug): you manage several."]})
        return candidates[0]

    def create(self, request, *args, **kwargs):
        data = dict(self._valid(WebhookEndpointCreateSerializer, request.data))
        organization = self._organization(data.pop("organization", None))
        endpoint, secret = webhook_endpoint_create(actor=request.user, organization=organization, **data)
        return self._respond(endpoint, status.HTTP_201_CREATED, secret=secret)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            self.http_method_not_allowed(request)
        endpoint = self.get_object()
        data = self._valid(WebhookEndpointWriteSerializer, request.data, partial=True)
        return self._respond(webhook_endpoint_update(actor=request.user, endpoint=endpoint, **data))

    def destroy(self, request, *args, **kwargs):
        webhook_endpoint_delete(actor=request.user, endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _valid(self, serializer_class, data, **kwargs) -> dict:
        serializer = serializer_class(data=data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        description=(
            "Replace the signing secret. The response shows the new secret this once; for 24 hours deliveries "
            "carry a second signature made with the old one, so the partner can switch without losing events."
        ),
        request=None,
        responses={200: WebhookEndpointSecretSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", access_action=Action.CHANGE)
    def rotate_secret(self, request, pk=None):
        endpoint, secret = webhook_endpoint_rotate_secret(actor=request.user, endpoint=self.get_object())
        return self._respond(endpoint, secret=secret)

    @extend_schema(
        description="The endpoint's deliveries, newest first, each with its attempts (time, status code or error).",
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=DeliveryStatus.values, description="Only deliveries in this state."
            )
        ],
        responses={200: WebhookDeliverySerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], access_action=Action.VIEW, **NO_FILTERS)
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        deliveries = (
            WebhookDelivery.objects.visible_to(request.user, Action.VIEW)
            .filter(endpoint=endpoint)
            .prefetch_related(Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("number")))
            .order_by("-created_at", "id")
        )
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in DeliveryStatus.values:
                raise ValidationError({"status": [f"One of: {', '.join(DeliveryStatus.values)}."]})
            deliveries = deliveries.filter(status=wanted)
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
