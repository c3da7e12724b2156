from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from coordination.memberships import active_memberships
from coordination.roles import Role

from .heartbeat import heartbeat_status

SUPERVISOR_ROLES = frozenset({Role.COUNTY_SUPERVISOR, Role.PROVIDER_SUPERVISOR})


def scheduler(request: HttpRequest) -> dict:
    """For supervisors: the sweep's heartbeat, so a stopped scheduler shows a banner on every page.

    The memberships are the request's memoized ones; the heartbeat is one indexed read, made only when the
    template asks (`scheduler_status.stale`).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not any(m.role in SUPERVISOR_ROLES for m in active_memberships(user)):
        return {}
    return {"scheduler_status": SimpleLazyObject(heartbeat_status)}
