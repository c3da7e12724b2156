"""Mirror `roles.ROLE_PERMISSIONS` into Django groups, exactly (extra permissions are removed)."""

import logging

from django.contrib.auth.models import Group, Permission

from .roles import ROLE_PERMISSIONS

logger = logging.getLogger(__name__)


def sync_roles(using: str = "default") -> dict[str, int]:
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_name = {}
    for perm in Permission.objects.using(using).select_related("content_type"):
        by_name[f"{perm.content_type.app_label}.{perm.codename}"] = perm
    missing = sorted(wanted - by_name.keys())
    if missing:
        raise LookupError(f"Role permissions that do not exist: {', '.join(missing)}")
    counts = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=str(role))
        group.permissions.set([by_name[p] for p in perms])
        counts[str(role)] = len(perms)
    return counts
