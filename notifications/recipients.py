"""Who is told about an outbox event, in the portal and by email. The rule, per event:

Referral events (`referral.*`):
- the referring side: the referral's case manager (`assigned_to`, else whoever created it), while an active
  member of the referring organization;
- the receiving side, only once the referral was sent (before that it cannot see it): every active
  provider intake worker and provider supervisor of the receiving organization, and the assigned worker
  while still an active member there;
- `referral.sla_breached` / `referral.escalated` may name their recipients in `data["user_ids"]` (the
  escalation ladder decides who); they are still checked against the same two organizations.
Consent events (`consent.revoked`, `consent.expired`): the active intake workers and supervisors (provider
intake, provider supervisor, county supervisor) of each organization in `data["organization_ids"]`, i.e.
the organizations that had received the client's data.

Always: never anyone outside the organizations named above, only browser users (partner systems hear
about events through webhooks), only active accounts, and never the actor who caused the event
(`data["actor_id"]`). Email goes to the same people, if they have an address.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from coordination.roles import BROWSER_ROLES, Role
from providers.models import Membership
from referrals.models import Referral

RECEIVING_STAFF_ROLES = (Role.PROVIDER_INTAKE, Role.PROVIDER_SUPERVISOR)
CONSENT_STAFF_ROLES = (Role.PROVIDER_INTAKE, Role.PROVIDER_SUPERVISOR, Role.COUNTY_SUPERVISOR)


def _members(organization_ids: Iterable) -> QuerySet:
    return Membership.objects.filter(
        organization_id__in=list(organization_ids),
        active=True,
        organization__active=True,
        user__is_active=True,
        role__in=sorted(BROWSER_ROLES),
    )


def _users(user_ids: Q | Iterable, actor_id) -> list:
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True)
    if actor_id is not None:
        users = users.exclude(pk=actor_id)
    return list(users.order_by("pk"))


def referral_organizations(referral: Referral) -> list:
    """The organizations that may hear about this referral: the receiving one only once it was sent."""
    organizations = [referral.referring_organization_id]
    if referral.sent_at is not None and referral.receiving_organization_id:
        organizations.append(referral.receiving_organization_id)
    return organizations


def referral_recipients(referral: Referral, *, actor_id=None, user_ids: Iterable | None = None) -> list:
    """Users told about an event on `referral` (see the module docstring)."""
    organizations = referral_organizations(referral)
    members = _members(organizations)
    if user_ids is not None:
        wanted = {str(pk) for pk in user_ids}
        ids = members.filter(user_id__in=[pk for pk in wanted if pk.isdigit()]).values("user_id")
        return _users(ids, actor_id)
    case_manager = referral.assigned_to_id or referral.created_by_id
    who = Q(organization_id=referral.referring_organization_id, user_id=case_manager)
    if len(organizations) == 2:
        receiving = Q(organization_id=referral.receiving_organization_id)
        who |= receiving & Q(role__in=RECEIVING_STAFF_ROLES)
        if referral.assigned_worker_id:
            who |= receiving & Q(user_id=referral.assigned_worker_id)
    return _users(members.filter(who).values("user_id"), actor_id)


def consent_recipients(organization_ids: Iterable, *, actor_id=None) -> list:
    """Users told that a consent covering the listed organizations was revoked or expired."""
    ids = _members(organization_ids).filter(role__in=CONSENT_STAFF_ROLES).values("user_id")
    return _users(ids, actor_id)


def user_organizations(user_ids: Iterable, organization_ids: Iterable) -> dict:
    """{user id: one of `organization_ids` they are an active member of}, to link each to their own referral."""
    rows = _members(organization_ids).filter(user_id__in=list(user_ids)).values_list("user_id", "organization_id")
    found: dict = {}
    for user_id, organization_id in rows.order_by("organization_id"):
        found.setdefault(user_id, organization_id)
    return found
