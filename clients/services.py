"""Writes to client records, each with its audit row in the same transaction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.access import Action
from providers.access import holds_permission
from providers.models import Organization

from .models import Client, ClientIdentifier
from .selectors import client_duplicate_candidates

CLIENT_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "phone",
    "email",
    "address_line",
    "city",
    "postal_code",
    "county",
    "preferred_contact_method",
    "preferred_language",
    "interpreter_needed",
)


class DuplicateClientError(Exception):
    def __init__(self, candidates: list[Client]):
        self.candidates = candidates
        super().__init__(f"{len(candidates)} likely duplicate client(s)")


def _identifier_pairs(identifiers) -> list[tuple[str, str]]:
    return [(i["system"], i["value"].strip()) for i in identifiers]


@transaction.atomic
def client_create(
    *,
    actor,
    organization: Organization,
    data: dict[str, Any],
    identifiers: list[dict[str, str]] = (),
    allow_duplicate: bool = False,
) -> Client:
    """Create a client, refusing a likely duplicate unless the caller confirms it is a different person."""
    if not holds_permission(actor, "clients.add_client", organization):
        raise PermissionDenied("Your role does not allow adding clients for this organization.")
    pairs = _identifier_pairs(identifiers)
    candidates = client_duplicate_candidates(
        actor=actor,
        given_name=data["given_name"],
        family_name=data["family_name"],
        birth_date=data["birth_date"],
        identifiers=pairs,
    )
    if candidates and not allow_duplicate:
        raise DuplicateClientError(candidates)
    client = Client(organization=organization, created_by=actor, **{k: data[k] for k in CLIENT_FIELDS if k in data})
    client._history_user = actor
    client.full_clean()
    client.save()
    for system, value in dict.fromkeys(pairs):
        identifier = ClientIdentifier(client=client, system=system, value=value)
        identifier._history_user = actor
        identifier.save()
    audit_record(
        action=AuditAction.CLIENT_CREATED,
        actor=actor,
        target=client,
        client_id=client.pk,
        organization=organization,
        detail={"duplicate_override_of": [str(c.pk) for c in candidates]} if candidates else {},
    )
    return client


@transaction.atomic
def client_update(*, actor, client: Client, data: dict[str, Any]) -> Client:
    locked = Client.objects.visible_to(actor, Action.CHANGE).select_for_update().filter(pk=client.pk).first()
    if locked is None:
        raise PermissionDenied("Your role does not allow changing this client.")
    changed = [k for k in CLIENT_FIELDS if k in data and getattr(locked, k) != data[k]]
    for field in changed:
        setattr(locked, field, data[field])
    if not changed:
        return locked
    locked._history_user = actor
    locked.full_clean()
    locked.save(update_fields=[*changed, "updated_at"])
    audit_record(
        action=AuditAction.CLIENT_UPDATED,
        actor=actor,
        target=locked,
        client_id=locked.pk,
        detail={"fields": changed},
    )
    return locked
