"""The exchange catalog, read side: which data elements a receiving role gets for a referral's need.

Governance keeps `ExchangeUseCase` rows in the admin. For a referral's need and the viewer's role, the
elements of every active use case that covers that need (or any need) and names that role are joined;
when none applies, the disclosure keeps its built-in minimum-necessary default. Consent narrows the
result further (`referrals.disclosure`); the catalog never widens what consent withholds.

Data elements are plain field names of the client (`phone`) or of the referral template (`reason`);
`interpreter_needed`, on both, covers both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from .models import ExchangeUseCase


@dataclass(frozen=True)
class CatalogEntry:
    referral_categories: frozenset[str]  # empty: any need
    receiving_role: str
    data_elements: frozenset[str]

    def applies(self, referral_category: str, role: str) -> bool:
        if self.receiving_role != role:
            return False
        return not self.referral_categories or referral_category in self.referral_categories


class ExchangeCatalog:
    """The active catalog, loaded in one query; answers every referral of a page without another."""

    def __init__(self, entries: Iterable[CatalogEntry] = ()):
        self.entries = tuple(entries)

    @classmethod
    def load(cls) -> ExchangeCatalog:
        rows = ExchangeUseCase.objects.filter(active=True).values_list(
            "referral_categories", "receiving_role", "data_elements"
        )
        return cls(
            CatalogEntry(frozenset(needs or ()), role, frozenset(elements or ())) for needs, role, elements in rows
        )

    def fields(self, *, referral_category: str, role: str) -> frozenset[str] | None:
        """The union of the elements of every entry that applies; None when no entry does."""
        matched = [e.data_elements for e in self.entries if e.applies(referral_category, role)]
        if not matched:
            return None
        return frozenset().union(*matched)


def catalog_fields(*, referral_category: str, role: str) -> frozenset[str] | None:
    """The fields the catalog gives `role` for a referral with this need (None: no entry applies)."""
    return ExchangeCatalog.load().fields(referral_category=referral_category, role=role)


def client_data_elements() -> tuple[str, ...]:
    """Client fields a catalog entry may list: those the disclosure policy maps to a consent category."""
    # Imported at call time: referrals build on consent, and own which of their fields carry client data.
    from referrals.disclosure import CLIENT_FIELD_CATEGORIES

    return tuple(CLIENT_FIELD_CATEGORIES)


def referral_data_elements() -> tuple[str, ...]:
    """Referral template fields a catalog entry may list."""
    from referrals.services import TEMPLATE_FIELDS

    return tuple(TEMPLATE_FIELDS)


def known_data_elements() -> tuple[str, ...]:
    return tuple(dict.fromkeys([*client_data_elements(), *referral_data_elements()]))


def data_element_choices() -> list[tuple[str, str]]:
    """(name, label) pairs for forms: which record the element comes from, e.g. "phone (client)"."""
    client, referral = set(client_data_elements()), set(referral_data_elements())
    choices = []
    for name in known_data_elements():
        where = " and ".join(w for w, names in (("client", client), ("referral", referral)) if name in names)
        choices.append((name, f"{name.replace('_', ' ')} ({where})"))
    return choices


def validate_data_elements(value) -> None:
    """A non-empty list of distinct, known client or referral field names."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Give the data elements as a list of field names.", code="invalid")
    if not value:
        raise ValidationError("List at least one data element.", code="required")
    known = set(known_data_elements())
    unknown = sorted({v for v in value if v not in known})
    if unknown:
        raise ValidationError(
            "Not a client or referral field the portal can disclose: %(names)s.",
            code="unknown",
            params={"names": ", ".join(name[:40] for name in unknown[:10])},
        )
    if len(set(value)) != len(value):
        raise ValidationError("Each data element may be listed once.", code="duplicate")
