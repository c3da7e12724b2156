from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # The outbox runs whatever handlers are registered by the time a message is processed.
        from . import access, handlers  # noqa: F401
