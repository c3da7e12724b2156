from drf_spectacular.utils import extend_schema, extend_schema_view

from coordination.api.viewsets import AccessReadOnlyViewSet
from providers.filters import OrganizationFilter, ServiceFilter
from providers.models import Organization
from providers.selectors import directory_services

from .serializers import OrganizationSerializer, ServiceSerializer


@extend_schema_view(
    list=extend_schema(description="Organizations in the directory (agencies and providers)."),
    retrieve=extend_schema(description="One organization."),
)
class OrganizationViewSet(AccessReadOnlyViewSet):
    queryset = Organization.objects.filter(active=True)
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter


@extend_schema_view(
    list=extend_schema(
        description=(
            "Directory search. Ranked best match first: serves the postal code (listed directly, then via its "
            "county), speaks the language (natively, then through interpretation), has capacity, verified in the "
            "last 12 months. Defunct and inactive services are left out unless `status` asks for them."
        )
    ),
    retrieve=extend_schema(description="One service."),
)
class ServiceViewSet(AccessReadOnlyViewSet):
    queryset = directory_services()
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
