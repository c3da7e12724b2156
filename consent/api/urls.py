"""Consent routes, spelled out: a router would also add a `/consents/` list nobody asked for.

Each route maps HTTP methods to viewset actions the way a router does, `@action` options included,
so the access checks (`coordination.checks`) and the schema see the same view.
"""

from django.urls import re_path

from .views import BreakGlassViewSet, ConsentViewSet

ID = r"[^/.]+"


def _view(actions: dict[str, str], **initkwargs):
    return ConsentViewSet.as_view(actions, basename="consent", **initkwargs)


def _break_glass(actions: dict[str, str], **initkwargs):
    return BreakGlassViewSet.as_view(actions, basename="break-glass", **initkwargs)


urlpatterns = [
    re_path(
        rf"^clients/(?P<client_pk>{ID})/consents/$",
        _view({"get": "list", "post": "create"}, detail=False),
        name="client-consent-list",
    ),
    re_path(rf"^consents/(?P<pk>{ID})/$", _view({"get": "retrieve"}, detail=True), name="consent-detail"),
    re_path(
        rf"^consents/(?P<pk>{ID})/revoke/$",
        _view({"post": "revoke"}, **ConsentViewSet.revoke.kwargs),
        name="consent-revoke",
    ),
    re_path(
        rf"^consents/(?P<pk>{ID})/entered-in-error/$",
        _view({"post": "entered_in_error"}, **ConsentViewSet.entered_in_error.kwargs),
        name="consent-entered-in-error",
    ),
    re_path(r"^break-glass/$", _break_glass({"get": "list", "post": "create"}, detail=False), name="break-glass-list"),
    re_path(
        rf"^break-glass/(?P<pk>{ID})/end/$",
        _break_glass({"post": "end"}, **BreakGlassViewSet.end.kwargs),
        name="break-glass-end",
    ),
]
