"""Writes to referrals. Each runs in one transaction with its timeline entry and its audit row."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.services import audit_record
from clients.models import Client
from consent.policy import active_consents
from coordination.access import Action
from coordination.events import transition_event
from coordination.outbox import outbox_enqueue
from coordination.roles import Role, roles_granting
from providers.access import holds_permission
from providers.models import Organization, Service

from .access import ReferralActor
from .choices import EventKind, Side, Status
from .disclosure import REFERRAL_PURPOSE, disclosure_preview, ledger_referral_sent
from .errors import ConsentRequired, ReferralNotFound, TransitionConflict, WrongSide
from .models import Referral, ReferralEvent
from .routing import routable_services
from .sla import set_due_times
from .validation.codes import Mode
from .validation.rejection import TemplateRejected, enforce, rejection_record
from .validation.rules import appointment_problem, check_referral, default_contact_method
from .workflow import TRANSITION_INPUTS, TRANSITIONS, Transition

TEMPLATE_FIELDS = (
    "category",
    "urgency",
    "reason",
    "risk_flags",
    "contact_constraints",
    "safe_contact_times",
    "contact_method",
    "eligibility_basis",
    "eligibility_note",
    "sensitive_categories",
    "language",
    "interpreter_needed",
)
NOTE_MAX_LENGTH = 2000
# Where each transition's coded input is stored on the referral.
_CODE_TARGETS = {
    "decline": "decline_reason",
    "hold": "hold_reason",
    "close": "outcome",
    "cancel": "cancel_reason",
    "record_contact_attempt": "last_contact_result",
}


def _actor_name(actor) -> str:
    return (actor.get_full_name() or actor.get_username())[:200] if actor else ""


def record_event(
    *, referral: Referral, name: str, actor, side: str, from_status: str, now: datetime.datetime, **fields
) -> ReferralEvent:
    organization_id = (
        referral.referring_organization_id if side == Side.REFERRER else referral.receiving_organization_id
    )
    return ReferralEvent.objects.create(
        referral=referral,
        name=name,
        from_status=from_status,
        to_status=referral.status,
        side=side,
        actor=actor,
        actor_display=_actor_name(actor),
        organization_id=organization_id if side else None,
        occurred_at=now,
        **fields,
    )


def _referring_organization(actor, organization: Organization | None) -> Organization:
    if organization is not None:
        if organization.kind != "agency" or not holds_permission(actor, "referrals.add_referral", organization):
            raise ValidationError({"referring_organization": ["You cannot make referrals for this organization."]})
        return organization
    allowed = list(
        Organization.objects.filter(
            kind="agency",
            active=True,
            memberships__user_id=actor.pk,
            memberships__active=True,
            memberships__role__in=roles_granting("referrals.add_referral"),
        ).distinct()[:2]
    )
    if len(allowed) != 1:
        raise ValidationError(
            {
                "referring_organization": [
                    "Say which agency is referring." if allowed else "Your role does not allow making referrals."
                ]
            }
        )
    return allowed[0]


def _check_client(actor, client: Client) -> None:
    if not Client.objects.visible_to(actor, Action.VIEW).filter(pk=client.pk).exists():
        raise ValidationError({"client": ["No such client among the clients you can see."]})


def _check_service(actor, service: Service | None) -> None:
    """A chosen service must be one the portal can route to right now."""
    if service is None:
        return
    if not routable_services(actor=actor).filter(pk=service.pk).exists():
        raise ValidationError(
            {"service": [f"{service.name} is not active or not accepting referrals; choose another service."]}
        )


def referral_create(
    *,
    actor,
    client: Client,
    data: dict[str, Any],
    service: Service | None = None,
    referring_organization: Organization | None = None,
    submit: bool = False,
    confirm_warnings: bool = False,
    now: datetime.datetime | None = None,
) -> Referral:
    """Create a draft from the template (and send it at once with `submit`).

    Create-and-send is all or nothing: when consent or the template's rules block the send, no draft is left
    behind either, and the blocked attempt is still written to the audit trail (a rule rejection is also
    counted, `referrals.validation.rejection`). `now` dates the timeline entry and the sending (the demo data
    uses it to tell an older story). `confirm_warnings` sends despite the rules' warnings.
    """
    try:
        with transaction.atomic():
            return _create(actor, client, data, service, referring_organization, submit, confirm_warnings, now)
    except ConsentRequired as blocked:
        _audit_blocked(actor, blocked, client_id=client.pk, subtype="create-and-submit")
        raise
    except TemplateRejected as rejected:
        rejection_record(actor=actor, rejected=rejected, saved=False)
        raise


def _create(actor, client, data, service, referring_organization, submit, confirm_warnings, now) -> Referral:
    organization = _referring_organization(actor, referring_organization)
    _check_client(actor, client)
    _check_service(actor, service)
    values = {k: data[k] for k in TEMPLATE_FIELDS if k in data}
    values.setdefault("language", client.preferred_language)
    values.setdefault("interpreter_needed", client.interpreter_needed)
    if not values.get("contact_method"):
        values["contact_method"] = default_contact_method(client, values.get("risk_flags") or [])
    now = now or timezone.now()
    referral = Referral(
        created_at=now,
        client=client,
        referring_organization=organization,
        created_by=actor,
        assigned_to=actor,
        service=service,
        receiving_organization=service.organization if service else None,
        **values,
    )
    referral._history_user = actor
    enforce(check_referral(referral, mode=Mode.DRAFT), referral=referral)
    referral.full_clean()
    referral.save()
    record_event(referral=referral, name=EventKind.CREATED, actor=actor, side=Side.REFERRER, from_status="", now=now)
    audit_record(
        action=AuditAction.REFERRAL_CREATED,
        actor=actor,
        target=referral,
        client_id=client.pk,
        organization=organization,
        detail={"service": str(service.pk) if service else None, "urgency": referral.urgency},
    )
    if submit:
        referral = referral_transition(
            actor=actor, referral=referral, name="submit", now=now, confirm_warnings=confirm_warnings
        )
    return referral


def lock_visible_referral(actor, referral: Referral) -> Referral:
    locked = (
        Referral.objects.visible_to(actor, Action.VIEW)
        .select_for_update(of=("self",))
        .select_related("client", "service", "service__organization")
        .filter(pk=referral.pk)
        .first()
    )
    if locked is None:
        raise ReferralNotFound("No such referral.")
    return locked


def _check_version(locked: Referral, expected_version: int | None) -> None:
    if expected_version is not None and locked.version != expected_version:
        raise TransitionConflict(
            f"This referral changed since you loaded it (it is now {locked.get_status_display().lower()}). "
            "Reload it and try again."
        )


@transaction.atomic
def referral_update_draft(
    *, actor, referral: Referral, data: dict[str, Any], expected_version: int | None = None, **related
) -> Referral:
    """Change a draft's template or chosen service (`service=`); sent referrals are not edited."""
    locked = lock_visible_referral(actor, referral)
    if Side.REFERRER not in ReferralActor(actor).sides(locked):
        raise WrongSide("Only the referring agency can edit this referral.")
    _check_version(locked, expected_version)
    if locked.status != Status.DRAFT:
        raise TransitionConflict("Only a draft can be edited; this referral has been sent.")
    changed = [k for k in TEMPLATE_FIELDS if k in data and getattr(locked, k) != data[k]]
    for field in changed:
        setattr(locked, field, data[field])
    if "service" in related and related["service"] != locked.service:
        service = related["service"]
        _check_service(actor, service)
        locked.service = service
        locked.receiving_organization = service.organization if service else None
        changed += ["service"]
    if not changed:
        return locked
    locked.version += 1
    locked._history_user = actor
    enforce(check_referral(locked, mode=Mode.DRAFT), referral=locked)
    locked.full_clean()
    locked.save()
    record_event(
        referral=locked,
        name=EventKind.EDITED,
        actor=actor,
        side=Side.REFERRER,
        from_status=locked.status,
        now=timezone.now(),
        detail={"fields": changed},
    )
    audit_record(
        action=AuditAction.REFERRAL_UPDATED,
        actor=actor,
        target=locked,
        client_id=locked.client_id,
        detail={"fields": changed},
    )
    return locked


