"""The acknowledge button on the referral page (the API has the same write)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .errors import AlreadyAcknowledged, EscalationNotFound, NotNotified
from .models import SlaEscalation
from .services import escalation_acknowledge


@login_required
@require_POST
def acknowledge(request: HttpRequest, pk) -> HttpResponse:
    try:
        escalation = escalation_acknowledge(actor=request.user, escalation_id=pk)
    except EscalationNotFound:
        raise Http404("No such escalation.") from None
    except NotNotified as refused:
        raise PermissionDenied(refused.message) from None
    except AlreadyAcknowledged as conflict:
        # Only reached by a notified user of a visible escalation, so naming its referral reveals nothing.
        messages.info(request, conflict.message)
        referral_id = SlaEscalation.objects.filter(pk=pk).values_list("referral_id", flat=True).get()
    else:
        messages.success(request, f"You acknowledged the level {escalation.level} escalation.")
        referral_id = escalation.referral_id
    return redirect("referrals:detail", pk=referral_id)
