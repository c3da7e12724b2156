"""Referral reads, always scoped by `visible_to`: lists for the dashboards and inbox, one referral, its timeline."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from coordination import context
from coordination.access import Action
from coordination.roles import ROLE_PERMISSIONS, roles_granting
from providers.access import organizations_granting
from providers.choices import OrganizationKind
from providers.models import Membership, Organization

from .choices import AWAITING_RESPONSE_STATUSES, OPEN_STATUSES, TERMINAL_STATUSES, URGENCY_RANK, Status
from .errors import ReferralNotFound
from .models import Referral, ReferralEvent
from .sla import overdue_q

LIST_RELATED = (
    "client",
    "service",
    "referring_organization",
    "receiving_organization",
    "assigned_to",
    "assigned_worker",
)


def referral_list(*, actor, action: Action = Action.VIEW) -> QuerySet[Referral]:
    return Referral.objects.visible_to(actor, action).select_related(*LIST_RELATED)


def referral_get(*, actor, referral_id, action: Action = Action.VIEW) -> Referral:
    try:
        return referral_list(actor=actor, action=action).select_related("rerouted_from").get(pk=referral_id)
    except (Referral.DoesNotExist, ValidationError, ValueError, TypeError) as missing:
        raise ReferralNotFound("No such referral.") from missing


def referral_timeline(*, actor, referral: Referral) -> QuerySet[ReferralEvent]:
    return (
        ReferralEvent.objects.visible_to(actor)
        .filter(referral_id=referral.pk)
        .select_related("actor", "organization")
        .order_by("occurred_at", "id")
    )


def with_urgency_rank(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    return referrals.annotate(
        urgency_rank=Case(
            *[When(urgency=u, then=Value(rank)) for u, rank in URGENCY_RANK.items()],
            output_field=IntegerField(),
        )
    )


def with_overdue(referrals: QuerySet[Referral], now: datetime.datetime | None = None) -> QuerySet[Referral]:
    now = now or timezone.now()
    return referrals.annotate(
        is_overdue=Case(When(overdue_q(now), then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def referrals_made(*, actor) -> QuerySet[Referral]:
    """Referrals of the agencies where the actor works (the case manager's dashboard)."""
    return referral_list(actor=actor).filter(
        referring_organization_id__in=organizations_granting(actor, "referrals.view_referral")
    )


def referrals_received(*, actor) -> QuerySet[Referral]:
    """Referrals sent to the providers where the actor works (the provider's inbox)."""
    return referral_list(actor=actor).filter(
        receiving_organization_id__in=organizations_granting(actor, "referrals.view_referral"),
        sent_at__isnull=False,
    )


def split_open_closed(referrals: QuerySet[Referral], state: str) -> QuerySet[Referral]:
    if state == "closed":
        return referrals.filter(status__in=TERMINAL_STATUSES)
    if state == "all":
        return referrals
    return referrals.filter(status__in=OPEN_STATUSES)


def dashboard_order(referrals: QuerySet[Referral], now: datetime.datetime | None = None) -> QuerySet[Referral]:
    """Overdue first, then most urgent, then oldest."""
    return with_overdue(with_urgency_rank(referrals), now).order_by(
        "-is_overdue", "urgency_rank", "sent_at", "created_at"
    )


def inbox_order(referrals: QuerySet[Referral], now: datetime.datetime | None = None) -> QuerySet[Referral]:
    """Awaiting acknowledgement first (crisis on top, then longest waiting), then the rest of the open work."""
    group = Case(
        When(status=Status.SENT, then=Value(0)),
        When(status__in=AWAITING_RESPONSE_STATUSES, then=Value(1)),
        When(status__in=OPEN_STATUSES, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return (
        with_overdue(with_urgency_rank(referrals), now)
        .annotate(inbox_group=group)
        .order_by("inbox_group", "urgency_rank", "sent_at", "id")
    )


def workload_by_person(referrals: QuerySet[Referral], person_field: str) -> list[dict]:
    """Open referrals per assigned person, for supervisors (one grouped query)."""
    return list(
        referrals.filter(status__in=OPEN_STATUSES)
        .values(*(f"{person_field}{suffix}" for suffix in ("_id", "__username", "__first_name", "__last_name")))
        .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_q(timezone.now())))
        .order_by(f"{person_field}__last_name", f"{person_field}__username")
    )


def text_search(referrals: QuerySet[Referral], q: str, *, actor=None) -> QuerySet[Referral]:
    """Match the reference, service or provider name and, for the client's own organization, the client's name.

    Names are matched only where the searcher may read the client record itself: a provider whose consent
    withholds the name must not learn it by searching for it (a match count is a disclosure too).
    """
    name_scope = Q(client__organization_id__in=organizations_granting(actor, "clients.view_client")) if actor else Q()
    for term in q.split()[:6]:
        names = Q(client__given_name__icontains=term) | Q(client__family_name__icontains=term)
        referrals = referrals.filter(
            (names & name_scope)
            | Q(service__name__icontains=term)
            | Q(receiving_organization__name__icontains=term)
            | Q(id__istartswith=term.lower())
        )
    return referrals


# Page helpers (appended for the server-rendered pages).


@dataclass(frozen=True)
class ReferralRoles:
    """Which referral work a user does, from one query over their memberships (once per request)."""

    refers: bool = False
    receives: bool = False
    supervises_referring: bool = False
    supervises_receiving: bool = False


def referral_roles(*, actor) -> ReferralRoles:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return ReferralRoles()

    def load() -> ReferralRoles:
        rows = set(
            Membership.objects.filter(user_id=actor.pk, active=True, organization__active=True).values_list(
                "organization__kind", "role"
            )
        )

        def holds(kind: str, perm: str) -> bool:
            return any(k == kind and perm in ROLE_PERMISSIONS.get(role, ()) for k, role in rows)

        return ReferralRoles(
            refers=holds(OrganizationKind.AGENCY, "referrals.view_referral"),
            receives=holds(OrganizationKind.PROVIDER, "referrals.view_referral"),
            supervises_referring=holds(OrganizationKind.AGENCY, "referrals.assign_case_manager"),
            supervises_receiving=holds(OrganizationKind.PROVIDER, "referrals.assign_worker"),
        )

    return context.memoized(("referral-roles", actor.pk), load)


def referring_agencies(*, actor) -> QuerySet[Organization]:
    """Agencies the actor may make referrals for."""
    return Organization.objects.filter(
        kind=OrganizationKind.AGENCY, active=True, pk__in=organizations_granting(actor, "referrals.add_referral")
    ).order_by("name")


def supervised_referrals(*, actor, side: str) -> QuerySet[Referral]:
    """Open and closed referrals of the organizations where the actor supervises that side."""
    if side == "receiver":
        return referrals_received(actor=actor).filter(
            receiving_organization_id__in=organizations_granting(actor, "referrals.assign_worker")
        )
    return referrals_made(actor=actor).filter(
        referring_organization_id__in=organizations_granting(actor, "referrals.assign_case_manager")
    )


def provider_workers(*, referral: Referral) -> QuerySet:
    """Staff of the receiving provider who may work a referral (for a supervisor's assignment)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organization_id=referral.receiving_organization_id,
            memberships__active=True,
            memberships__role__in=roles_granting("referrals.change_referral"),
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def share_candidates(*, actor) -> QuerySet:
    """Active staff of active organizations a referral may be shared with (not the actor)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__active=True, memberships__organization__active=True)
        .exclude(pk=actor.pk)
        .distinct()
        .order_by("username")
    )


def refers(user) -> bool:
    """Navigation check: works at an agency that makes referrals."""
    return referral_roles(actor=user).refers


def receives(user) -> bool:
    """Navigation check: works at a provider that receives referrals."""
    return referral_roles(actor=user).receives


def supervises(user) -> bool:
    """Navigation check: supervises referral work on either side."""
    roles = referral_roles(actor=user)
    return roles.supervises_referring or roles.supervises_receiving
