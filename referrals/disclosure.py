"""What each viewer of a referral gets to see: the one place pages, API and previews ask.

Fields map to consent data categories. The referring agency (normally the client's custodian) sees
its own client's record. Anyone else, the receiving provider or a colleague a referral is shared
with, gets the minimum-necessary field set, further narrowed by `consent.policy.disclosure_decision`
for coordination of care; what is withheld says why. Consent status is read on every call, so a
revocation shows on the very next request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache as _once

from django.db import transaction
from django.utils import timezone

from audit.choices import AuditAction, Source
from audit.ledger import DisclosureEntry, disclosures_record
from audit.models import AuditEvent, DisclosureKind
from audit.services import audit_record
from clients.models import Client
from consent.catalog import ExchangeCatalog
from consent.choices import NAMED_RECIPIENT_ONLY, DataCategory, PurposeOfUse
from consent.models import Consent
from consent.policy import Decision, active_consents, active_consents_of, disclosure_decision
from coordination import context
from coordination.memberships import active_memberships
from coordination.purpose import has_live_break_glass
from coordination.roles import Role
from providers.models import Organization

from .choices import Side
from .models import Referral

CLIENT_FIELD_CATEGORIES = {
    "given_name": DataCategory.DEMOGRAPHICS,
    "family_name": DataCategory.DEMOGRAPHICS,
    "birth_date": DataCategory.DEMOGRAPHICS,
    "preferred_language": DataCategory.DEMOGRAPHICS,
    "interpreter_needed": DataCategory.DEMOGRAPHICS,
    "phone": DataCategory.CONTACT,
    "email": DataCategory.CONTACT,
    "address_line": DataCategory.CONTACT,
    "city": DataCategory.CONTACT,
    "postal_code": DataCategory.CONTACT,
    "county": DataCategory.CONTACT,
    "preferred_contact_method": DataCategory.CONTACT,
}
REFERRAL_FIELD_CATEGORIES = {
    "reason": DataCategory.REFERRAL_REASON,
    "eligibility_basis": DataCategory.REFERRAL_REASON,
    "eligibility_note": DataCategory.REFERRAL_REASON,
    "risk_flags": DataCategory.RISK_FLAGS,
    "contact_constraints": DataCategory.CONTACT,
    "safe_contact_times": DataCategory.CONTACT,
    "contact_method": DataCategory.CONTACT,
}
# Needs whose very mention discloses a sensitive category.
NEED_CATEGORIES = {
    "housing-instability": DataCategory.HOUSING,
    "homelessness": DataCategory.HOUSING,
    "inadequate-housing": DataCategory.HOUSING,
    "financial-insecurity": DataCategory.INCOME_BENEFITS,
    "material-hardship": DataCategory.INCOME_BENEFITS,
    "medical-cost-burden": DataCategory.INCOME_BENEFITS,
    "health-insurance-coverage-status": DataCategory.INCOME_BENEFITS,
}
REFERRER_CLIENT_FIELDS = ("id", *CLIENT_FIELD_CATEGORIES)
# Minimum necessary for a provider to reach and serve the client: no street address or county.
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
# The order client fields are shown in: the provider's usual ones first.
_CLIENT_FIELD_ORDER = tuple(dict.fromkeys(f for f in (*PROVIDER_CLIENT_FIELDS, *CLIENT_FIELD_CATEGORIES) if f != "id"))
REFERRAL_PURPOSE = PurposeOfUse.COC
# What the provider is asked to do, and how fast: always shown to the receiving side. The chosen service
# names the need anyway, so hiding the need would protect nothing and only confuse the provider.
ROUTING_FIELDS = frozenset({"category", "urgency"})


@_once
def template_fields() -> tuple[str, ...]:
    """The referral template's fields (`referrals.services` imports this module, so asked at call time)."""
    from .services import TEMPLATE_FIELDS

    return tuple(TEMPLATE_FIELDS)


@_once
def default_elements() -> frozenset[str]:
    """Without an exchange catalog entry for the viewer's role: those client fields and the whole template."""
    return frozenset({*PROVIDER_CLIENT_FIELDS, *template_fields()}) - {"id"}


