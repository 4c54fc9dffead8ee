"""Reads of one plan: its lines with their figures, the forecast, the burn-down and the
configuration of its chart, versions and what changed between them, and the specialisms a
provider's template is filled with."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.months import month_format, month_parse, month_range
from plans.diff import SnapshotDiff, snapshot_diff
from plans.forecast import (
    BurnDownPoint,
    Forecast,
    LineFigures,
    PlanForecast,
    burn_down,
    plan_forecast,
)
from plans.models import MEASURE_KEYS, Plan, PlanLine, PlanProgress, PlanTransition, PlanVersion
from providers.models import Provider, Specialism, WaitingTimeSeries

# Colours of the burn-down chart (and a line style each, so they differ without colour too).
_PLANNED_COLOUR = "#6c757d"
_ACTUAL_COLOUR = "#0a58ca"
_PROJECTED_COLOUR = "#b45f06"


@dataclass
class LineView:
    """A line with its figures and forecast, as the pages show it."""

    line: PlanLine
    figures: LineFigures
    forecast: Forecast

    @property
    def specialism(self) -> Specialism:
        return self.line.specialism

    @property
    def urgency_class(self) -> int:
        return self.line.urgency_class


@dataclass
class PlanPicture:
    """Everything the plan page needs about the numbers of a plan."""

    plan: Plan
    lines: list[LineView]
    forecast: PlanForecast
    burn_down: list[BurnDownPoint]
    months: list[date]
    # (specialism code, class) → month → realised: also progress of lines no longer in the plan.
    progress: dict[tuple[str, int], dict[date, int]]

    @property
    def total(self) -> Forecast:
        return self.forecast.total


def planned_months(planned: dict[str, int]) -> dict[date, int]:
    """A line's stored ``{"YYYY-MM": volume}`` as ``{month: volume}``."""
    result = {}
    for key, volume in planned.items():
        month = month_parse(key)
        if month is not None:
            result[month] = int(volume)
    return result


def plan_lines(*, plan: Plan) -> list[PlanLine]:
    return list(
        plan.lines.select_related("specialism").order_by("specialism__code", "urgency_class")
    )


def plan_progress_by_line(*, plan: Plan) -> dict[tuple[str, int], dict[date, int]]:
    progress: dict[tuple[str, int], dict[date, int]] = defaultdict(dict)
    for specialism_code, urgency_class, month, realised in PlanProgress.objects.filter(
        plan=plan
    ).values_list("specialism__code", "urgency_class", "month", "realised"):
        progress[(specialism_code, urgency_class)][month] = realised
    return dict(progress)


def plan_line_figures(
    *, lines: list[PlanLine], progress: dict[tuple[str, int], dict[date, int]]
) -> list[LineFigures]:
    return [
        LineFigures(
            backlog=line.backlog,
            planned=planned_months(line.planned),
            realised=progress.get((line.specialism.code, line.urgency_class), {}),
        )
        for line in lines
    ]


def plan_picture(*, plan: Plan) -> PlanPicture:
    lines = plan_lines(plan=plan)
    progress = plan_progress_by_line(plan=plan)
    figures = plan_line_figures(lines=lines, progress=progress)
    forecast = plan_forecast(
        lines=figures, period_start=plan.period_start, period_end=plan.period_end
    )
    return PlanPicture(
        plan=plan,
        lines=[
            LineView(line=line, figures=figure, forecast=line_forecast)
            for line, figure, line_forecast in zip(lines, figures, forecast.lines, strict=True)
        ],
        forecast=forecast,
        burn_down=burn_down(
            lines=figures,
            forecast=forecast,
            period_start=plan.period_start,
            period_end=plan.period_end,
        ),
        months=list(month_range(plan.period_start, plan.period_end)),
        progress=progress,
    )


def plan_burn_down_chart(*, picture: PlanPicture) -> dict[str, Any]:
    """The data of the burn-down chart (drawn by static/js/plans.js from the page's
    ``json_script``) and its labels: plain JSON values."""
    points = picture.burn_down
    start_label = _("Start")
    return {
        "labels": [start_label, *[date_format(p.month, "M Y") for p in points]],
        "series": [
            {
                "key": "planned",
                "label": _("Planned"),
                "colour": _PLANNED_COLOUR,
                "dash": [6, 4],
                "data": [picture.total.backlog, *[p.planned_remaining for p in points]],
            },
            {
                "key": "actual",
                "label": _("Realised (reported)"),
                "colour": _ACTUAL_COLOUR,
                "dash": [],
                "data": [
                    picture.total.backlog if picture.total.last_reported_month else None,
                    *[p.actual_remaining for p in points],
                ],
            },
            {
                "key": "projected",
                "label": _("Forecast at the current pace"),
                "colour": _PROJECTED_COLOUR,
                "dash": [2, 3],
                "data": [None, *[p.projected_remaining for p in points]],
            },
        ],
        "y_title": _("Remaining backlog"),
        "x_title": _("End of month"),
    }


def plan_snapshot(*, plan: Plan) -> dict[str, Any]:
    """What a submission records: the plan's period, insurer, measures and lines (plain JSON)."""
    return {
        "insurer": plan.insurer.uzovi,
        "period_start": month_format(plan.period_start),
        "period_end": month_format(plan.period_end),
        "measures": {key: getattr(plan, key) for key in MEASURE_KEYS},
        "lines": [
            {
                "specialism": line.specialism.code,
                "urgency_class": line.urgency_class,
                "backlog": line.backlog,
                "planned": {key: line.planned[key] for key in sorted(line.planned)},
            }
            for line in plan_lines(plan=plan)
        ],
    }


def plan_versions(*, plan: Plan) -> QuerySet[PlanVersion]:
    return plan.versions.order_by("-number")


def plan_version_diff(
    *, plan: Plan, number: int | None = None
) -> tuple[PlanVersion | None, SnapshotDiff | None]:
    """Version ``number`` (default: the latest) and what changed since the version before it;
    ``(version, None)`` for a first version, ``(None, None)`` for a plan never submitted."""
    versions = plan.versions.order_by("-number")
    current = versions.filter(number=number).first() if number else versions.first()
    if current is None:
        return None, None
    previous = versions.filter(number__lt=current.number).first()
    if previous is None:
        return current, None
    return current, snapshot_diff(previous.snapshot, current.snapshot)


def plan_history(*, plan: Plan) -> QuerySet[PlanTransition]:
    return plan.transitions.order_by("occurred_at", "id")


def plan_last_review(*, plan: Plan) -> PlanTransition | None:
    """The latest decision of the insurer (changes requested or approved)."""
    return (
        plan.transitions.filter(to_status__in=["changes_requested", "approved"])
        .order_by("-occurred_at", "-id")
        .first()
    )


def provider_specialisms(*, provider: Provider) -> list[Specialism]:
    """The specialisms a provider's active locations report waiting times for; every active
    specialism when they report none yet (the template then lists them all)."""
    ids = (
        WaitingTimeSeries.objects.filter(location__provider=provider, location__is_active=True)
        .values_list("specialism_id", flat=True)
        .distinct()
    )
    specialisms = list(Specialism.objects.filter(pk__in=ids, is_active=True).order_by("code"))
    return specialisms or list(Specialism.objects.filter(is_active=True).order_by("code"))
