"""Writes to consent records, each with its audit row in the same transaction."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from clients.models import Client
from coordination.access import Action
from coordination.events import Event
from coordination.outbox import outbox_enqueue
from providers.access import holds_permission
from providers.models import Organization

from .choices import FORBIDDEN_PURPOSES, NAMED_RECIPIENT_ONLY, ConsentStatus, ProvisionType, RevocationMethod
from .models import Consent, ConsentProvision
from .selectors import client_data_recipients

RECORDABLE_STATUSES = (ConsentStatus.ACTIVE, ConsentStatus.DRAFT, ConsentStatus.REJECTED)
PROVISION_FIELDS = ("type", "partner_categories", "purposes", "data_categories", "start", "end")
FORM_MAGIC = ((b"%PDF", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"))
FORM_EXTENSIONS = {"pdf": "pdf", "png": "png", "jpg": "jpeg", "jpeg": "jpeg"}


def _check_form(signed_form) -> None:
    if signed_form is None:
        return
    if signed_form.size > settings.CONSENT_FORM_MAX_BYTES:
        limit = settings.CONSENT_FORM_MAX_BYTES // (1024 * 1024)
        raise ValidationError({"signed_form": [f"The signed form must be {limit} MB or smaller."]})
    head = signed_form.read(8)
    signed_form.seek(0)
    kind = next((k for magic, k in FORM_MAGIC if head.startswith(magic)), None)
    if kind is None:
        raise ValidationError({"signed_form": ["Upload the signed form as a PDF, PNG or JPEG file."]})
    # The name decides how the file is served later: it must say what the content is.
    name = str(getattr(signed_form, "name", "") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if FORM_EXTENSIONS.get(extension) != kind:
        named = f"its name ends in .{extension}" if extension else "its name has no extension"
        raise ValidationError({"signed_form": [f"The file is a {kind.upper()} but {named}; rename it."]})


def _provision_errors(index: int, data: dict[str, Any]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    # An empty list never reaches the field's validators (the model calls it blank): say what is missing here.
    for name, what in (("purposes", "purposes of use"), ("data_categories", "data categories")):
        if name in data and data[name] in ([], (), None, ""):
            result[f"provisions[{index}].{name}"] = [f"Name at least one of the {what}."]
    errors = []
    if not data.get("partner_categories") and not data.get("organizations"):
        errors.append("Say who it applies to: partner categories, named organizations, or both.")
    if (
        data.get("type", ProvisionType.PERMIT) == ProvisionType.PERMIT
        and set(NAMED_RECIPIENT_ONLY) & set(data.get("data_categories") or [])
        and not data.get("organizations")
    ):
        errors.append("Substance-use data (42 CFR Part 2) may only be permitted to named organizations: name them.")
    if data.get("type", ProvisionType.PERMIT) == ProvisionType.PERMIT and set(FORBIDDEN_PURPOSES) & set(
        data.get("purposes") or []
    ):
        errors.append("Marketing (HMARKT) can never be permitted; the portal refuses it whatever a consent says.")
    start, end = data.get("start"), data.get("end")
    if start and end and end < start:
        errors.append("The end date is before the start date.")
    if errors:
        result[f"provisions[{index}]"] = errors
    return result


@transaction.atomic
def consent_record(
    *,
    actor,
    client: Client,
    method: str,
    date: datetime.date,
    provisions: list[dict[str, Any]],
    status: str = ConsentStatus.ACTIVE,
    signed_form=None,
) -> Consent:
    """Record a consent the client gave (or refused), with its permit and deny provisions.

    The client's owning organization is the custodian; only its staff may record consent.
    """
    if not Client.objects.visible_to(actor, Action.VIEW).filter(pk=client.pk).exists() or not holds_permission(
        actor, "consent.add_consent", client.organization
    ):
        raise PermissionDenied("Only staff of the client's own organization can record their consent.")
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if status not in RECORDABLE_STATUSES:
        errors["status"] = [f"Record a consent as one of: {', '.join(RECORDABLE_STATUSES)}."]
    if date > today:
        errors["date"] = ["The consent date cannot be in the future."]
    if not provisions:
        errors["provisions"] = ["Give at least one provision (what is permitted or denied)."]
    for index, data in enumerate(provisions):
        errors.update(_provision_errors(index, data))
    if errors:
        raise ValidationError(errors)
    _check_form(signed_form)
    consent = Consent(
        client=client,
        organization=client.organization,
        status=status,
        method=method,
        date=date,
        recorded_by=actor,
    )
    if signed_form is not None:
        consent.signed_form = signed_form
    consent._history_user = actor
    consent.full_clean()
    # Every provision is checked before anything is saved: saving the consent writes the signed form to
    # disk, and a rollback would leave that file behind.
    checked = [_provision_checked(actor, consent, index, data) for index, data in enumerate(provisions)]
    consent.save()
    for provision, data in checked:
        provision.consent = consent
        provision.save()
        if data.get("organizations"):
            provision.organizations.set(list(data["organizations"]))
    audit_record(
        action=AuditAction.CONSENT_RECORDED,
        actor=actor,
        target=consent,
        client_id=client.pk,
        organization=client.organization,
        detail={"status": consent.status, "method": method, "provisions": len(provisions)},
    )
    return consent


def _provision_checked(
    actor, consent: Consent, index: int, data: dict[str, Any]
) -> tuple[ConsentProvision, dict[str, Any]]:
    provision = ConsentProvision(consent=consent, **{k: data[k] for k in PROVISION_FIELDS if k in data})
    provision._history_user = actor
    try:
        provision.full_clean(exclude=["consent"])
    except ValidationError as error:
        raise ValidationError({f"provisions[{index}].{k}": v for k, v in error.message_dict.items()}) from error
    return provision, data


def _recipients_of(client: Client) -> list[Organization]:
    """Organizations that already received this client's data (the ledger and sent referrals)."""
    return client_data_recipients(client)


