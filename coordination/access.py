"""The access layer: one place decides which rows a user may act on.

Every domain model registers an `AccessPolicy` and uses `AccessManager`; pages, API and services
read through `Model.objects.visible_to(user, action)`. A model without a policy is a startup error
(see `coordination.checks`), and a policy that says nothing denies everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q

NOTHING = Q(pk__in=[])
EVERYTHING = Q()


class Action(models.TextChoices):
    VIEW = "view", "view"
    ADD = "add", "add"
    CHANGE = "change", "change"
    DELETE = "delete", "delete"


class AccessPolicy:
    """Return the rows `user` may perform `action` on, as one `Q` over the model."""

    def q(self, user, action: Action) -> Q:  # pragma: no cover - subclasses decide
        return NOTHING


_registry: dict[type[models.Model], AccessPolicy] = {}
P = TypeVar("P", bound=type[AccessPolicy])


def register(model: type[models.Model]) -> Callable[[P], P]:
    def decorator(policy_cls: P) -> P:
        if model in _registry:
            raise ImproperlyConfigured(f"{model._meta.label} already has an access policy.")
        _registry[model] = policy_cls()
        return policy_cls

    return decorator


def policy_for(model: type[models.Model]) -> AccessPolicy:
    try:
        return _registry[model]
    except KeyError:
        raise ImproperlyConfigured(f"{model._meta.label} has no access policy: it is unreadable.") from None


def has_policy(model: type[models.Model]) -> bool:
    return model in _registry


def is_active_user(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


class AccessQuerySet(models.QuerySet):
    def visible_to(self, user, action: Action | str = Action.VIEW) -> AccessQuerySet:
        if not is_active_user(user):
            return self.none()
        return self.filter(policy_for(self.model).q(user, Action(action)))


class AccessManager(models.Manager.from_queryset(AccessQuerySet)):  # type: ignore[misc]
    pass
