"""The regional report (issue 3, "Regional picture") at the selector level, with worked examples:
counts, medians, the norm, stale and insufficient figures, capacity inside the region and in its
neighbours, providers that did not report in the last cycle, and the trend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from providers.models import (
    CapacityOffer,
    Location,
    Norm,
    PersistentOverrun,
    Provider,
    ProviderKind,
    Region,
    Specialism,
    Treatment,
    WaitingTimeReport,
    WaitingTimeSeries,
)
from providers.reports.selectors import (
    TREND_CYCLES,
    _median_of_histogram,
    regional_report,
)
from providers.reports.trend_counts import region_trend_counts_rebuild
from providers.waiting_times.rules import nza_reference_date_on_or_before, nza_reference_dates
from tests.providers.factories import LocationFactory, ProviderFactory, RegionFactory

pytestmark = pytest.mark.django_db

# Thursday of ISO week 11 (odd): the last NZa peildatum is Tuesday 3 March (week 10), figures
# from before 12 February are stale (28 days), capacity counts from Monday 9 March for 8 weeks.
TODAY = date(2026, 3, 12)
LAST_CYCLE = date(2026, 3, 3)
PREVIOUS_CYCLE = date(2026, 2, 17)

TREEKNORMEN = [
    ("first_visit", "", 21, 28),
    ("diagnostics", "", 21, 28),
    ("treatment", "day", 28, 42),
    ("treatment", "inpatient", 35, 49),
]


@pytest.fixture(autouse=True)
def norms():
    for kind, setting, target_days, max_days in TREEKNORMEN:
        Norm.objects.update_or_create(
            kind=kind,
            setting=setting,
            defaults={"target_days": target_days, "max_days": max_days, "target_percentage": 80},
        )


def add_series(
    location: Location,
    specialism: Specialism,
    history: list[tuple[date, int | None]],
    *,
    kind: str = "first_visit",
    treatment: Treatment | None = None,
) -> WaitingTimeSeries:
    """A series with its reports (``None`` = insufficient observations); the latest is current,
    as the reporting service leaves it."""
    reference_date, days = max(history, key=lambda item: item[0])
    series = WaitingTimeSeries.objects.create(
        location=location,
        specialism=specialism,
        treatment=treatment,
        kind="treatment" if treatment else kind,
        current_reference_date=reference_date,
        current_days=days,
        current_insufficient_observations=days is None,
    )
    WaitingTimeReport.objects.bulk_create(
        WaitingTimeReport(
            series=series,
            reference_date=day,
            days=value,
            insufficient_observations=value is None,
            source="api",
        )
        for day, value in history
    )
    region_trend_counts_rebuild(region_ids=[location.provider.region_id])
    return series


def add_offer(
    location, specialism, week_start, slots, *, reserved=0, kind="first_visit", treatment=None
):
    return CapacityOffer.objects.create(
        location=location,
        specialism=specialism,
        treatment=treatment,
        kind="treatment" if treatment else kind,
        week_start=week_start,
        slots=slots,
        reserved_slots=reserved,
    )


@dataclass
class World:
    region: Region
    neighbour: Region
    orthopedics: Specialism
    urology: Specialism
    knee: Treatment
    hip: Treatment
    providers: dict[str, Provider]
    locations: dict[str, Location]


def build_world(*, last_cycle: date = LAST_CYCLE, today: date = TODAY) -> World:
    """Region TSTA (neighbour TSTB; TSTC is not a neighbour) with orthopedics figures:

    ==========  ========  ==========================================  =========================
    provider    location  first visit (peildatum: days)               treatments
    ==========  ========  ==========================================  =========================
    P1 hospital L1        prev 10, last 20; off-cycle 12 before        day 40, inpatient 50
    P1          L2        prev 30, last 35                             day 45
    P2 ZBC      L3        prev 30 (not in the last cycle)              day 10, stale
    P3 hospital L4        last: insufficient observations
    P3          L6        — (never reported)
    P4 hospital L5        90, stale (8 weeks before today)
    P5 inactive Lx        last 99 (inactive location: ignored)
    Q1 (TSTB)   N1        last 60 (neighbouring region: not counted)
    ==========  ========  ==========================================  =========================
    """
    region = RegionFactory(code="TSTA", name="Testregio A")
    neighbour = RegionFactory(code="TSTB", name="Testregio B")
    far = RegionFactory(code="TSTC", name="Testregio C")
    region.neighbours.add(neighbour)
    orthopedics = Specialism.objects.get(code="0305")
    urology = Specialism.objects.get(code="0306")
    knee = Treatment.objects.create(
        code="test-knee", name="Testknie", specialism=orthopedics, setting="inpatient"
    )
    hip = Treatment.objects.create(
        code="test-arthroscopy", name="Testartroscopie", specialism=orthopedics, setting="day"
    )
    previous = last_cycle - timedelta(days=14)
    providers = {
        "P1": ProviderFactory(name="Ziekenhuis Een", region=region),
        "P2": ProviderFactory(name="Kliniek Twee", region=region, kind=ProviderKind.ZBC),
        "P3": ProviderFactory(name="Ziekenhuis Drie", region=region),
        "P4": ProviderFactory(name="Ziekenhuis Vier", region=region),
        "P5": ProviderFactory(name="Ziekenhuis Vijf", region=region),
        "Q1": ProviderFactory(name="Buurziekenhuis", region=neighbour),
        "R1": ProviderFactory(name="Verweg Ziekenhuis", region=far),
    }
    locations = {
        "L1": LocationFactory(provider=providers["P1"], name="Een Hoofdlocatie"),
        "L2": LocationFactory(provider=providers["P1"], name="Een Buitenpoli"),
        "L3": LocationFactory(provider=providers["P2"], name="Twee Kliniek"),
        "L4": LocationFactory(provider=providers["P3"], name="Drie Hoofdlocatie"),
        "L6": LocationFactory(provider=providers["P3"], name="Drie Buitenpoli"),
        "L5": LocationFactory(provider=providers["P4"], name="Vier Hoofdlocatie"),
        "Lx": LocationFactory(provider=providers["P5"], name="Vijf Gesloten", is_active=False),
        "N1": LocationFactory(provider=providers["Q1"], name="Buur Locatie"),
        "R1": LocationFactory(provider=providers["R1"], name="Verweg Locatie"),
    }
    loc = locations
    off_cycle = previous - timedelta(days=12)  # a Thursday: counts towards the cycle before it
    add_series(loc["L1"], orthopedics, [(off_cycle, 12), (previous, 10), (last_cycle, 20)])
    add_series(loc["L2"], orthopedics, [(previous, 30), (last_cycle, 35)])
    add_series(loc["L3"], orthopedics, [(previous, 30)])
    add_series(loc["L4"], orthopedics, [(last_cycle, None)])
    add_series(loc["L5"], orthopedics, [(today - timedelta(weeks=8), 90)])
    add_series(loc["Lx"], orthopedics, [(last_cycle, 99)])
    add_series(loc["N1"], orthopedics, [(last_cycle, 60)])
    add_series(loc["L1"], orthopedics, [(last_cycle, 40)], treatment=hip)
    add_series(loc["L1"], orthopedics, [(last_cycle, 50)], treatment=knee)
    add_series(loc["L2"], orthopedics, [(last_cycle, 45)], treatment=hip)
    add_series(loc["L3"], orthopedics, [(today - timedelta(weeks=9), 10)], treatment=hip)

    monday = today - timedelta(days=today.weekday())
    add_offer(loc["L1"], orthopedics, monday, 5, reserved=2)  # 3 remaining
    add_offer(loc["L3"], orthopedics, monday + timedelta(weeks=7), 4)  # last week counted
    add_offer(loc["L1"], orthopedics, monday + timedelta(weeks=8), 10)  # beyond 8 weeks
    add_offer(loc["L1"], orthopedics, monday - timedelta(weeks=1), 10)  # past
    add_offer(loc["Lx"], orthopedics, monday, 10)  # inactive location
    add_offer(loc["N1"], orthopedics, monday + timedelta(weeks=1), 6)  # neighbour
    add_offer(loc["R1"], orthopedics, monday + timedelta(weeks=1), 8)  # not a neighbour
    add_offer(loc["L2"], orthopedics, monday + timedelta(weeks=1), 3, treatment=hip)
    add_offer(loc["N1"], urology, monday, 7, kind="diagnostics")  # only around the region
    return World(region, neighbour, orthopedics, urology, knee, hip, providers, locations)


def row_of(report, specialism, kind):
    [row] = [r for r in report.rows if r.specialism == specialism and r.kind == kind]
    return row


# --- NZa cycles ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "peildatum"),
    [
        (date(2026, 3, 12), date(2026, 3, 3)),  # Thursday of week 11 → Tuesday of week 10
        (date(2026, 3, 3), date(2026, 3, 3)),  # the peildatum itself
        (date(2026, 3, 2), date(2026, 2, 17)),  # Monday of week 10 → week 8
        (date(2026, 3, 10), date(2026, 3, 3)),  # Tuesday of odd week 11 is no peildatum
        # 2026 has 53 weeks: weeks 53 and 1 are both odd, so week 52 is followed by week 2.
        (date(2027, 1, 11), date(2026, 12, 22)),
        (date(2027, 1, 12), date(2027, 1, 12)),
    ],
)
def test_nza_peildatum_is_the_tuesday_of_an_even_iso_week(day, peildatum) -> None:
    assert nza_reference_date_on_or_before(day) == peildatum


def test_nza_reference_dates_go_back_cycle_by_cycle() -> None:
    dates = nza_reference_dates(last=date(2027, 1, 20), count=4)

    assert dates == [date(2026, 11, 24), date(2026, 12, 8), date(2026, 12, 22), date(2027, 1, 12)]


@pytest.mark.parametrize(
    ("values", "median"),
    [([], None), ([7], 7), ([1, 2], 1.5), ([5, 1, 3], 3), ([4, 4, 1, 9], 4), ([2, 2, 2, 9, 9], 2)],
)
def test_median_of_histogram_agrees_with_the_median_of_the_list(values, median) -> None:
    histogram: dict[int, int] = {}
    for value in values:
        histogram[value] = histogram.get(value, 0) + 1
    assert _median_of_histogram(histogram) == median


# --- Current figures ------------------------------------------------------------------------------
def test_first_visit_row_counts_reporting_and_exceeding_locations_and_the_median() -> None:
    world = build_world()

    report = regional_report(region=world.region, today=TODAY)
    row = row_of(report, world.orthopedics, "first_visit")

    # Current: L1 20, L2 35, L3 30 (17 Feb is within 28 days), L4 insufficient observations.
    assert row.locations_reporting == 4
    # Above the maximum of 28 days: L2 (35) and L3 (30).
    assert row.locations_exceeding == 2
    # The median of 20, 30 and 35; L4 has no number, L5 (90) is stale, Lx inactive, N1 elsewhere.
    assert row.median_days == 30
    assert row.median_weeks == 5
    assert (row.norm_target_days, row.norm_max_days) == (21, 28)
    assert row.median_norm_status == "above_maximum"
    assert row.median_exceeds_norm is True


def test_stale_figures_are_left_out_of_counts_and_median_but_counted_apart() -> None:
    world = build_world()

    row = row_of(
        regional_report(region=world.region, today=TODAY), world.orthopedics, "first_visit"
    )

    # L5's 90 days of 8 weeks ago would raise the median to 32.5 and the exceeding count to 3.
    assert row.locations_stale == 1
    assert row.median_days == 30
    assert row.locations_exceeding == 2


def test_a_figure_becomes_stale_after_28_days() -> None:
    world = build_world()

    # On 18 March, L3's figure of 17 February is 29 days old.
    later = date(2026, 3, 18)
    row = row_of(
        regional_report(region=world.region, today=later), world.orthopedics, "first_visit"
    )

    assert row.locations_reporting == 3  # L1, L2, L4
    assert row.locations_stale == 2  # L3, L5
    assert row.median_days == 27.5  # 20 and 35
    assert row.locations_exceeding == 1


def test_treatments_are_taken_together_per_specialism_and_kept_per_treatment() -> None:
    world = build_world()

    row = row_of(regional_report(region=world.region, today=TODAY), world.orthopedics, "treatment")

    # L1: arthroscopy 40 (day, max 42: within), knee 50 (inpatient, max 49: above); L2:
    # arthroscopy 45 (above); L3: arthroscopy, stale.
    assert row.locations_reporting == 2  # L1 counts once for its two treatments
    assert row.locations_exceeding == 2
    assert row.locations_stale == 1
    assert row.median_days == 45  # of 40, 45 and 50
    # Day and inpatient treatments together have no single norm.
    assert row.norm_max_days is None
    assert row.median_norm_status is None

    by_code = {t.treatment.code: t for t in row.treatments}
    assert list(by_code) == ["test-arthroscopy", "test-knee"]  # by name
    arthroscopy, knee = by_code["test-arthroscopy"], by_code["test-knee"]
    assert (arthroscopy.locations_reporting, arthroscopy.locations_exceeding) == (2, 1)
    assert arthroscopy.locations_stale == 1
    assert arthroscopy.median_days == 42.5
    assert arthroscopy.norm_max_days == 42
    assert arthroscopy.median_norm_status == "above_maximum"
    assert (knee.locations_reporting, knee.locations_exceeding, knee.median_days) == (1, 1, 50)
    assert knee.norm_max_days == 49


def test_rows_are_ordered_by_specialism_and_kind_and_include_capacity_only_rows() -> None:
    world = build_world()

    report = regional_report(region=world.region, today=TODAY)

    assert [(row.specialism.code, row.kind) for row in report.rows] == [
        ("0305", "first_visit"),
        ("0305", "treatment"),
        ("0306", "diagnostics"),
    ]
    urology = row_of(report, world.urology, "diagnostics")
    assert (urology.locations_reporting, urology.median_days) == (0, None)
    assert (urology.capacity_in_region, urology.capacity_in_neighbours) == (0, 7)


def test_capacity_in_the_coming_weeks_inside_the_region_and_in_its_neighbours() -> None:
    world = build_world()

    report = regional_report(region=world.region, today=TODAY)
    first_visit = row_of(report, world.orthopedics, "first_visit")
    treatment = row_of(report, world.orthopedics, "treatment")

    # In the region: L1 this week 5 − 2 reserved, L3 in week 8; not L1 in week 9 or last week,
    # not the inactive location. Around it: N1 (TSTB) 6, not R1 (TSTC is no neighbour).
    assert (first_visit.capacity_in_region, first_visit.capacity_in_neighbours) == (7, 6)
    assert (treatment.capacity_in_region, treatment.capacity_in_neighbours) == (3, 0)
    [arthroscopy] = [t for t in treatment.treatments if t.treatment == world.hip]
    assert arthroscopy.capacity_in_region == 3
    assert report.capacity_from == date(2026, 3, 9)
    assert report.capacity_until == date(2026, 5, 3)


def test_a_slot_held_by_a_lapsed_offer_counts_as_free_before_the_job_records_it() -> None:
    """Expiry is a fact of time (issue 13): the report does not wait for the periodic job."""
    from datetime import timedelta

    from django.utils import timezone

    from providers.models import CapacityHold

    world = build_world()
    [held_offer] = CapacityOffer.objects.filter(reserved_slots=2)
    now = timezone.now()
    CapacityHold.objects.create(
        capacity_offer=held_offer, holder="lapsed", until=now - timedelta(hours=1)
    )
    CapacityHold.objects.create(
        capacity_offer=held_offer, holder="still held", until=now + timedelta(days=1)
    )

    report = regional_report(region=world.region, today=TODAY)

    first_visit = row_of(report, world.orthopedics, "first_visit")
    assert first_visit.capacity_in_region == 8  # 7, and the lapsed hold's slot


def test_weeks_ahead_narrows_the_capacity_window() -> None:
    world = build_world()

    report = regional_report(region=world.region, today=TODAY, weeks_ahead=1)

    assert row_of(report, world.orthopedics, "first_visit").capacity_in_region == 3


def test_neighbours_are_symmetric() -> None:
    world = build_world()

    # Neighbours are symmetric: TSTB sees TSTA's capacity as its neighbours'.
    report = regional_report(region=world.neighbour, today=TODAY)
    row = row_of(report, world.orthopedics, "first_visit")

    assert (row.capacity_in_region, row.capacity_in_neighbours) == (6, 7)
    assert (row.locations_reporting, row.median_days) == (1, 60)


# --- Who did not report ---------------------------------------------------------------------------
def test_providers_without_a_figure_on_or_after_the_last_peildatum_are_listed() -> None:
    world = build_world()

    report = regional_report(region=world.region, today=TODAY)

    assert report.last_cycle == LAST_CYCLE
    listed = {p.name: p for p in report.providers_not_reported}
    # P1 reported both locations; P5's only location is inactive; Q1 is in another region.
    assert list(listed) == ["Kliniek Twee", "Ziekenhuis Drie", "Ziekenhuis Vier"]
    assert [loc.name for loc in listed["Kliniek Twee"].locations] == ["Twee Kliniek"]
    assert listed["Kliniek Twee"].last_reference_date == PREVIOUS_CYCLE
    assert listed["Kliniek Twee"].kind == ProviderKind.ZBC
    # P3 reported at L4 (insufficient observations counts) but not at L6, which never reported.
    assert [loc.name for loc in listed["Ziekenhuis Drie"].locations] == ["Drie Buitenpoli"]
    assert listed["Ziekenhuis Drie"].locations[0].last_reference_date is None
    assert listed["Ziekenhuis Drie"].last_reference_date is None
    assert listed["Ziekenhuis Vier"].last_reference_date == TODAY - timedelta(weeks=8)


def test_not_reported_is_judged_per_series() -> None:
    world = build_world()
    # L1 reports orthopedics in the last cycle, but its urology series missed it.
    add_series(world.locations["L1"], world.urology, [(PREVIOUS_CYCLE, 25)])

    report = regional_report(region=world.region, today=TODAY)

    listed = {p.name: p for p in report.providers_not_reported}
    assert list(listed) == ["Kliniek Twee", "Ziekenhuis Drie", "Ziekenhuis Een", "Ziekenhuis Vier"]
    [urology] = listed["Ziekenhuis Een"].series
    assert (urology.location_name, urology.specialism_code, urology.kind) == (
        "Een Hoofdlocatie",
        "0306",
        "first_visit",
    )
    assert urology.last_reference_date == PREVIOUS_CYCLE
    assert [loc.name for loc in listed["Ziekenhuis Een"].locations] == ["Een Hoofdlocatie"]
    # Kliniek Twee: its first visit (previous cycle) and its stale treatment series.
    assert [
        (s.kind, s.treatment_name, s.last_reference_date) for s in listed["Kliniek Twee"].series
    ] == [
        ("first_visit", None, PREVIOUS_CYCLE),
        ("treatment", "Testartroscopie", TODAY - timedelta(weeks=9)),
    ]
    # A location without any series is listed without series.
    assert listed["Ziekenhuis Drie"].series == []
    assert [loc.name for loc in listed["Ziekenhuis Drie"].locations_without_series] == [
        "Drie Buitenpoli"
    ]


def test_the_rows_count_the_series_listed_as_not_reported() -> None:
    world = build_world()
    add_series(world.locations["L1"], world.urology, [(PREVIOUS_CYCLE, 25)])
    WaitingTimeSeries.objects.create(
        location=world.locations["L2"], specialism=world.urology, kind="diagnostics"
    )  # never reported

    report = regional_report(region=world.region, today=TODAY)

    listed = sum(len(provider.series) for provider in report.providers_not_reported)
    assert listed == report.series_not_reported == 5
    assert sum(row.series_not_reported for row in report.rows) == listed
    assert row_of(report, world.orthopedics, "first_visit").series_not_reported == 2
    assert row_of(report, world.orthopedics, "treatment").series_not_reported == 1
    assert row_of(report, world.urology, "first_visit").series_not_reported == 1
    assert row_of(report, world.urology, "diagnostics").series_not_reported == 1
    # Per treatment as well.
    [hip] = [
        t
        for t in row_of(report, world.orthopedics, "treatment").treatments
        if t.treatment == world.hip
    ]
    assert hip.series_not_reported == 1


def test_series_persistently_over_the_norm_are_listed() -> None:
    world = build_world()
    l2 = WaitingTimeSeries.objects.get(location=world.locations["L2"], kind="first_visit")
    inactive = WaitingTimeSeries.objects.get(location=world.locations["Lx"])
    neighbour = WaitingTimeSeries.objects.get(location=world.locations["N1"])
    for series in (l2, inactive, neighbour):
        PersistentOverrun.objects.create(
            series=series,
            since=LAST_CYCLE - timedelta(days=28),
            latest_reference_date=LAST_CYCLE,
            cycles=3,
            days=35,
            max_days=28,
        )
    PersistentOverrun.objects.create(  # cleared: history only
        series=l2,
        since=LAST_CYCLE - timedelta(days=200),
        latest_reference_date=LAST_CYCLE - timedelta(days=150),
        cycles=4,
        days=40,
        max_days=28,
        cleared_at=timezone.now(),
    )

    report = regional_report(region=world.region, today=TODAY)

    [listed] = report.persistent_overruns
    assert (listed.provider_name, listed.location_name, listed.kind) == (
        "Ziekenhuis Een",
        "Een Buitenpoli",
        "first_visit",
    )
    assert (listed.since, listed.cycles, listed.days, listed.max_days) == (
        LAST_CYCLE - timedelta(days=28),
        3,
        35,
        28,
    )


def test_on_the_peildatum_itself_the_cycle_is_that_day() -> None:
    world = build_world(last_cycle=date(2026, 3, 3), today=date(2026, 3, 3))

    report = regional_report(region=world.region, today=date(2026, 3, 3))

    assert report.last_cycle == date(2026, 3, 3)
    assert "Ziekenhuis Een" not in {p.name for p in report.providers_not_reported}


# --- Trend ----------------------------------------------------------------------------------------
def test_trend_has_one_point_per_kind_and_cycle() -> None:
    world = build_world()

    trend = regional_report(region=world.region, today=TODAY).trend

    assert len(trend) == 3 * TREND_CYCLES
    dates = [p.reference_date for p in trend if p.kind == "first_visit"]
    assert dates == nza_reference_dates(last=LAST_CYCLE, count=TREND_CYCLES)
    assert all(p.median_days is None and p.figures == 0 for p in trend if p.kind == "diagnostics")


def test_trend_median_and_share_above_norm_per_cycle() -> None:
    world = build_world()

    trend = regional_report(region=world.region, today=TODAY).trend
    point = {(p.kind, p.reference_date): p for p in trend}

    # Last cycle, first visits: L1 20, L2 35 (L4 insufficient, Lx inactive, N1 elsewhere).
    last = point[("first_visit", LAST_CYCLE)]
    assert (last.median_days, last.percentage_above_norm, last.figures) == (27.5, 50.0, 2)
    # The cycle before: L1 10, L2 30, L3 30 → median 30, 2 of 3 above 28 days.
    before = point[("first_visit", PREVIOUS_CYCLE)]
    assert (before.median_days, before.percentage_above_norm, before.figures) == (30, 66.7, 3)
    # L1's off-cycle figure (Thursday 5 February) counts towards the peildatum of 3 February.
    off_cycle = point[("first_visit", date(2026, 2, 3))]
    assert (off_cycle.median_days, off_cycle.percentage_above_norm) == (12, 0.0)
    # L5's stale figure of 15 January belongs to the cycle of 6 January.
    assert point[("first_visit", date(2026, 1, 6))].median_days == 90
    # Treatments, last cycle: 40 (day, within 42), 45 (day, above 42), 50 (inpatient, above 49).
    treatment = point[("treatment", LAST_CYCLE)]
    assert (treatment.median_days, treatment.percentage_above_norm) == (45, 66.7)


def test_trend_ignores_reports_before_its_first_cycle_and_after_today() -> None:
    world = build_world()
    first = nza_reference_dates(last=LAST_CYCLE, count=TREND_CYCLES)[0]
    add_series(
        world.locations["L2"],
        world.urology,
        [(first - timedelta(days=1), 70), (first, 80)],
    )

    trend = regional_report(region=world.region, today=TODAY).trend
    first_visits = {p.reference_date: p for p in trend if p.kind == "first_visit"}

    assert first_visits[first].median_days == 80
    # L1 3, L2 2, L3 1, L5 1 and the new 80; not the 70 of the day before the first cycle.
    assert sum(p.figures for p in first_visits.values()) == 3 + 2 + 1 + 1 + 1
