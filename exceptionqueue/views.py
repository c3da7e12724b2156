"""The exception queue pages: the filtered list and one item with its timeline and actions.

Every page reads through the access layer (a forbidden item is a 404 like a missing one) and writes one
audit row per list page or item viewed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.choices import AuditAction
from audit.services import audit_hidden_object, audit_record

from .errors import ExceptionNotFound, InvalidInput, NotAllowed, TransitionConflict
from .filters import ACTIVE, ExceptionFilter
from .forms import AssignForm, ExceptionTransitionForm
from .models import ExceptionItem
from .selectors import QueueActor, exception_events, exception_get, exception_queryset, queue_counts
from .services import exception_assign, exception_transition
from .workflow import TRANSITIONS

PAGE_SIZE = 25
FILTER_FIELDS = ("kind", "status", "severity", "owner_role", "overdue", "mine")
EVENT_TITLES = {
    "raised": "Raised",
    "start": "Work started",
    "resolve": "Resolved",
    "dismiss": "Dismissed",
    "reopen": "Reopened",
    "assigned": "Assignment changed",
    "escalated": "Escalated (overdue)",
}


def _filter_data(request: HttpRequest):
    data = request.GET.copy()
    if "status" not in data:  # the queue opens on the work still to do
        data["status"] = ACTIVE
    return data


def _tidy(form) -> None:
    form.label_suffix = ""
    for name in ("kind", "severity", "owner_role"):
        field = form.fields[name]
        field.widget.choices = [("", "Any"), *((v, label) for v, label in field.choices if v)]
    form.fields["overdue"].widget.choices = [("unknown", "Any"), ("true", "Overdue only"), ("false", "Not overdue")]
    form.fields["mine"].widget.choices = [("unknown", "Anyone's"), ("true", "Assigned to me"), ("false", "Not mine")]
    form.fields.pop("referral")


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    filterset = ExceptionFilter(_filter_data(request), queryset=exception_queryset(actor=request.user), request=request)
    _tidy(filterset.form)
    page, rows = None, []
    if filterset.is_valid():
        page = Paginator(filterset.qs.order_by("due_at", "created_at", "id"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        rows = list(page.object_list)
    audit_record(
        action=AuditAction.EXCEPTION_LISTED,
        subtype="page",
        detail={
            "client_ids": [str(i.client_id) for i in rows if i.client_id],
            "exception_ids": [str(i.pk) for i in rows],
            "query": {k: request.GET.get(k, "")[:200] for k in (*FILTER_FIELDS, "page") if k in request.GET},
        },
    )
    context = {
        "form": filterset.form,
        "fields": [filterset.form[name] for name in FILTER_FIELDS],
        "page": page,
        "rows": rows,
        "now": timezone.now(),
        "counts": queue_counts(actor=request.user),
        "filtered": any(request.GET.get(k) for k in FILTER_FIELDS),
    }
    return render(request, "exceptionqueue/queue.html", context, status=200 if page is not None else 400)


def _load(request: HttpRequest, pk) -> ExceptionItem:
    try:
        return exception_get(actor=request.user, item_id=pk)
    except ExceptionNotFound:
        audit_hidden_object(ExceptionItem, pk=pk)
        raise Http404("No such exception.") from None


def _timeline(request: HttpRequest, item: ExceptionItem) -> list[dict]:
    events = list(exception_events(actor=request.user, item=item))
    assignee_ids = {e.detail.get("to_user_id") for e in events if e.name == "assigned"} - {None}
    names = {u.pk: u.get_full_name() or u.get_username() for u in get_user_model().objects.filter(pk__in=assignee_ids)}
    entries = []
    for event in events:
        title = EVENT_TITLES.get(event.name, event.name)
        if event.name == "assigned":
            to = event.detail.get("to_user_id")
            title = f"Assigned to {names.get(to, 'a former colleague')}" if to else "Unassigned"
        elif event.name == "escalated":
            title = f"Escalated to level {event.detail.get('level')} (overdue)"
        entries.append({"event": event, "title": title})
    return entries


def _detail(request: HttpRequest, item: ExceptionItem, *, bound=None, conflict: str = "", status: int = 200):
    actor = QueueActor(request.user, [item])
    forms = []
    for name in actor.allowed_transitions(item):
        if bound is not None and bound.transition.name == name:
            forms.append(bound)
        else:
            forms.append(ExceptionTransitionForm(transition=TRANSITIONS[name], initial={"version": item.version}))
    audit_record(action=AuditAction.EXCEPTION_VIEWED, target=item, client_id=item.client_id)
    context = {
        "item": item,
        "overdue": item.is_overdue(timezone.now()),
        "can_work": actor.may_work(item),
        "sees_referral": actor.sees_referral(item),
        "forms": [f for f in forms if not f.transition.danger],
        "danger_forms": [f for f in forms if f.transition.danger],
        "may_take": actor.may_work(item) and item.is_active and item.assigned_to_id != request.user.pk,
        "may_release": actor.may_work(item) and item.is_active and item.assigned_to_id == request.user.pk,
        "timeline": _timeline(request, item),
        "conflict": conflict,
    }
    return render(request, "exceptionqueue/detail.html", context, status=status)


@login_required
def detail(request: HttpRequest, pk) -> HttpResponse:
    return _detail(request, _load(request, pk))


@login_required
@require_POST
def transition(request: HttpRequest, pk) -> HttpResponse:
    item = _load(request, pk)
    step = TRANSITIONS.get(request.POST.get("transition", ""))
    if step is None:
        return _detail(request, item, conflict="That action does not exist. Choose one below.", status=400)
    form = ExceptionTransitionForm(request.POST, transition=step)
    if not form.is_valid():
        return _detail(request, item, bound=form, status=400)
    try:
        updated = exception_transition(
            actor=request.user,
            item=item,
            name=step.name,
            note=form.cleaned_data["note"],
            version=form.cleaned_data["version"],
        )
    except ExceptionNotFound:
        raise Http404("No such exception.") from None
    except NotAllowed as refused:
        raise PermissionDenied(refused.message) from None
    except TransitionConflict as conflict:
        return _detail(request, _load(request, pk), conflict=conflict.message, status=409)
    except InvalidInput as invalid:
        form.add_error("note", invalid.message)
        return _detail(request, item, bound=form, status=400)
    now_status = updated.get_status_display().lower()
    messages.success(request, f"{step.label}: exception {updated.reference} is now {now_status}.")
    return redirect("exceptionqueue:detail", pk=updated.pk)


@login_required
@require_POST
def assign(request: HttpRequest, pk) -> HttpResponse:
    item = _load(request, pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _detail(request, item, conflict="Reload the page and try again.", status=400)
    assignee = request.user if form.cleaned_data["take"] else None
    try:
        updated = exception_assign(
            actor=request.user, item=item, assignee=assignee, version=form.cleaned_data["version"]
        )
    except ExceptionNotFound:
        raise Http404("No such exception.") from None
    except NotAllowed as refused:
        raise PermissionDenied(refused.message) from None
    except (TransitionConflict, InvalidInput) as conflict:
        return _detail(request, _load(request, pk), conflict=conflict.message, status=409)
    messages.success(request, f"Exception {updated.reference} is now {'yours' if assignee else 'unassigned'}.")
    return redirect("exceptionqueue:detail", pk=updated.pk)
