"""Reads of client records; every one starts from what the actor may see."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from coordination.access import Action
from providers.access import organizations_granting
from providers.models import Organization

from .matching import names_similar
from .models import Client


def client_list(*, actor, action: Action = Action.VIEW) -> QuerySet[Client]:
    return Client.objects.visible_to(actor, action).select_related("organization").prefetch_related("identifiers")


def clients_matching_text(clients: QuerySet[Client], q: str) -> QuerySet[Client]:
    """Every word must match a given or family name (in part) or an identifier (whole)."""
    for term in q.split()[:5]:
        clients = clients.filter(
            Q(given_name__icontains=term) | Q(family_name__icontains=term) | Q(identifiers__value__iexact=term)
        )
    return clients.distinct()


def clients_with_identifier(clients: QuerySet[Client], identifier: str) -> QuerySet[Client]:
    return clients.filter(identifiers__value__iexact=identifier.strip()).distinct()


def client_search(
    *, actor, q: str = "", birth_date: datetime.date | None = None, identifier: str = ""
) -> QuerySet[Client]:
    clients = client_list(actor=actor)
    if q:
        clients = clients_matching_text(clients, q)
    if birth_date:
        clients = clients.filter(birth_date=birth_date)
    if identifier:
        clients = clients_with_identifier(clients, identifier)
    return clients


def organizations_adding_clients(*, actor) -> QuerySet[Organization]:
    """Organizations the actor may register new clients for."""
    return Organization.objects.visible_to(actor, Action.VIEW).filter(
        pk__in=organizations_granting(actor, "clients.add_client")
    )


def client_duplicate_candidates(
    *,
    actor,
    given_name: str,
    family_name: str,
    birth_date: datetime.date,
    identifiers: Iterable[tuple[str, str]] = (),
) -> list[Client]:
    """Visible clients that are probably the same person.

    Only clients the actor may see are compared, so the answer never reveals another
    organization's records.
    """
    visible = Client.objects.visible_to(actor, Action.VIEW)
    identifier_q = Q()
    for system, value in identifiers:
        identifier_q |= Q(identifiers__system=system, identifiers__value__iexact=value)
    by_identifier = list(visible.filter(identifier_q).distinct()) if identifier_q else []
    same_birth_date = visible.filter(birth_date=birth_date).only("id", "given_name", "family_name", "birth_date")
    by_name = [c for c in same_birth_date if names_similar(given_name, family_name, c.given_name, c.family_name)]
    seen: dict = {}
    for candidate in by_identifier + by_name:
        seen.setdefault(candidate.pk, candidate)
    return list(seen.values())
