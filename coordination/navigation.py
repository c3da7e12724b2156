"""Navigation by role: each entry shows only to users whose role groups carry its permission."""

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | None = None
    governance_only: bool = False


NAV_ITEMS = (
    NavItem("Home", "home"),
    NavItem("Directory", "providers:directory", "providers.view_service"),
    NavItem("Clients", "clients:search", "clients.view_client"),
    NavItem("Governance admin", "admin:index", governance_only=True),
)


def navigation_for(user) -> list[NavItem]:
    if user is None or not user.is_authenticated:
        return []
    from coordination.admin_site import is_governance

    items = []
    for item in NAV_ITEMS:
        if item.governance_only and not is_governance(user):
            continue
        if item.permission and not user.has_perm(item.permission):
            continue
        items.append(item)
    return items
