"""The public waiting-time search page (DESIGN §6): postcode + specialism or treatment → locations
with their current wait against the Treeknorm, distance and data age.

A plain GET form that works without JavaScript; with htmx the form refreshes only the results
(and, out of band, its own fields, so that errors stay next to them).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.vary import vary_on_headers

from providers.models import WaitingTimeKind
from providers.reference.selectors import norm_list
from providers.search.forms import WaitingTimeSearchForm
from providers.search.selectors import waiting_time_current_list

RESULTS_PER_PAGE = 50


def _mediation_request_url(form: WaitingTimeSearchForm) -> str | None:
    """The mediation request form, pre-filled with this search; ``None`` while that page does
    not exist."""
    try:
        url = reverse("mediation:request-create")
    except NoReverseMatch:
        return None
    data = form.cleaned_data
    specialism = data["specialism"]
    if data["treatment"]:
        specialism = form.reference.treatments[data["treatment"]].specialism_code
    query = {
        "postcode": form.data.get("postcode", "").strip(),
        "specialism": specialism or "",
        "treatment": data["treatment"],
        "kind": data["kind"],
    }
    return f"{url}?{urlencode({key: value for key, value in query.items() if value})}"


def _page_query(request: HttpRequest) -> str:
    """The search's query string without its page number, for the page links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@vary_on_headers("HX-Request")
def waiting_time_search(request: HttpRequest) -> HttpResponse:
    searched = any(name in request.GET for name in WaitingTimeSearchForm.base_fields)
    form = WaitingTimeSearchForm(request.GET if searched else None)
    page = None
    mediation_url = None
    if searched and form.is_valid() and not form.postcode_needed:
        results = waiting_time_current_list(**form.selector_arguments())
        page = Paginator(results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        mediation_url = _mediation_request_url(form)
    htmx = getattr(request, "htmx", None)  # set by django_htmx's middleware
    # A history restore (htmx found no snapshot of the page) needs the whole page.
    is_partial = bool(htmx and not htmx.history_restore_request)
    context = {
        "form": form,
        "searched": searched,
        "page": page,
        "page_query": _page_query(request),
        "postcode_needed": searched and form.is_valid() and form.postcode_needed,
        "show_subject": searched
        and form.is_valid()
        and form.cleaned_data["kind"] == WaitingTimeKind.TREATMENT
        and not form.cleaned_data["treatment"],
        "mediation_url": mediation_url,
        "norms": norm_list(),
        "is_partial": is_partial,
    }
    template = (
        "providers/waiting_time_search_results.html"
        if is_partial
        else "providers/waiting_time_search.html"
    )
    return render(request, template, context)
