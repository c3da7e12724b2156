from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Access reviews and sample audits"

    def ready(self) -> None:
        from . import access, notifications  # noqa: F401  (access policies, the reminder outbox handler)
