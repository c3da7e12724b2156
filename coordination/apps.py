from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class GovernanceAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "coordination.admin_site.GovernanceAdminSite"


class CoordinationConfig(AppConfig):
    default = True
    name = "coordination"
    verbose_name = "Coordination framework"

    def ready(self) -> None:
        from . import checks, outbox  # noqa: F401
        from .api import schema  # noqa: F401

        post_migrate.connect(_sync_roles_after_migrate, sender=self, dispatch_uid="coordination-sync-roles")


def _sync_roles_after_migrate(sender, **kwargs) -> None:
    from .roles_sync import sync_roles

    sync_roles(using=kwargs.get("using", "default"))
