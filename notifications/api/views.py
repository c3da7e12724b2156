"""`/api/v1/notifications/`: the caller's own notifications (anyone else's answers 404)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from coordination.access import Action
from coordination.api.viewsets import AccessGenericViewSet

from ..models import Notification
from ..services import notification_mark_read, notifications_mark_all_read
from .serializers import MarkedReadSerializer, NotificationSerializer


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="Only unread (true)")

    class Meta:
        model = Notification
        fields = ["unread", "event"]


@extend_schema_view(
    list=extend_schema(
        description=(
            "Your own notifications, newest first: the event, the referral it is about, when, whether you read it, "
            "and a short text without client details. `?unread=true` lists only unread ones; `?event=` filters."
        ),
    ),
)
class NotificationViewSet(AccessGenericViewSet):
    queryset = Notification.objects.select_related("referral").order_by("-created_at", "-id")
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    parser_classes = [JSONParser]

    @extend_schema(
        request=None,
        responses={
            200: NotificationSerializer,
            404: OpenApiResponse(description="Not one of your notifications."),
        },
        description="Mark one of your notifications read (marking it again changes nothing).",
    )
    @action(detail=True, methods=["post"], access_action=Action.CHANGE, url_path="read")
    def read(self, request, pk=None):
        notification = notification_mark_read(actor=request.user, notification_id=self.get_object().pk)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses={200: MarkedReadSerializer},
        description="Mark all your unread notifications read.",
    )
    @action(detail=False, methods=["post"], access_action=Action.CHANGE, url_path="read-all")
    def read_all(self, request):
        return Response({"marked_read": notifications_mark_all_read(actor=request.user)})
