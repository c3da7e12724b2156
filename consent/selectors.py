"""Consents in plain language, for the consent pages and the referral page's consent summary."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from clients.models import Client
from coordination.access import Action
from providers.access import organizations_granting
from providers.choices import PartnerCategory
from providers.models import Organization

from .choices import ConsentStatus, DataCategory, ProvisionType, PurposeOfUse
from .models import Consent, ConsentProvision
from .policy import covers_purpose, covers_recipient

REVOCABLE = (ConsentStatus.ACTIVE, ConsentStatus.DRAFT)


# Consents in plain language


def _lower(label: str) -> str:
    """'Contact details' -> 'contact details', but 'HIV' stays 'HIV'."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _labels(codes: list[str], choices) -> list[str]:
    names = dict(choices.choices)
    return [_lower(str(names.get(code, code))) for code in codes]


def describe_provision(provision: ConsentProvision) -> str:
    """'Permit housing partners and Safe Haven Housing to see contact details for coordination of care, ...'."""
    whom = [f"{label} partners" for label in _labels(provision.partner_categories, PartnerCategory)]
    whom += [organization.name for organization in provision.organizations.all()]
    what = _join(_labels(provision.data_categories, DataCategory) or ["nothing"])
    why = _join(_labels(provision.purposes, PurposeOfUse) or ["no purpose"])
    if provision.end:
        period = f"{provision.start:%Y-%m-%d} to {provision.end:%Y-%m-%d}"
    else:
        period = f"from {provision.start:%Y-%m-%d}, no end date"
    verb = "to see" if provision.type == ProvisionType.PERMIT else "from seeing"
    return f"{provision.get_type_display()} {_join(whom or ['nobody'])} {verb} {what} for {why}, {period}"


@dataclass
class ConsentRow:
    consent: Consent
    badge: str
    status_label: str
    provisions: list[tuple[str, str]]  # (type, sentence)
    can_revoke: bool


def _expired(consent: Consent, provisions: list[ConsentProvision], today: datetime.date) -> bool:
    return (
        consent.status == ConsentStatus.ACTIVE
        and bool(provisions)
        and all(p.end is not None and p.end < today for p in provisions)
    )


def _status(consent: Consent, expired: bool) -> tuple[str, str]:
    if expired:
        return "inactive", "Inactive: expired"
    if consent.status == ConsentStatus.INACTIVE:
        return "inactive", "Inactive: revoked" if consent.revoked_at else "Inactive"
    return consent.status, consent.get_status_display()


def consent_rows(user, client: Client) -> list[ConsentRow]:
    """The client's consents the user may see, with provisions and who recorded them (four queries)."""
    provisions = ConsentProvision.objects.visible_to(user, Action.VIEW).prefetch_related("organizations")
    consents = (
        Consent.objects.visible_to(user, Action.VIEW)
        .filter(client=client)
        .select_related("recorded_by", "revoked_by", "organization")
        .prefetch_related(Prefetch("provisions", queryset=provisions))
    )
    changeable = {row["organization_id"] for row in organizations_granting(user, "consent.change_consent")}
    today = timezone.localdate()
    return [consent_row(consent, list(consent.provisions.all()), today, changeable) for consent in consents]


def consent_row(consent: Consent, provisions: list[ConsentProvision], today: datetime.date, changeable=frozenset()):
    expired = _expired(consent, provisions, today)
    badge, label = _status(consent, expired)
    return ConsentRow(
        consent=consent,
        badge=badge,
        status_label=label,
        provisions=[(p.type, describe_provision(p)) for p in provisions],
        can_revoke=consent.status in REVOCABLE and not expired and consent.organization_id in changeable,
    )


def _day(value: datetime.date) -> str:
    return f"{value:%b} {value.day}, {value:%Y}"


def lapsed_consent_notes(
    *, client: Client, recipient: Organization, purpose: str, categories, today: datetime.date | None = None
) -> dict[str, str]:
    """Per category, when consent that covered `recipient` for `purpose` stopped: withdrawn or expired.

    For the receiving side's withheld banner: it names only the date, never the consent's contents.
    """
    today = today or timezone.localdate()
    categories = list(categories)
    consents = Consent.objects.filter(
        client=client, status__in=[ConsentStatus.ACTIVE, ConsentStatus.INACTIVE]
    ).prefetch_related(Prefetch("provisions", queryset=ConsentProvision.objects.prefetch_related("organizations")))
    latest: dict[str, tuple[datetime.date, str]] = {}
    for consent in consents:
        revoked_on = timezone.localdate(consent.revoked_at) if consent.revoked_at else None
        for provision in consent.provisions.all():
            if provision.type != ProvisionType.PERMIT or not covers_purpose(provision, purpose):
                continue
            if consent.status == ConsentStatus.INACTIVE and revoked_on:
                if provision.end is not None and provision.end < revoked_on:
                    continue  # it had already run out: the withdrawal changed nothing
                when, note = revoked_on, f"Consent for this was withdrawn on {_day(revoked_on)}."
            elif consent.status == ConsentStatus.ACTIVE and provision.end is not None and provision.end < today:
                when, note = provision.end, f"Consent for this expired on {_day(provision.end)}."
            else:
                continue
            for category in categories:
                covered = category in provision.data_categories and covers_recipient(provision, recipient, category)
                if covered and (category not in latest or latest[category][0] < when):
                    latest[category] = (when, note)
    return {category: note for category, (_, note) in latest.items()}


# Who must hear about a revocation or expiry


def client_data_recipients(client: Client) -> list[Organization]:
    """Organizations that received this client's data, by name: told when consent is revoked or expires.

    The disclosure ledger (audit.Disclosure) where it is installed, together with the receiving organizations
    of the client's sent referrals (they predate the ledger); never the client's own organization.
    """
    ids = set(
        apps.get_model("referrals", "Referral")
        .objects.filter(client_id=client.pk, sent_at__isnull=False)
        .exclude(receiving_organization=None)
        .values_list("receiving_organization_id", flat=True)
    )
    try:
        ledger = apps.get_model("audit", "Disclosure")
    except LookupError:
        ledger = None
    if ledger is not None:
        ids |= set(
            ledger._default_manager.filter(client_id=client.pk)
            .exclude(recipient_organization_id=None)
            .values_list("recipient_organization_id", flat=True)
            .distinct()
        )
    ids.discard(client.organization_id)
    return list(Organization.objects.filter(pk__in=ids).order_by("name"))


def expired_consents(today: datetime.date):
    """Active consents whose every provision ended before `today` (the same rule as the consent pages)."""
    current = ConsentProvision.objects.filter(consent=OuterRef("pk")).filter(Q(end__isnull=True) | Q(end__gte=today))
    return (
        Consent.objects.filter(status=ConsentStatus.ACTIVE, provisions__isnull=False)
        .exclude(Exists(current))
        .distinct()
    )
