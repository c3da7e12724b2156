"""Reads of notifications: always the actor's own, through the access policy."""

from __future__ import annotations

from django.db.models import QuerySet

from coordination.access import Action

from .models import Notification


def notifications_for(*, actor, unread: bool = False) -> QuerySet:
    """The actor's notifications, newest first (with their referral for links)."""
    notifications = Notification.objects.visible_to(actor, Action.VIEW).select_related("referral", "message")
    if unread:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-id")


def unread_count(*, actor) -> int:
    return Notification.objects.visible_to(actor, Action.VIEW).filter(read_at__isnull=True).count()