@transaction.atomic
def consent_revoke(*, actor, consent: Consent, reason: str, method: str) -> Consent:
    """Withdraw a consent; it takes effect on the very next request (the policy reads status live)."""
    locked = Consent.objects.visible_to(actor, Action.CHANGE).select_for_update(of=("self",)).filter(pk=consent.pk)
    locked = locked.select_related("client").first()
    if locked is None:
        raise PermissionDenied("Only staff of the custodian organization can revoke this consent.")
    if locked.status not in (ConsentStatus.ACTIVE, ConsentStatus.DRAFT):
        raise ValidationError(
            {"status": [f"This consent is {locked.get_status_display().lower()}; it cannot be revoked."]}
        )
    reason = str(reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = ["Say why the consent is withdrawn."]
    if method not in RevocationMethod.values:
        errors["method"] = [f"Say how the client withdrew consent: {', '.join(RevocationMethod.values)}."]
    if errors:
        raise ValidationError(errors)
    locked.status = ConsentStatus.INACTIVE
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor
    locked.revocation_method = method
    locked.revocation_reason = reason
    locked._history_user = actor
    locked.full_clean()
    locked.save()
    recipients = _recipients_of(locked.client)
    audit_record(
        action=AuditAction.CONSENT_REVOKED,
        actor=actor,
        target=locked,
        client_id=locked.client_id,
        organization=locked.organization,
        detail={
            "method": method,
            # The SLA/notification issue tells these organizations; the list is kept with the revocation.
            "notify_organizations": [{"id": str(o.pk), "slug": o.slug, "name": o.name} for o in recipients],
        },
    )
    outbox_enqueue(
        Event.CONSENT_REVOKED,
        subject=locked,
        data={
            "client_id": str(locked.client_id),
            "organization_ids": [str(o.pk) for o in recipients],
            "actor_id": actor.pk if actor else None,
        },
    )
    return locked


@transaction.atomic
def consent_mark_entered_in_error(*, actor, consent: Consent, reason: str) -> Consent:
    """Void a consent recorded by mistake (wrong client, recorded twice): it stays on file but permits nothing."""
    locked = Consent.objects.visible_to(actor, Action.CHANGE).select_for_update(of=("self",)).filter(pk=consent.pk)
    locked = locked.first()
    if locked is None:
        raise PermissionDenied("Only staff of the custodian organization can correct this consent.")
    errors = {}
    if locked.status == ConsentStatus.ENTERED_IN_ERROR:
        errors["status"] = ["This consent is already marked entered in error."]
    if not str(reason or "").strip():
        errors["reason"] = ["Say what was wrong with this record."]
    if errors:
        raise ValidationError(errors)
    previous = locked.status
    locked.status = ConsentStatus.ENTERED_IN_ERROR
    locked.error_marked_at = timezone.now()
    locked.error_marked_by = actor
    locked.error_reason = reason.strip()
    locked._history_user = actor
    locked.full_clean()
    locked.save()
    audit_record(
        action=AuditAction.CONSENT_ENTERED_IN_ERROR,
        actor=actor,
        target=locked,
        client_id=locked.client_id,
        organization=locked.organization,
        detail={"previous_status": previous},
    )
    return locked
