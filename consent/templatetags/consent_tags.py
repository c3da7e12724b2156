"""Template helpers for showing consent links on other apps' pages."""

from django import template

from providers.access import holds_permission

register = template.Library()


@register.simple_tag
def can_view_consents(user, client) -> bool:
    """Whether `user` may open the client's consent page (the custodian's staff and governance leads)."""
    return bool(user and user.is_authenticated) and holds_permission(user, "consent.view_consent", client.organization)
