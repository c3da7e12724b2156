"""Directory pages: search (ranked, validated by the same filter as the API) and service detail."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers

from .filters import ServiceFilter
from .selectors import service_list

PAGE_SIZE = 25
SEARCH_FIELDS = ("q", "category", "postal_code", "language", "capacity_status")


def _wants_partial(request: HttpRequest) -> bool:
    # A history restore or a boosted link needs the whole page, not just the search region.
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _tidy_form(form) -> None:
    # Before validation, which caches the bound fields these labels are read into.
    form.label_suffix = ""
    for name in ("category", "language", "capacity_status"):
        # The widget holds its own copy of the choices, so the blank choice is relabelled there.
        field = form.fields[name]
        field.widget.choices = [("", "Any"), *((value, label) for value, label in field.choices if value != "")]


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    # Always bound (an empty query is valid), so the default listing is filtered and ranked too.
    filterset = ServiceFilter(request.GET, queryset=service_list(actor=request.user))
    _tidy_form(filterset.form)
    page = None
    if filterset.is_valid():
        page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": filterset.form,
        "fields": [filterset.form[name] for name in SEARCH_FIELDS],
        "page": page,
    }
    template = "providers/_directory_search.html" if _wants_partial(request) else "providers/directory.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
def service_detail(request: HttpRequest, pk) -> HttpResponse:
    service = get_object_or_404(service_list(actor=request.user), pk=pk)
    return render(request, "providers/service_detail.html", {"service": service})
