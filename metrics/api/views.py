"""`GET /api/v1/metrics/referrals/`: the referral performance numbers as JSON.

The numbers come from `metrics.selectors.referral_metrics` (the same as the dashboard's and the CSV's), over
`MeasuredReferral.objects.visible_to(user)`, this viewset's queryset and the metrics scope. Only
roles holding a metrics permission may call it (403 with a message otherwise). Each call writes one light
audit row (`metrics.viewed`, the parameters asked for, no client data).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.access import Action
from coordination.api.viewsets import AccessGenericViewSet
from providers.choices import SdohCategory
from referrals.choices import Urgency

from ..access import may_view_metrics
from ..definitions import BOTTLENECK_MIN_VOLUME, DEFAULT_PERIOD_DAYS, MAX_PERIOD_DAYS
from ..forms import MetricsFilterForm
from ..models import MeasuredReferral
from ..selectors import referral_metrics
from .serializers import MetricsErrorSerializer, ReferralMetricsSerializer


class MayViewMetrics(BasePermission):
    message = (
        "Referral performance numbers are for supervisors, data stewards and governance leads; your role does not "
        "include them."
    )

    def has_permission(self, request, view) -> bool:
        return may_view_metrics(request.user)


def _param(name: str, type_, description: str, **extra) -> OpenApiParameter:
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, required=False, description=description, **extra)


PARAMETERS = [
    _param(
        "since",
        OpenApiTypes.DATE,
        f"First day of the period (YYYY-MM-DD, portal time zone). Default: {DEFAULT_PERIOD_DAYS - 1} days before "
        "`until`. The period selects referrals by the time they were sent.",
    ),
    _param("until", OpenApiTypes.DATE, f"Last day, included. Default: today. At most {MAX_PERIOD_DAYS} days."),
    _param("receiving_organization", OpenApiTypes.UUID, "Only referrals sent to this organization."),
    _param("referring_organization", OpenApiTypes.UUID, "Only referrals sent by this agency."),
    _param(
        "category", OpenApiTypes.STR, "Only referrals for this need (SDOH category code).", enum=SdohCategory.values
    ),
    _param("urgency", OpenApiTypes.STR, "Only referrals of this urgency.", enum=Urgency.values),
    _param(
        "min_volume",
        OpenApiTypes.INT,
        f"Bottlenecks: rank only needs and providers with at least this many sent referrals (default "
        f"{BOTTLENECK_MIN_VOLUME}).",
    ),
]


class ReferralMetricsViewSet(AccessGenericViewSet):
    queryset = MeasuredReferral.objects.all()
    # One summary object, not a list: `summary` (not `list`) so the schema does not document an array.
    access_action = Action.VIEW
    permission_classes = [IsAuthenticated, MayViewMetrics]
    filter_backends = []
    filterset_class = None
    pagination_class = None

    @extend_schema(
        operation_id="metrics_referrals",
        summary="Referral performance numbers",
        description=(
            "Counts, rates (fractions 0-1, null when the denominator is 0) and durations (seconds; median and "
            "90th percentile, null when nothing was measured) of the referrals sent in the period, within the "
            "caller's scope: an organization's supervisors and data stewards get the referrals their "
            "organization sent or received, governance leads the whole network. The definitions (start and "
            "stop events, exclusions) are on the dashboard's Definitions section; `definitions_version` names "
            "the version they were computed with. Case managers, intake workers and partner systems get 403."
        ),
        parameters=PARAMETERS,
        responses={
            200: OpenApiResponse(
                ReferralMetricsSerializer, description="The numbers, their period, filters and scope."
            ),
            400: OpenApiResponse(MetricsErrorSerializer, description="Invalid parameters, a message per parameter."),
            403: OpenApiResponse(MetricsErrorSerializer, description="The caller's role has no metrics."),
        },
        tags=["metrics"],
    )
    def summary(self, request, *args, **kwargs):
        form = MetricsFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            errors = form.errors.get_json_data()
            raise ValidationError({name: [error["message"] for error in found] for name, found in errors.items()})
        query = form.query()
        numbers = referral_metrics(actor=request.user, query=query)
        audit_record(
            action=AuditAction.METRICS_VIEWED,
            subtype="api",
            detail={"query": query.as_params(), "network": numbers["scope"]["network"]},
        )
        return Response(ReferralMetricsSerializer(numbers).data)
