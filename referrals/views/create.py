"""The new-referral steps: find the client, describe the need (creates a draft), choose a service, review, send.

A draft is saved after the second step, so the case manager can leave and resume it from the dashboard.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from audit.choices import AuditAction
from audit.services import audit_hidden_object, audit_record
from clients.forms import ClientSearchForm
from clients.models import Client
from clients.selectors import client_list, client_search

from ..access import ReferralActor
from ..choices import Side, Status
from ..disclosure import disclosure_preview, referral_disclosure
from ..errors import ConsentRequired, TransitionConflict, WrongSide
from ..forms import ReferralDetailsForm, SendForm, ServiceChoiceForm, add_service_errors
from ..routing import routing_options
from ..selectors import referring_agencies
from ..services import referral_create, referral_transition, referral_update_draft
from ..validation.codes import Mode
from ..validation.rejection import TemplateRejected
from ..validation.rules import check_referral, default_contact_method
from .common import audit_viewed, load_referral, require, resume_url_name, template_context
from .detail import client_facts, client_name
from .validation import review_problems

CLIENT_PAGE_SIZE = 10
STEPS = ("Client", "Need and details", "Service", "Review and send")


def _agencies(request: HttpRequest) -> list:
    agencies = list(referring_agencies(actor=request.user))
    require(bool(agencies), "Your role does not allow making referrals.")
    return agencies


def _client_or_404(request: HttpRequest, pk) -> Client:
    try:
        client = client_list(actor=request.user).filter(pk=pk).first()
    except (ValidationError, ValueError):
        client = None
    if client is None:
        audit_hidden_object(Client, pk=pk)
        raise Http404("No such client.")
    return client


def _pick_client(request: HttpRequest) -> HttpResponse:
    submitted = any(key in request.GET for key in ("q", "birth_date", "identifier"))
    form = ClientSearchForm(request.GET if submitted else None)
    page = None
    if submitted and form.is_valid():
        clients = client_search(actor=request.user, **form.cleaned_data).order_by(
            "family_name", "given_name", "birth_date", "id"
        )
        page = Paginator(clients, CLIENT_PAGE_SIZE).get_page(request.GET.get("page"))
        audit_record(
            action=AuditAction.CLIENT_LISTED,
            subtype="new-referral",
            detail={"client_ids": [str(c.pk) for c in page], "query": {**form.query(), "page": page.number}},
        )
    return render(request, "referrals/new_client.html", {"form": form, "page": page, "steps": STEPS, "step": 1})


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Step 1 without `?client=`: find the client. With it: the need and details, saved as a draft."""
    agencies = _agencies(request)
    client_id = request.GET.get("client") or request.POST.get("client")
    if not client_id:
        return _pick_client(request)
    client = _client_or_404(request, client_id)
    initial = {
        "language": client.preferred_language,
        "interpreter_needed": client.interpreter_needed,
        "contact_method": default_contact_method(client, ()),
    }
    form = ReferralDetailsForm(request.POST or None, agencies=agencies, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            referral = referral_create(
                actor=request.user,
                client=client,
                data=form.template_data(),
                referring_organization=form.chosen_agency(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Draft {referral.reference} saved. Now choose a service.")
            return redirect("referrals:draft_service", pk=referral.pk)
    audit_record(action=AuditAction.CLIENT_VIEWED, subtype="new-referral", target=client, client_id=client.pk)
    context = {"form": form, "client": client, "steps": STEPS, "step": 2}
    return render(request, "referrals/new_details.html", context, status=400 if form.errors else 200)


def _editable_draft(request: HttpRequest, pk):
    """The draft if this user refers it; a sent referral sends the user to its page instead."""
    referral = load_referral(request, pk)
    if Side.REFERRER not in ReferralActor(request.user).sides(referral):
        raise PermissionDenied("Only the referring agency can edit this referral.")
    if referral.status != Status.DRAFT:
        messages.info(request, f"Referral {referral.reference} has been sent; it can no longer be edited.")
        return referral, redirect("referrals:detail", pk=referral.pk)
    return referral, None


def _conflict(request: HttpRequest, referral, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("referrals:detail", pk=referral.pk)


@login_required
def draft_details(request: HttpRequest, pk) -> HttpResponse:
    referral, elsewhere = _editable_draft(request, pk)
    if elsewhere:
        return elsewhere
    initial = {**ReferralDetailsForm.initial_from(referral), "version": referral.version}
    form = ReferralDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            referral = referral_update_draft(
                actor=request.user,
                referral=referral,
                data=form.template_data(),
                expected_version=form.cleaned_data["version"],
            )
        except (WrongSide, TransitionConflict) as refused:
            return _conflict(request, referral, refused.message)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Draft saved.")
            return redirect(resume_url_name(referral), pk=referral.pk)
    audit_viewed(referral, subtype="edit-draft")
    context = {"form": form, "client": referral.client, "referral": referral, "steps": STEPS, "step": 2}
    return render(request, "referrals/new_details.html", context, status=400 if form.errors else 200)


@login_required
def draft_service(request: HttpRequest, pk) -> HttpResponse:
    referral, elsewhere = _editable_draft(request, pk)
    if elsewhere:
        return elsewhere
    show_full = (request.POST.get("show_full") or request.GET.get("show_full")) in ("1", "True", "on")
    options = routing_options(actor=request.user, referral=referral, include_full=show_full)
    initial = {"version": referral.version, "show_full": show_full}
    if referral.service_id:
        initial["service"] = str(referral.service_id)
    form = ServiceChoiceForm(request.POST or None, options=options, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            referral = referral_update_draft(
                actor=request.user,
                referral=referral,
                data={},
                expected_version=form.cleaned_data["version"],
                service=form.chosen_service(),
            )
        except (WrongSide, TransitionConflict) as refused:
            return _conflict(request, referral, refused.message)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("referrals:draft_review", pk=referral.pk)
    audit_viewed(referral, subtype="choose-service")
    context = {"referral": referral, "form": form, "options": options, "show_full": show_full}
    context.update(steps=STEPS, step=3)
    return render(request, "referrals/choose_service.html", context, status=400 if form.errors else 200)


@login_required
def draft_review(request: HttpRequest, pk) -> HttpResponse:
    referral, elsewhere = _editable_draft(request, pk)
    if elsewhere:
        return elsewhere
    if not referral.service_id:
        messages.info(request, "Choose a service before reviewing the referral.")
        return redirect("referrals:draft_service", pk=referral.pk)
    form = SendForm(request.POST or None, initial={"version": referral.version})
    errors: list[str] = []
    rejected = None
    status = 400
    if request.method == "POST" and form.is_valid():
        try:
            sent = referral_transition(
                actor=request.user,
                referral=referral,
                name="submit",
                expected_version=form.cleaned_data["version"],
                confirm_warnings=form.cleaned_data["confirm_warnings"],
            )
        except (WrongSide, TransitionConflict) as refused:
            return _conflict(request, referral, refused.message)
        except ConsentRequired as blocked:
            errors, status = [blocked.message], 403
        except TemplateRejected as refused:
            # The rules' answer, listed with where to fix each; warnings alone get the confirmation step.
            rejected = refused.result
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, f"Referral {sent.reference} was sent to {sent.receiving_organization.name}.")
            return redirect("referrals:detail", pk=sent.pk)
    precheck = False
    if request.method == "GET":
        # Say what would stop the send before the case manager presses it (nothing is counted as a rejection).
        result = check_referral(referral, mode=Mode.SUBMIT, actor=request.user)
        if result.problems:
            rejected, precheck = result, True
    actor = ReferralActor(request.user)
    disclosure = referral_disclosure(referral, actor.sides(referral), actor.organization_ids)
    details = disclosure.client
    audit_viewed(referral, disclosure, subtype="review")
    context = {
        "referral": referral,
        "form": form,
        "errors": errors,
        "client_name": client_name(details),
        "client_facts": client_facts(details),
        "disclosure": disclosure,
        "preview": disclosure_preview(referral),
        "steps": STEPS,
        "step": 4,
        **template_context(referral),
        **review_problems(rejected, referral),
    }
    context["precheck"] = precheck
    refused = bool(errors) or (rejected is not None and not precheck)
    return render(request, "referrals/review.html", context, status=status if refused else 200)