@dataclass(frozen=True)
class ReferralDisclosure:
    client: dict
    hidden_fields: frozenset[str] = frozenset()
    withheld: dict[str, str] = field(default_factory=dict)
    consents: tuple[str, ...] = ()
    purpose: str = REFERRAL_PURPOSE
    # The organizations this read discloses to; empty when the custodian reads its own client.
    recipients: tuple[Organization, ...] = ()

    def shows(self, field_name: str) -> bool:
        return field_name not in self.hidden_fields

    @property
    def withheld_labels(self) -> list[tuple[str, str]]:
        return [(DataCategory(c).label, reason) for c, reason in self.withheld.items()]


def referral_data_categories(referral: Referral) -> list[str]:
    """The categories a referral discloses to the provider it is sent to."""
    categories = [DataCategory.DEMOGRAPHICS, DataCategory.CONTACT, DataCategory.REFERRAL_REASON]
    if referral.risk_flags:
        categories.append(DataCategory.RISK_FLAGS)
    if referral.category in NEED_CATEGORIES:
        categories.append(NEED_CATEGORIES[referral.category])
    categories.extend(referral.sensitive_categories or [])
    return [str(c) for c in dict.fromkeys(categories)]


def referral_decision(
    referral: Referral,
    recipient: Organization,
    *,
    consents: list[Consent] | None = None,
    today=None,
    purpose: str = REFERRAL_PURPOSE,
) -> Decision:
    return disclosure_decision(
        client=referral.client,
        recipient=recipient,
        purpose=purpose,
        categories=referral_data_categories(referral),
        consents=consents,
        today=today,
    )


class DisclosureCache:
    """Consents for a page of referrals, loaded once, so a list costs the same queries for any length."""

    def __init__(self, referrals: Iterable[Referral] = ()):
        self.today = timezone.localdate()
        self._consents: dict[object, list[Consent]] = defaultdict(list)
        client_ids = {r.client_id for r in referrals}
        if client_ids:
            for consent in active_consents_of(client_ids, self.today):
                self._consents[consent.client_id].append(consent)
        self._loaded = client_ids
        self._break_glass: dict[object, bool] = {}
        self._catalog: ExchangeCatalog | None = None
        self._roles: dict[object, dict[object, frozenset[str]]] = {}

    @property
    def catalog(self) -> ExchangeCatalog:
        """The active exchange catalog (one query per request, whatever the number of referrals)."""
        if self._catalog is None:
            self._catalog = context.memoized(("exchange-catalog",), ExchangeCatalog.load)
        return self._catalog

    def roles_at(self, user) -> dict[object, frozenset[str]]:
        """organization id -> the user's active roles there (from the request's one membership lookup)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return {}
        if user.pk not in self._roles:
            roles: dict[object, set[str]] = defaultdict(set)
            for membership in active_memberships(user):
                roles[membership.organization_id].add(membership.role)
            self._roles[user.pk] = {org: frozenset(r) for org, r in roles.items()}
        return self._roles[user.pk]

    def break_glass(self, user, client_id) -> bool:
        """Whether `user` holds a live emergency access for this client (asked once per client)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if client_id not in self._break_glass:
            self._break_glass[client_id] = has_live_break_glass(user, client_id)
        return self._break_glass[client_id]

    def consents_for(self, client: Client) -> list[Consent]:
        if client.pk not in self._loaded:
            self._consents[client.pk] = active_consents(client, self.today)
            self._loaded.add(client.pk)
        return self._consents[client.pk]


