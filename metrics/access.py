"""Whose referrals a user's performance numbers are computed over (the metrics scope).

The rule, in one place:
- Governance leads (`metrics.view_network_metrics`) see the whole network: every referral.
- Otherwise a role carrying `metrics.view_referral_metrics` (county supervisors, data stewards, provider
  supervisors, governance leads) at an organization sees the numbers of that organization's referrals: the
  ones it sent (the county's network of providers, seen from the agency) and, once sent, the ones it received
  (a provider's own numbers).
- Nobody else has numbers: case managers, intake workers, partner systems and users without a role get 403
  from the page and the API, and this policy answers no rows for them anyway.

Why not `Referral.objects.visible_to(user)`: that answers "which referrals may this person open", which is
the wrong question for an organization's numbers. A guardian share (one referral shown to one colleague)
must not put that referral into the colleague's organization's numbers; data stewards work on data quality
and may not open referrals, yet answer for the county's numbers; governance leads open only their own
organization's referrals but oversee the whole network. The numbers are aggregates: no referral, client or
note leaves the metrics code, only counts, rates and durations.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from coordination.access import EVERYTHING, NOTHING, AccessPolicy, Action, is_active_user, register
from coordination.roles import roles_granting
from providers.models import Membership

from .models import MeasuredReferral

ORGANIZATION_PERM = "metrics.view_referral_metrics"
NETWORK_PERM = "metrics.view_network_metrics"


@dataclass(frozen=True)
class MetricsScope:
    network: bool = False
    organization_ids: tuple = ()

    @property
    def any(self) -> bool:
        return self.network or bool(self.organization_ids)


def metrics_scope(user) -> MetricsScope:
    """One query: the user's active metrics roles. The organization ids come back as literals, not as a
    membership subquery, so that PostgreSQL can combine the referring and receiving indexes (a provider's
    numbers read its own referrals instead of scanning the whole table)."""
    if not is_active_user(user):
        return MetricsScope()
    organization_roles, network_roles = set(roles_granting(ORGANIZATION_PERM)), set(roles_granting(NETWORK_PERM))
    rows = Membership.objects.filter(
        user_id=user.pk, active=True, organization__active=True, role__in=sorted(organization_roles | network_roles)
    ).values_list("organization_id", "role")
    rows = list(rows)
    return MetricsScope(
        network=any(role in network_roles for _, role in rows),
        organization_ids=tuple(sorted({org for org, role in rows if role in organization_roles}, key=str)),
    )


def may_view_metrics(user) -> bool:
    """The page, the export and the API answer 403 to anyone else."""
    return metrics_scope(user).any


def scope_q(scope: MetricsScope) -> Q:
    if scope.network:
        return EVERYTHING
    if not scope.organization_ids:
        return NOTHING
    organizations = list(scope.organization_ids)
    return Q(referring_organization_id__in=organizations) | Q(
        receiving_organization_id__in=organizations, sent_at__isnull=False
    )


@register(MeasuredReferral)
class MeasuredReferralPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        if action != Action.VIEW:
            return NOTHING  # numbers are read, never written
        return scope_q(metrics_scope(user))
