"""Who may see and work an exception.

The rule, in one place:
- An item belongs to one organization (`owner_organization`) and one team there (`owner_role`).
- It is seen and worked by that organization's active members who hold the owner role, or a role
  that works queues there (data steward, county supervisor, provider supervisor: the roles that carry
  `exceptionqueue.change_exceptionitem`).
- Governance leads read every item (and never work one): they oversee the whole network.
- Nobody else sees it: one organization never sees another's exceptions, whatever the item concerns.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from coordination.access import EVERYTHING, NOTHING, AccessPolicy, Action, register
from coordination.roles import roles_granting
from providers.access import organizations_granting
from providers.models import Membership

from .models import ExceptionEvent, ExceptionItem

WORK_PERM = "exceptionqueue.change_exceptionitem"
OVERSIGHT_PERM = "exceptionqueue.view_exceptionitem"


def holds_owner_role(user) -> Exists:
    """The user is an active member of the owner organization with the item's owner role."""
    return Exists(
        Membership.objects.filter(
            user_id=user.pk,
            active=True,
            organization__active=True,
            organization_id=OuterRef("owner_organization_id"),
            role=OuterRef("owner_role"),
        )
    )


def workable(user) -> Q:
    return Q(owner_organization_id__in=organizations_granting(user, WORK_PERM)) | Q(holds_owner_role(user))


def _oversees(user) -> bool:
    """Governance: the view permission without the work permission (queue roles carry both)."""
    oversight_roles = sorted(set(roles_granting(OVERSIGHT_PERM)) - set(roles_granting(WORK_PERM)))
    return Membership.objects.filter(
        user_id=user.pk, active=True, organization__active=True, role__in=oversight_roles
    ).exists()


@register(ExceptionItem)
class ExceptionItemPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        if action == Action.VIEW:
            return EVERYTHING if _oversees(user) else workable(user)
        if action == Action.CHANGE:
            return workable(user)
        # Items are opened only by `exception_raise` (system code) and never deleted.
        return NOTHING


@register(ExceptionEvent)
class ExceptionEventPolicy(AccessPolicy):
    """The timeline is read with its item and written only by the services."""

    def q(self, user, action: Action) -> Q:
        if action != Action.VIEW:
            return NOTHING
        return Q(item__in=ExceptionItem.objects.visible_to(user, Action.VIEW).values("pk"))
