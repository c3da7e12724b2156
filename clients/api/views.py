from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from audit.choices import AuditAction
from clients.filters import ClientFilter
from clients.models import Client
from clients.selectors import organizations_adding_clients
from clients.services import DuplicateClientError, client_create, client_update
from coordination.api.viewsets import AccessModelViewSet, AuditReads
from providers.access import holds_permission
from providers.models import Organization

from .disclosures import ClientDisclosuresMixin
from .serializers import ClientSerializer, DuplicateCandidatesSerializer


@extend_schema_view(
    list=extend_schema(description="Clients of your organization(s). Each call is recorded in the audit trail."),
    retrieve=extend_schema(description="One client. Recorded in the audit trail."),
    create=extend_schema(
        description=(
            "Create a client. Likely duplicates (same birth date and a similar name, or the same identifier) "
            'answer 409 with their ids unless the request says `"allow_duplicate": true`.'
        ),
        responses={201: ClientSerializer, 409: OpenApiResponse(DuplicateCandidatesSerializer)},
    ),
    update=extend_schema(description="Replace a client's details (identifiers and owner stay). Audited."),
    partial_update=extend_schema(description="Change some of a client's details. Audited."),
)
class ClientViewSet(ClientDisclosuresMixin, AccessModelViewSet):
    queryset = Client.objects.select_related("organization").prefetch_related("identifiers")
    serializer_class = ClientSerializer
    filterset_class = ClientFilter
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    audit_reads = AuditReads(
        listed=AuditAction.CLIENT_LISTED, viewed=AuditAction.CLIENT_VIEWED, client_id=lambda client: client.pk
    )

    def get_serializer(self, *args, **kwargs):
        kwargs["organizations"] = organizations_adding_clients(actor=self.request.user)
        return super().get_serializer(*args, **kwargs)

    def create(self, request, *args, **kwargs):
        if not holds_permission(request.user, "clients.add_client"):
            raise PermissionDenied("Your role does not allow adding clients.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organization = data.pop("organization", None) or self._default_organization()
        try:
            client = client_create(
                actor=request.user,
                organization=organization,
                data=data,
                identifiers=data.pop("identifiers", []),
                allow_duplicate=data.pop("allow_duplicate", False),
            )
        except DuplicateClientError as duplicate:
            return Response(
                {
                    "detail": (
                        "Likely duplicate of an existing client. "
                        "Send allow_duplicate: true if this is a different person."
                    ),
                    "candidates": [str(c.pk) for c in duplicate.candidates],
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(self.get_serializer(client).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "organization" in data and data["organization"] != instance.organization:
            raise ValidationError({"organization": ["A client's owning organization cannot be changed."]})
        if "identifiers" in data:
            raise ValidationError({"identifiers": ["Identifiers cannot be changed through an update."]})
        client = client_update(actor=request.user, client=instance, data=data)
        return Response(self.get_serializer(client).data)

    def _default_organization(self) -> Organization:
        organizations = list(self.get_serializer().fields["organization"].queryset[:2])
        if len(organizations) != 1:
            raise PermissionDenied(
                "Say which organization owns this client."
                if organizations
                else "Your role does not allow adding clients."
            )
        return organizations[0]
