"""Consent records are read and kept by the client's custodian organization (and its governance leads)."""

from django.db.models import Q

from coordination.access import EVERYTHING, NOTHING, AccessPolicy, Action, register
from providers.access import organizations_granting

from .models import BreakGlassAccess, Consent, ConsentProvision, ExchangeUseCase


@register(Consent)
class ConsentPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        if action == Action.DELETE:
            return NOTHING  # revoked, never deleted
        return Q(organization_id__in=organizations_granting(user, f"consent.{action.value}_consent"))


@register(ConsentProvision)
class ConsentProvisionPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        if action == Action.DELETE:
            return NOTHING
        return Q(consent__organization_id__in=organizations_granting(user, f"consent.{action.value}_consent"))


@register(BreakGlassAccess)
class BreakGlassPolicy(AccessPolicy):
    """Your own emergency accesses; governance leads see those on their organization's clients."""

    def q(self, user, action: Action) -> Q:
        if action != Action.VIEW:
            return NOTHING  # started and ended by the break-glass services only
        governed = organizations_granting(user, "consent.view_breakglassaccess")
        return Q(user_id=user.pk) | Q(client__organization_id__in=governed)


@register(ExchangeUseCase)
class ExchangeUseCasePolicy(AccessPolicy):
    """The catalog is open to every signed-in user (it says what is shared); governance maintains it."""

    def q(self, user, action: Action) -> Q:
        if action == Action.VIEW:
            return EVERYTHING
        if organizations_granting(user, f"consent.{action.value}_exchangeusecase").exists():
            return EVERYTHING
        return NOTHING
