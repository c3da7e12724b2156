"""Client pages: search, create (with the duplicate check) and detail; every read of client data is audited."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from audit.choices import AuditAction
from audit.services import audit_hidden_object, audit_record
from coordination.access import Action

from .forms import ClientCreateForm, ClientForm, ClientSearchForm
from .models import Client
from .selectors import client_list, client_search, organizations_adding_clients
from .services import DuplicateClientError, client_create, client_update

PAGE_SIZE = 25
SEARCH_KEYS = ("q", "birth_date", "identifier")


def _require(request: HttpRequest, perm: str, doing: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied(f"Your role does not allow {doing}.")


@login_required
def search(request: HttpRequest) -> HttpResponse:
    _require(request, "clients.view_client", "searching clients")
    submitted = any(key in request.GET for key in SEARCH_KEYS)
    form = ClientSearchForm(request.GET if submitted else None)
    page = None
    if submitted and form.is_valid():
        clients = client_search(
            actor=request.user,
            q=form.cleaned_data["q"],
            birth_date=form.cleaned_data["birth_date"],
            identifier=form.cleaned_data["identifier"],
        ).order_by("family_name", "given_name", "birth_date", "id")
        page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
        audit_record(
            action=AuditAction.CLIENT_LISTED,
            detail={
                "client_ids": [str(client.pk) for client in page],
                "query": {**form.query(), "page": page.number},
            },
        )
    return render(request, "clients/search.html", {"form": form, "page": page})


def _candidates_shown(user, candidates: list[Client]) -> list[Client]:
    # Re-read through the access layer with identifiers, since the matcher loads partial rows.
    shown = list(client_list(actor=user).filter(pk__in=[c.pk for c in candidates]))
    if shown:
        audit_record(
            action=AuditAction.CLIENT_LISTED,
            subtype="duplicate-check",
            detail={"client_ids": [str(c.pk) for c in shown], "query": {"duplicate_check": True}},
        )
    return shown


@login_required
def create(request: HttpRequest) -> HttpResponse:
    _require(request, "clients.add_client", "adding clients")
    organizations = organizations_adding_clients(actor=request.user)
    if not organizations.exists():
        raise PermissionDenied("Your role does not allow adding clients.")
    form = ClientCreateForm(request.POST or None, organizations=organizations)
    candidates: list[Client] = []
    if request.method == "POST" and form.is_valid():
        try:
            client = client_create(
                actor=request.user,
                organization=form.owning_organization(),
                data=form.client_data(),
                identifiers=form.identifiers(),
                allow_duplicate=form.cleaned_data["allow_duplicate"],
            )
        except DuplicateClientError as duplicate:
            candidates = _candidates_shown(request.user, duplicate.candidates)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"{client.full_name} was added.")
            return_to = _return_to(request)
            if return_to:
                separator = "&" if "?" in return_to else "?"
                return redirect(f"{return_to}{separator}{urlencode({'client': client.pk})}")
            return redirect("clients:detail", pk=client.pk)
    context = {"form": form, "candidates": candidates, "next": _return_to(request)}
    return render(request, "clients/create.html", context)


def _return_to(request: HttpRequest) -> str:
    """A page of this site to go back to with the new client (e.g. the new-referral flow), else ''."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def _visible_client(request: HttpRequest, pk) -> Client:
    """The client if the user may see it; else the same 404 as for a missing one (the attempt audited)."""
    client = client_list(actor=request.user).filter(pk=pk).first()
    if client is None:
        audit_hidden_object(Client, pk=pk)
        raise Http404("No such client.")
    return client


@login_required
def detail(request: HttpRequest, pk) -> HttpResponse:
    client = _visible_client(request, pk)
    audit_record(action=AuditAction.CLIENT_VIEWED, target=client, client_id=client.pk)
    can_edit = Client.objects.visible_to(request.user, Action.CHANGE).filter(pk=pk).exists()
    return render(request, "clients/detail.html", {"client": client, "can_edit": can_edit})


@login_required
def edit(request: HttpRequest, pk) -> HttpResponse:
    """Correct the client's facts, e.g. what a referral's validation named; back to `next` when saved."""
    client = _visible_client(request, pk)
    if not Client.objects.visible_to(request.user, Action.CHANGE).filter(pk=pk).exists():
        raise PermissionDenied("Your role does not allow changing this client's record.")
    # The form cleans into its own copy: the page keeps showing the record as saved until it is.
    form = ClientForm(request.POST or None, instance=copy.copy(client))
    if request.method == "POST" and form.is_valid():
        try:
            client_update(actor=request.user, client=client, data=form.client_data())
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"{client.full_name}'s record was saved.")
            return redirect(_return_to(request) or reverse("clients:detail", args=[client.pk]))
    audit_record(action=AuditAction.CLIENT_VIEWED, subtype="edit-form", target=client, client_id=client.pk)
    return render(request, "clients/edit.html", {"form": form, "client": client, "next": _return_to(request)})
