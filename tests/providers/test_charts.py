"""The trend charts of the waiting-time pages (a series' history, the regional report): built by
the selectors that feed them, not in the views."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from providers.models import Norm
from providers.waiting_times.selectors import waiting_time_series_chart, waiting_time_series_norm
from tests.providers.factories import TreatmentFactory, WaitingTimeSeriesFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "setting", "max_days"),
    [("first_visit", None, 28), ("treatment", "day", 42), ("treatment", "inpatient", 49)],
)
def test_the_norm_of_a_series_follows_its_kind_and_setting(kind, setting, max_days):
    treatment = TreatmentFactory(setting=setting) if setting else None
    series = WaitingTimeSeriesFactory(kind=kind, treatment=treatment)
    norm = waiting_time_series_norm(series=series)
    assert norm is not None
    assert norm.max_days == max_days


def test_the_chart_runs_oldest_first_with_the_norm_as_a_flat_line():
    newest_first = [
        SimpleNamespace(reference_date=date(2026, 11, 25), days=None),  # insufficient: a gap
        SimpleNamespace(reference_date=date(2026, 10, 28), days=31),
        SimpleNamespace(reference_date=date(2026, 9, 30), days=40),
    ]
    norm = Norm(kind="first_visit", setting="", target_days=21, max_days=28)
    chart = waiting_time_series_chart(reports=newest_first, norm=norm)
    assert chart["type"] == "line"
    assert chart["data"]["labels"] == ["2026-09-30", "2026-10-28", "2026-11-25"]
    wait, maximum = chart["data"]["datasets"]
    assert wait["data"] == [40, 31, None]
    assert maximum["data"] == [28, 28, 28]
    assert "28" in maximum["label"]


def test_without_a_norm_the_chart_has_only_the_wait():
    reports = [SimpleNamespace(reference_date=date(2026, 11, 25), days=12)]
    chart = waiting_time_series_chart(reports=reports, norm=None)
    assert [dataset["data"] for dataset in chart["data"]["datasets"]] == [[12]]


def test_the_regional_trend_chart_has_a_line_per_kind_with_gaps_for_missing_cycles():
    from providers.reports.selectors import TrendPoint, regional_trend_chart

    trend = [
        TrendPoint(date(2026, 10, 28), "first_visit", 30.0, 40.0, 5),
        TrendPoint(date(2026, 11, 25), "first_visit", 33.0, 50.0, 6),
        TrendPoint(date(2026, 11, 25), "treatment", 41.5, 10.0, 2),
    ]
    chart = regional_trend_chart(
        trend=trend, value="percentage_above_norm", axis_title="%", y_max=100
    )
    assert len(chart["data"]["labels"]) == 2
    by_kind = {dataset["label"]: dataset["data"] for dataset in chart["data"]["datasets"]}
    assert list(by_kind.values()) == [[40.0, 50.0], [None, None], [None, 10.0]]
    assert chart["options"]["scales"]["y"]["max"] == 100
