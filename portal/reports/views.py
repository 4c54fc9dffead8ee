"""Web UI of the regional report (DESIGN §6): choose a ROAZ region, then its waits against the
Treeknormen per specialism, the capacity in and around it, who has not reported and the trend."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import view_role_required
from portal.reports.apis import (
    REGIONAL_REPORT_ROLES,
    regional_report_csv_filename,
    regional_report_plans,
)
from providers.models import WaitingTimeKind
from providers.reference.selectors import region_list
from providers.reports.selectors import KIND_ORDER, TrendPoint, regional_report

# One colour, line style and point shape per kind, so the lines differ without colour too.
_KIND_STYLE: dict[str, tuple[str, list[int], str]] = {
    WaitingTimeKind.FIRST_VISIT: ("#0b5394", [], "circle"),
    WaitingTimeKind.DIAGNOSTICS: ("#b45f06", [6, 4], "rect"),
    WaitingTimeKind.TREATMENT: ("#38761d", [2, 3], "triangle"),
}


def _line_chart(
    trend: list[TrendPoint], *, value: str, axis_title: str, y_max: int | None = None
) -> dict[str, Any]:
    """A Chart.js line chart configuration (plain JSON, drawn by static/js/app.js)."""
    dates = sorted({point.reference_date for point in trend})
    datasets = []
    for kind in KIND_ORDER:
        by_date = {point.reference_date: point for point in trend if point.kind == kind}
        colour, dash, shape = _KIND_STYLE[kind]
        datasets.append(
            {
                "label": str(WaitingTimeKind(kind).label),
                "data": [getattr(by_date[day], value) if day in by_date else None for day in dates],
                "borderColor": colour,
                "backgroundColor": colour,
                "borderDash": dash,
                "pointStyle": shape,
                "spanGaps": True,
                "tension": 0.2,
            }
        )
    y_axis: dict[str, Any] = {"beginAtZero": True, "title": {"display": True, "text": axis_title}}
    if y_max is not None:
        y_axis["max"] = y_max
    return {
        "type": "line",
        "data": {
            "labels": [date_format(day, "SHORT_DATE_FORMAT") for day in dates],
            "datasets": datasets,
        },
        "options": {
            "responsive": True,
            "animation": False,
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {"legend": {"position": "bottom", "labels": {"usePointStyle": True}}},
            "scales": {
                "x": {"title": {"display": True, "text": _("Peildatum")}},
                "y": y_axis,
            },
        },
    }


@view_role_required(*REGIONAL_REPORT_ROLES)
def regional_report_index(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    regions = region_list().prefetch_related("neighbours")
    return render(request, "providers/report_region_index.html", {"regions": regions})


@view_role_required(*REGIONAL_REPORT_ROLES)
def regional_report_view(request: HttpRequest, code: str, *, actor: Actor) -> HttpResponse:
    region = get_object_or_404(region_list(), code=code)
    report = regional_report(region=region)
    trend_by_date: dict[Any, dict[str, TrendPoint]] = {}
    for point in report.trend:
        trend_by_date.setdefault(point.reference_date, {})[point.kind] = point
    context = {
        "report": report,
        "treatment_rows": [
            (row, treatment_row) for row in report.rows for treatment_row in row.treatments
        ],
        "trend_table": [
            (day, [points.get(kind) for kind in KIND_ORDER])
            for day, points in sorted(trend_by_date.items(), reverse=True)
        ],
        "kind_labels": [WaitingTimeKind(kind).label for kind in KIND_ORDER],
        "median_chart": _line_chart(
            report.trend, value="median_days", axis_title=_("Median wait (days)")
        ),
        "share_chart": _line_chart(
            report.trend,
            value="percentage_above_norm",
            axis_title=_("Share above the norm (%)"),
            y_max=100,
        ),
        "csv_filename": regional_report_csv_filename(report),
        "plan_rows": regional_report_plans(region=region, actor=actor, report=report),
        "plans_all_insurers": actor.has_role(Role.REGULATOR),
    }
    return render(request, "providers/report_region.html", context)