def _clean_inputs(
    transition: Transition, referral: Referral, inputs: dict[str, Any], now: datetime.datetime
) -> dict[str, Any]:
    """The transition's own inputs, checked; anything it does not use must be left empty."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(inputs) - set(TRANSITION_INPUTS))
    for key in unknown:
        errors[key] = ["Not a transition input."]
    used = {transition.code_field, "note"} | ({"appointment_at"} if transition.needs_appointment else set())
    for key in TRANSITION_INPUTS:
        if key not in used and inputs.get(key) not in (None, ""):
            errors[key] = [f"'{transition.name}' does not take {key}."]
    cleaned: dict[str, Any] = {"note": str(inputs.get("note") or "").strip()}
    if len(cleaned["note"]) > NOTE_MAX_LENGTH:
        errors["note"] = [f"Keep the note under {NOTE_MAX_LENGTH} characters."]
    code = ""
    if transition.code_field:
        code = str(inputs.get(transition.code_field) or "")
        valid = transition.codes.values
        if not code:
            errors[transition.code_field] = [f"Required for '{transition.name}'. Use one of: {', '.join(valid)}."]
        elif code not in valid:
            errors[transition.code_field] = [f"Unknown code '{code[:60]}'. Use one of: {', '.join(valid)}."]
        cleaned[transition.code_field] = code
    if transition.note_needed(code) and not cleaned["note"]:
        errors["note"] = ["A note is required here." if transition.note_required else "Explain 'other' in a note."]
    if transition.needs_appointment:
        cleaned["appointment_at"] = _clean_appointment(inputs.get("appointment_at"), referral, errors, now)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_appointment(value, referral: Referral, errors: dict, now: datetime.datetime) -> datetime.datetime | None:
    if not isinstance(value, datetime.datetime):
        errors["appointment_at"] = ["Give the appointment date and time (ISO 8601 with a time zone)."]
        return None
    if timezone.is_naive(value):
        # A time without a zone is ambiguous: guessing one could move the appointment by hours.
        errors["appointment_at"] = ["Give the appointment time with a time zone (e.g. 2026-05-04T09:30:00-07:00)."]
        return None
    past = appointment_problem(value, now=now)
    if referral.sent_at and value < referral.sent_at:
        errors["appointment_at"] = ["The appointment cannot be before the referral was sent."]
    elif past is not None:
        errors["appointment_at"] = [past.message]
    elif value > now + datetime.timedelta(days=730):
        errors["appointment_at"] = ["The appointment must be within the next two years."]
    return value


def _refuse_side(transition: Transition, actor_scope: ReferralActor, referral: Referral) -> None:
    if transition.side not in actor_scope.sides(referral):
        who = "receiving provider" if transition.side == Side.RECEIVER else "referring agency"
        raise WrongSide(f"Only the {who} can {transition.verb}.")
    org_id = actor_scope.side_organization_id(referral, transition.side)
    if transition.permission and not actor_scope.holds(transition.permission, org_id):
        roles = ", ".join(Role(r).label.lower() for r in roles_granting(transition.permission))
        raise WrongSide(f"Only a {roles} can {transition.verb}.")


def _apply(transition: Transition, referral: Referral, inputs: dict[str, Any], now: datetime.datetime) -> None:
    if referral.status == Status.ON_HOLD and transition.target == Status.IN_PROGRESS:
        # Resuming or starting service ends the hold, so its reason goes (closing keeps it as history).
        referral.hold_reason = ""
    referral.status = transition.target
    for field in transition.stamps:
        if getattr(referral, field) is None:
            setattr(referral, field, now)
    if transition.name in _CODE_TARGETS:
        setattr(referral, _CODE_TARGETS[transition.name], inputs[transition.code_field])
    if transition.name == "record_contact_attempt":
        referral.contact_attempts += 1
    elif transition.name == "schedule":
        referral.appointment_at = inputs["appointment_at"]
    elif transition.name == "submit":
        referral.receiving_organization = referral.service.organization
        set_due_times(referral)
    referral.status_note = inputs["note"]
    referral.version += 1


def referral_transition(
    *,
    actor,
    referral: Referral,
    name: str,
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
    confirm_warnings: bool = False,
    **inputs: Any,
) -> Referral:
    """Move a referral along the workflow table; the only code that assigns a status.

    Refusals change nothing; a wrong-side or wrong-state attempt is still written to the audit trail, and a
    send the template's rules refuse is also counted. `confirm_warnings` sends despite the rules' warnings.
    """
    transition = TRANSITIONS.get(name)
    if transition is None:
        known = ", ".join(TRANSITIONS)
        raise ValidationError({"name": [f"Unknown transition '{str(name)[:60]}'. Use one of: {known}."]})
    try:
        with transaction.atomic():
            return _transition_locked(
                actor, referral, transition, expected_version, now or timezone.now(), inputs, confirm_warnings
            )
    except ReferralNotFound:
        # The actor gets the same answer as for a missing referral; the audit trail notes the attempt.
        if Referral._base_manager.filter(pk=referral.pk).exists():
            audit_record(
                action=AuditAction.REFERRAL_TRANSITION_REFUSED,
                actor=actor,
                target=referral,
                client_id=referral.client_id,
                subtype=transition.name,
                outcome=Outcome.DENIED,
                outcome_reason="not visible to this user",
            )
        raise
    except ConsentRequired as blocked:
        _audit_blocked(actor, blocked, client_id=referral.client_id, subtype=transition.name, target=referral)
        raise
    except TemplateRejected as rejected:
        rejection_record(actor=actor, rejected=rejected, saved=True)
        raise
    except (WrongSide, TransitionConflict) as refused:
        audit_record(
            action=AuditAction.REFERRAL_TRANSITION_REFUSED,
            actor=actor,
            target=referral,
            client_id=referral.client_id,
            subtype=transition.name,
            outcome=Outcome.DENIED if isinstance(refused, WrongSide) else Outcome.FAILED,
            outcome_reason=refused.message,
        )
        raise


def _audit_blocked(actor, blocked: ConsentRequired, *, client_id, subtype: str, target=None) -> None:
    """A send that consent blocked: denied, with what was missing and the consents consulted."""
    audit_record(
        action=AuditAction.DISCLOSURE_BLOCKED,
        actor=actor,
        target=target,
        client_id=client_id,
        subtype=subtype,
        outcome=Outcome.DENIED,
        outcome_reason=blocked.message,
        purpose_of_use=REFERRAL_PURPOSE,
        consents=blocked.consulted,
        detail={
            "recipient": str(blocked.recipient.pk) if blocked.recipient else None,
            "withheld": blocked.withheld,
        },
    )


def _consent_checkpoint(referral: Referral) -> tuple[str, ...]:
    """Refuse to send unless consent permits the receiving organization to see what the referral carries."""
    preview = disclosure_preview(referral)
    if not preview.complete:
        raise ConsentRequired(
            preview.missing,
            recipient=preview.recipient,
            withheld={line.category: line.reason for line in preview.lines if not line.permitted},
            consulted=[str(c.pk) for c in active_consents(referral.client, timezone.localdate())],
        )
    return preview.consents


def _transition_locked(
    actor, referral, transition: Transition, expected_version, now, inputs, confirm_warnings=False
) -> Referral:
    locked = lock_visible_referral(actor, referral)
    scope = ReferralActor(actor).load_grants([locked])
    _refuse_side(transition, scope, locked)
    _check_version(locked, expected_version)
    if locked.status not in transition.sources:
        allowed = ", ".join(Status(s).label.lower() for s in Status if s in transition.sources)
        raise TransitionConflict(
            f"Cannot {transition.label.lower()}: this referral is {locked.get_status_display().lower()} "
            f"(possible only when {allowed})."
        )
    cleaned = _clean_inputs(transition, locked, inputs, now)
    consents: tuple[str, ...] = ()
    if transition.name == "submit":
        # Consent first: may this provider receive it at all. Then the template, as it will be sent.
        if locked.service is not None:
            _check_service(actor, locked.service)
            consents = _consent_checkpoint(locked)
        result = check_referral(locked, mode=Mode.SUBMIT, actor=actor, now=now)
        enforce(result, referral=locked, confirm_warnings=confirm_warnings)
    from_status = locked.status
    _apply(transition, locked, cleaned, now)
    locked._history_user = actor
    locked.full_clean()
    locked.save()
    record_event(
        referral=locked,
        name=transition.name,
        actor=actor,
        side=transition.side,
        from_status=from_status,
        now=now,
        reason_code=cleaned.get("reason_code", ""),
        outcome_code=cleaned.get("outcome_code", ""),
        contact_result=cleaned.get("contact_result", ""),
        appointment_at=cleaned.get("appointment_at"),
        note=cleaned["note"],
    )
    event = audit_record(
        action=AuditAction.REFERRAL_TRANSITIONED,
        actor=actor,
        target=locked,
        client_id=locked.client_id,
        subtype=transition.name,
        organization=Organization(pk=scope.side_organization_id(locked, transition.side)),
        consents=consents,
        detail={
            "from": from_status,
            "to": locked.status,
            **{k: v for k, v in cleaned.items() if k in ("reason_code", "outcome_code", "contact_result") and v},
        },
    )
    if transition.name == "submit":
        # Sending discloses the referral to the receiving organization: the ledger row commits with it.
        ledger_referral_sent(locked, event, consents)
    # One outbox row per transition, committed with it: notifications and webhooks go out after commit.
    outbox_enqueue(
        transition_event(transition.name),
        subject=locked,
        data={
            "referral_id": str(locked.pk),
            "from": from_status,
            "to": locked.status,
            "transition": transition.name,
            "actor_id": actor.pk if actor else None,
        },
    )
    return locked


@transaction.atomic
def referral_reroute(*, actor, referral: Referral, service: Service, now: datetime.datetime | None = None) -> Referral:
    """From a declined or cancelled referral, start a new draft for another service with the same template."""
    locked = lock_visible_referral(actor, referral)
    scope = ReferralActor(actor)
    if Side.REFERRER not in scope.sides(locked):
        raise WrongSide("Only the referring agency can reroute this referral.")
    if not scope.can_reroute(locked):
        raise TransitionConflict(
            "Only a declined or cancelled referral can be rerouted, and only once"
            f" (this one is {locked.get_status_display().lower()})."
        )
    if service.pk == locked.service_id:
        raise ValidationError({"service": ["Choose a different service from the one that was referred to."]})
    _check_service(actor, service)
    now = now or timezone.now()
    new = Referral(
        created_at=now,
        client=locked.client,
        referring_organization=locked.referring_organization,
        created_by=actor,
        assigned_to=locked.assigned_to or actor,
        service=service,
        receiving_organization=service.organization,
        rerouted_from=locked,
        **{k: getattr(locked, k) for k in TEMPLATE_FIELDS},
    )
    new._history_user = actor
    new.full_clean()
    new.save()
    record_event(
        referral=new,
        name=EventKind.CREATED,
        actor=actor,
        side=Side.REFERRER,
        from_status="",
        now=now,
        detail={"rerouted_from": str(locked.pk)},
    )
    record_event(
        referral=locked,
        name=EventKind.REROUTED,
        actor=actor,
        side=Side.REFERRER,
        from_status=locked.status,
        now=now,
        detail={"rerouted_to": str(new.pk), "service": service.name},
    )
    audit_record(
        action=AuditAction.REFERRAL_REROUTED,
        actor=actor,
        target=new,
        client_id=new.client_id,
        detail={"rerouted_from": str(locked.pk), "service": str(service.pk)},
    )
    return new
