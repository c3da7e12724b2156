"""Consent records are read and kept by the client's custodian organization (and its governance leads)."""

from django.db.models import Q

from coordination.access import NOTHING, AccessPolicy, Action, register
from providers.access import organizations_granting

from .models import Consent, ConsentProvision


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
