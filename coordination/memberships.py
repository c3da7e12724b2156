"""The acting user's active memberships, loaded once per request for every part that asks."""

from __future__ import annotations

from django.apps import apps

from . import context


def active_memberships(user) -> list:
    """Active memberships at active organizations, with the organization (one query per request)."""

    def load() -> list:
        membership_model = apps.get_model("providers", "Membership")
        return list(
            membership_model.objects.filter(user_id=user.pk, active=True, organization__active=True)
            .select_related("organization")
            .order_by("organization__name", "role")
        )

    return context.memoized(("active-memberships", user.pk), load)
