"""The only base API views: every queryset comes from `visible_to(user, action)`.

`get_queryset` is defined here and nowhere else (a system check enforces it). Custom actions declare
the access action they need: `@action(detail=True, methods=["post"], access_action=Action.CHANGE)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import Http404
from rest_framework import mixins
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from audit.choices import AuditAction
from audit.services import audit_hidden_object, audit_record
from coordination import purpose
from coordination.access import Action
from coordination.context import set_request_purpose, set_request_user

VIEWSET_ACTIONS = {
    "list": Action.VIEW,
    "retrieve": Action.VIEW,
    "metadata": Action.VIEW,
    "create": Action.ADD,
    "update": Action.CHANGE,
    "partial_update": Action.CHANGE,
    "destroy": Action.DELETE,
}


@dataclass(frozen=True)
class AuditReads:
    """How reads of a model that carries client data are written to the audit trail."""

    listed: AuditAction
    viewed: AuditAction
    client_id: Callable[[object], object]


class AccessGenericViewSet(GenericViewSet):
    access_action: Action | None = None
    audit_reads: AuditReads | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Whatever authenticated the request, audit rows name that user.
        set_request_user(request.user)
        self._set_purpose(request)

    def _set_purpose(self, request) -> None:
        """The caller's purpose of use (`X-Purpose-Of-Use`, else the role default); a refused one is a 403."""
        if not request.user.is_authenticated:
            return
        requested = request.headers.get(purpose.HEADER, "")
        try:
            set_request_purpose(purpose.resolve_purpose(request.user, purpose.active_roles(request.user), requested))
        except purpose.PurposeRefused as refused:
            purpose.refuse_purpose(requested, refused)
            raise PermissionDenied({"detail": refused.message, "code": "purpose_refused"}) from None

    def get_access_action(self) -> Action:
        if self.access_action is not None:
            return Action(self.access_action)
        try:
            return VIEWSET_ACTIONS[self.action]
        except KeyError:
            raise ImproperlyConfigured(
                f"{type(self).__name__}.{self.action} must declare access_action= on its @action."
            ) from None

    def get_queryset(self):
        base = super().get_queryset()
        user = getattr(self.request, "user", None)
        if self.action is None:  # OPTIONS/unsupported methods still see only what is visible
            return base.visible_to(user, Action.VIEW)
        return base.visible_to(user, self.get_access_action())

    def get_object(self):
        """404 for what the user cannot see; 403 only for a visible object they cannot change."""
        lookup_kwarg = self.lookup_url_kwarg or self.lookup_field
        lookup = {self.lookup_field: self.kwargs[lookup_kwarg]}
        base = super().get_queryset()
        user = self.request.user
        try:
            obj = base.visible_to(user, Action.VIEW).get(**lookup)
        except (base.model.DoesNotExist, ValidationError, ValueError, TypeError):
            self._record_denied_if_exists(base, lookup)
            raise Http404 from None
        action = self.get_access_action()
        if action != Action.VIEW and not base.visible_to(user, action).filter(pk=obj.pk).exists():
            raise PermissionDenied(
                f"Your role does not allow you to {action.label} this {base.model._meta.verbose_name}."
            )
        self.check_object_permissions(self.request, obj)
        return obj

    def _record_denied_if_exists(self, base, lookup) -> None:
        if self.audit_reads is not None:
            audit_hidden_object(base.model, **lookup)

    # Reads of client data leave one audit row per request, never one per row.
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        if self.audit_reads is not None:
            audit_record(
                action=self.audit_reads.listed,
                detail={
                    "client_ids": [str(self.audit_reads.client_id(r)) for r in rows],
                    "query": self._query_params(),
                },
            )
        serializer = self.get_serializer(rows, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def _query_params(self) -> dict[str, str]:
        """The search parameters this view understands, as sent (bounded, NUL-free) for the audit row."""
        filterset_class = getattr(self, "filterset_class", None)
        known = {"page", "page_size", *getattr(filterset_class, "base_filters", {})}
        return {key: value.replace("\x00", "")[:200] for key, value in self.request.GET.items() if key in known}

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        if self.audit_reads is not None:
            audit_record(
                action=self.audit_reads.viewed, target=instance, client_id=self.audit_reads.client_id(instance)
            )
        return Response(self.get_serializer(instance).data)


class AccessReadOnlyViewSet(AccessGenericViewSet):
    """List and retrieve (both defined on the base)."""


class AccessModelViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, AccessGenericViewSet):
    """List, retrieve, create and update; writes go through the subclass's services."""
