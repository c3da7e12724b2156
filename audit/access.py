from django.db.models import Q

from coordination.access import EVERYTHING, NOTHING, AccessPolicy, Action, register
from providers.access import holds_permission

from .models import AuditEvent, SignInThrottle


@register(AuditEvent)
class AuditEventPolicy(AccessPolicy):
    """Governance reads the whole trail (access reviews span organizations); nobody writes it here."""

    def q(self, user, action: Action) -> Q:
        if action == Action.VIEW and holds_permission(user, "audit.view_auditevent"):
            return EVERYTHING
        return NOTHING


@register(SignInThrottle)
class SignInThrottlePolicy(AccessPolicy):
    """Lockout counters are read and written only by `coordination.lockout`; lockouts show in the trail."""

    def q(self, user, action: Action) -> Q:
        if action == Action.VIEW and holds_permission(user, "audit.view_signinthrottle"):
            return EVERYTHING
        return NOTHING
