"""Staff roles and the permission set each one carries.

The single source of truth: `sync_roles` mirrors it into Django groups, memberships put users in
those groups, and the access policies ask `roles_granting(...)` which roles allow an action.
"""

from django.db import models


class Role(models.TextChoices):
    CASE_MANAGER = "case_manager", "Case manager"
    COUNTY_SUPERVISOR = "county_supervisor", "County supervisor"
    PROVIDER_INTAKE = "provider_intake", "Provider intake"
    PROVIDER_SUPERVISOR = "provider_supervisor", "Provider supervisor"
    GOVERNANCE_LEAD = "governance_lead", "Governance lead"
    DATA_STEWARD = "data_steward", "Data steward"
    PARTNER_SYSTEM = "partner_system", "Partner system (API client)"


_DIRECTORY_READ = frozenset({"providers.view_organization", "providers.view_service", "providers.view_location"})
_CLIENT_WORK = frozenset({"clients.view_client", "clients.add_client", "clients.change_client"})

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CASE_MANAGER: _DIRECTORY_READ | _CLIENT_WORK,
    Role.COUNTY_SUPERVISOR: _DIRECTORY_READ | _CLIENT_WORK | {"providers.view_membership"},
    Role.PROVIDER_INTAKE: _DIRECTORY_READ | _CLIENT_WORK,
    Role.PROVIDER_SUPERVISOR: _DIRECTORY_READ
    | _CLIENT_WORK
    | {"providers.change_service", "providers.change_location", "providers.view_membership"},
    Role.DATA_STEWARD: _DIRECTORY_READ | {"clients.view_client", "clients.change_client"},
    Role.PARTNER_SYSTEM: _DIRECTORY_READ | _CLIENT_WORK,
    # Governance works in the admin: read everything needed for access reviews, change memberships.
    Role.GOVERNANCE_LEAD: _DIRECTORY_READ
    | {
        "providers.view_membership",
        "providers.add_membership",
        "providers.change_membership",
        "clients.view_client",
        "audit.view_auditevent",
        "auth.view_user",
    },
}

# Roles whose holders may sign in to the browser; partner systems use API tokens only.
BROWSER_ROLES = frozenset(ROLE_PERMISSIONS) - {Role.PARTNER_SYSTEM}
ADMIN_ROLES = frozenset({Role.GOVERNANCE_LEAD})


def roles_granting(perm: str) -> list[str]:
    """Roles whose permission set contains `perm` ("app_label.codename")."""
    return sorted(role for role, perms in ROLE_PERMISSIONS.items() if perm in perms)
