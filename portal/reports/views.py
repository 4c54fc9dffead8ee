"""Web UI of the regional report (DESIGN §6): choose a ROAZ region, then its waits against the
Treeknormen per specialism, the capacity in and around it, who has not reported and the trend;
and the national picture (issue 14): every region × specialism, drilling down to a region."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import view_role_required
from portal.reports.apis import (
    REGIONAL_REPORT_ROLES,
    regional_report_csv_filename,
    regional_report_plans,
)
from portal.reports.national_apis import NATIONAL_REPORT_ROLES, national_report_csv_filename
from providers.models import WaitingTimeKind
from providers.reference.selectors import region_list
from providers.reports.national import national_report
from providers.reports.selectors import (
    KIND_ORDER,
    TrendPoint,
    regional_report,
    regional_trend_chart,
)


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
        "median_chart": regional_trend_chart(
            trend=report.trend, value="median_days", axis_title=_("Median wait (days)")
        ),
        "share_chart": regional_trend_chart(
            trend=report.trend,
            value="percentage_above_norm",
            axis_title=_("Share above the norm (%)"),
            y_max=100,
        ),
        "csv_filename": regional_report_csv_filename(report),
        "plan_rows": regional_report_plans(region=region, actor=actor, report=report),
        "plans_all_insurers": actor.has_role(Role.REGULATOR),
    }
    return render(request, "providers/report_region.html", context)


# The kinds the national matrix shows, one at a time (treatments per setting: each its norm).
NATIONAL_KIND_CHOICES: list[tuple[str, str, str, Any]] = [
    ("first_visit", WaitingTimeKind.FIRST_VISIT, "", WaitingTimeKind.FIRST_VISIT.label),
    ("diagnostics", WaitingTimeKind.DIAGNOSTICS, "", WaitingTimeKind.DIAGNOSTICS.label),
    ("treatment_day", WaitingTimeKind.TREATMENT, "day", gettext_lazy("Treatment, day care")),
    (
        "treatment_inpatient",
        WaitingTimeKind.TREATMENT,
        "inpatient",
        gettext_lazy("Treatment, inpatient"),
    ),
]


@view_role_required(*NATIONAL_REPORT_ROLES)
def national_report_view(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The national matrix of one kind (``?kind=``, first visits by default): specialisms ×
    regions, each region's column leading to its regional report; the lists of series not
    reported and persistently over the norm. Works without JavaScript."""
    report = national_report()
    choices = {
        value: (kind, setting, label) for value, kind, setting, label in NATIONAL_KIND_CHOICES
    }
    chosen = request.GET.get("kind", "")
    if chosen not in choices:
        chosen = NATIONAL_KIND_CHOICES[0][0]
    kind, setting, label = choices[chosen]
    cells = {
        (cell.region_code, cell.specialism_code): cell
        for cell in report.cells
        if (cell.kind, cell.setting) == (kind, setting)
    }
    specialisms = [
        specialism
        for specialism in report.specialisms
        if any((region.code, specialism.code) in cells for region in report.regions)
    ]
    region_totals = []
    for region in report.regions:
        region_cells = [cell for cell in report.cells if cell.region_code == region.code]
        region_totals.append(
            {
                "region": region,
                "series": sum(cell.series for cell in region_cells),
                "not_reported": sum(cell.series_not_reported for cell in region_cells),
                "overrun": sum(cell.series_persistent_overrun for cell in region_cells),
                "capacity": sum(cell.capacity for cell in region_cells),
            }
        )
    context = {
        "report": report,
        "kind_choices": [(value, label) for value, _kind, _setting, label in NATIONAL_KIND_CHOICES],
        "chosen_kind": chosen,
        "chosen_label": label,
        "matrix": [
            (specialism, [cells.get((region.code, specialism.code)) for region in report.regions])
            for specialism in specialisms
        ],
        "region_totals": region_totals,
        "csv_filename": national_report_csv_filename(report),
    }
    return render(request, "providers/report_national.html", context)
