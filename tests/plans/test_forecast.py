"""The forecast rules of plans.forecast, on worked examples (issue 5: "including worked examples
of the forecast arithmetic") and against a slow month-by-month oracle."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from core.months import month_add, month_range
from plans.forecast import (
    BASIS_PLAN,
    BASIS_PROGRESS,
    HORIZON_MONTHS,
    LineFigures,
    burn_down,
    line_forecast,
    plan_forecast,
)

JAN, DEC = date(2026, 1, 1), date(2026, 12, 1)


def m(number: int, year: int = 2026) -> date:
    return date(year, number, 1)


def even(volume: int) -> dict[date, int]:
    return dict.fromkeys(month_range(JAN, DEC), volume)


def forecast(backlog: int, planned: dict[date, int], realised: dict[date, int]):
    return line_forecast(
        figures=LineFigures(backlog=backlog, planned=planned, realised=realised),
        period_start=JAN,
        period_end=DEC,
    )


def test_worked_example_on_track() -> None:
    """Backlog 120, 10 planned a month. Reported 10, 8, 12: realised 30, remaining 90, pace
    (10 + 8 + 12) / 3 = 10, cleared March + ⌈90 / 10⌉ = 9 months = December: on track."""
    result = forecast(120, even(10), {m(1): 10, m(2): 8, m(3): 12})

    assert result.realised_to_date == 30
    assert result.remaining == 90
    assert result.pace == 10
    assert result.planned_to_date == 30
    assert result.last_reported_month == m(3)
    assert result.projected_clearance_month == m(12)
    assert result.on_track is True
    assert result.behind is False
    assert result.basis == BASIS_PROGRESS


def test_worked_example_behind_and_not_on_track() -> None:
    """Reported 8, 8, 10 = 26 against 30 planned: 26 < 90 % × 30 = 27, so behind. Pace 26 / 3,
    remaining 94, ⌈94 / (26/3)⌉ = ⌈10.85⌉ = 11 months after March = February 2027."""
    result = forecast(120, even(10), {m(1): 8, m(2): 8, m(3): 10})

    assert result.pace == Fraction(26, 3)
    assert result.remaining == 94
    assert result.behind is True
    assert result.projected_clearance_month == m(2, 2027)
    assert result.on_track is False


def test_exactly_ten_percent_behind_is_not_flagged() -> None:
    """27 of 30 is exactly 90 %: not *more* than 10 % behind."""
    assert forecast(120, even(10), {m(1): 9, m(2): 9, m(3): 9}).behind is False
    assert forecast(120, even(10), {m(1): 9, m(2): 9, m(3): 8}).behind is True


def test_pace_is_the_mean_of_the_last_three_reported_months() -> None:
    """30, 0, 6, 9 reported: the pace is (0 + 6 + 9) / 3 = 5, not the mean of all four; remaining
    120 − 45 = 75 → ⌈75 / 5⌉ = 15 months after April = July 2027."""
    result = forecast(120, even(10), {m(1): 30, m(2): 0, m(3): 6, m(4): 9})

    assert result.pace == 5
    assert result.projected_clearance_month == m(7, 2027)


def test_fewer_than_three_reported_months() -> None:
    """One month of 20: pace 20, remaining 100 → 5 months after January = June."""
    result = forecast(120, even(10), {m(1): 20})

    assert result.pace == 20
    assert result.projected_clearance_month == m(6)
    assert result.on_track is True


def test_a_month_not_reported_is_not_counted_as_zero() -> None:
    """January and March reported (February missing): the pace is (12 + 12) / 2 = 12."""
    result = forecast(120, even(10), {m(1): 12, m(3): 12})

    assert result.pace == 12
    assert result.last_reported_month == m(3)
    assert result.projected_clearance_month == m(11)  # March + ⌈96 / 12⌉ = 8


def test_no_pace_no_projection() -> None:
    result = forecast(120, even(10), {m(1): 0, m(2): 0})

    assert result.pace == 0
    assert result.projected_clearance_month is None
    assert result.on_track is False
    assert result.behind is True


def test_a_cleared_line_is_projected_in_the_month_it_was_cleared() -> None:
    result = forecast(50, even(10), {m(1): 30, m(2): 30, m(3): 5})

    assert result.remaining == 0
    assert result.projected_clearance_month == m(2)
    assert result.on_track is True


def test_before_any_report_the_plan_itself_is_the_forecast() -> None:
    """Backlog 120 with 10 a month planned: cleared in December, on track."""
    result = forecast(120, even(10), {})

    assert result.basis == BASIS_PLAN
    assert result.projected_clearance_month == m(12)
    assert result.on_track is True
    assert result.behind is False
    assert result.planned_to_date == 0


def test_a_plan_that_plans_too_little_is_extrapolated_beyond_its_period() -> None:
    """Backlog 150, 120 planned: 30 short at the plan's mean pace of 10 → 3 months after
    December = March 2027, not on track."""
    result = forecast(150, even(10), {})

    assert result.projected_clearance_month == m(3, 2027)
    assert result.on_track is False


def test_a_front_loaded_plan_clears_when_its_cumulative_volume_reaches_the_backlog() -> None:
    planned = {m(1): 50, m(2): 50, m(3): 20}
    assert forecast(100, planned, {}).projected_clearance_month == m(2)


def test_a_projection_beyond_the_horizon_is_no_projection() -> None:
    """A million patients at one a month would clear in the year 85,000: no month can say that
    (it was a ValueError, a 500 in the API). Up to 100 years after the period it is a month."""
    slow = forecast(1_000_000, even(1), {m(1): 1})
    assert slow.projected_clearance_month is None
    assert slow.on_track is False
    assert slow.remaining == 999_999

    # 1 a month, from January: 12 × 100 + 11 months left ends December 2126, the horizon itself.
    last = forecast(HORIZON_MONTHS + 12, {}, {m(1): 1})
    assert last.projected_clearance_month == month_add(DEC, HORIZON_MONTHS)
    assert forecast(HORIZON_MONTHS + 13, {}, {m(1): 1}).projected_clearance_month is None


def test_before_any_report_a_plan_short_beyond_the_horizon_has_no_projection() -> None:
    assert forecast(1_000_000, even(1), {}).projected_clearance_month is None


def test_a_period_at_the_end_of_the_calendar_does_not_crash() -> None:
    """Refused as implausible by the services, but the pure forecast holds on its own too."""
    start, end = date(9999, 1, 1), date(9999, 12, 1)
    figures = LineFigures(
        backlog=500, planned=dict.fromkeys(month_range(start, end), 1), realised={}
    )

    result = line_forecast(figures=figures, period_start=start, period_end=end)
    assert result.projected_clearance_month is None
    reported = LineFigures(backlog=500, planned={}, realised={date(9999, 12, 1): 1})
    assert line_forecast(figures=reported, period_start=start, period_end=end).on_track is False


def test_nothing_planned_and_nothing_reported_has_no_projection() -> None:
    result = forecast(40, {}, {})

    assert result.projected_clearance_month is None
    assert result.on_track is False


def test_no_backlog_is_cleared_from_the_start() -> None:
    result = forecast(0, {}, {})

    assert result.projected_clearance_month == JAN
    assert result.on_track is True


def test_the_plan_is_cleared_when_its_last_line_is() -> None:
    """Line A on track (December), line B cleared in February 2027: the plan is cleared in
    February 2027 and not on track; over-delivery on A does not clear B's backlog."""
    a = LineFigures(backlog=10, planned=even(1), realised={m(1): 10, m(2): 10, m(3): 10})
    b = LineFigures(backlog=120, planned=even(10), realised={m(1): 8, m(2): 8, m(3): 10})

    result = plan_forecast(lines=[a, b], period_start=JAN, period_end=DEC)

    assert [line.on_track for line in result.lines] == [True, False]
    assert result.total.projected_clearance_month == m(2, 2027)
    assert result.total.on_track is False
    assert result.total.backlog == 130
    assert result.total.realised_to_date == 56
    assert result.total.remaining == 0 + 94  # not 130 − 56 = 74
    # Behind on the sums: realised 56 against planned 3 + 30 = 33 up to March: not behind.
    assert result.total.planned_to_date == 33
    assert result.total.behind is False


