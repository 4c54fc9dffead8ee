"""Template filters for waiting times: stored in calendar days, shown in weeks rounded up
(DESIGN §3.1)."""

import math
from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_lazy, ngettext

from providers.models import ReportOrigin

register = template.Library()


def weeks_of(days: int) -> int:
    """Calendar days → weeks, rounded up: 28 → 4, 29 → 5, 0 → 0."""
    return math.ceil(days / 7)


@register.filter
def weeks(days: int | None) -> int | None:
    """The template filter of ``weeks_of``; nothing for no figure."""
    if days is None or days == "":
        return None
    return weeks_of(int(days))


# --- The public search's result rows ------------------------------------------------------------
# A search page shows 50 rows; rendered cell by cell in the template they cost about 0.17 ms each
# (a third of the page, the most requested one). The row is written here instead, with the same
# markup and the same translations as the template it replaced.

_NORM_BADGES = {
    "within_target": gettext_lazy("Within the target"),
    "within_maximum": gettext_lazy("Within the maximum"),
    "above_maximum": gettext_lazy("Above the maximum"),
}


def _wait_cell(row: Any) -> SafeString:
    if row.days is None:
        return format_html(
            '<span class="d-block">{}</span>', gettext("Too few patients to calculate")
        )
    row_weeks = weeks_of(row.days)
    badge = _NORM_BADGES.get(row.norm_status or "")
    return format_html(
        '<strong class="d-block text-nowrap">{}</strong>'
        '<span class="d-block small text-nowrap">{}</span>{}',
        ngettext("%(weeks)s week", "%(weeks)s weeks", row_weeks) % {"weeks": row_weeks},
        ngettext("%(days)s day", "%(days)s days", row.days) % {"days": row.days},
        format_html(
            '<span class="badge wait-status wait-status-{}">{}</span>', row.norm_status, badge
        )
        if badge
        else "",
    )


@register.simple_tag
def search_result_row(row: Any, show_subject: bool) -> SafeString:
    """One ``<tr>`` of the search results
    (``providers/includes/waiting_time_search_results.html``)."""
    location = row.location
    provider_line = (
        location.provider.kind_label
        if location.named_after_provider
        else format_html("{} · {}", location.provider.name, location.provider.kind_label)
    )
    subject = (
        format_html(
            '<span class="d-block small fw-normal subject-name">{}</span>',
            gettext("Treatment: %(treatment)s") % {"treatment": row.treatment_name},
        )
        if show_subject
        else ""
    )
    scale_down = (
        ""
        if location.accepts_mediation
        else format_html(
            '<span class="d-block small fw-normal scale-down-note">{}</span>',
            gettext("Scaling down: currently only urgency classes %(classes)s")
            % {"classes": ", ".join(str(one) for one in location.accepted_urgency_classes)},
        )
    )
    distance = (
        "" if row.distance_km is None else format_html("{} km", floatformat(row.distance_km, 1))
    )
    status = f" wait-cell-{row.norm_status}" if row.norm_status else ""
    stale = (
        format_html('<span class="badge badge-stale">{}</span>', gettext("Outdated"))
        if row.stale
        else ""
    )
    source = (
        format_html(
            '<span class="d-block small text-body-secondary source-label" data-source="nza">'
            "{}</span>",
            gettext("source: NZa"),
        )
        if row.source == "nza"
        else ""
    )
    return format_html(
        '<tr class="wait-row"><th scope="row"><span class="d-block">{}</span>'
        '<span class="d-block small fw-normal text-body-secondary">{}</span>{}{}</th>'
        '<td data-label="{}">{}</td>'
        '<td class="text-md-end text-nowrap" data-label="{}">{}</td>'
        '<td class="wait-cell{}" data-label="{}">{}</td>'
        '<td data-label="{}"><span class="d-block text-nowrap">{}</span>{}{}</td></tr>',
        location.name,
        provider_line,
        subject,
        scale_down,
        gettext("Place"),
        location.city,
        gettext("Distance"),
        distance,
        status,
        gettext("Waiting time"),
        _wait_cell(row),
        gettext("Reference date"),
        date_format(row.reference_date, "j F Y"),
        stale,
        source,
    )


# --- The planners' grid -----------------------------------------------------------------------
# A large location shows a hundred and more series, each a row with two inputs; the template spent
# about half a millisecond on each. Same markup, written here.


def _grid_input(bound: Any) -> SafeString:
    """A grid cell's input. An unbound grid (the page as it is opened) has no values, errors or
    required fields, so the input is its widget's attributes and an id; a submitted grid goes
    through the form's own rendering."""
    if bound.form.is_bound:
        return SafeString(str(bound))
    widget = bound.field.widget
    return format_html(
        '<input type="{}" name="{}"{} id="{}">',
        widget.input_type,
        bound.html_name,
        format_html_join("", ' {}="{}"', widget.attrs.items()),
        bound.auto_id,
    )


@register.simple_tag
def waiting_time_grid_row(row: Any) -> SafeString:
    """One ``<tr>`` of ``providers/waiting_times_list.html``: a series' current figure and its
    cells for a new one."""
    series, days, insufficient = row.series, row.days, row.insufficient
    subject = series.treatment.name if series.treatment else series.specialism.name
    detail = (
        format_html("{} · {}", series.specialism.name, series.specialism.code)
        if series.treatment
        else series.specialism.code
    )
    if series.current_insufficient_observations:
        current = format_html('<span class="small">{}</span>', gettext("insufficient observations"))
    elif series.current_days is not None:
        current_weeks = weeks_of(series.current_days)
        current = format_html(
            '{} <span class="text-body-secondary small">({})</span>',
            series.current_days,
            ngettext("%(weeks)s week", "%(weeks)s weeks", current_weeks) % {"weeks": current_weeks},
        )
    else:
        current = format_html('<span class="text-body-secondary">—</span>')
    if series.current_reference_date:
        reference = date_format(series.current_reference_date, "j F Y")
    else:
        reference = format_html(
            '<span class="text-body-secondary">{}</span>', gettext("no figure yet")
        )
    stale = (
        format_html('<span class="badge text-bg-warning">{}</span>', gettext("stale"))
        if getattr(series, "is_stale", False)
        else ""
    )
    if series.current_origin == ReportOrigin.NZA:
        # The provider has not reported this peildatum itself; the NZa's figure stands in.
        stale = format_html(
            '{}<span class="d-block small text-body-secondary source-label" data-source="nza">'
            "{}</span>",
            stale,
            gettext("source: NZa"),
        )
    return format_html(
        '<tr id="series-{}"{}><td><a href="{}">{}</a>'
        '<span class="d-block small text-body-secondary">{}</span></td>'
        "<td>{}</td>"
        '<td class="text-end">{}</td>'
        "<td>{} {}</td>"
        '<td class="days-cell"><label class="visually-hidden" for="{}">{}</label>{}{}</td>'
        '<td>{}<div class="form-check">{}<label class="form-check-label small" for="{}">'
        '{}<span class="visually-hidden"> {}</span></label></div></td></tr>',
        series.pk,
        SafeString(' class="table-danger"') if days.errors or insufficient.errors else "",
        reverse("providers:waiting-time-series", args=[series.pk]),
        subject,
        detail,
        series.get_kind_display(),
        current,
        reference,
        stale,
        days.id_for_label,
        days.label,
        days.errors or "",  # an empty error list would still render its template
        _grid_input(days),
        insufficient.errors or "",
        _grid_input(insufficient),
        insufficient.id_for_label,
        gettext("insufficient"),
        insufficient.label,
    )