def referral_disclosure(
    referral: Referral, sides: frozenset[Side], viewer_organizations: Iterable, cache: DisclosureCache | None = None
) -> ReferralDisclosure:
    """What this viewer sees of the referral's client data, and what is withheld and why."""
    client = referral.client
    purpose = context.current().purpose or REFERRAL_PURPOSE
    if Side.REFERRER in sides and referral.referring_organization_id == client.organization_id:
        return ReferralDisclosure(client=_client_values(client, REFERRER_CLIENT_FIELDS), purpose=purpose)
    recipients = _recipients(referral, sides, viewer_organizations)
    cache = cache or DisclosureCache()
    # Break-the-glass is decided like care coordination, then opens what consent withheld (Part 2 aside).
    asked = REFERRAL_PURPOSE if purpose == PurposeOfUse.BTG else purpose
    decisions = [
        referral_decision(referral, recipient, consents=cache.consents_for(client), today=cache.today, purpose=asked)
        for recipient in recipients
    ]
    categories = set(referral_data_categories(referral)) | set(CLIENT_FIELD_CATEGORIES.values())
    # Fail closed: with several organizations, a category shows only if every one of them may see it.
    permitted = {c for c in categories if decisions and all(d.permits(c) for d in decisions)}
    withheld = {}
    for decision in decisions:
        for category, reason in decision.withheld.items():
            withheld.setdefault(category, reason)
    for category in categories - permitted:
        withheld.setdefault(category, "no organization of yours may see it")
    relied_on = tuple(dict.fromkeys(c for d in decisions for c in d.consents))
    if purpose == PurposeOfUse.BTG:
        if cache.break_glass(context.current().user, client.pk):
            opened = categories - permitted - set(NAMED_RECIPIENT_ONLY)
            permitted |= opened
            withheld = {c: r for c, r in withheld.items() if c not in opened}
        else:
            # An emergency access for another client opens nothing here, and the read is plain coordination.
            purpose = REFERRAL_PURPOSE
    elements = _exchanged_elements(referral, recipients, cache)
    client_fields = [f for f in _CLIENT_FIELD_ORDER if f in elements and CLIENT_FIELD_CATEGORIES[f] in permitted]
    hidden = {
        f
        for f in template_fields()
        if f not in ROUTING_FIELDS and (f not in elements or not _template_field_permitted(referral, f, permitted))
    }
    if "reason" in hidden:
        # The latest status note is free text about the client, like the reason (see `shown_note`).
        hidden.add("status_note")
    return ReferralDisclosure(
        client=_client_values(client, ["id", *client_fields]),
        hidden_fields=frozenset(hidden | (set(CLIENT_FIELD_CATEGORIES) - set(client_fields))),
        withheld={c: r for c, r in withheld.items() if c in categories},
        consents=relied_on,
        purpose=purpose,
        recipients=tuple(recipients),
    )


def _exchanged_elements(referral: Referral, recipients: list[Organization], cache: DisclosureCache) -> frozenset[str]:
    """What the exchange catalog lists for the viewer's roles at the receiving organization(s).

    Per organization: the union over the viewer's roles there of each role's catalog fields for this need
    (the default when no entry applies to the role). Across several organizations (a share), only what
    every one of them gets, as with consent. Not listed means not shown; it is not "withheld", which
    is consent's word.
    """
    roles_at = cache.roles_at(context.current().user)
    per_organization = []
    for recipient in recipients:
        elements: set[str] = set()
        for role in roles_at.get(recipient.pk, ()):
            listed = cache.catalog.fields(referral_category=referral.category, role=role)
            elements |= default_elements() if listed is None else listed
        per_organization.append(frozenset(elements) if roles_at.get(recipient.pk) else default_elements())
    return frozenset.intersection(*per_organization) if per_organization else frozenset()


def _template_field_permitted(referral: Referral, name: str, permitted: set) -> bool:
    """Consent's say on one referral template field: a need or sensitive label discloses its category."""
    if name in REFERRAL_FIELD_CATEGORIES and REFERRAL_FIELD_CATEGORIES[name] not in permitted:
        return False
    if name in ("reason", "sensitive_categories"):
        return all(c in permitted for c in referral.sensitive_categories or [])
    return True


def _recipients(referral: Referral, sides: frozenset[Side], viewer_organizations: Iterable) -> list[Organization]:
    if Side.REFERRER in sides:
        ids = [referral.referring_organization_id]
    elif Side.RECEIVER in sides:
        ids = [referral.receiving_organization_id]
    else:
        ids = list(viewer_organizations)
    by_id = {
        o.pk: o
        for o in (referral.referring_organization, referral.receiving_organization)
        if o is not None and o.pk in ids
    }
    missing = [i for i in ids if i not in by_id]
    if missing:
        by_id.update({o.pk: o for o in Organization.objects.filter(pk__in=missing)})
    return [by_id[i] for i in ids if i in by_id]


def _client_values(client: Client, fields: Iterable[str]) -> dict:
    return {name: getattr(client, name) for name in fields}


