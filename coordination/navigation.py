"""Navigation by role: each entry shows only to users whose role groups carry its permission.

An entry may also name a `check` (a dotted path to a function of the user) for work that depends on the
kind of organization as well as the role, such as receiving referrals; apps provide those checks.
"""

from dataclasses import dataclass

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | None = None
    governance_only: bool = False
    check: str = ""


NAV_ITEMS = (
    NavItem("Home", "home"),
    NavItem("Referrals", "referrals:dashboard", "referrals.view_referral", check="referrals.selectors.refers"),
    NavItem("Inbox", "referrals:inbox", "referrals.view_referral", check="referrals.selectors.receives"),
    NavItem("Team", "referrals:team", "referrals.view_referral", check="referrals.selectors.supervises"),
    NavItem("Directory", "providers:directory", "providers.view_service"),
    NavItem("Clients", "clients:search", "clients.view_client"),
    NavItem("Exceptions", "exceptionqueue:queue", "exceptionqueue.view_exceptionitem"),
    NavItem("Webhooks", "webhooks:list", "webhooks.view_webhookendpoint"),
    NavItem("Performance", "metrics:performance", "metrics.view_referral_metrics"),
    NavItem("Data quality", "quality:report", "quality.view_quality_report"),
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
        if item.check and not import_string(item.check)(user):
            continue
        items.append(item)
    return items


def current_section(items: list[NavItem], resolver_match) -> NavItem | None:
    """The one entry to highlight: the page itself, else the first entry of the page's namespace."""
    if resolver_match is None:
        return None
    for item in items:
        if item.url_name == resolver_match.view_name:
            return item
    namespace = resolver_match.namespace
    if namespace:
        for item in items:
            if item.url_name.startswith(f"{namespace}:"):
                return item
    return None
