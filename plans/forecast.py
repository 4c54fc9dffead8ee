"""The forecast of a Plan Inhaalzorg (DESIGN §3.4; issue 5, "Progress and forecast").

Pure computation, no Django: the services store its results on the plan and its lines, the pages
and the API show them, and the tests check the arithmetic on worked examples.

Per line (one specialism × urgency class):

* **remaining** backlog = backlog at the start − volume realised to date (never below 0).
* **pace** = the mean realised volume of the last three *reported* months (of fewer when fewer are
  reported). Months without a report do not count as zero: a report that is late is not a month
  without production.
* **projected clearance month** = the last reported month + ⌈remaining ÷ pace⌉ months. A line
  whose backlog is already cleared is projected in the month the cumulative realised volume
  reached the backlog (a line without backlog in the first month of the period). A pace of zero
  clears nothing: no projection.
* **Before the first report** the forecast follows the plan itself: the projected month is the
  first month in which the cumulative *planned* volume reaches the backlog. A plan that does not
  plan enough volume to clear its backlog within the period is extrapolated beyond its end at its
  own mean planned volume per month (and without any planned volume there is no projection).
* **Not within the horizon**: a projection more than :data:`HORIZON_MONTHS` (100 years) after the
  last month of the period is no projection (``None``, not on track). At such a pace the backlog is
  not cleared in any time that matters, and a month that far out may not even exist (the calendar
  of ``date`` ends in 9999: a million patients at one a month was a crash, not a forecast).
* **on track** = there is a projection and it is not later than the last month of the period.
* **behind** = the cumulative realised volume up to the last reported month is below 90 % of the
  cumulative planned volume up to that month, i.e. more than 10 % behind plan (not before the
  first report, nor while nothing was planned yet).

For the plan as a whole (the **total**): backlog, realised and remaining volumes are the sums of
the lines'. The backlog of one specialism is not cleared by volume realised in another, so the plan
is cleared when its last line is: the total's projected month is the latest of the lines' (none if
any line has none) and the plan is on track when every line is. The total is behind when the sums
of realised and planned volume up to the plan's last reported month are more than 10 % apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from core.months import month_add, month_range, months_between

# Realised volume below this share of planned volume (up to the last reported month) is "behind".
BEHIND_THRESHOLD = Fraction(9, 10)
# The pace is the mean of this many last reported months.
PACE_MONTHS = 3
# Projections further than this after the period's last month are "not within the horizon".
HORIZON_MONTHS = 100 * 12
_LAST_MONTH_INDEX = date.max.year * 12 + date.max.month - 1

BASIS_PROGRESS = "progress"
BASIS_PLAN = "plan"


@dataclass(frozen=True)
class LineFigures:
    """What a line plans and what was reported for it: month (first day) → volume."""

    backlog: int
    planned: Mapping[date, int]
    realised: Mapping[date, int]


@dataclass(frozen=True)
class Forecast:
    backlog: int
    planned_total: int
    planned_to_date: int
    realised_to_date: int
    remaining: int
    last_reported_month: date | None
    pace: Fraction | None
    basis: str
    projected_clearance_month: date | None
    on_track: bool
    behind: bool


@dataclass(frozen=True)
class PlanForecast:
    total: Forecast
    lines: tuple[Forecast, ...]


@dataclass(frozen=True)
class BurnDownPoint:
    """The backlog still to clear at the end of ``month``: as planned, as reported (up to the last
    reported month) and as projected at the current pace (from the last reported month on)."""

    month: date
    planned_remaining: int
    actual_remaining: int | None
    projected_remaining: int | None


def _is_behind(*, realised: int, planned: int) -> bool:
    return planned > 0 and Fraction(realised) < BEHIND_THRESHOLD * planned


def _first_month_reaching(volumes: Sequence[tuple[date, int]], target: int) -> date | None:
    cumulative = 0
    for month, volume in volumes:
        cumulative += volume
        if cumulative >= target:
            return month
    return None


def _projection(month: date, months_ahead: int, *, period_end: date) -> date | None:
    """``months_ahead`` months after ``month``; ``None`` when that is not within the horizon
    (more than :data:`HORIZON_MONTHS` after ``period_end``, or past the last month of the
    calendar). Counted in whole numbers, so no date is made that cannot exist."""
    if months_between(period_end, month) + months_ahead > HORIZON_MONTHS:
        return None
    if month.year * 12 + month.month - 1 + months_ahead > _LAST_MONTH_INDEX:
        return None
    return month_add(month, months_ahead)


def line_forecast(*, figures: LineFigures, period_start: date, period_end: date) -> Forecast:
    """The forecast of one line; see the module docstring for the rules."""
    backlog = figures.backlog
    planned_total = sum(figures.planned.values())
    reported = sorted(figures.realised.items())
    realised_to_date = sum(volume for _month, volume in reported)
    remaining = max(0, backlog - realised_to_date)
    last = reported[-1][0] if reported else None
    planned_to_date = (
        sum(volume for month, volume in figures.planned.items() if month <= last)
        if last is not None
        else 0
    )

    pace: Fraction | None
    projected: date | None
    if reported:
        basis = BASIS_PROGRESS
        recent = [volume for _month, volume in reported[-PACE_MONTHS:]]
        pace = Fraction(sum(recent), len(recent))
        if remaining == 0:
            projected = _first_month_reaching(reported, backlog) if backlog else period_start
        elif pace == 0:
            projected = None
        else:
            assert last is not None
            projected = _projection(last, math.ceil(remaining / pace), period_end=period_end)
    else:
        basis = BASIS_PLAN
        months = list(month_range(period_start, period_end))
        pace = Fraction(planned_total, len(months)) if months else None
        schedule = [(month, figures.planned.get(month, 0)) for month in months]
        if backlog == 0:
            projected = period_start
        else:
            projected = _first_month_reaching(schedule, backlog)
            if projected is None and pace:
                projected = _projection(
                    period_end, math.ceil((backlog - planned_total) / pace), period_end=period_end
                )

    return Forecast(
        backlog=backlog,
        planned_total=planned_total,
        planned_to_date=planned_to_date,
        realised_to_date=realised_to_date,
        remaining=remaining,
        last_reported_month=last,
        pace=pace,
        basis=basis,
        projected_clearance_month=projected,
        on_track=projected is not None and projected <= period_end,
        behind=_is_behind(realised=realised_to_date, planned=planned_to_date),
    )


def plan_forecast(
    *, lines: Sequence[LineFigures], period_start: date, period_end: date
) -> PlanForecast:
    """The forecast of every line and of the plan as a whole."""
    forecasts = tuple(
        line_forecast(figures=line, period_start=period_start, period_end=period_end)
        for line in lines
    )
    reported_months = [f.last_reported_month for f in forecasts if f.last_reported_month]
    last = max(reported_months) if reported_months else None
    planned_to_date = (
        sum(volume for line in lines for month, volume in line.planned.items() if month <= last)
        if last is not None
        else 0
    )
    realised_to_date = sum(f.realised_to_date for f in forecasts)
    projections = [f.projected_clearance_month for f in forecasts]
    projected = (
        max(p for p in projections if p is not None)
        if forecasts and all(p is not None for p in projections)
        else None
    )
    paces = [f.pace for f in forecasts if f.pace is not None]
    total = Forecast(
        backlog=sum(f.backlog for f in forecasts),
        planned_total=sum(f.planned_total for f in forecasts),
        planned_to_date=planned_to_date,
        realised_to_date=realised_to_date,
        remaining=sum(f.remaining for f in forecasts),
        last_reported_month=last,
        pace=sum(paces, Fraction(0)) if paces else None,
        basis=BASIS_PROGRESS if last is not None else BASIS_PLAN,
        projected_clearance_month=projected,
        on_track=bool(forecasts) and all(f.on_track for f in forecasts),
        behind=_is_behind(realised=realised_to_date, planned=planned_to_date),
    )
    return PlanForecast(total=total, lines=forecasts)


def burn_down(
    *,
    lines: Sequence[LineFigures],
    forecast: PlanForecast,
    period_start: date,
    period_end: date,
) -> list[BurnDownPoint]:
    """Month by month, the total backlog still to clear (each line's never below 0)."""
    last = forecast.total.last_reported_month
    points = []
    for month in month_range(period_start, period_end):
        planned_remaining = 0
        actual_remaining = 0
        projected_remaining = 0
        for line, line_forecast_ in zip(lines, forecast.lines, strict=True):
            planned_line = max(
                0, line.backlog - sum(v for m, v in line.planned.items() if m <= month)
            )
            planned_remaining += planned_line
            actual_remaining += max(
                0, line.backlog - sum(v for m, v in line.realised.items() if m <= month)
            )
            line_last = line_forecast_.last_reported_month
            if line_last is None:
                projected_remaining += planned_line
            elif month <= line_last:
                projected_remaining += max(
                    0, line.backlog - sum(v for m, v in line.realised.items() if m <= month)
                )
            else:
                pace = line_forecast_.pace or Fraction(0)
                left = line_forecast_.remaining - pace * months_between(line_last, month)
                projected_remaining += max(0, math.ceil(left))
        reported = last is not None and month <= last
        points.append(
            BurnDownPoint(
                month=month,
                planned_remaining=planned_remaining,
                actual_remaining=actual_remaining if reported else None,
                projected_remaining=projected_remaining
                if last is not None and month >= last
                else None,
            )
        )
    return points
