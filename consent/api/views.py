"""Consent over the API: a client's consents (`/clients/{client_pk}/consents/`), one consent, its revocation,
and break-the-glass emergency accesses (`/break-glass/`).

Thin views over `consent.services`; access and audit come from the base viewset. The client in the
path is looked up through `Client.objects.visible_to` (404 when hidden, and the hidden read audited like
any other); consents come from the base `get_queryset`, so only the custodian organization's staff and
its governance leads ever see one. Emergency accesses are started and ended by `consent.break_glass`;
refused starts are audited here.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from audit.choices import AuditAction
from audit.services import audit_hidden_object, audit_record
from clients.models import Client
from coordination.access import Action
from coordination.api.viewsets import AccessGenericViewSet, AuditReads
from providers.access import holds_permission

from ..break_glass import break_glass_end, break_glass_start
from ..models import BreakGlassAccess, Consent, ConsentProvision
from ..services import consent_mark_entered_in_error, consent_record, consent_revoke
from ..views import audit_break_glass_refused
from .serializers import (
    BreakGlassSerializer,
    BreakGlassStartSerializer,
    ConsentCreateSerializer,
    ConsentErrorSerializer,
    ConsentRevokeSerializer,
    ConsentSerializer,
    ConsentValidationErrorSerializer,
)

INVALID = OpenApiResponse(ConsentValidationErrorSerializer, description="Missing or invalid fields.")
FORBIDDEN = OpenApiResponse(description="Your role may read this client's consents but not record or revoke them.")
CLIENT_NOT_FOUND = OpenApiResponse(description="No such client, or not one you may see.")
NOT_FOUND = OpenApiResponse(description="No such consent, or not one you may see.")
CLIENT_PK = OpenApiParameter(
    "client_pk", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The client whose consents these are."
)


@extend_schema_view(
    list=extend_schema(
        description=(
            "The client's consents, newest first. Only staff of the client's own organization (the custodian) and "
            "its governance leads see them. Each call is recorded in the audit trail."
        ),
        parameters=[CLIENT_PK],
        responses={200: ConsentSerializer(many=True), 404: CLIENT_NOT_FOUND},
    ),
    create=extend_schema(
        description=(
            "Record a consent the client gave (or refused), with its permit and deny provisions. Send JSON, or "
            "multipart/form-data with the `signed_form` file (PDF, PNG or JPEG) and `provisions` as a JSON string. "
            "Only staff of the client's own organization may record consent."
        ),
        parameters=[CLIENT_PK],
        request={"application/json": ConsentCreateSerializer, "multipart/form-data": ConsentCreateSerializer},
        responses={201: ConsentSerializer, 400: INVALID, 403: FORBIDDEN, 404: CLIENT_NOT_FOUND},
    ),
    retrieve=extend_schema(
        description="One consent. Recorded in the audit trail.",
        responses={200: ConsentSerializer, 404: NOT_FOUND},
    ),
)
class ConsentViewSet(AccessGenericViewSet):
    queryset = (
        Consent.objects.select_related("organization", "recorded_by", "revoked_by")
        .prefetch_related(
            Prefetch("provisions", queryset=ConsentProvision.objects.prefetch_related("organizations").order_by("id"))
        )
        .order_by("-date", "-created_at", "id")
    )
    serializer_class = ConsentSerializer
    parser_classes = [JSONParser, MultiPartParser]
    filter_backends = []
    filterset_class = None  # the base reads it to name the query parameters in the audit row
    audit_reads = AuditReads(
        listed=AuditAction.CONSENT_LISTED, viewed=AuditAction.CONSENT_VIEWED, client_id=lambda c: c.client_id
    )

    def _client(self) -> Client:
        """The client in the path, if the caller may see it; otherwise 404 (and the hidden read audited)."""
        client_pk = self.kwargs["client_pk"]
        try:
            client = (
                Client.objects.visible_to(self.request.user, Action.VIEW)
                .select_related("organization")
                .filter(pk=client_pk)
                .first()
            )
        except (ValidationError, ValueError, TypeError):
            client = None
        if client is None:
            audit_hidden_object(Client, pk=client_pk)
            raise Http404
        return client

    def _respond(self, consent: Consent, status_code: int = status.HTTP_200_OK) -> Response:
        """The consent after a write, read back through the access layer like any other read."""
        fresh = self.queryset.visible_to(self.request.user, Action.VIEW).filter(pk=consent.pk).first()
        if fresh is None:
            raise Http404
        return Response(self.get_serializer(fresh).data, status=status_code)

    def list(self, request, *args, **kwargs):
        client = self._client()
        queryset = self.get_queryset().filter(client_id=client.pk)
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        # One row per request, naming the client even when it has no consent the caller may see.
        audit_record(
            action=AuditAction.CONSENT_LISTED,
            client_id=client.pk,
            detail={
                "client_ids": [str(client.pk)],
                "consent_ids": [str(consent.pk) for consent in rows],
                "query": self._query_params(),
            },
        )
        serializer = self.get_serializer(rows, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def create(self, request, *args, **kwargs):
        client = self._client()
        if not holds_permission(request.user, "consent.add_consent", client.organization):
            raise PermissionDenied("Only staff of the client's own organization can record their consent.")
        serializer = ConsentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        consent = consent_record(actor=request.user, client=client, **serializer.validated_data)
        return self._respond(consent, status.HTTP_201_CREATED)

    @extend_schema(
        description=(
            "Withdraw the consent (it becomes inactive at once; the earlier version stays in its history). Only "
            "active or draft consents can be revoked. Staff of the custodian organization only."
        ),
        request=ConsentRevokeSerializer,
        responses={200: ConsentSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], access_action=Action.CHANGE, parser_classes=[JSONParser])
    def revoke(self, request, *args, **kwargs):
        consent = self.get_object()
        serializer = ConsentRevokeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        revoked = consent_revoke(actor=request.user, consent=consent, **serializer.validated_data)
        return self._respond(revoked)

    @extend_schema(
        description=(
            "Mark a consent recorded by mistake (wrong client, recorded twice) as entered in error: it stays on "
            "file, in its history, and permits nothing from now on. Staff of the custodian organization only."
        ),
        request=ConsentErrorSerializer,
        responses={200: ConsentSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], access_action=Action.CHANGE, parser_classes=[JSONParser])
    def entered_in_error(self, request, *args, **kwargs):
        consent = self.get_object()
        serializer = ConsentErrorSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        marked = consent_mark_entered_in_error(actor=request.user, consent=consent, **serializer.validated_data)
        return self._respond(marked)


BREAK_GLASS_FORBIDDEN = OpenApiResponse(
    description="Your role may not break the glass, or you see no referral for that client (`detail` says which)."
)
NO_REFERRAL = "Emergency access opens withheld data on a referral you can see; there is none."


@extend_schema_view(
    list=extend_schema(
        description=(
            "Emergency accesses: your own, and (for governance leads) those on their organization's clients, "
            "newest first."
        ),
        responses={200: BreakGlassSerializer(many=True)},
    ),
    create=extend_schema(
        description=(
            "Break the glass: for `minutes` (5 to 240, default 60), requests you send with "
            "`X-Purpose-Of-Use: BTG` see the client's data that consent withholds on referrals you can already see "
            "(substance-use data under 42 CFR Part 2 stays withheld). Needs a care role, a referral for the client "
            "and a reason of at least 15 characters. Recorded in the audit trail; the client's organization's "
            "governance leads are emailed."
        ),
        request=BreakGlassStartSerializer,
        responses={201: BreakGlassSerializer, 400: INVALID, 403: BREAK_GLASS_FORBIDDEN},
    ),
)
class BreakGlassViewSet(AccessGenericViewSet):
    # The typed reasons can describe the client: reading them is a read of client data.
    audit_reads = AuditReads(
        listed=AuditAction.BREAK_GLASS_LISTED, viewed=AuditAction.BREAK_GLASS_VIEWED, client_id=lambda a: a.client_id
    )
    queryset = BreakGlassAccess.objects.select_related("user").order_by("-started_at", "id")
    serializer_class = BreakGlassSerializer
    parser_classes = [JSONParser]
    filter_backends = []
    filterset_class = None

    def _respond(self, access: BreakGlassAccess, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.queryset.visible_to(self.request.user, Action.VIEW).filter(pk=access.pk).first()
        if fresh is None:
            raise Http404
        return Response(self.get_serializer(fresh).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = BreakGlassStartSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # A missing client gets the same refusal as one without a referral the caller sees.
        client = Client.objects.filter(pk=data["client"]).first()
        try:
            if client is None:
                raise DjangoPermissionDenied(NO_REFERRAL)
            access = break_glass_start(
                actor=request.user, client=client, reason=data["reason"], minutes=data["minutes"]
            )
        except DjangoPermissionDenied as refused:
            audit_break_glass_refused(client.pk if client else None, data["client"], refused)
            raise PermissionDenied(str(refused)) from None
        return self._respond(access, status.HTTP_201_CREATED)

    @extend_schema(
        description=(
            "End your emergency access now (ending one that already ended or expired changes nothing). Only the "
            "person who started it can end it. Recorded in the audit trail."
        ),
        request=None,
        responses={
            200: BreakGlassSerializer,
            403: OpenApiResponse(description="Someone else started it."),
            404: OpenApiResponse(description="No such emergency access, or not one you may see."),
        },
    )
    @action(detail=True, methods=["post"], access_action=Action.VIEW, parser_classes=[JSONParser])
    def end(self, request, *args, **kwargs):
        # VIEW: the policy lets no one change an access directly; the service checks it is the caller's own.
        ended = break_glass_end(actor=request.user, access=self.get_object())
        return self._respond(ended)
