from django.http import HttpRequest

from coordination import context
from coordination.navigation import current_section, navigation_for


def portal(request: HttpRequest) -> dict:
    items = navigation_for(getattr(request, "user", None))
    return {
        "nav_items": items,
        "nav_current": current_section(items, getattr(request, "resolver_match", None)),
        "purpose_of_use": context.current().purpose,
    }
