from django.db.models import Q

from coordination.access import EVERYTHING, NOTHING, AccessPolicy, Action, register
from providers.access import holds_permission

from .models import AuditAnchor, AuditChainHead, AuditEvent, AuditEventClient, Disclosure, SignInThrottle


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


@register(Disclosure)
@register(AuditAnchor)
@register(AuditEventClient)
class AuditEvidencePolicy(AccessPolicy):
    """The ledger, the anchors and the list-read index are read like the trail they belong to."""

    def q(self, user, action: Action) -> Q:
        if action == Action.VIEW and holds_permission(user, "audit.view_auditevent"):
            return EVERYTHING
        return NOTHING


@register(AuditChainHead)
class AuditChainHeadPolicy(AccessPolicy):
    """Written only by `audit.chain.link`, read only by `audit_verify`."""

    def q(self, user, action: Action) -> Q:
        return NOTHING
