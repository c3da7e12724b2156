"""What an access review shows next to each access: computed for every subject at once, never per item.

For the campaign's evidence window: last login, distinct client records read (detail reads by `client_id` and
list reads by the clients they showed, `audit.AuditEventClient`), denied attempts, last audited activity, and
every role the user holds. A fixed number of aggregate queries, whatever the number of items.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connections
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from audit.choices import ActionCode, Outcome
from audit.models import AuditEvent, AuditEventClient
from coordination.roles import Role
from providers.models import Membership


@dataclass(frozen=True)
class Window:
    """[start, end) in the portal's time zone, from a period of whole days."""

    start: datetime.datetime
    end: datetime.datetime

    @classmethod
    def of_days(cls, first: datetime.date, last: datetime.date) -> Window:
        zone = timezone.get_current_timezone()
        start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
        return cls(start, end)

    def q(self, prefix: str = "") -> Q:
        return Q(**{f"{prefix}recorded_at__gte": self.start, f"{prefix}recorded_at__lt": self.end})


def _successful_reads(prefix: str = "") -> Q:
    return Q(**{f"{prefix}action_code": ActionCode.READ, f"{prefix}outcome": Outcome.SUCCESS})


def clients_accessed(users: QuerySet, window: Window) -> dict[int, int]:
    """Distinct client records each user read successfully in the window: {user id: count}.

    A client read in a detail view (`AuditEvent.client_id`) and shown in a list (`AuditEventClient`) counts once:
    UNION (not UNION ALL) of the (user, client) pairs, counted per user in the database.
    """
    direct = (
        AuditEvent.objects.filter(_successful_reads(), window.q(), actor_id__in=users, client_id__isnull=False)
        .order_by()
        .values_list("actor_id", "client_id")
    )
    listed = (
        AuditEventClient.objects.filter(_successful_reads("event__"), window.q("event__"), event__actor_id__in=users)
        .order_by()
        .values_list("event__actor_id", "client_id")
    )
    pairs = direct.union(listed)
    sql, params = pairs.query.sql_with_params()
    # The ORM cannot group over a UNION; the inner SQL and its parameters are the ORM's own.
    counting = f"SELECT pairs.actor_id, COUNT(*) FROM ({sql}) pairs GROUP BY pairs.actor_id"  # noqa: S608
    with connections[pairs.db].cursor() as cursor:
        cursor.execute(counting, params)
        return {user_id: count for user_id, count in cursor.fetchall()}


def activity(users: QuerySet, window: Window) -> dict[int, dict]:
    """Denied attempts and the last audited activity of each user in the window."""
    rows = (
        AuditEvent.objects.filter(window.q(), actor_id__in=users)
        .order_by()
        .values("actor_id")
        .annotate(denied=Count("pk", filter=Q(outcome=Outcome.DENIED)), last=Max("recorded_at"))
    )
    return {row["actor_id"]: row for row in rows}


def roles_held(users: QuerySet) -> dict[int, list[dict]]:
    """Every active role of each user, at any organization (not only those in scope)."""
    held: dict[int, list[dict]] = defaultdict(list)
    labels = dict(Role.choices)
    rows = (
        Membership.objects.filter(user_id__in=users, active=True)
        .order_by("organization__name", "role")
        .values_list("user_id", "organization__name", "organization__active", "role")
    )
    for user_id, organization, organization_active, role in rows:
        held[user_id].append(
            {
                "organization": organization,
                "role": role,
                "role_label": str(labels.get(role, role)),
                **({} if organization_active else {"organization_inactive": True}),
            }
        )
    return held


def referral_reads(grants: list, window: Window) -> dict[tuple[int, str], int]:
    """How often each grant's holder read that referral in the window: {(user id, referral id): count}."""
    if not grants:
        return {}
    users = {g.user_id for g in grants}
    referrals = {str(g.content_object_id) for g in grants}
    rows = (
        AuditEvent.objects.filter(
            window.q(),
            actor_id__in=users,
            action_code=ActionCode.READ,
            target_type="referrals.Referral",
            target_id__in=referrals,
        )
        .order_by()
        .values("actor_id", "target_id")
        .annotate(n=Count("pk"))
    )
    return {(row["actor_id"], row["target_id"]): row["n"] for row in rows}


@dataclass
class Evidence:
    """Per-user evidence for one campaign, loaded in a fixed number of queries."""

    window: Window
    clients: dict[int, int]
    activity: dict[int, dict]
    roles: dict[int, list[dict]]
    computed_at: datetime.datetime

    @classmethod
    def load(cls, users: QuerySet, window: Window) -> Evidence:
        return cls(
            window=window,
            clients=clients_accessed(users, window),
            activity=activity(users, window),
            roles=roles_held(users),
            computed_at=timezone.now(),
        )

    def for_user(self, user) -> dict:
        seen = self.activity.get(user.pk, {})
        last = seen.get("last")
        return {
            "period_start": self.window.start.isoformat(),
            "period_end": self.window.end.isoformat(),
            "computed_at": self.computed_at.isoformat(),
            "user_active": user.is_active,
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "last_activity": last.isoformat() if last else None,
            "clients_accessed": self.clients.get(user.pk, 0),
            "denied_attempts": seen.get("denied", 0),
            "roles_held": self.roles.get(user.pk, []),
        }


def roles_text(evidence: dict) -> str:
    """The roles an item's evidence lists, as "Case manager at Lakeside County; ..."."""
    roles = evidence.get("roles_held", [])
    return "; ".join(f"{r.get('role_label', r.get('role'))} at {r.get('organization')}" for r in roles)
