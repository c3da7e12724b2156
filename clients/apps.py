from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = "Clients"

    def ready(self) -> None:
        from . import access  # noqa: F401
        from .api import schema  # noqa: F401