@dataclass(frozen=True)
class PreviewLine:
    category: str
    label: str
    permitted: bool
    reason: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class DisclosurePreview:
    recipient: Organization | None
    purpose: str
    lines: tuple[PreviewLine, ...]
    consents: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.recipient is not None and all(line.permitted for line in self.lines)

    @property
    def missing(self) -> str:
        """What consent is missing, in one sentence (the message of a blocked send)."""
        if self.recipient is None:
            return "Choose a service first."
        reasons = [f"{line.label}: {line.reason}" for line in self.lines if not line.permitted]
        return "Consent does not permit sending this referral. " + "; ".join(reasons) + "." if reasons else ""


def _receiving_elements(referral: Referral, recipient: Organization) -> frozenset[str]:
    """What the exchange catalog gives the receiving organization's staff for this need, across their roles."""
    catalog = ExchangeCatalog.load()
    roles = set(recipient.memberships.filter(active=True).values_list("role", flat=True)) or {"provider_intake"}
    elements: set[str] = set()
    for role in roles:
        listed = catalog.fields(referral_category=referral.category, role=role)
        elements |= default_elements() if listed is None else listed
    return frozenset(elements)


def disclosure_preview(referral: Referral) -> DisclosurePreview:
    """Exactly what the receiving organization would see if the referral were sent now, and under which consent."""
    recipient = referral.service.organization if referral.service_id else None
    if recipient is None:
        return DisclosurePreview(None, REFERRAL_PURPOSE, (), ())
    categories = referral_data_categories(referral)
    decision = referral_decision(referral, recipient)
    elements = _receiving_elements(referral, recipient)
    fields_by_category: dict[str, list[str]] = defaultdict(list)
    for name in _CLIENT_FIELD_ORDER:
        if name in elements:
            fields_by_category[CLIENT_FIELD_CATEGORIES[name]].append(name)
    for name, category in REFERRAL_FIELD_CATEGORIES.items():
        if name in elements:
            fields_by_category[category].append(name)
    lines = tuple(
        PreviewLine(
            category=c,
            label=str(DataCategory(c).label),
            permitted=decision.permits(c),
            reason=decision.withheld.get(c, "custodian" if decision.custodian else "permitted by consent"),
            # A need or sensitive category is disclosed by the need and the reason themselves.
            fields=tuple(fields_by_category.get(c) or ("category", "reason")),
        )
        for c in categories
    )
    return DisclosurePreview(recipient, REFERRAL_PURPOSE, lines, decision.consents)


@transaction.atomic
def audit_disclosure(
    referral: Referral, disclosure: ReferralDisclosure | None = None, subtype: str = "", extra: dict | None = None
) -> None:
    """One audit row per view: the client fields shown, what consent withheld and why, the consents relied on.

    A read by another organization than the client's custodian also adds its ledger row (what it was shown).
    """
    if disclosure is None:
        audit_record(
            action=AuditAction.REFERRAL_VIEWED,
            target=referral,
            client_id=referral.client_id,
            subtype=subtype,
            detail=extra or {},
        )
        return
    detail: dict = {"client_fields": [f for f in disclosure.client if f != "id"], **(extra or {})}
    if disclosure.withheld:
        detail["withheld"] = dict(disclosure.withheld)
    event = audit_record(
        action=AuditAction.REFERRAL_VIEWED,
        target=referral,
        client_id=referral.client_id,
        subtype=subtype,
        purpose_of_use=disclosure.purpose,
        consents=disclosure.consents,
        detail=detail,
    )
    ledger_reads(event, [(referral, disclosure)])


@transaction.atomic
def audit_listing(rows: list[tuple[Referral, ReferralDisclosure]], *, subtype: str = "", query: dict | None = None):
    """One audit row per list read: every client shown, what consent withheld on which referral, the consents.

    Clients shown to another organization than their custodian get one ledger row each, in one insert.
    """
    withheld = {str(r.pk): d.withheld for r, d in rows if d.withheld}
    detail: dict = {
        "client_ids": sorted({str(r.client_id) for r, _ in rows}),
        "referral_ids": [str(r.pk) for r, _ in rows],
        "query": query or {},
    }
    if withheld:
        detail["withheld"] = withheld
    event = audit_record(
        action=AuditAction.REFERRAL_LISTED,
        subtype=subtype,
        consents=list(dict.fromkeys(c for _, d in rows for c in d.consents)),
        detail=detail,
    )
    ledger_reads(event, rows)


