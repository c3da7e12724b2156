"""drf-spectacular extensions for the consent API's fields (imported from `ConsentConfig.ready`)."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_description_list


class ConsentCodeListFieldSchema(OpenApiSerializerFieldExtension):
    """A list of codes from one code system, documented with the codes."""

    target_class = "consent.api.serializers.ConsentCodeListField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "array", "items": {"type": "string", "enum": list(self.target.codes.values)}}


class ProvisionOrganizationFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "consent.api.serializers.ProvisionOrganizationField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "description": "An active organization's slug."}


class ConsentChoiceFieldSchema(OpenApiSerializerFieldExtension):
    """One enum component per choice set, named by the field, wherever the choice set appears."""

    target_class = "consent.api.serializers.ConsentChoiceField"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        choices = [(value, label) for value, label in field.choices.items() if value not in ("", None)]
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={
                "type": "string",
                "enum": [value for value, _ in choices],
                "description": build_choice_description_list(choices),
            },
        )
        auto_schema.registry.register_on_missing(component)
        if field.allow_blank:
            return {"oneOf": [component.ref, {"type": "string", "enum": [""]}]}
        return component.ref
