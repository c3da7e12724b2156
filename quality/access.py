"""Whose data quality numbers a user sees (the quality scope).

The rule, in one place:
- Governance leads (`quality.view_network_quality`) see every organization.
- County supervisors (the agency's managers) and data stewards (`quality.view_quality_report`) see their own
  organization(s) only: its rejections, its weekly reports, its staff's numbers.
- Nobody else: case managers, provider staff, partner systems and users without a role get 403 from the pages,
  and these policies answer no rows for them anyway.

Numbers are aggregates and rule codes, no client data. Nobody writes these rows through the portal: the
rejection counter and the weekly report service do.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from coordination.access import EVERYTHING, NOTHING, AccessPolicy, Action, is_active_user, register
from coordination.roles import roles_granting
from providers.access import organizations_granting
from providers.models import Membership, Organization

from .models import RejectionProblem, ValidationRejection, WeeklyQualityReport, WeeklyReportEmail

ORGANIZATION_PERM = "quality.view_quality_report"
NETWORK_PERM = "quality.view_network_quality"


def sees_network(user) -> bool:
    return is_active_user(user) and organizations_granting(user, NETWORK_PERM).exists()


def may_view_quality(user) -> bool:
    if not is_active_user(user):
        return False
    roles = sorted({*roles_granting(ORGANIZATION_PERM), *roles_granting(NETWORK_PERM)})
    return Membership.objects.filter(user_id=user.pk, active=True, organization__active=True, role__in=roles).exists()


def quality_organizations(user) -> QuerySet[Organization]:
    """The sending organizations whose numbers `user` may see (agencies: only they send referrals)."""
    agencies = Organization.objects.filter(kind="agency")
    if not is_active_user(user):
        return agencies.none()
    if sees_network(user):
        return agencies
    return agencies.filter(pk__in=organizations_granting(user, ORGANIZATION_PERM))


def _organization_q(user, path: str) -> Q:
    if sees_network(user):
        return EVERYTHING
    return Q(**{f"{path}__in": organizations_granting(user, ORGANIZATION_PERM)})


@register(ValidationRejection)
class ValidationRejectionPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        return _organization_q(user, "organization_id") if action == Action.VIEW else NOTHING


@register(RejectionProblem)
class RejectionProblemPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        return _organization_q(user, "rejection__organization_id") if action == Action.VIEW else NOTHING


@register(WeeklyQualityReport)
class WeeklyQualityReportPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        return _organization_q(user, "organization_id") if action == Action.VIEW else NOTHING


@register(WeeklyReportEmail)
class WeeklyReportEmailPolicy(AccessPolicy):
    """Plumbing: nobody reads the email rows through the portal."""

    def q(self, user, action: Action) -> Q:
        return NOTHING
