"""drf-spectacular extensions for the referral API's fields (imported from `ReferralsConfig.ready`)."""

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_description_list


class NamedChoiceFieldSchema(OpenApiSerializerFieldExtension):
    """One enum component per choice set, named by the field, wherever the choice set appears."""

    target_class = "referrals.api.serializers.NamedChoiceField"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        values = [value for value in field.choices if value not in ("", None)]
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={
                "type": "string",
                "enum": values,
                "description": build_choice_description_list(
                    [(k, v) for k, v in field.choices.items() if k not in ("", None)]
                ),
            },
        )
        auto_schema.registry.register_on_missing(component)
        if field.allow_blank:
            return {"oneOf": [component.ref, {"type": "string", "enum": [""]}]}
        return component.ref


class CodeListFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "referrals.api.serializers.CodeListField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "array", "items": {"type": "string", "enum": list(self.target.codes.values)}}


class ReferringOrganizationFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "referrals.api.serializers.ReferringOrganizationField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "description": "The referring agency's slug or id."}


class ReferralClientSchema(OpenApiSerializerExtension):
    """The client fields present depend on the caller's side; only `id` is always there."""

    target_class = "referrals.api.serializers.ReferralClientSerializer"

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["required"] = ["id"]
        schema["description"] = (
            "The client's details this caller may see: the referring agency gets the full contact record, the "
            "receiving provider and colleagues a referral is shared with get fewer fields."
        )
        return schema
