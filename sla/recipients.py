"""Who each rung of the escalation ladder tells. Only active browser users who are active members of the
organization named, so nobody outside the referral's two organizations is ever told.

- Level 1 (at the breach): the receiving provider's intake team and supervisors, the worker assigned there
  (whatever their role), and the referral's case manager at the referring agency (`assigned_to`, else its
  creator).
- Level 2 (still owed after the second interval): the referring agency's county supervisors.
"""

from __future__ import annotations

from django.db.models import Q

from coordination.roles import BROWSER_ROLES, Role
from providers.models import Membership
from referrals.models import Referral

LEVEL_1_RECEIVING_ROLES = (Role.PROVIDER_INTAKE, Role.PROVIDER_SUPERVISOR)
LEVEL_2_REFERRING_ROLES = (Role.COUNTY_SUPERVISOR,)


def _members(q: Q) -> list[Membership]:
    return list(
        Membership.objects.filter(q, active=True, organization__active=True, user__is_active=True)
        .filter(role__in=sorted(BROWSER_ROLES))
        .select_related("user", "organization")
        .order_by("user_id", "role")
    )


def _people(memberships: list[Membership]) -> list[dict]:
    """One entry per user (their first matching role), as the escalation record keeps them."""
    people: dict[int, dict] = {}
    for membership in memberships:
        user = membership.user
        people.setdefault(
            user.pk,
            {
                "id": user.pk,
                "name": (user.get_full_name() or user.get_username())[:200],
                "organization": membership.organization.name,
                "role": membership.role,
            },
        )
    return list(people.values())


def level_1(referral: Referral) -> list[dict]:
    case_manager = referral.assigned_to_id or referral.created_by_id
    who = Q(organization_id=referral.referring_organization_id, user_id=case_manager)
    if referral.receiving_organization_id:
        receiving = Q(organization_id=referral.receiving_organization_id)
        who |= receiving & Q(role__in=LEVEL_1_RECEIVING_ROLES)
        if referral.assigned_worker_id:
            who |= receiving & Q(user_id=referral.assigned_worker_id)
    return _people(_members(who))


def level_2(referral: Referral) -> list[dict]:
    return _people(_members(Q(organization_id=referral.referring_organization_id, role__in=LEVEL_2_REFERRING_ROLES)))


RECIPIENTS = {1: level_1, 2: level_2}
