"""Who reads notifications: each user their own, nobody else's (another user's id answers 404)."""

from __future__ import annotations

from django.db.models import Q

from coordination.access import NOTHING, AccessPolicy, Action, register

from .models import ConsentExpiryNotice, Notification, NotificationEmail


@register(Notification)
class NotificationPolicy(AccessPolicy):
    """Read and mark read your own; notifications are created only by the outbox handler."""

    def q(self, user, action: Action) -> Q:
        if action in (Action.VIEW, Action.CHANGE):
            return Q(recipient_id=user.pk)
        return NOTHING


@register(NotificationEmail)
class NotificationEmailPolicy(AccessPolicy):
    """Delivery bookkeeping, read by nobody through the portal."""

    def q(self, user, action: Action) -> Q:
        return NOTHING


@register(ConsentExpiryNotice)
class ConsentExpiryNoticePolicy(AccessPolicy):
    """Bookkeeping of the expiry sweep."""

    def q(self, user, action: Action) -> Q:
        return NOTHING
