"""Who may see and act on a referral.

Referring agency staff reach their agency's referrals. Receiving provider staff reach a referral only
once it has been sent to them, and keep it after it closes. django-guardian grants are the exceptions:
a read-only share with a named colleague (optionally time-boxed) and a provider supervisor's
assignment of one worker, which counts only while that worker still belongs to the receiving provider.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from coordination.access import NOTHING, AccessPolicy, Action, register
from coordination.roles import ROLE_PERMISSIONS
from providers.access import organizations_granting
from providers.models import Membership

from .choices import Side, Status
from .models import Referral, ReferralEvent, ReferralUserObjectPermission
from .workflow import TRANSITIONS, Transition

REROUTABLE_STATUSES = (Status.DECLINED, Status.CANCELLED)
VIEW_GRANTS = ("view_referral", "change_referral")
CHANGE_GRANTS = ("change_referral",)


def _live_grants(user, codenames: Iterable[str]) -> QuerySet:
    now = timezone.now()
    return ReferralUserObjectPermission.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        user_id=user.pk,
        permission__content_type__app_label="referrals",
        permission__codename__in=list(codenames),
    )


def _member_organizations(user) -> QuerySet:
    return Membership.objects.filter(user_id=user.pk, active=True, organization__active=True).values("organization_id")


def granted_referrals(user, action: Action) -> Q:
    """Referrals reachable through a guardian grant that still holds."""
    if action == Action.VIEW:
        # A share outlives nothing: the colleague must still be active staff somewhere.
        shared = _live_grants(user, ("view_referral",)).filter(
            user__memberships__active=True, user__memberships__organization__active=True
        )
        return Q(pk__in=shared.values("content_object_id")) | _assigned(user)
    if action == Action.CHANGE:
        return _assigned(user)
    return NOTHING


def _assigned(user) -> Q:
    """The worker assignment holds only while the worker still belongs to the receiving provider."""
    assigned = _live_grants(user, CHANGE_GRANTS).values("content_object_id")
    return Q(pk__in=assigned, receiving_organization_id__in=_member_organizations(user), sent_at__isnull=False)


@register(Referral)
class ReferralPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        if action == Action.DELETE:
            return NOTHING
        perm = f"referrals.{action.value}_referral"
        referring = Q(referring_organization_id__in=organizations_granting(user, perm))
        if action == Action.ADD:
            return referring & Q(referring_organization__kind="agency")
        receiving = Q(receiving_organization_id__in=organizations_granting(user, perm), sent_at__isnull=False)
        return referring | receiving | granted_referrals(user, action)


@register(ReferralEvent)
class ReferralEventPolicy(AccessPolicy):
    """The timeline is read with its referral and written only by the referral services."""

    def q(self, user, action: Action) -> Q:
        if action != Action.VIEW:
            return NOTHING
        return Q(referral__in=Referral.objects.visible_to(user, Action.VIEW).values("pk"))


@register(ReferralUserObjectPermission)
class ReferralGrantPolicy(AccessPolicy):
    """People see their own grants; grants are made and removed by the referral services."""

    def q(self, user, action: Action) -> Q:
        return Q(user_id=user.pk) if action == Action.VIEW else NOTHING


class ReferralActor:
    """What one user may do on the referrals in front of them, computed without a query per row.

    Memberships load once; guardian grants load once for a batch of referrals (`load_grants`).
    """

    def __init__(self, user):
        self.user = user
        self._perms: dict[object, set[str]] = defaultdict(set)
        self._grants: dict[object, set[str]] = defaultdict(set)
        if user is None or not user.is_authenticated or not user.is_active:
            return
        rows = Membership.objects.filter(user_id=user.pk, active=True, organization__active=True).values_list(
            "organization_id", "role"
        )
        for organization_id, role in rows:
            self._perms[organization_id] |= ROLE_PERMISSIONS.get(role, frozenset())

    def load_grants(self, referrals: Iterable[Referral]) -> ReferralActor:
        ids = [r.pk for r in referrals]
        if ids and self.user is not None and self.user.is_authenticated:
            rows = _live_grants(self.user, VIEW_GRANTS).filter(content_object_id__in=ids)
            for referral_id, codename in rows.values_list("content_object_id", "permission__codename"):
                self._grants[referral_id].add(codename)
        return self

    def holds(self, perm: str, organization_id) -> bool:
        return perm in self._perms.get(organization_id, ())

    @property
    def organization_ids(self) -> set:
        return set(self._perms)

    def sides(self, referral: Referral) -> frozenset[Side]:
        """The sides this user acts for on `referral` (both, when an agency refers to itself)."""
        sides = set()
        if self.holds("referrals.change_referral", referral.referring_organization_id):
            sides.add(Side.REFERRER)
        if referral.sent_at is not None and referral.receiving_organization_id is not None:
            is_staff = self.holds("referrals.change_referral", referral.receiving_organization_id)
            is_assigned = "change_referral" in self._grants.get(referral.pk, ()) and (
                referral.receiving_organization_id in self._perms
            )
            if is_staff or is_assigned:
                sides.add(Side.RECEIVER)
        return frozenset(sides)

    def side_organization_id(self, referral: Referral, side: Side):
        if side == Side.REFERRER:
            return referral.referring_organization_id
        return referral.receiving_organization_id

    def may(self, referral: Referral, transition: Transition) -> bool:
        """Right side, right state and, where the table asks for one, the extra permission."""
        if referral.status not in transition.sources or transition.side not in self.sides(referral):
            return False
        if transition.permission:
            return self.holds(transition.permission, self.side_organization_id(referral, transition.side))
        return True

    def allowed_transitions(self, referral: Referral) -> list[str]:
        return [name for name, t in TRANSITIONS.items() if self.may(referral, t)]

    def can_reroute(self, referral: Referral) -> bool:
        """Declined or cancelled, by the referring side, and only once (one query: the reverse link)."""
        return (
            referral.status in REROUTABLE_STATUSES
            and Side.REFERRER in self.sides(referral)
            and not Referral.objects.filter(rerouted_from_id=referral.pk).exists()
        )