def test_a_plan_without_lines_is_not_on_track() -> None:
    result = plan_forecast(lines=[], period_start=JAN, period_end=DEC)

    assert result.total.on_track is False
    assert result.total.projected_clearance_month is None


def test_the_plan_total_uses_the_plans_last_reported_month() -> None:
    """Line A reported up to March, line B only January: planned to date counts both lines'
    planned volume up to March."""
    a = LineFigures(backlog=120, planned=even(10), realised={m(1): 10, m(2): 10, m(3): 10})
    b = LineFigures(backlog=120, planned=even(10), realised={m(1): 10})

    result = plan_forecast(lines=[a, b], period_start=JAN, period_end=DEC)

    assert result.total.last_reported_month == m(3)
    assert result.total.planned_to_date == 60
    assert result.total.realised_to_date == 40
    assert result.total.behind is True  # 40 < 54


def test_burn_down_planned_actual_and_projected() -> None:
    figures = LineFigures(backlog=120, planned=even(10), realised={m(1): 10, m(2): 8, m(3): 12})
    result = plan_forecast(lines=[figures], period_start=JAN, period_end=DEC)

    points = burn_down(lines=[figures], forecast=result, period_start=JAN, period_end=DEC)

    assert [p.planned_remaining for p in points] == [110 - 10 * i for i in range(12)]
    assert [p.actual_remaining for p in points[:4]] == [110, 102, 90, None]
    assert points[1].projected_remaining is None
    assert [p.projected_remaining for p in points[2:5]] == [90, 80, 70]
    assert points[-1].projected_remaining == 0


