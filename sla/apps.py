from django.apps import AppConfig


class SlaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sla"
    verbose_name = "Response targets (SLA)"

    def ready(self) -> None:
        from coordination.health import register_health_check

        from . import access  # noqa: F401  (registers the access policies)
        from .health import check_sweep

        register_health_check("sla_sweep", check_sweep)
