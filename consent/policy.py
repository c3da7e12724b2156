"""The disclosure policy: may this organization see these categories of a client's data, for this purpose?

One function decides for pages, API, exports and notifications alike. The client's own organization
(the custodian) needs no consent to coordinate its client's care. Anyone else needs an active,
in-period consent whose permit provisions name them (by organization or partner category), the
purpose and the data category, with no deny provision covering the same; substance-use data needs a
consent that names the receiving organization itself. Status is read on every call, so a revocation
takes effect on the very next request.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone

from clients.models import Client
from providers.choices import PartnerCategory
from providers.models import Organization

from .choices import (
    FORBIDDEN_PURPOSES,
    NAMED_RECIPIENT_ONLY,
    PURPOSE_PARENTS,
    ConsentStatus,
    DataCategory,
    ProvisionType,
)
from .models import Consent, ConsentProvision


@dataclass(frozen=True)
class Decision:
    """Per data category: permitted (with the consents relied on) or withheld (with the reason)."""

    permitted: frozenset[str]
    withheld: dict[str, str] = field(default_factory=dict)
    consents: tuple[str, ...] = ()
    custodian: bool = False

    def permits(self, category: str) -> bool:
        return category in self.permitted

    @property
    def complete(self) -> bool:
        return not self.withheld


def covers_purpose(provision: ConsentProvision, purpose: str) -> bool:
    return purpose in provision.purposes or PURPOSE_PARENTS.get(purpose) in provision.purposes


def _names(provision: ConsentProvision, recipient: Organization) -> bool:
    return any(o.pk == recipient.pk for o in provision.organizations.all())


def covers_recipient(provision: ConsentProvision, recipient: Organization, category: str) -> bool:
    if _names(provision, recipient):
        return True
    # Part 2 data is permitted only to a named organization, but a deny by partner category still binds.
    if category in NAMED_RECIPIENT_ONLY and provision.type == ProvisionType.PERMIT:
        return False
    return recipient.partner_category in provision.partner_categories


def _in_period(provision: ConsentProvision, today: datetime.date) -> bool:
    return provision.start <= today and (provision.end is None or today <= provision.end)


def active_consents(client: Client, today: datetime.date) -> list[Consent]:
    """The client's active consents with their provisions and named organizations (three queries)."""
    return active_consents_of([client.pk], today)


def active_consents_of(client_ids, today: datetime.date) -> list[Consent]:
    """Active consents of several clients at once (three queries however many), for list pages."""
    return list(
        Consent.objects.filter(client_id__in=list(client_ids), status=ConsentStatus.ACTIVE)
        .filter(Q(provisions__end__isnull=True) | Q(provisions__end__gte=today))
        .distinct()
        .prefetch_related(Prefetch("provisions", queryset=ConsentProvision.objects.prefetch_related("organizations")))
    )


def disclosure_decision(
    *,
    client: Client,
    recipient: Organization,
    purpose: str,
    categories: Iterable[str],
    today: datetime.date | None = None,
    consents: list[Consent] | None = None,
) -> Decision:
    categories = list(dict.fromkeys(categories))
    if purpose in FORBIDDEN_PURPOSES:
        return Decision(frozenset(), {c: f"purpose {purpose} is never permitted" for c in categories})
    if recipient.pk == client.organization_id:
        return Decision(frozenset(categories), custodian=True)
    today = today or timezone.localdate()
    consents = active_consents(client, today) if consents is None else consents
    permitted, withheld, relied_on = set(), {}, []
    for category in categories:
        verdict, consent_ids = _decide_category(consents, recipient, purpose, category, today)
        if verdict is None:
            permitted.add(category)
            relied_on.extend(c for c in consent_ids if c not in relied_on)
        else:
            withheld[category] = verdict
    return Decision(frozenset(permitted), withheld, tuple(relied_on))


def _decide_category(consents, recipient, purpose, category, today) -> tuple[str | None, list[str]]:
    """(None, consent ids) when permitted, else (reason, [])."""
    permits = []
    for consent in consents:
        for provision in consent.provisions.all():
            applies = (
                _in_period(provision, today)
                and category in provision.data_categories
                and covers_purpose(provision, purpose)
                and covers_recipient(provision, recipient, category)
            )
            if not applies:
                continue
            if provision.type == ProvisionType.DENY:
                return f"denied by consent {str(consent.pk)[:8]}", []
            permits.append(str(consent.pk))
    if permits:
        return None, permits
    return _missing(recipient, purpose, category), []


def _lower_first(text: str) -> str:
    # "Substance use (42 CFR Part 2)" -> "substance use (42 CFR Part 2)": keep the acronyms.
    return text[:1].lower() + text[1:]


def _missing(recipient: Organization, purpose: str, category: str) -> str:
    label = _lower_first(DataCategory(category).label) if category in DataCategory.values else category
    if category in NAMED_RECIPIENT_ONLY:
        return f"no consent naming {recipient.name} for {label} ({purpose})"
    if recipient.partner_category in PartnerCategory.values:
        partners = _lower_first(PartnerCategory(recipient.partner_category).label)
    else:
        partners = recipient.partner_category or "uncategorized"
    return f"no consent for {partners} partners for {label} ({purpose})"
