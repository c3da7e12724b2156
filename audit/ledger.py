"""The accounting of disclosures (ONC 170.315(d)(11)): one ledger row per client whose data left its custodian.

Callers write the ledger in the same transaction as the audit row the disclosure belongs to, right after
`audit_record`, and only for what another organization received: an entry whose `custodian_id` is the
recipient organization (the custodian reading its own client) is skipped here, so a careless caller cannot
turn the custodian's own work into "disclosures". One call is one INSERT, however many clients it names:
a list read that showed 25 clients to a provider adds 25 rows in one statement.

References are generic (ids and names as they were), like the audit trail's: `audit` knows nothing of the
apps whose data it accounts for.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import models

from .models import AuditEvent, Disclosure, DisclosureKind


@dataclass(frozen=True)
class DisclosureEntry:
    """One client's data as one recipient received it.

    `categories` are consent data categories (consent.choices.DataCategory values), `consents` the ids of
    the consents relied on. `recipient_organization` overrides the call's recipient for this entry (a list
    read can span organizations); `custodian_id` is the organization that owns the client record.
    """

    client_id: uuid.UUID | str
    categories: Sequence[str] = ()
    description: str = ""
    consents: Sequence[str] = ()
    target: models.Model | None = None
    custodian_id: uuid.UUID | str | None = None
    recipient_organization: object | None = None


def _same(a, b) -> bool:
    return a is not None and b is not None and str(a) == str(b)


def _as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _display(user) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username())[:200]


def disclosures_record(
    *,
    event: AuditEvent,
    kind: DisclosureKind | str,
    recipient_organization=None,
    recipient_user=None,
    entries: Iterable[DisclosureEntry],
    purpose_of_use: str = "",
) -> list[Disclosure]:
    """Add the ledger rows for `entries` (one INSERT); answers the rows written (none for custodian reads).

    `recipient_organization` is any object with `pk` and `name` (a providers.Organization). The time and,
    unless given, the purpose of use are the audit event's, so the ledger and the trail agree.
    """
    kind = DisclosureKind(kind)
    user = recipient_user if getattr(recipient_user, "is_authenticated", False) else None
    rows = []
    for entry in entries:
        recipient = entry.recipient_organization or recipient_organization
        recipient_id = getattr(recipient, "pk", None)
        if _same(recipient_id, entry.custodian_id):
            continue  # the custodian's own staff: no data left it
        target = entry.target
        rows.append(
            Disclosure(
                disclosed_at=event.recorded_at,
                kind=kind,
                client_id=_as_uuid(entry.client_id),
                recipient_organization_id=recipient_id,
                recipient_organization_name=str(getattr(recipient, "name", "") or "")[:200],
                recipient_user=user,
                recipient_display=_display(user),
                categories=[str(c) for c in dict.fromkeys(entry.categories)],
                description=entry.description[:300],
                purpose_of_use=purpose_of_use or event.purpose_of_use,
                consents=[str(c) for c in dict.fromkeys(entry.consents)],
                target_type=target._meta.label if target is not None else "",
                target_id=str(target.pk) if target is not None else "",
                event=event,
            )
        )
    if rows:
        Disclosure.objects.bulk_create(rows)
    return rows
