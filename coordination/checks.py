"""Startup checks that keep the access layer fail-closed as the code grows."""

from django.apps import apps
from django.core import checks
from django.urls import URLPattern, URLResolver, get_resolver
from simple_history.models import HistoricalChanges

from coordination.access import AccessQuerySet, has_policy

PORTAL_APPS = (
    "coordination",
    "providers",
    "clients",
    "consent",
    "referrals",
    "audit",
    "notifications",
    "webhooks",
    "governance",
    "sla",
    "metrics",
)


def portal_models():
    for label in PORTAL_APPS:
        for model in apps.get_app_config(label).get_models():
            if issubclass(model, HistoricalChanges) or model._meta.auto_created:
                continue
            yield model


@checks.register(checks.Tags.security)
def check_models_have_access_policies(app_configs=None, **kwargs):
    errors = []
    for model in portal_models():
        if not has_policy(model):
            errors.append(
                checks.Error(
                    f"{model._meta.label} has no access policy.",
                    hint="Register one with @coordination.access.register(Model) in the app's access.py.",
                    obj=model,
                    id="coordination.E001",
                )
            )
        if not isinstance(model._default_manager.all(), AccessQuerySet):
            errors.append(
                checks.Error(
                    f"{model._meta.label}'s default manager has no visible_to().",
                    hint="Use coordination.access.AccessManager.",
                    obj=model,
                    id="coordination.E002",
                )
            )
    return errors


def _iter_views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _iter_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def api_view_errors(patterns) -> list:
    from rest_framework.generics import GenericAPIView

    from coordination.api.viewsets import AccessGenericViewSet

    errors = []
    for route, callback in _iter_views(patterns):
        cls = getattr(callback, "cls", None)
        if cls is None or not issubclass(cls, GenericAPIView):
            continue
        if not issubclass(cls, AccessGenericViewSet):
            errors.append(
                checks.Error(
                    f"API view {cls.__qualname__} at {route} bypasses the access layer.",
                    hint="Subclass coordination.api.viewsets.AccessGenericViewSet.",
                    id="coordination.E003",
                )
            )
        elif (
            cls.get_queryset is not AccessGenericViewSet.get_queryset
            or cls.get_object is not AccessGenericViewSet.get_object
        ):
            errors.append(
                checks.Error(
                    f"API view {cls.__qualname__} at {route} overrides get_queryset/get_object.",
                    hint="Narrow the class-level queryset or filter_queryset instead; access stays in the base.",
                    id="coordination.E004",
                )
            )
        for extra in cls.get_extra_actions() if hasattr(cls, "get_extra_actions") else []:
            if "access_action" not in extra.kwargs:
                errors.append(
                    checks.Error(
                        f"{cls.__qualname__}.{extra.__name__} declares no access_action.",
                        id="coordination.E005",
                    )
                )
    return errors


@checks.register(checks.Tags.security, checks.Tags.urls)
def check_api_views_use_access_layer(app_configs=None, **kwargs):
    return api_view_errors(get_resolver().url_patterns)
