"""The notifications page: your own, newest first, with mark-read buttons."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .selectors import notifications_for
from .services import notification_mark_read, notifications_mark_all_read

PAGE_SIZE = 25


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "true"
    page = Paginator(notifications_for(actor=request.user, unread=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/list.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification_mark_read(actor=request.user, notification_id=pk)
    return redirect(_back(request))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(actor=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """Back to the list the button was on (all, or unread only)."""
    url = reverse("notifications:list")
    return f"{url}?unread=true" if request.POST.get("unread") == "true" else url
