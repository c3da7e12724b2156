from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import access, signals  # noqa: F401

        connection_created.connect(_register_sqlite_functions, dispatch_uid="audit_sqlite_functions")


def _register_sqlite_functions(sender, connection, **kwargs) -> None:
    # PostgreSQL has sha256(); SQLite gets the same function from Python for the chain's link statement.
    if connection.vendor == "sqlite":
        from .chain import sqlite_sha256

        connection.connection.create_function("audit_sha256", 1, sqlite_sha256, deterministic=True)
