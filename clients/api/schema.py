from drf_spectacular.extensions import OpenApiSerializerFieldExtension


class OrganizationFieldSchema(OpenApiSerializerFieldExtension):
    """Clients read `organization` as an object and write it as a slug or id."""

    target_class = "clients.api.serializers.OrganizationField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {"type": "string", "description": "The owning organization's slug or id."}
        from providers.api.serializers import OrganizationSummarySerializer

        return auto_schema.resolve_serializer(OrganizationSummarySerializer, direction).ref
