"""Notification routes, spelled out (list, mark one read, mark all read: no detail or writes)."""

from django.urls import re_path

from .views import NotificationViewSet


def _view(actions: dict[str, str], **initkwargs):
    return NotificationViewSet.as_view(actions, basename="notification", **initkwargs)


urlpatterns = [
    re_path(r"^notifications/$", _view({"get": "list"}, detail=False), name="notification-list"),
    re_path(
        r"^notifications/read-all/$",
        _view({"post": "read_all"}, **NotificationViewSet.read_all.kwargs),
        name="notification-read-all",
    ),
    re_path(
        r"^notifications/(?P<pk>[^/.]+)/read/$",
        _view({"post": "read"}, **NotificationViewSet.read.kwargs),
        name="notification-read",
    ),
]
