from django.http import HttpRequest

from coordination.navigation import navigation_for


def portal(request: HttpRequest) -> dict:
    return {"nav_items": navigation_for(getattr(request, "user", None))}
