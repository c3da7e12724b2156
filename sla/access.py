"""Who may see the SLA records.

- Policies, opening hours and holidays are configuration: every signed-in user may read them (they say how
  fast a referral must be answered); governance leads maintain them in the admin (the `sla.*` model
  permissions of their role), nobody else changes them.
- Breaches and escalations go with their referral: whoever may see the referral sees them. Nobody writes them
  but the sweep; an escalation's acknowledgement is a service that checks the user was notified.
- The sweep heartbeat is plumbing: no portal user reads it (/health/ reads it as the system).
"""

from __future__ import annotations

from django.db.models import Q

from coordination.access import EVERYTHING, NOTHING, AccessPolicy, Action, register
from providers.access import organizations_granting
from referrals.models import Referral

from .models import Holiday, OpeningHours, SlaBreach, SlaEscalation, SlaPolicy, SweepHeartbeat


class _Configuration(AccessPolicy):
    model_name = ""

    def q(self, user, action: Action) -> Q:
        if action == Action.VIEW:
            return EVERYTHING
        if organizations_granting(user, f"sla.{action.value}_{self.model_name}").exists():
            return EVERYTHING
        return NOTHING


@register(SlaPolicy)
class SlaPolicyPolicy(_Configuration):
    model_name = "slapolicy"


@register(OpeningHours)
class OpeningHoursPolicy(_Configuration):
    model_name = "openinghours"


@register(Holiday)
class HolidayPolicy(_Configuration):
    model_name = "holiday"


class _WithReferral(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        if action != Action.VIEW:
            return NOTHING
        return Q(referral__in=Referral.objects.visible_to(user, Action.VIEW).values("pk"))


@register(SlaBreach)
class SlaBreachPolicy(_WithReferral):
    pass


@register(SlaEscalation)
class SlaEscalationPolicy(_WithReferral):
    pass


@register(SweepHeartbeat)
class SweepHeartbeatPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        return NOTHING
