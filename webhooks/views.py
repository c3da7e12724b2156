"""Settings pages for partner webhooks (`/settings/webhooks/`): list, add, edit, rotate the secret, delete,
and each endpoint's recent deliveries with their attempts.

For an organization's supervisors (their own organization's endpoints) and governance leads (all). Staff
without the role get 403 on the pages; another organization's endpoint answers 404 like a missing one.
A new secret is shown once, on the page that answers the creation or rotation (not cached, not stored
in the session), and never again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from coordination.access import Action
from providers.access import organizations_granting
from providers.models import Organization

from .access import governs_webhooks
from .choices import DeliveryStatus
from .forms import WebhookEndpointForm
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services import (
    can_manage_endpoints,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)

RECENT_DELIVERIES = 50


def _require_webhook_role(request: HttpRequest) -> None:
    user = request.user
    if not (governs_webhooks(user) or organizations_granting(user, "webhooks.view_webhookendpoint").exists()):
        raise PermissionDenied("Webhook settings are for your organization's supervisors.")


def _addable_organizations(user):
    organizations = Organization.objects.filter(active=True).order_by("name")
    if governs_webhooks(user):
        return organizations
    return organizations.filter(pk__in=organizations_granting(user, "webhooks.add_webhookendpoint"))


def _endpoint(request: HttpRequest, pk, action: Action = Action.VIEW) -> WebhookEndpoint:
    _require_webhook_role(request)
    endpoint = (
        WebhookEndpoint.objects.visible_to(request.user, Action.VIEW)
        .select_related("organization", "created_by", "updated_by")
        .filter(pk=pk)
        .first()
    )
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    if action != Action.VIEW and not WebhookEndpoint.objects.visible_to(request.user, action).filter(pk=pk).exists():
        raise PermissionDenied(f"Your role does not allow you to {action.label} this endpoint.")
    return endpoint


def _show_secret(request: HttpRequest, endpoint: WebhookEndpoint, secret: str, *, created: bool) -> HttpResponse:
    response = render(request, "webhooks/secret.html", {"endpoint": endpoint, "secret": secret, "created": created})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def endpoint_list(request: HttpRequest) -> HttpResponse:
    _require_webhook_role(request)
    endpoints = (
        WebhookEndpoint.objects.visible_to(request.user, Action.VIEW)
        .select_related("organization")
        .annotate(
            failing=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
            abandoned=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.ABANDONED)),
        )
        .order_by("organization__name", "created_at")
    )
    return render(
        request,
        "webhooks/list.html",
        {"endpoints": endpoints, "can_add": _addable_organizations(request.user).exists()},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def endpoint_add(request: HttpRequest) -> HttpResponse:
    _require_webhook_role(request)
    organizations = _addable_organizations(request.user)
    if not organizations.exists():
        raise PermissionDenied("Your role does not allow adding webhook endpoints.")
    form = WebhookEndpointForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        organization = form.cleaned_data.get("organization") or organizations.first()
        try:
            endpoint, secret = webhook_endpoint_create(
                actor=request.user,
                organization=organization,
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                events=form.cleaned_data["events"],
                active=form.cleaned_data["active"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _show_secret(request, endpoint, secret, created=True)
    return render(request, "webhooks/form.html", {"form": form, "endpoint": None})


@login_required
@require_GET
def endpoint_detail(request: HttpRequest, pk) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    deliveries = (
        WebhookDelivery.objects.visible_to(request.user, Action.VIEW)
        .filter(endpoint=endpoint)
        .prefetch_related(Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("number")))
        .order_by("-created_at")[:RECENT_DELIVERIES]
    )
    can_change = can_manage_endpoints(request.user, endpoint.organization, Action.CHANGE)
    can_delete = WebhookEndpoint.objects.visible_to(request.user, Action.DELETE).filter(pk=endpoint.pk).exists()
    return render(
        request,
        "webhooks/detail.html",
        {"endpoint": endpoint, "deliveries": deliveries, "can_change": can_change, "can_delete": can_delete},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def endpoint_edit(request: HttpRequest, pk) -> HttpResponse:
    endpoint = _endpoint(request, pk, Action.CHANGE)
    initial = {k: getattr(endpoint, k) for k in ("url", "description", "events", "active")}
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            webhook_endpoint_update(actor=request.user, endpoint=endpoint, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "The webhook endpoint was saved.")
            return redirect("webhooks:detail", pk=endpoint.pk)
    return render(request, "webhooks/form.html", {"form": form, "endpoint": endpoint})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def endpoint_rotate(request: HttpRequest, pk) -> HttpResponse:
    endpoint = _endpoint(request, pk, Action.CHANGE)
    if request.method == "POST":
        endpoint, secret = webhook_endpoint_rotate_secret(actor=request.user, endpoint=endpoint)
        return _show_secret(request, endpoint, secret, created=False)
    return render(request, "webhooks/confirm.html", {"endpoint": endpoint, "action": "rotate"})


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_delete(request: HttpRequest, pk) -> HttpResponse:
    endpoint = _endpoint(request, pk, Action.DELETE)
    if request.method == "POST":
        webhook_endpoint_delete(actor=request.user, endpoint=endpoint)
        messages.success(request, f"The endpoint {endpoint.url} was deleted; nothing more is sent to it.")
        return redirect("webhooks:list")
    return render(request, "webhooks/confirm.html", {"endpoint": endpoint, "action": "delete"})
