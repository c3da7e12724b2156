"""One referral: its details, the client as disclosed to this viewer, the timeline and the actions allowed.

Every action posts here with the version the page was rendered with, so a stale page is refused and
re-rendered as the referral is now, instead of overwriting someone else's change.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.models import Client
from consent.break_glass import break_glass_start, live_break_glass
from consent.forms import BreakGlassForm
from consent.selectors import consent_rows, lapsed_consent_notes
from consent.views import audit_break_glass_refused, break_glass_session_start
from coordination.purpose import PurposeOfUse, active_roles, purposes_for
from providers.access import holds_permission
from sla.selectors import referral_sla_context

from ..access import ReferralActor
from ..assignment import referral_assign_worker, referral_share
from ..choices import TERMINAL_STATUSES, Side, Status
from ..disclosure import REFERRAL_PURPOSE, disclosure_preview, referral_disclosure
from ..errors import ConsentRequired, ReferralNotFound, TransitionConflict, WrongSide
from ..forms import AssignWorkerForm, ServiceChoiceForm, ShareForm, TransitionForm, add_service_errors
from ..routing import routing_options
from ..selectors import provider_workers, referral_list, referral_timeline, share_candidates
from ..services import referral_reroute, referral_transition
from ..sla import STAGE_LABELS, overdue_stages
from ..workflow import TRANSITIONS
from .common import audit_viewed, load_referral, resume_url_name, safe_next, template_context
from .timeline import timeline_entries


def client_name(details: dict) -> str:
    name = f"{details.get('given_name', '')} {details.get('family_name', '')}".strip()
    return name or "Name withheld (no consent)"


def client_facts(details: dict) -> list[tuple[str, str]]:
    """The disclosed client fields as label/value pairs, choice codes shown by their labels."""
    facts = []
    for name, value in details.items():
        if name == "id":
            continue
        field = Client._meta.get_field(name)
        if field.choices:
            shown = str(dict(field.flatchoices).get(value, value))
        elif isinstance(value, bool):
            shown = "Yes" if value else "No"
        elif isinstance(value, datetime.date):
            shown = f"{value:%b} {value.day}, {value:%Y}"
        else:
            shown = str(value or "—")
        facts.append((str(field.verbose_name).capitalize(), shown))
    return facts


def _action_forms(actor: ReferralActor, referral, bound: TransitionForm | None) -> list[TransitionForm]:
    forms = []
    for name in actor.allowed_transitions(referral):
        if bound is not None and bound.transition.name == name:
            forms.append(bound)
        else:
            forms.append(TransitionForm(transition=TRANSITIONS[name], initial={"version": referral.version}))
    return forms


def _withheld_rows(referral, disclosure, receiving: bool) -> list[tuple[str, str, str]]:
    """(label, reason, note): the note says when the consent that covered the receiving provider lapsed."""
    notes = {}
    if receiving and disclosure.withheld and referral.receiving_organization is not None:
        asked = REFERRAL_PURPOSE if disclosure.purpose == PurposeOfUse.BTG else disclosure.purpose
        notes = lapsed_consent_notes(
            client=referral.client,
            recipient=referral.receiving_organization,
            purpose=asked,
            categories=disclosure.withheld,
        )
    return [
        (label, reason, notes.get(code, ""))
        for (label, reason), code in zip(disclosure.withheld_labels, disclosure.withheld, strict=True)
    ]


def _break_glass(request: HttpRequest, referral, disclosure, receiving: bool) -> dict:
    """The emergency-access form for the receiving side when consent withholds something (or the live access)."""
    if not (receiving and disclosure.withheld) or PurposeOfUse.BTG not in purposes_for(active_roles(request.user)):
        return {}
    live = live_break_glass(request.user, referral.client_id)
    if live is not None and disclosure.purpose == PurposeOfUse.BTG:
        return {"break_glass_live": live}
    return {"break_glass_form": BreakGlassForm()}


def _consent_summary(request: HttpRequest, referral) -> dict | None:
    """For the referring side: the client's consents, and what they let the receiving provider see.

    Audited on the page's one `referral.viewed` row (`consents_listed`).
    """
    client = referral.client
    if not holds_permission(request.user, "consent.view_consent", client.organization):
        return None
    preview = disclosure_preview(referral)
    relied_on = {str(c) for c in preview.consents}
    rows = [(row, str(row.consent.pk) in relied_on) for row in consent_rows(request.user, client)]
    return {"rows": rows, "preview": preview}


def _detail_context(request: HttpRequest, referral, *, bound: TransitionForm | None = None, conflict: str = "") -> dict:
    actor = ReferralActor(request.user).load_grants([referral])
    sides = actor.sides(referral)
    disclosure = referral_disclosure(referral, sides, actor.organization_ids)
    details = disclosure.client
    consent_summary = _consent_summary(request, referral) if Side.REFERRER in sides else None
    listed = {"consents_listed": [str(row.consent.pk) for row, _ in consent_summary["rows"]]} if consent_summary else {}
    audit_viewed(referral, disclosure, extra=listed)
    may_assign = (
        Side.RECEIVER in sides
        and actor.holds("referrals.assign_worker", referral.receiving_organization_id)
        and referral.status not in TERMINAL_STATUSES
    )
    may_share = Side.REFERRER in sides and actor.holds("referrals.share_referral", referral.referring_organization_id)
    action_forms = _action_forms(actor, referral, bound)
    return {
        "referral": referral,
        "sides": sides,
        "is_referrer": Side.REFERRER in sides,
        "client_name": client_name(details),
        "client_facts": client_facts(details),
        "disclosure": disclosure,
        "timeline": timeline_entries(
            referral_timeline(actor=request.user, referral=referral),
            disclosure=disclosure,
            own_organization_ids=actor.organization_ids,
        ),
        "action_forms": [f for f in action_forms if not f.transition.danger],
        "danger_forms": [f for f in action_forms if f.transition.danger],
        "overdue": [STAGE_LABELS[s] for s in overdue_stages(referral, timezone.now())],
        "can_reroute": actor.can_reroute(referral),
        "rerouted_to": referral_list(actor=request.user).filter(rerouted_from_id=referral.pk).first(),
        "resume_url_name": resume_url_name(referral) if referral.status == Status.DRAFT else "",
        "assign_form": AssignWorkerForm(
            workers=provider_workers(referral=referral), initial={"worker": referral.assigned_worker_id}
        )
        if may_assign
        else None,
        "share_form": ShareForm(colleagues=share_candidates(actor=request.user)) if may_share else None,
        "conflict": conflict,
        "withheld_rows": _withheld_rows(referral, disclosure, Side.RECEIVER in sides),
        "consent_summary": consent_summary,
        **_break_glass(request, referral, disclosure, Side.RECEIVER in sides),
        **referral_sla_context(actor=request.user, referral=referral),
        **template_context(referral),
    }


@login_required
def detail(request: HttpRequest, pk) -> HttpResponse:
    referral = load_referral(request, pk)
    return render(request, "referrals/detail.html", _detail_context(request, referral))


def _transition_failed(request: HttpRequest, pk, *, bound=None, conflict: str = "", status: int = 0) -> HttpResponse:
    # Re-read: the page must show the referral as it is now, not as the stale form had it.
    referral = load_referral(request, pk)
    context = _detail_context(request, referral, bound=bound, conflict=conflict)
    return render(request, "referrals/detail.html", context, status=status or (409 if conflict else 400))


@login_required
@require_POST
def transition(request: HttpRequest, pk) -> HttpResponse:
    referral = load_referral(request, pk)
    step = TRANSITIONS.get(request.POST.get("transition", ""))
    if step is None:
        unknown = "That action does not exist. Choose one of the actions below."
        return _transition_failed(request, pk, conflict=unknown, status=400)
    form = TransitionForm(request.POST, transition=step)
    if not form.is_valid():
        return _transition_failed(request, pk, bound=form)
    try:
        updated = referral_transition(
            actor=request.user,
            referral=referral,
            name=step.name,
            expected_version=form.cleaned_data["version"],
            **form.inputs(),
        )
    except ReferralNotFound:
        raise Http404("No such referral.") from None
    except WrongSide as refused:
        raise PermissionDenied(refused.message) from None
    except TransitionConflict as conflict:
        return _transition_failed(request, pk, conflict=conflict.message)
    except ConsentRequired as blocked:
        return _transition_failed(request, pk, conflict=blocked.message, status=403)
    except ValidationError as error:
        add_service_errors(form, error)
        return _transition_failed(request, pk, bound=form)
    messages.success(
        request, f"{step.label}: referral {updated.reference} is now {updated.get_status_display().lower()}."
    )
    return redirect(safe_next(request, reverse("referrals:detail", args=[updated.pk])))


@login_required
def reroute(request: HttpRequest, pk) -> HttpResponse:
    """From a declined or cancelled referral, choose another service; a new draft carries the template over."""
    referral = load_referral(request, pk)
    if not ReferralActor(request.user).can_reroute(referral):
        messages.info(request, "This referral cannot be rerouted: only a declined or cancelled one can, once.")
        return redirect("referrals:detail", pk=referral.pk)
    show_full = (request.POST.get("show_full") or request.GET.get("show_full")) in ("1", "True", "on")
    options = [
        o
        for o in routing_options(actor=request.user, referral=referral, include_full=show_full)
        if o.service.pk != referral.service_id
    ]
    form = ServiceChoiceForm(
        request.POST or None, options=options, initial={"version": referral.version, "show_full": show_full}
    )
    if request.method == "POST" and form.is_valid():
        try:
            new = referral_reroute(actor=request.user, referral=referral, service=form.chosen_service())
        except WrongSide as refused:
            raise PermissionDenied(refused.message) from None
        except TransitionConflict as conflict:
            messages.error(request, conflict.message)
            return redirect("referrals:detail", pk=referral.pk)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"A new draft for {new.service.name} was created. Review it and send it.")
            return redirect("referrals:draft_review", pk=new.pk)
    audit_viewed(referral, subtype="reroute")
    context = {"referral": referral, "form": form, "options": options, "show_full": show_full, "rerouting": True}
    return render(request, "referrals/choose_service.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def assign_worker(request: HttpRequest, pk) -> HttpResponse:
    referral = load_referral(request, pk)
    form = AssignWorkerForm(request.POST, workers=provider_workers(referral=referral))
    if not form.is_valid():
        messages.error(request, "Choose a staff member of the receiving provider.")
        return redirect("referrals:detail", pk=referral.pk)
    try:
        updated = referral_assign_worker(actor=request.user, referral=referral, worker=form.cleaned_data["worker"])
    except WrongSide as refused:
        raise PermissionDenied(refused.message) from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        worker = updated.assigned_worker
        who = (worker.get_full_name() or worker.username) if worker else "nobody"
        messages.success(request, f"Referral {updated.reference} is now assigned to {who}.")
    return redirect("referrals:detail", pk=referral.pk)


@login_required
@require_POST
def share(request: HttpRequest, pk) -> HttpResponse:
    referral = load_referral(request, pk)
    form = ShareForm(request.POST, colleagues=share_candidates(actor=request.user))
    if not form.is_valid():
        messages.error(request, "Choose an active colleague to share with.")
        return redirect("referrals:detail", pk=referral.pk)
    expires_on = form.cleaned_data["expires_on"]
    expires_at = None
    if expires_on:
        end = datetime.datetime.combine(expires_on, datetime.time.max)
        expires_at = timezone.make_aware(end)
    colleague = form.cleaned_data["colleague"]
    try:
        referral_share(actor=request.user, referral=referral, colleague=colleague, expires_at=expires_at)
    except WrongSide as refused:
        raise PermissionDenied(refused.message) from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Referral {referral.reference} is now shared with {colleague.username}.")
    return redirect("referrals:detail", pk=referral.pk)


@login_required
def break_glass(request: HttpRequest, pk) -> HttpResponse:
    """Emergency access to what consent withholds on this referral; the session then acts under BTG."""
    referral = load_referral(request, pk)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access = break_glass_start(actor=request.user, client=referral.client, **form.cleaned_data)
        except PermissionDenied as refused:
            audit_break_glass_refused(referral.client_id, referral.client_id, refused)
            raise
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            break_glass_session_start(request, access, referral.client.full_name)
            messages.warning(
                request,
                f"Emergency access started until {timezone.localtime(access.expires_at):%H:%M}. Governance has been "
                "alerted and every view is recorded. End it as soon as you are done.",
            )
            return redirect("referrals:detail", pk=referral.pk)
    audit_viewed(referral, subtype="break-glass")
    context = {"referral": referral, "form": form}
    return render(request, "consent/break_glass.html", context, status=400 if form.errors else 200)
