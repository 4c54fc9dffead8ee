"""Web UI of the regional report (DESIGN §6): choose a ROAZ region, then its waits against the
Treeknormen per specialism, the capacity in and around it, who has not reported and the trend."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
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
