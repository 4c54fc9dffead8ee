"""The national picture (issue 14) at the selector level: per region × specialism × kind (and
setting) the series, current, exceeding, not reported and persistently over the norm, the median
against the norm and the capacity; the lists of series with their totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from providers.models import (
    CapacityOffer,
    Norm,
    PersistentOverrun,
    Region,
    Specialism,
    Treatment,
    WaitingTimeSeries,
)
from providers.reports.national import national_report
from providers.waiting_times.rules import nza_reference_date_on_or_before
from tests.providers.factories import LocationFactory, ProviderFactory, RegionFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 12)  # last cycle 3 March, stale before 12 February
LAST_CYCLE = date(2026, 3, 3)
PREVIOUS_CYCLE = date(2026, 2, 17)


@pytest.fixture(autouse=True)
def norms() -> None:
    for kind, setting, target, maximum in [
        ("first_visit", "", 21, 28),
        ("diagnostics", "", 21, 28),
        ("treatment", "day", 28, 42),
        ("treatment", "inpatient", 35, 49),
    ]:
        Norm.objects.update_or_create(
            kind=kind,
            setting=setting,
            defaults={"target_days": target, "max_days": maximum, "target_percentage": 80},
        )


def series(location, specialism, day, days, *, kind="first_visit", treatment=None):
    return WaitingTimeSeries.objects.create(
        location=location,
        specialism=specialism,
        treatment=treatment,
        kind="treatment" if treatment else kind,
        current_reference_date=day,
        current_days=days,
        current_insufficient_observations=days is None and day is not None,
    )


@dataclass
class World:
    a: Region
    b: Region
    orthopedics: Specialism
    flagged: WaitingTimeSeries


def build_world(today: date = TODAY) -> World:
    """Region TSTA: first visits 20, 40 (above 28), 30 last reported the previous cycle, 90
    stale, one never reported, one at an inactive location; treatments 45 days (day care: above
    42; inpatient: within 49). Region TSTB: first visit 50, persistently over the norm."""
    last_cycle = nza_reference_date_on_or_before(today)
    previous_cycle = last_cycle - timedelta(days=14)
    a = RegionFactory(code="TSTA", name="Testregio A")
    b = RegionFactory(code="TSTB", name="Testregio B")
    orthopedics = Specialism.objects.get(code="0305")
    hip = Treatment.objects.create(
        code="test-hip", name="Testheup", specialism=orthopedics, setting="day"
    )
    knee = Treatment.objects.create(
        code="test-knee", name="Testknie", specialism=orthopedics, setting="inpatient"
    )
    pa = ProviderFactory(region=a, name="Ziekenhuis A")
    pb = ProviderFactory(region=b, name="Ziekenhuis B")
    la = [LocationFactory(provider=pa, name=f"A{n}") for n in range(6)]
    inactive = LocationFactory(provider=pa, name="A gesloten", is_active=False)
    lb = LocationFactory(provider=pb, name="B1")
    series(la[0], orthopedics, last_cycle, 20)
    series(la[1], orthopedics, last_cycle, 40)
    series(la[2], orthopedics, previous_cycle, 30)
    series(la[3], orthopedics, today - timedelta(weeks=8), 90)
    series(la[4], orthopedics, None, None)
    series(inactive, orthopedics, last_cycle, 99)
    series(la[0], orthopedics, last_cycle, 45, treatment=hip)
    series(la[0], orthopedics, last_cycle, 45, treatment=knee)
    flagged = series(lb, orthopedics, last_cycle, 50)
    PersistentOverrun.objects.create(
        series=flagged,
        since=date(2026, 2, 3),
        latest_reference_date=last_cycle,
        cycles=3,
        days=50,
        max_days=28,
    )
    # A cleared flag does not count.
    PersistentOverrun.objects.create(
        series=series(la[5], orthopedics, last_cycle, 10),
        since=date(2026, 1, 6),
        latest_reference_date=date(2026, 2, 3),
        cycles=3,
        days=40,
        max_days=28,
        cleared_at=timezone.now(),
    )
    monday = today - timedelta(days=today.weekday())
    for location, slots, reserved, treatment, week in [
        (la[0], 5, 2, None, monday),
        (la[1], 4, 0, None, monday + timedelta(weeks=7)),
        (la[1], 9, 0, None, monday + timedelta(weeks=8)),  # beyond the window
        (inactive, 9, 0, None, monday),
        (lb, 6, 0, hip, monday),
    ]:
        CapacityOffer.objects.create(
            location=location,
            specialism=orthopedics,
            treatment=treatment,
            kind="treatment" if treatment else "first_visit",
            week_start=week,
            slots=slots,
            reserved_slots=reserved,
        )
    return World(a, b, orthopedics, flagged)


def test_cells_count_series_and_take_the_median_of_current_figures() -> None:
    build_world()

    report = national_report(today=TODAY)

    cell = report.cell("TSTA", "0305", "first_visit")
    assert cell is not None
    # Active series: 20, 40, 30 (previous cycle), 90 (stale), never reported, 10.
    assert (cell.series, cell.series_current, cell.series_exceeding) == (6, 4, 2)  # 40, 30
    assert cell.series_not_reported == 3  # previous cycle, stale, never reported
    assert cell.series_persistent_overrun == 0  # the cleared flag does not count
    assert cell.median_days == 25.0  # of 10, 20, 30, 40
    assert (cell.norm_max_days, cell.norm_status) == (28, "within_maximum")
    assert cell.capacity == 3 + 4


def test_treatments_are_split_per_setting_with_their_norm() -> None:
    build_world()

    report = national_report(today=TODAY)

    day = report.cell("TSTA", "0305", "treatment", "day")
    inpatient = report.cell("TSTA", "0305", "treatment", "inpatient")
    assert day is not None and inpatient is not None
    assert (day.median_days, day.norm_max_days, day.norm_status) == (45, 42, "above_maximum")
    assert (inpatient.norm_max_days, inpatient.norm_status) == (49, "within_maximum")
    assert day.series_exceeding == 1 and inpatient.series_exceeding == 0


def test_the_other_region_has_its_own_cells_with_the_open_flag() -> None:
    build_world()

    report = national_report(today=TODAY)

    cell = report.cell("TSTB", "0305", "first_visit")
    assert cell is not None
    assert (cell.series, cell.series_persistent_overrun, cell.norm_status) == (
        1,
        1,
        "above_maximum",
    )
    capacity_only = report.cell("TSTB", "0305", "treatment", "day")
    assert capacity_only is not None
    assert (capacity_only.series, capacity_only.capacity) == (0, 6)


def test_lists_name_the_series_and_count_them_all() -> None:
    world = build_world()

    report = national_report(today=TODAY)

    assert report.totals["series_not_reported"] == report.series_not_reported.count == 3
    assert sum(cell.series_not_reported for cell in report.cells) == 3
    assert [
        (s.location_name, s.last_reference_date) for s in report.series_not_reported.results
    ] == [
        ("A2", PREVIOUS_CYCLE),
        ("A3", TODAY - timedelta(weeks=8)),
        ("A4", None),
    ]
    [flagged] = report.persistent_overruns.results
    assert report.persistent_overruns.count == 1
    assert (flagged.region_code, flagged.location_name, flagged.days) == ("TSTB", "B1", 50)
    assert (flagged.overrun_since, flagged.overrun_cycles, flagged.norm_max_days) == (
        date(2026, 2, 3),
        3,
        28,
    )
    assert world.flagged.pk  # the flagged series is the one listed


def test_lists_are_capped_but_their_counts_are_not() -> None:
    build_world()

    report = national_report(today=TODAY, list_limit=2)

    assert report.series_not_reported.count == 3
    assert len(report.series_not_reported.results) == 2
    assert report.series_not_reported.truncated


def test_the_report_reads_a_fixed_number_of_queries(django_assert_max_num_queries) -> None:
    build_world()

    with django_assert_max_num_queries(12):
        national_report(today=TODAY)
