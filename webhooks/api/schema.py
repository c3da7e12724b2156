"""drf-spectacular extensions for the webhook API's choice fields (imported from `WebhooksConfig.ready`).

Each choice set is one named component, so other apps' `event` and `status` fields (other choice sets, or
the same set under another field name) never collide with these.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_description_list


class _NamedChoiceSchema(OpenApiSerializerFieldExtension):
    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        choices = list(field.choices.items())
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
        return component.ref


class EventFieldSchema(_NamedChoiceSchema):
    target_class = "webhooks.api.serializers.EventField"


class DeliveryStatusFieldSchema(_NamedChoiceSchema):
    target_class = "webhooks.api.serializers.DeliveryStatusField"
