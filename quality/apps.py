from django.apps import AppConfig


class QualityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "quality"
    verbose_name = "Data quality"

    def ready(self) -> None:
        # Access policies, the counter of refused sends and the weekly report's email handler.
        from . import access, notifications, receivers  # noqa: F401
