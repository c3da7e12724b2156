from django.apps import AppConfig


class ExceptionQueueConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exceptionqueue"
    verbose_name = "Exception queue"

    def ready(self) -> None:
        from . import access  # noqa: F401  (registers the access policies)
