"""Planners' waiting-time pages: the grid of current figures (enter or correct them for one
peildatum, add a series), the CSV upload with its progress and row errors, and the history of one
series with a trend chart.

The views only collect input and show results; the services of ``providers.waiting_times`` hold
the rules (all or nothing), and their row errors are shown next to the cells, with the input kept.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import view_role_required
from core.errors import ApplicationError
from core.forms import add_service_errors
from providers.models import ReportSource, WaitingTimeSeries
from providers.permissions import (
    access_waiting_time_import_for,
    access_waiting_time_series_for,
    waiting_time_import_list_for,
    waiting_time_series_list_for,
)
from providers.waiting_times.forms import (
    WaitingTimeGridForm,
    WaitingTimeSeriesCreateForm,
    WaitingTimeUploadForm,
    series_label,
)
from providers.waiting_times.imports import waiting_time_import_start
from providers.waiting_times.rules import is_stale, nza_reference_date_on_or_before
from providers.waiting_times.selectors import (
    KIND_ORDER,
    waiting_time_report_history,
    waiting_time_series_chart,
    waiting_time_series_norm,
    waiting_time_series_stale_count,
)
from providers.waiting_times.series import waiting_time_series_create
from providers.waiting_times.storage import waiting_time_reports_record
from providers.waiting_times.validation import WaitingTimeReportErrors

# One grid page holds at most this many series (each is a form field; Django accepts 1000
# fields per request): larger providers choose a location first.
GRID_MAX_SERIES = 400
RECENT_IMPORTS = 5


def _grid_order(series: WaitingTimeSeries) -> tuple:
    return (
        series.location.name,
        series.location.code,
        series.specialism.code,
        KIND_ORDER.get(series.kind, 99),
        series.treatment.name if series.treatment else "",
    )


def _grid_context(
    request: HttpRequest, *, actor: Actor, today: date
) -> tuple[list[WaitingTimeSeries], dict[str, Any]]:
    """The series shown (all, or one location's) and what the page says about them."""
    series = waiting_time_series_list_for(actor=actor).filter(location__is_active=True)
    # The location list and the total come from two light queries; only the series shown are
    # loaded as objects (a large provider has well over a thousand).
    per_location = list(
        series.order_by()
        .values_list("location__code", "location__name")
        .annotate(count=Count("pk"))
    )
    locations = sorted(((code, name) for code, name, _count in per_location), key=lambda c: c[1])
    series_total = sum(count for _code, _name, count in per_location)
    chosen = request.GET.get("location", "")
    if chosen not in {code for code, _name in locations}:
        chosen = locations[0][0] if series_total > GRID_MAX_SERIES and locations else ""
    shown = sorted(series.filter(location__code=chosen) if chosen else series, key=_grid_order)
    for one in shown:
        one.is_stale = is_stale(reference_date=one.current_reference_date, today=today)  # type: ignore[attr-defined]
    return shown, {
        "locations": locations,
        "chosen_location": chosen,
        "stale_count": waiting_time_series_stale_count(actor=actor, today=today),
        "stale_days": settings.WAITING_TIME_STALE_DAYS,
        "series_total": series_total,
        "grid_max_series": GRID_MAX_SERIES,
    }


def _render_grid(
    request: HttpRequest,
    *,
    actor: Actor,
    grid_form: WaitingTimeGridForm | None = None,
    series_form: WaitingTimeSeriesCreateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    shown, context = _grid_context(request, actor=actor, today=today)
    if grid_form is None:
        grid_form = WaitingTimeGridForm(
            series=shown, reference_date=nza_reference_date_on_or_before(today)
        )
    return render(
        request,
        "providers/waiting_times_list.html",
        {
            **context,
            "form": grid_form,
            "series_form": series_form or WaitingTimeSeriesCreateForm(actor=actor),
            "today": today,
        },
        status=status,
    )


@view_role_required(Role.PLANNER)
def waiting_time_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The grid: the current figure of every series, and cells for new figures."""
    if request.method != "POST":
        return _render_grid(request, actor=actor)
    today = timezone.localdate()
    shown, _context = _grid_context(request, actor=actor, today=today)
    form = WaitingTimeGridForm(
        request.POST, series=shown, reference_date=nza_reference_date_on_or_before(today)
    )
    if form.is_valid():
        rows = form.rows()
        if not rows:
            form.add_error(
                None, _("Enter at least one figure (days or insufficient observations).")
            )
        else:
            try:
                result = waiting_time_reports_record(
                    rows=rows, actor=actor, source=ReportSource.WEB, today=today
                )
            except WaitingTimeReportErrors as exc:
                form.add_row_errors(exc.errors)
            else:
                messages.success(
                    request,
                    _("Saved: %(created)s new, %(updated)s corrected, %(unchanged)s unchanged.")
                    % result.counts,
                )
                return redirect(request.get_full_path())
    return _render_grid(request, actor=actor, grid_form=form, status=400)


@require_POST
@view_role_required(Role.PLANNER)
def waiting_time_series_add(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    form = WaitingTimeSeriesCreateForm(request.POST, actor=actor)
    if form.is_valid():
        specialism, treatment = form.subject()
        try:
            series = waiting_time_series_create(
                actor=actor,
                location=form.cleaned_data["location"],
                kind=form.cleaned_data["kind"],
                specialism=specialism,
                treatment=treatment,
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Series added: %(series)s. Enter its first figure below.")
                % {"series": series_label(series)},
            )
            url = reverse("providers:waiting-time-list")
            return redirect(f"{url}?location={series.location.code}#series-{series.pk}")
    return _render_grid(request, actor=actor, series_form=form, status=400)


@view_role_required(Role.PLANNER)
def waiting_time_series_detail(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    """The history of one series (corrections included) with a trend chart."""
    series = access_waiting_time_series_for(actor=actor, pk=pk)
    reports = list(waiting_time_report_history(series=series))
    today = timezone.localdate()
    norm = waiting_time_series_norm(series=series)
    chart = waiting_time_series_chart(reports=reports, norm=norm)
    return render(
        request,
        "providers/waiting_times_series.html",
        {
            "series": series,
            "series_label": series_label(series),
            "reports": reports,
            "norm": norm,
            "chart": chart,
            "is_stale": is_stale(reference_date=series.current_reference_date, today=today),
            "stale_count": waiting_time_series_stale_count(actor=actor, today=today),
            "stale_days": settings.WAITING_TIME_STALE_DAYS,
        },
    )


@view_role_required(Role.PLANNER)
def waiting_time_upload(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """Upload a CSV file; its import runs in a task, and the next page follows its progress."""
    form = (
        WaitingTimeUploadForm(request.POST, request.FILES)
        if request.method == "POST"
        else WaitingTimeUploadForm()
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with transaction.atomic():
                job = waiting_time_import_start(
                    actor=actor,
                    file_name=upload.name,
                    file=upload,
                    language=get_language() or "",
                )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("providers:waiting-time-import", pk=job.pk)
    today = timezone.localdate()
    return render(
        request,
        "providers/waiting_times_upload.html",
        {
            "form": form,
            "imports": waiting_time_import_list_for(actor=actor)[:RECENT_IMPORTS],
            "stale_count": waiting_time_series_stale_count(actor=actor, today=today),
            "stale_days": settings.WAITING_TIME_STALE_DAYS,
        },
        status=400 if form.errors else 200,
    )


@view_role_required(Role.PLANNER)
def waiting_time_import_detail(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    """One upload: a progress bar while it runs (htmx polls the status fragment), then the
    result or the row errors. The status fragment alone is answered to htmx's polls."""
    job = access_waiting_time_import_for(actor=actor, pk=pk)
    template = (
        "providers/waiting_times_import_status.html"
        if getattr(request, "htmx", False)
        else "providers/waiting_times_import.html"
    )
    return render(request, template, {"job": job})
