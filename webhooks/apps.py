from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Partner webhooks"

    def ready(self) -> None:
        from . import access, handlers  # noqa: F401
        from .api import schema  # noqa: F401
