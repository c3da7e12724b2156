from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "Provider directory"

    def ready(self) -> None:
        from . import access  # noqa: F401