# --- Against a slow oracle ------------------------------------------------------------------------
def oracle_clearance(backlog: int, realised: dict[date, int]) -> date | None:
    """Month by month: take away the pace until nothing remains (for a line with reports)."""
    reported = sorted(realised.items())
    remaining = backlog - sum(v for _m, v in reported)
    last = reported[-1][0]
    if remaining <= 0:
        total = 0
        for month, volume in reported:
            total += volume
            if total >= backlog:
                return month
    recent = [v for _m, v in reported[-3:]]
    pace = Fraction(sum(recent), len(recent))
    if pace == 0:
        return None
    left, month = Fraction(remaining), last
    while left > 0:
        left -= pace
        month = month_add(month, 1)
    # Not within the horizon: more than 100 years after the period (December 2026).
    return month if month <= month_add(DEC, HORIZON_MONTHS) else None


reports = st.dictionaries(
    st.integers(min_value=1, max_value=12).map(m),
    st.integers(min_value=0, max_value=60),
    min_size=1,
)


# Backlogs up to 6,000 at paces down to 1/3 a month reach beyond the 100-year horizon.
@settings(max_examples=300, deadline=None)
@given(backlog=st.integers(min_value=1, max_value=6000), realised=reports)
def test_projection_matches_the_month_by_month_oracle(backlog, realised) -> None:
    result = forecast(backlog, even(10), realised)

    assert result.projected_clearance_month == oracle_clearance(backlog, realised)
    expected_on_track = result.projected_clearance_month is not None and (
        result.projected_clearance_month <= DEC
    )
    assert result.on_track is expected_on_track
    assert result.remaining == max(0, backlog - sum(realised.values()))


@settings(max_examples=200, deadline=None)
@given(
    backlog=st.integers(min_value=1, max_value=2000),
    realised=reports,
    extra=st.integers(min_value=1, max_value=50),
)
def test_more_volume_in_the_last_month_never_delays_the_projection(backlog, realised, extra):
    last = max(realised)
    more = {**realised, last: realised[last] + extra}

    before = forecast(backlog, even(10), realised).projected_clearance_month
    after = forecast(backlog, even(10), more).projected_clearance_month

    if before is not None:
        assert after is not None and after <= before
