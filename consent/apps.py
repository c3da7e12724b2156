from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"

    def ready(self) -> None:
        from . import access  # noqa: F401
        from .api import schema  # noqa: F401
