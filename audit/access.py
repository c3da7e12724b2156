from django.db.models import Q

from coordination.access import EVERYTHING, NOTHING, AccessPolicy, Action, register
from providers.access import holds_permission

from .models import AuditEvent


@register(AuditEvent)
class AuditEventPolicy(AccessPolicy):
    """Governance reads the whole trail (access reviews span organizations); nobody writes it here."""

    def q(self, user, action: Action) -> Q:
        if action == Action.VIEW and holds_permission(user, "audit.view_auditevent"):
            return EVERYTHING
        return NOTHING
