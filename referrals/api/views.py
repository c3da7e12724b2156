"""`/api/v1/referrals/`: thin views over the referral services; access and audit come from the base viewset.

Every detail route looks the referral up with `Action.VIEW` (a provider must reach a referral sent to it)
and leaves the side and state rules to the services, whose refusals map to 403 (`WrongSide`), 409
(`TransitionConflict`) and 404 (`ReferralNotFound`).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.response import Response

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.access import Action
from coordination.api.viewsets import AccessModelViewSet, AuditReads
from providers.access import organizations_granting
from providers.models import Organization
from sla.selectors import REFERRAL_PREFETCH as SLA_PREFETCH

from ..access import ReferralActor
from ..assignment import referral_assign_case_manager, referral_assign_worker, referral_share, referral_unshare
from ..choices import Side
from ..disclosure import audit_disclosure, audit_listing, disclosure_preview, referral_disclosure, shown_note
from ..errors import ConsentRequired, ReferralError, ReferralNotFound, TransitionConflict, WrongSide
from ..filters import ReferralFilter
from ..models import Referral
from ..routing import routing_options
from ..selectors import LIST_RELATED, referral_timeline
from ..services import referral_create, referral_reroute, referral_transition, referral_update_draft
from ..validation.rejection import TemplateRejected
from .serializers import (
    AssignRequestSerializer,
    DisclosurePreviewSerializer,
    ReferralCreateSerializer,
    ReferralEventSerializer,
    ReferralRefusalSerializer,
    ReferralSerializer,
    ReferralUpdateSerializer,
    RerouteRequestSerializer,
    RoutingOptionSerializer,
    RoutingQuerySerializer,
    ShareRequestSerializer,
    ShareSerializer,
    TransitionRequestSerializer,
    UnshareRequestSerializer,
)
from .validation import TemplateRejectionSerializer, rejection_body

REFUSAL_STATUS = {
    WrongSide: status.HTTP_403_FORBIDDEN,
    ConsentRequired: status.HTTP_403_FORBIDDEN,
    TransitionConflict: status.HTTP_409_CONFLICT,
}

INVALID = OpenApiResponse(
    TemplateRejectionSerializer,
    description="Missing, invalid or contradictory fields, or warnings to confirm (`confirm_warnings`).",
)
FORBIDDEN = OpenApiResponse(ReferralRefusalSerializer, description="This step belongs to the other side or role.")
CONFLICT = OpenApiResponse(
    ReferralRefusalSerializer, description="Not possible in the referral's current state, or it changed since loaded."
)
NOT_FOUND = OpenApiResponse(description="No such referral, or not one you may see.")
WRITE_ERRORS = {400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT}
HOLDER_ERRORS = {400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND}
NO_FILTERS = {"filter_backends": [], "pagination_class": None}


class ReferralRefused(APIException):
    def __init__(self, error: ReferralError):
        self.status_code = REFUSAL_STATUS.get(type(error), status.HTTP_409_CONFLICT)
        super().__init__(detail=error.message, code=error.code)


def _user_or_placeholder(user_id: int):
    """The user with this id, or an unsaved stand-in the services refuse like any non-colleague.

    So an unknown id gets the same answer as a real user who does not qualify: ids do not leak.
    """
    user_model = get_user_model()
    return user_model.objects.filter(pk=user_id).first() or user_model(pk=user_id, is_active=False)


@extend_schema_view(
    list=extend_schema(
        description=(
            "Referrals you may see: those of your agency, those sent to your provider, and those assigned to or "
            "shared with you. Each call is recorded in the audit trail with the clients listed."
        )
    ),
    retrieve=extend_schema(
        description="One referral, with what you may do next. Recorded in the audit trail.",
        responses={200: ReferralSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        description=(
            'Create a draft referral, or send it at once with `"submit": true` (a service is then required). '
            "Only referring agency staff may create referrals. Sending runs the template's rules: errors answer 400 "
            "with `errors` per field and `error_codes`; warnings alone answer 400 with `warnings` (by code) unless "
            'the request carries `"confirm_warnings": true`.'
        ),
        request=ReferralCreateSerializer,
        responses={201: ReferralSerializer, 400: INVALID, 403: FORBIDDEN},
    ),
    partial_update=extend_schema(
        description="Edit a draft's template or service. Sent referrals answer 409; a stale `version` answers 409.",
        request=ReferralUpdateSerializer,
        responses={200: ReferralSerializer, **WRITE_ERRORS},
    ),
)
class ReferralViewSet(AccessModelViewSet):
    queryset = (
        Referral.objects.select_related(*LIST_RELATED).prefetch_related(*SLA_PREFETCH).order_by("-created_at", "id")
    )
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    audit_reads = AuditReads(
        listed=AuditAction.REFERRAL_LISTED, viewed=AuditAction.REFERRAL_VIEWED, client_id=lambda r: r.client_id
    )

    def handle_exception(self, exc):
        if isinstance(exc, TemplateRejected):
            # The template's rules: errors per field with their codes, and warnings to confirm.
            return Response(rejection_body(exc), status=status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, ReferralNotFound):
            return super().handle_exception(Http404())
        if isinstance(exc, ReferralError):
            response = super().handle_exception(ReferralRefused(exc))
            response.data = {"detail": exc.message, "code": exc.code}
            return response
        return super().handle_exception(exc)

    def _respond(self, referral: Referral, status_code: int = status.HTTP_200_OK) -> Response:
        """The referral after a write, read back through the access layer like any other read."""
        fresh = self.queryset.visible_to(self.request.user, Action.VIEW).filter(pk=referral.pk).first()
        if fresh is None:  # the write took away the caller's own access: say nothing more about it
            raise Http404
        return Response(self.get_serializer(fresh).data, status=status_code)

    def _write_serializer(self, serializer_class, *args, **kwargs):
        serializer = serializer_class(*args, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer

    # --- create and edit ---------------------------------------------------------------------------------

    def create(self, request, *args, **kwargs):
        agencies = Organization.objects.filter(
            kind="agency", pk__in=organizations_granting(request.user, "referrals.add_referral")
        )
        if not agencies.exists():
            raise PermissionDenied("Your role does not allow making referrals.")
        data = dict(
            self._write_serializer(ReferralCreateSerializer, data=request.data, agencies=agencies).validated_data
        )
        referral = referral_create(
            actor=request.user,
            client=data.pop("client"),
            service=data.pop("service", None),
            referring_organization=data.pop("referring_organization", None),
            submit=data.pop("submit", False),
            confirm_warnings=data.pop("confirm_warnings", False),
            data=data,
        )
        return self._respond(referral, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            self.http_method_not_allowed(request)
        referral = self.get_object()
        data = dict(
            self._write_serializer(ReferralUpdateSerializer, referral, data=request.data, partial=True).validated_data
        )
        expected_version = data.pop("version", None)
        related = {"service": data.pop("service")} if "service" in data else {}
        updated = referral_update_draft(
            actor=request.user, referral=referral, data=data, expected_version=expected_version, **related
        )
        return self._respond(updated)

    # --- workflow ----------------------------------------------------------------------------------------

    @extend_schema(
        description=(
            "Move the referral along the workflow. `name` is one of the referral's `allowed_transitions`; "
            "decline/hold/cancel take `reason_code`, close takes `outcome_code`, record_contact_attempt takes "
            "`contact_result`, schedule takes `appointment_at`; a code of `other` needs a `note`. Send the "
            "`version` you loaded to be refused (409) if someone changed the referral meanwhile. `submit` runs the "
            "template's rules: 400 with `errors` and `error_codes`, or with `warnings` to confirm by sending "
            '`"confirm_warnings": true`.'
        ),
        request=TransitionRequestSerializer,
        responses={200: ReferralSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], access_action=Action.VIEW, url_path="transitions")
    def transitions(self, request, pk=None):
        referral = self.get_object()
        serializer = self._write_serializer(TransitionRequestSerializer, data=request.data)
        updated = referral_transition(
            actor=request.user,
            referral=referral,
            name=serializer.validated_data["name"],
            expected_version=serializer.validated_data.get("version"),
            confirm_warnings=serializer.validated_data.get("confirm_warnings", False),
            **serializer.inputs(),
        )
        return self._respond(updated)

    # --- timeline and routing ----------------------------------------------------------------------------

    @extend_schema(
        description="The referral's timeline, oldest first. Recorded in the audit trail as a referral read.",
        responses={200: ReferralEventSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], access_action=Action.VIEW, **NO_FILTERS)
    def events(self, request, pk=None):
        referral = self.get_object()
        events = list(referral_timeline(actor=request.user, referral=referral))
        actor = ReferralActor(request.user)
        disclosure = referral_disclosure(referral, actor.sides(referral), actor.organization_ids)
        audit_disclosure(referral, disclosure, subtype="events")
        data = ReferralEventSerializer(events, many=True).data
        for event, row in zip(events, data, strict=True):
            row["note"] = shown_note(event, disclosure, actor.organization_ids)
        return Response(data)

    @extend_schema(
        description=(
            "Services for this referral's need, best first, each with the reasons for its rank (area, language, "
            "capacity, age fit, how recently the listing was verified). Only the referring agency may ask. "
            "Recorded in the audit trail as a referral read."
        ),
        parameters=[RoutingQuerySerializer],
        responses={200: RoutingOptionSerializer(many=True), 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], access_action=Action.VIEW, url_path="routing-options", **NO_FILTERS)
    def routing_options(self, request, pk=None):
        referral = self.get_object()
        if Side.REFERRER not in ReferralActor(request.user).sides(referral):
            raise WrongSide("Only the referring agency can look for services for this referral.")
        query = RoutingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        include_full = query.validated_data["include_full"]
        options = routing_options(actor=request.user, referral=referral, include_full=include_full)
        audit_record(
            action=AuditAction.REFERRAL_VIEWED,
            target=referral,
            client_id=referral.client_id,
            subtype="routing-options",
            detail={"include_full": include_full, "services": [str(o.service.pk) for o in options]},
        )
        return Response(RoutingOptionSerializer(options, many=True).data)

    @extend_schema(
        description=(
            "Exactly what the receiving organization will see when this referral is sent, data category by "
            "category, and under which consent; `complete` is false when sending would be refused "
            "(403 `consent_required`). Only the referring agency may ask. Recorded as a referral read."
        ),
        responses={200: DisclosurePreviewSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], access_action=Action.VIEW, url_path="disclosure-preview", **NO_FILTERS)
    def disclosure_preview(self, request, pk=None):
        referral = self.get_object()
        if Side.REFERRER not in ReferralActor(request.user).sides(referral):
            raise WrongSide("Only the referring agency can preview what this referral discloses.")
        preview = disclosure_preview(referral)
        audit_record(
            action=AuditAction.REFERRAL_VIEWED,
            target=referral,
            client_id=referral.client_id,
            subtype="disclosure-preview",
            purpose_of_use=preview.purpose,
            consents=preview.consents,
            detail={"recipient": str(preview.recipient.pk) if preview.recipient else None},
        )
        return Response(DisclosurePreviewSerializer(preview).data)

    def list(self, request, *args, **kwargs):
        # One audit row, with what consent withheld on which referral and the consents relied on.
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        serializer = self.get_serializer(rows, many=True)
        data = serializer.data
        audit_listing([(r, serializer.child.disclosure(r)) for r in rows], query=self._query_params())
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        # The read is audited with what consent let this caller see (and withheld), not just that it happened.
        referral = self.get_object()
        serializer = self.get_serializer(referral)
        data = serializer.data
        audit_disclosure(referral, serializer.disclosure(referral))
        return Response(data)

    @extend_schema(
        description=(
            "Start a new draft for another service from a declined or cancelled referral (once per referral). "
            "The new draft carries the same template and links back through `rerouted_from`."
        ),
        request=RerouteRequestSerializer,
        responses={201: ReferralSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], access_action=Action.VIEW)
    def reroute(self, request, pk=None):
        referral = self.get_object()
        serializer = self._write_serializer(RerouteRequestSerializer, data=request.data)
        new = referral_reroute(actor=request.user, referral=referral, service=serializer.validated_data["service"])
        return self._respond(new, status.HTTP_201_CREATED)

    # --- who holds it ------------------------------------------------------------------------------------

    @extend_schema(
        description=(
            "`worker`: a provider supervisor puts one of the provider's staff on the referral (null removes). "
            "`case_manager`: a county supervisor hands it to another case manager, or a case manager claims it."
        ),
        request=AssignRequestSerializer,
        responses={200: ReferralSerializer, **HOLDER_ERRORS},
    )
    @action(detail=True, methods=["post"], access_action=Action.VIEW)
    def assign(self, request, pk=None):
        referral = self.get_object()
        data = self._write_serializer(AssignRequestSerializer, data=request.data).validated_data
        with transaction.atomic():
            if "worker" in data:
                worker = None if data["worker"] is None else _user_or_placeholder(data["worker"])
                referral = referral_assign_worker(actor=request.user, referral=referral, worker=worker)
            if "case_manager" in data:
                case_manager = _user_or_placeholder(data["case_manager"])
                referral = referral_assign_case_manager(
                    actor=request.user, referral=referral, case_manager=case_manager
                )
        return self._respond(referral)

    @extend_schema(
        description=(
            "Share the referral read-only with one named colleague (often at another organization), optionally "
            "until `expires_at`. Referring agency case managers and supervisors only."
        ),
        request=ShareRequestSerializer,
        responses={201: ShareSerializer, **HOLDER_ERRORS},
    )
    @action(detail=True, methods=["post"], access_action=Action.VIEW)
    def shares(self, request, pk=None):
        referral = self.get_object()
        data = self._write_serializer(ShareRequestSerializer, data=request.data).validated_data
        grant = referral_share(
            actor=request.user,
            referral=referral,
            colleague=_user_or_placeholder(data["colleague"]),
            expires_at=data.get("expires_at"),
        )
        return Response(ShareSerializer(grant).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        description="Remove a colleague's share.",
        parameters=[OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The colleague.")],
        request=None,
        responses={204: None, **HOLDER_ERRORS},
    )
    @action(detail=True, methods=["delete"], access_action=Action.VIEW, url_path=r"shares/(?P<user_id>[0-9]+)")
    def unshare(self, request, pk=None, user_id=None):
        referral = self.get_object()
        referral_unshare(actor=request.user, referral=referral, colleague=_user_or_placeholder(int(user_id)))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        description="Remove a colleague's share (as DELETE .../shares/{user_id}/ does, for clients without DELETE).",
        request=UnshareRequestSerializer,
        responses={204: None, **HOLDER_ERRORS},
    )
    @action(detail=True, methods=["post"], access_action=Action.VIEW, url_path="shares/remove")
    def unshare_by_post(self, request, pk=None):
        referral = self.get_object()
        data = self._write_serializer(UnshareRequestSerializer, data=request.data).validated_data
        referral_unshare(actor=request.user, referral=referral, colleague=_user_or_placeholder(data["colleague"]))
        return Response(status=status.HTTP_204_NO_CONTENT)