# --- the accounting of disclosures --------------------------------------------------------------------------


def shown_categories(referral: Referral, disclosure: ReferralDisclosure) -> list[str]:
    """The data categories this viewer was actually shown of the referral (not what was withheld or not listed)."""
    shown = [CLIENT_FIELD_CATEGORIES[f] for f in disclosure.client if f in CLIENT_FIELD_CATEGORIES]
    shown += [category for name, category in REFERRAL_FIELD_CATEGORIES.items() if disclosure.shows(name)]
    if referral.category in NEED_CATEGORIES:  # the need is always shown to the receiving side
        shown.append(NEED_CATEGORIES[referral.category])
    if disclosure.shows("sensitive_categories"):
        shown += referral.sensitive_categories or []
    present = {str(c) for c in shown}
    return [c for c in DataCategory.values if c in present]


def read_kind(source: str, roles: Iterable[str]) -> DisclosureKind:
    """Pages (and people using the API) read referrals; partner systems read them through the API or FHIR."""
    if source == Source.FHIR:
        return DisclosureKind.FHIR_READ
    if source == Source.API and Role.PARTNER_SYSTEM in set(roles):
        return DisclosureKind.API_READ
    return DisclosureKind.REFERRAL_READ


def ledger_reads(event: AuditEvent, rows: list[tuple[Referral, ReferralDisclosure]]) -> None:
    """Ledger rows for what a read showed outside the custodian: one per (client, recipient organization)."""
    merged: dict[tuple, dict] = {}
    for referral, disclosure in rows:
        for recipient in disclosure.recipients:
            if recipient.pk == referral.client.organization_id:
                continue
            entry = merged.setdefault(
                (referral.client_id, recipient.pk),
                {"recipient": recipient, "referrals": [], "categories": [], "consents": [], "custodian": None},
            )
            entry["referrals"].append(referral)
            entry["categories"] += shown_categories(referral, disclosure)
            entry["consents"] += disclosure.consents
            entry["custodian"] = referral.client.organization_id
    if not merged:
        return
    purpose = next(d.purpose for _, d in rows if d.recipients)
    roles = [m.role for m in active_memberships(event.actor)] if event.actor_id else []
    entries = [
        DisclosureEntry(
            client_id=client_id,
            categories=[c for c in DataCategory.values if c in set(entry["categories"])],
            consents=entry["consents"],
            description=_read_description(entry["referrals"]),
            target=entry["referrals"][0],
            custodian_id=entry["custodian"],
            recipient_organization=entry["recipient"],
        )
        for (client_id, _), entry in merged.items()
    ]
    disclosures_record(
        event=event,
        kind=read_kind(event.source, roles),
        recipient_user=event.actor,
        entries=entries,
        purpose_of_use=purpose,
    )


def _read_description(referrals: list[Referral]) -> str:
    references = ", ".join(r.reference for r in referrals[:10])
    if len(referrals) == 1:
        return f"Referral {references} ({referrals[0].get_category_display()}) read"
    return f"Referrals {references} listed"


def ledger_referral_sent(referral: Referral, event: AuditEvent, consents: Iterable[str]) -> None:
    """The send itself discloses the referral's categories to the receiving organization (not to one user)."""
    service = referral.service.name if referral.service_id else ""
    disclosures_record(
        event=event,
        kind=DisclosureKind.REFERRAL_SENT,
        recipient_organization=referral.receiving_organization,
        entries=[
            DisclosureEntry(
                client_id=referral.client_id,
                categories=referral_data_categories(referral),
                consents=list(consents),
                description=f"Referral {referral.reference} sent ({referral.get_category_display()}, {service})",
                target=referral,
                custodian_id=referral.client.organization_id,
            )
        ],
        purpose_of_use=REFERRAL_PURPOSE,
    )


NOTE_WITHHELD = "Note withheld: it may describe the client, and consent does not cover the referral reason for you."


def shown_note(event, disclosure: ReferralDisclosure, own_organization_ids) -> str:
    """A timeline note as this viewer may read it.

    Notes are free text about the client: the organization that wrote one always reads it; anyone else
    only when the referral reason is disclosed to them.
    """
    if not event.note or event.organization_id in own_organization_ids or disclosure.shows("reason"):
        return event.note
    return NOTE_WITHHELD
