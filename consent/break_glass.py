"""Break the glass: a typed, time-boxed emergency override of consent for one client, that alerts governance."""

from __future__ import annotations

import datetime
import logging

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from clients.models import Client
from coordination.access import Action
from coordination.purpose import PurposeOfUse, active_roles, purposes_for
from coordination.roles import Role
from providers.models import Membership

from .models import BreakGlassAccess

logger = logging.getLogger(__name__)

MIN_REASON = 15
MAX_MINUTES = 240


def _sees_a_referral_for(actor, client: Client) -> bool:
    # Looked up by name: referrals build on consent. The override opens withheld data on referrals the
    # user already sees; it never makes a client reachable who was not.
    referral_model = apps.get_model("referrals", "Referral")
    return referral_model.objects.visible_to(actor, Action.VIEW).filter(client_id=client.pk).exists()


def _alert_governance(access: BreakGlassAccess) -> None:
    recipients = list(
        Membership.objects.filter(
            organization_id=access.client.organization_id,
            role=Role.GOVERNANCE_LEAD,
            active=True,
            user__is_active=True,
        ).values_list("user__email", flat=True)
    )
    recipients = sorted({r for r in recipients if r})
    if not recipients:
        return
    who = access.user.get_full_name() or access.user.get_username()
    send_mail(
        subject="Break-the-glass access started",
        message=(
            f"{who} started emergency access to a client's withheld data until {access.expires_at:%Y-%m-%d %H:%M %Z}.\n"
            f"Reason given: {access.reason}\n\n"
            f"Review it in the governance admin (break-glass access {access.pk})."
        ),
        from_email=None,
        recipient_list=recipients,
    )


def _alert_governance_safely(access: BreakGlassAccess) -> None:
    # The access has started and is audited; a mail failure must not turn that into an error for the user.
    # (The SLA/notification issue moves this alert onto the persisted outbox, so it is retried.)
    try:
        _alert_governance(access)
    except Exception:
        logger.exception("Could not email governance about break-glass access %s", access.pk)


@transaction.atomic
def break_glass_start(*, actor, client: Client, reason: str, minutes: int = 60) -> BreakGlassAccess:
    if PurposeOfUse.BTG not in purposes_for(active_roles(actor)):
        raise PermissionDenied("Your role may not break the glass.")
    if not _sees_a_referral_for(actor, client):
        raise PermissionDenied("Emergency access opens withheld data on a referral you can see; there is none.")
    reason = str(reason or "").strip()
    errors = {}
    if len(reason) < MIN_REASON:
        errors["reason"] = [f"Describe the emergency (at least {MIN_REASON} characters)."]
    if not isinstance(minutes, int) or not 5 <= minutes <= MAX_MINUTES:
        errors["minutes"] = [f"Emergency access lasts 5 to {MAX_MINUTES} minutes."]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    access = BreakGlassAccess(
        user=actor, client=client, reason=reason, started_at=now, expires_at=now + datetime.timedelta(minutes=minutes)
    )
    access._history_user = actor
    access.full_clean()
    access.save()
    audit_record(
        action=AuditAction.BREAK_GLASS_STARTED,
        actor=actor,
        target=access,
        client_id=client.pk,
        purpose_of_use=PurposeOfUse.BTG,
        detail={"reason": reason, "expires_at": access.expires_at.isoformat()},
    )
    transaction.on_commit(lambda: _alert_governance_safely(access))
    return access


@transaction.atomic
def break_glass_end(*, actor, access: BreakGlassAccess) -> BreakGlassAccess:
    locked = BreakGlassAccess.objects.select_for_update().filter(pk=access.pk, user_id=actor.pk).first()
    if locked is None:
        raise PermissionDenied("Only the person who started an emergency access can end it.")
    if locked.ended_at is None and locked.expires_at > timezone.now():
        locked.ended_at = timezone.now()
        locked._history_user = actor
        locked.save()
        audit_record(
            action=AuditAction.BREAK_GLASS_ENDED,
            actor=actor,
            target=locked,
            client_id=locked.client_id,
            purpose_of_use=PurposeOfUse.BTG,
        )
    return locked


def live_break_glass(user, client_id) -> BreakGlassAccess | None:
    return (
        BreakGlassAccess.objects.filter(
            user_id=user.pk, client_id=client_id, expires_at__gt=timezone.now(), ended_at__isnull=True
        )
        .order_by("-expires_at")
        .first()
    )
