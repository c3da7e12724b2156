from django.apps import AppConfig


class MetricsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "metrics"
    verbose_name = "Referral performance metrics"

    def ready(self) -> None:
        from . import access  # noqa: F401  (registers the access policy)
