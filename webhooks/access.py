"""Who sees and manages webhook endpoints and their delivery logs.

- An organization's supervisors (the roles carrying `webhooks.*_webhookendpoint`: provider supervisors at
  providers, county supervisors at agencies) manage that organization's endpoints and read their logs.
- Governance leads (`webhooks.govern_webhookendpoint`) see and manage every endpoint and log, deleted ones
  included, in the admin.
- Nobody else sees an endpoint or its log: another organization's answer 404 like missing ones.
"""

from __future__ import annotations

from django.db.models import Q

from coordination.access import EVERYTHING, NOTHING, AccessPolicy, Action, register
from providers.access import organizations_granting

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

GOVERN_PERM = "webhooks.govern_webhookendpoint"
LOG_PERM = "webhooks.view_webhookdelivery"


def governs_webhooks(user) -> bool:
    return organizations_granting(user, GOVERN_PERM).exists()


def _own_endpoints(user, perm: str, path: str = "") -> Q:
    return Q(
        **{
            f"{path}organization_id__in": organizations_granting(user, perm),
            f"{path}deleted_at__isnull": True,
        }
    )


@register(WebhookEndpoint)
class WebhookEndpointPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        if governs_webhooks(user):
            # Governance retires endpoints (inactive) but never deletes one: the log must stay readable.
            return NOTHING if action == Action.DELETE else EVERYTHING
        return _own_endpoints(user, f"webhooks.{action.value}_webhookendpoint")


@register(WebhookDelivery)
class WebhookDeliveryPolicy(AccessPolicy):
    """The delivery log is written by the delivery machinery only."""

    def q(self, user, action: Action) -> Q:
        if action != Action.VIEW:
            return NOTHING
        if governs_webhooks(user):
            return EVERYTHING
        return _own_endpoints(user, LOG_PERM, "endpoint__")


@register(WebhookAttempt)
class WebhookAttemptPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        if action != Action.VIEW:
            return NOTHING
        if governs_webhooks(user):
            return EVERYTHING
        return _own_endpoints(user, LOG_PERM, "endpoint__")
