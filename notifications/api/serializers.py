from rest_framework import serializers

from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.BooleanField(read_only=True, help_text="Whether you marked it read.")
    referral = serializers.UUIDField(source="referral_id", read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "event", "referral", "created_at", "read", "text"]
        read_only_fields = fields


class MarkedReadSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField(help_text="How many notifications were marked read.")
