from django.db.models import Q

from coordination.access import AccessPolicy, Action, register
from providers.access import organizations_granting

from .models import Client, ClientIdentifier


@register(Client)
class ClientPolicy(AccessPolicy):
    """Staff reach the clients of organizations where their role carries the action.

    Superuser status is deliberately not a shortcut: it opens the admin, not client records.
    Later issues widen VIEW through referrals and consent.
    """

    def q(self, user, action: Action) -> Q:
        return Q(organization_id__in=organizations_granting(user, f"clients.{action.value}_client"))


@register(ClientIdentifier)
class ClientIdentifierPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        return Q(client__organization_id__in=organizations_granting(user, f"clients.{action.value}_client"))
