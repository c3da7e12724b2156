"""Consent pages: a client's consents, recording one, revoking one, downloading its signed form; ending an
emergency (break-the-glass) access.

Only the custodian's staff and its governance leads see consents; everyone else gets the same 404 as
for a missing client or consent, with the denial audited. Governance leads read but do not record or
revoke (403). Every page view writes exactly one audit row; the services audit the writes.
"""

from __future__ import annotations

from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.utils import ErrorDict
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from audit.choices import AuditAction, Outcome
from audit.services import audit_hidden_object, audit_record
from clients.models import Client
from coordination import purpose
from coordination.access import Action
from providers.access import holds_permission

from .break_glass import break_glass_end
from .choices import ConsentStatus
from .forms import (
    MAX_PROVISIONS,
    ConsentRecordForm,
    ProvisionFormSet,
    RevokeForm,
    add_record_errors,
    with_one_more_provision,
)
from .models import BreakGlassAccess, Consent, ConsentProvision
from .selectors import REVOCABLE, consent_row, consent_rows
from .services import consent_record, consent_revoke

# Loading what the user may see


def _client_with_consents(request: HttpRequest, pk) -> Client:
    """The client, if the user may see it and its consents; otherwise a 404 with the denial audited."""
    client = Client.objects.visible_to(request.user, Action.VIEW).select_related("organization").filter(pk=pk).first()
    if client is None:
        audit_hidden_object(Client, pk=pk)
        raise Http404("No such client.")
    if not holds_permission(request.user, "consent.view_consent", client.organization):
        audit_record(
            action=AuditAction.OBJECT_ACCESS_DENIED,
            outcome=Outcome.DENIED,
            outcome_reason="consents not visible to this user",
            client_id=client.pk,
            detail={"model": Consent._meta.label, "lookup": {"client": str(client.pk)}},
        )
        raise Http404("No such client.")
    return client


def _consent(request: HttpRequest, pk) -> Consent:
    consent = Consent.objects.visible_to(request.user, Action.VIEW).select_related("client").filter(pk=pk).first()
    if consent is None:
        audit_hidden_object(Consent, pk=pk)
        raise Http404("No such consent.")
    return consent


def _require_record(request: HttpRequest, client: Client) -> None:
    if not holds_permission(request.user, "consent.add_consent", client.organization):
        raise PermissionDenied("Your role lets you read consents but not record them.")


# Pages


@login_required
@require_GET
def client_consents(request: HttpRequest, pk) -> HttpResponse:
    client = _client_with_consents(request, pk)
    rows = consent_rows(request.user, client)
    audit_record(
        action=AuditAction.CONSENT_LISTED,
        client_id=client.pk,
        detail={"consent_ids": [str(row.consent.pk) for row in rows]},
    )
    can_record = holds_permission(request.user, "consent.add_consent", client.organization)
    return render(request, "consent/client_consents.html", {"client": client, "rows": rows, "can_record": can_record})


@login_required
def record(request: HttpRequest, pk) -> HttpResponse:
    client = _client_with_consents(request, pk)
    _require_record(request, client)
    form = ConsentRecordForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        formset = ProvisionFormSet(actor=request.user)
    elif "add_provision" in request.POST:
        # The no-script way to add a provision: show the form again with one more, nothing checked yet.
        formset = ProvisionFormSet(with_one_more_provision(request.POST), actor=request.user)
        formset.silence()
        form._errors = ErrorDict()
    else:
        formset = ProvisionFormSet(request.POST, actor=request.user)
        if all([form.is_valid(), formset.is_valid()]):
            kept = formset.kept_forms()
            try:
                consent_record(
                    actor=request.user,
                    client=client,
                    method=form.cleaned_data["method"],
                    date=form.cleaned_data["date"],
                    status=form.cleaned_data["status"],
                    provisions=[provision.provision() for provision in kept],
                    signed_form=form.cleaned_data["signed_form"] or None,
                )
            except ValidationError as error:
                add_record_errors(form, formset, kept, error)
            else:
                messages.success(request, _recorded_message(client, form.cleaned_data["status"], len(kept)))
                return redirect("consent:client", pk=client.pk)
    audit_record(action=AuditAction.CLIENT_VIEWED, subtype="record-consent", target=client, client_id=client.pk)
    context = {
        "client": client,
        "form": form,
        "formset": formset,
        "has_errors": bool(form.errors or formset.total_error_count()),
        "file_dropped": bool(request.FILES.get("signed_form")),
        "max_provisions": MAX_PROVISIONS,
    }
    return render(request, "consent/record.html", context)


def _recorded_message(client: Client, status: str, provisions: int) -> str:
    rules = f"{provisions} provision{'s' if provisions != 1 else ''}"
    if status == ConsentStatus.ACTIVE:
        return f"Consent recorded for {client.full_name} ({rules}). Sharing follows it from now on."
    if status == ConsentStatus.DRAFT:
        return f"Draft consent saved for {client.full_name} ({rules}). It allows no sharing until it is active."
    return f"Recorded that {client.full_name} refused consent ({rules}). Nothing is shared on its basis."


