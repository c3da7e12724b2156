"""Which client details each side of a referral gets: the one place the consent issue narrows.

The referring agency sees its own client's record for care coordination. The receiving provider and
people a referral is shared with get the minimum needed to reach and serve the client.
"""

from __future__ import annotations

from clients.models import Client

from .choices import Side

REFERRER_CLIENT_FIELDS = (
    "id",
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
PROVIDER_CLIENT_FIELDS = (
    "id",
    "given_name",
    "family_name",
    "birth_date",
    "phone",
    "email",
    "postal_code",
    "preferred_contact_method",
    "preferred_language",
    "interpreter_needed",
)


def client_fields_for(sides: frozenset[Side]) -> tuple[str, ...]:
    return REFERRER_CLIENT_FIELDS if Side.REFERRER in sides else PROVIDER_CLIENT_FIELDS


def client_details(client: Client, sides: frozenset[Side]) -> dict:
    """The client's details this viewer may see, as plain values."""
    return {field: getattr(client, field) for field in client_fields_for(sides)}
