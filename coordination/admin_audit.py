"""Every add, change and delete saved in the governance admin leaves an audit row.

`GovernanceAdminSite.register` mixes `AuditedAdminMixin` into every model admin, so no admin can be registered
without it. The row is written where Django writes its own LogEntry: inside the admin's transaction for adds and
changes, and just before the rows go for deletes. Services called by an admin still write their own, more
specific rows; this one records that the admin was the door.
"""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest

from audit.choices import AuditAction
from audit.services import audit_record


def _client_id(obj: models.Model):
    if obj._meta.label == "clients.Client":
        return obj.pk
    return getattr(obj, "client_id", None)


def admin_audit(request: HttpRequest, obj: models.Model, action: AuditAction, message="") -> None:
    audit_record(
        action=action,
        actor=request.user,
        target=obj,
        client_id=_client_id(obj),
        detail={"model": obj._meta.label, "change_message": message if isinstance(message, list | str) else ""},
    )


class AuditedAdminMixin:
    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        admin_audit(request, obj, AuditAction.ADMIN_ADDED, message)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        admin_audit(request, obj, AuditAction.ADMIN_CHANGED, message)
        return entry

    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            admin_audit(request, obj, AuditAction.ADMIN_DELETED)
        return entries