@login_required
@require_GET
def provision_form(request: HttpRequest, pk) -> HttpResponse:
    """One more blank provision for the record page (htmx), with the updated form count."""
    client = _client_with_consents(request, pk)
    _require_record(request, client)
    try:
        index = int(request.GET.get("provisions-TOTAL_FORMS", ""))
    except ValueError:
        index = -1
    if not 0 <= index < MAX_PROVISIONS:
        return HttpResponse(status=400)
    formset = ProvisionFormSet(actor=request.user)
    context = {"provision": formset.form_at(index), "number": index + 1, "total": index + 1, "oob": True}
    return render(request, "consent/_provision.html", context)


def _provisions_of(request: HttpRequest, consent: Consent):
    provisions = ConsentProvision.objects.visible_to(request.user, Action.VIEW).filter(consent=consent)
    return provisions.prefetch_related("organizations")


@login_required
def revoke(request: HttpRequest, pk) -> HttpResponse:
    consent = _consent(request, pk)
    if not Consent.objects.visible_to(request.user, Action.CHANGE).filter(pk=consent.pk).exists():
        raise PermissionDenied("Your role lets you read consents but not revoke them.")
    back = redirect("consent:client", pk=consent.client_id)
    if request.method != "POST" and consent.status not in REVOCABLE:
        messages.warning(
            request, f"This consent is {consent.get_status_display().lower()}; there is nothing to revoke."
        )
        return back
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent_revoke(actor=request.user, consent=consent, **form.cleaned_data)
        except ValidationError as error:
            if "status" in error.message_dict:
                messages.error(request, " ".join(error.message_dict["status"]) + " Nothing was changed.")
                return back
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                f"Consent revoked for {consent.client.full_name}. Access changes immediately: partners who relied on "
                "this consent can no longer see the information it covered.",
            )
            return back
    audit_record(action=AuditAction.CONSENT_VIEWED, subtype="revoke", target=consent, client_id=consent.client_id)
    row = consent_row(consent, list(_provisions_of(request, consent)), timezone.localdate())
    return render(request, "consent/revoke.html", {"consent": consent, "row": row, "form": form})


@login_required
@require_GET
def signed_form(request: HttpRequest, pk) -> FileResponse:
    consent = _consent(request, pk)
    if not consent.signed_form:
        raise Http404("This consent has no signed form.")
    try:
        handle = consent.signed_form.open("rb")
    except FileNotFoundError:
        raise Http404("The signed form file is missing.") from None
    audit_record(
        action=AuditAction.CONSENT_VIEWED,
        subtype="signed-form",
        target=consent,
        client_id=consent.client_id,
    )
    suffix = PurePath(consent.signed_form.name).suffix.lower()
    response = FileResponse(handle, as_attachment=True, filename=f"consent-form-{consent.date:%Y-%m-%d}{suffix}")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Break the glass: the browser session acts under BTG while the emergency access lasts


BREAK_GLASS_SESSION_KEY = "break_glass"


def break_glass_session_start(request: HttpRequest, access: BreakGlassAccess, client_name: str) -> None:
    """From now on this session's pages act under BTG; the header shows whose data and until when."""
    request.session[purpose.SESSION_KEY] = purpose.PurposeOfUse.BTG
    request.session[BREAK_GLASS_SESSION_KEY] = {
        "id": str(access.pk),
        "client": client_name,
        "until": f"{timezone.localtime(access.expires_at):%H:%M}",
    }


def break_glass_session_end(request: HttpRequest) -> None:
    """Back to the role's everyday purpose."""
    request.session.pop(purpose.SESSION_KEY, None)
    request.session.pop(BREAK_GLASS_SESSION_KEY, None)


@login_required
@require_POST
def break_glass_end_page(request: HttpRequest, pk) -> HttpResponse:
    """End emergency access (the header's button); only the person who started it can."""
    access = BreakGlassAccess.objects.visible_to(request.user, Action.VIEW).filter(pk=pk).first()
    if access is None:
        audit_hidden_object(BreakGlassAccess, pk=pk)
        raise Http404("No such emergency access.")
    break_glass_end(actor=request.user, access=access)  # PermissionDenied (403) for someone else's
    break_glass_session_end(request)
    messages.success(request, "Emergency access ended. You see what consent allows again.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("home")
    return redirect(target)


def audit_break_glass_refused(client_pk, requested, refused: PermissionDenied) -> None:
    """A refused emergency access (role, or no referral for the client): a denied row, like a hidden read."""
    audit_record(
        action=AuditAction.OBJECT_ACCESS_DENIED,
        outcome=Outcome.DENIED,
        outcome_reason=str(refused),
        subtype="break-glass",
        client_id=client_pk,
        detail={"model": BreakGlassAccess._meta.label, "lookup": {"client": str(requested)}},
    )
