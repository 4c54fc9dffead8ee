"""The current-waiting-time selector (DESIGN §3.1): one current figure per series, with its norm,
age and distance; filters in SQL, exact distances and a deterministic order."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from providers.geography.greatcircle import KM_PER_DEGREE
from providers.geography.points import distance_km
from providers.models import (
    Norm,
    PostcodeArea,
    ProviderKind,
    Specialism,
    Treatment,
    WaitingTimeKind,
    WaitingTimeReport,
)
from providers.search.selectors import UnknownPostcode, waiting_time_current_list
from tests.providers.factories import (
    LocationFactory,
    ProviderFactory,
    RegionFactory,
    WaitingTimeSeriesFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)
POSTCODE = "3511 AB"


@pytest.fixture
def origin() -> tuple[float, float]:
    area = PostcodeArea.objects.get(pk="3511")
    return float(area.latitude), float(area.longitude)


@pytest.fixture
def orthopedics() -> Specialism:
    return Specialism.objects.get(code="0305")


def location_at(origin, km: float, *, east: bool = False, **kwargs):
    """A location about ``km`` north (or east) of the origin."""
    lat, lon = origin
    if east:
        lon += km / (KM_PER_DEGREE * 0.61)  # cos(52.1°) ≈ 0.614
    else:
        lat += km / KM_PER_DEGREE
    return LocationFactory(
        latitude=Decimal(f"{lat:.6f}"), longitude=Decimal(f"{lon:.6f}"), **kwargs
    )


def series(location, specialism, days=20, **kwargs):
    kwargs.setdefault("current_reference_date", TODAY - timedelta(days=3))
    return WaitingTimeSeriesFactory(
        location=location, specialism=specialism, current_days=days, **kwargs
    )


def search(**kwargs):
    kwargs.setdefault("today", TODAY)
    return list(waiting_time_current_list(**kwargs))


def codes(rows) -> list[str]:
    return [row.location.code for row in rows]


def test_one_row_per_series_with_its_current_figure_not_its_history(origin, orthopedics):
    location = location_at(origin, 5)
    current = series(location, orthopedics, days=30, current_reference_date=TODAY - timedelta(3))
    # Older reports of the same series are history: the search shows the current figure only.
    for weeks_ago, days in [(2, 10), (4, 50)]:
        WaitingTimeReport.objects.create(
            series=current,
            reference_date=TODAY - timedelta(days=3 + 7 * weeks_ago),
            days=days,
            source="api",
        )
    series(location, orthopedics, days=12, kind=WaitingTimeKind.DIAGNOSTICS)
    # A series that has no current figure yet is not listed.
    series(location_at(origin, 6), orthopedics, days=None, current_reference_date=None)

    rows = search(specialism_code="0305")

    assert [(row.kind, row.days) for row in rows] == [("diagnostics", 12), ("first_visit", 30)]
    assert rows[1].reference_date == TODAY - timedelta(days=3)


def test_stale_figures_are_flagged_never_dropped(origin, orthopedics):
    fresh = series(
        location_at(origin, 1), orthopedics, current_reference_date=TODAY - timedelta(28)
    )
    stale = series(
        location_at(origin, 2), orthopedics, current_reference_date=TODAY - timedelta(29)
    )

    rows = {row.location.code: row for row in search(specialism_code="0305")}

    assert rows[fresh.location.code].stale is False
    assert rows[stale.location.code].stale is True


def test_insufficient_observations_come_last_even_when_nearest(origin, orthopedics):
    unknown = series(
        location_at(origin, 1),
        orthopedics,
        days=None,
        current_insufficient_observations=True,
    )
    slow = series(location_at(origin, 30), orthopedics, days=200)
    quick = series(location_at(origin, 20), orthopedics, days=3)

    rows = search(specialism_code="0305", postcode=POSTCODE)

    assert codes(rows) == [quick.location.code, slow.location.code, unknown.location.code]
    assert rows[-1].days is None
    assert rows[-1].insufficient_observations is True
    assert rows[-1].exceeds_norm is None
    assert rows[-1].norm_status is None


def test_distance_filter_is_exact_at_the_boundary(origin, orthopedics):
    near = series(location_at(origin, 24.9), orthopedics)
    edge = series(location_at(origin, 25.0, east=True), orthopedics)
    series(location_at(origin, 25.2), orthopedics)
    series(location_at(origin, 80), orthopedics)
    exact = distance_km(
        origin[0], origin[1], float(edge.location.latitude), float(edge.location.longitude)
    )

    at_edge = search(specialism_code="0305", postcode=POSTCODE, max_distance_km=exact)
    inside_edge = search(specialism_code="0305", postcode=POSTCODE, max_distance_km=exact - 1e-6)

    assert set(codes(at_edge)) == {near.location.code, edge.location.code}
    assert set(codes(inside_edge)) == {near.location.code}
    assert [row.distance_km for row in at_edge if row.location.code == edge.location.code] == [
        exact
    ]


def test_distance_is_none_without_a_postcode(origin, orthopedics):
    series(location_at(origin, 10), orthopedics)
    (row,) = search(specialism_code="0305")
    assert row.distance_km is None


def test_filters_by_region_and_provider_kind(origin, orthopedics):
    north = RegionFactory(code="NORTH")
    south = RegionFactory(code="SOUTH")
    hospital_north = series(
        location_at(origin, 1, provider=ProviderFactory(region=north)), orthopedics
    )
    zbc_north = series(
        location_at(origin, 2, provider=ProviderFactory(region=north, kind=ProviderKind.ZBC)),
        orthopedics,
    )
    zbc_south = series(
        location_at(origin, 3, provider=ProviderFactory(region=south, kind=ProviderKind.ZBC)),
        orthopedics,
    )

    assert set(codes(search(region_code="NORTH"))) == {
        hospital_north.location.code,
        zbc_north.location.code,
    }
    assert set(codes(search(provider_kind=ProviderKind.ZBC))) == {
        zbc_north.location.code,
        zbc_south.location.code,
    }
    assert codes(search(region_code="SOUTH", provider_kind=ProviderKind.ZBC)) == [
        zbc_south.location.code
    ]
    assert search(region_code="SOUTH", provider_kind=ProviderKind.HOSPITAL) == []


def test_specialism_includes_its_treatments_and_kind_narrows(origin, orthopedics):
    location = location_at(origin, 5)
    knee = Treatment.objects.get(code="total-knee-replacement")
    cataract = Treatment.objects.get(code="cataract")
    series(location, orthopedics, days=20)
    series(location, orthopedics, days=40, treatment=knee, kind=WaitingTimeKind.TREATMENT)
    series(
        location,
        cataract.specialism,
        days=30,
        treatment=cataract,
        kind=WaitingTimeKind.TREATMENT,
    )

    assert [(r.kind, r.treatment_code) for r in search(specialism_code="0305")] == [
        ("first_visit", None),
        ("treatment", "total-knee-replacement"),
    ]
    assert [r.treatment_code for r in search(kind=WaitingTimeKind.TREATMENT)] == [
        "cataract",
        "total-knee-replacement",
    ]
    (row,) = search(treatment_code="cataract")
    assert (row.specialism_code, row.treatment_name) == (cataract.specialism.code, cataract.name)


def test_inactive_locations_are_not_listed(origin, orthopedics):
    series(location_at(origin, 5, is_active=False), orthopedics)
    assert search(specialism_code="0305") == []


def test_order_by_days_breaks_ties_by_distance_then_location_code(origin, orthopedics):
    far = series(location_at(origin, 40, code="70000001"), orthopedics, days=14)
    near_b = series(location_at(origin, 10, code="70000003"), orthopedics, days=14)
    near_a = series(location_at(origin, 10, code="70000002"), orthopedics, days=14)
    quickest = series(location_at(origin, 90, code="70000004"), orthopedics, days=7)

    with_postcode = search(specialism_code="0305", postcode=POSTCODE)
    without_postcode = search(specialism_code="0305")

    assert codes(with_postcode) == [
        quickest.location.code,
        near_a.location.code,
        near_b.location.code,
        far.location.code,
    ]
    assert codes(without_postcode) == ["70000004", "70000001", "70000002", "70000003"]


def test_order_by_distance_breaks_ties_by_days_then_location_code(origin, orthopedics):
    slow = series(location_at(origin, 10, code="70000011"), orthopedics, days=60)
    quick_b = series(location_at(origin, 10, code="70000013"), orthopedics, days=20)
    quick_a = series(location_at(origin, 10, code="70000012"), orthopedics, days=20)
    unknown = series(
        location_at(origin, 10, code="70000010"),
        orthopedics,
        days=None,
        current_insufficient_observations=True,
    )
    nearest = series(location_at(origin, 2, code="70000019"), orthopedics, days=99)

    rows = search(specialism_code="0305", postcode=POSTCODE, ordering="distance")

    assert codes(rows) == [
        nearest.location.code,
        quick_a.location.code,
        quick_b.location.code,
        slow.location.code,
        unknown.location.code,
    ]
    assert [round(row.distance_km) for row in rows] == [2, 10, 10, 10, 10]


@pytest.mark.parametrize(
    ("treatment_code", "kind", "target", "maximum"),
    [
        (None, WaitingTimeKind.FIRST_VISIT, 21, 28),
        (None, WaitingTimeKind.DIAGNOSTICS, 21, 28),
        ("knee-arthroscopy", WaitingTimeKind.TREATMENT, 28, 42),  # day treatment
        ("total-knee-replacement", WaitingTimeKind.TREATMENT, 35, 49),  # inpatient
    ],
)
def test_norm_follows_kind_and_treatment_setting(
    origin, orthopedics, treatment_code, kind, target, maximum
):
    treatment = Treatment.objects.get(code=treatment_code) if treatment_code else None
    series(location_at(origin, 5), orthopedics, treatment=treatment, kind=kind)

    (row,) = search(specialism_code="0305")

    assert (row.norm_target_days, row.norm_max_days) == (target, maximum)
    if treatment is not None:
        assert row.treatment_setting == treatment.setting


def test_norms_are_data(origin, orthopedics):
    Norm.objects.filter(kind=WaitingTimeKind.FIRST_VISIT).update(target_days=10, max_days=15)
    series(location_at(origin, 5), orthopedics, days=16)

    (row,) = search(specialism_code="0305")

    assert (row.norm_max_days, row.exceeds_norm, row.norm_status) == (15, True, "above_maximum")


@pytest.mark.parametrize(
    ("days", "exceeds", "status"),
    [
        (0, False, "within_target"),
        (21, False, "within_target"),
        (22, False, "within_maximum"),
        (28, False, "within_maximum"),
        (29, True, "above_maximum"),
    ],
)
def test_exceeds_norm_only_above_the_maximum(origin, orthopedics, days, exceeds, status):
    series(location_at(origin, 5), orthopedics, days=days)

    (row,) = search(specialism_code="0305")

    assert (row.exceeds_norm, row.norm_status) == (exceeds, status)


def test_scale_down_status_is_included(origin, orthopedics):
    series(location_at(origin, 5, accepted_urgency_classes=[1, 2, 3]), orthopedics)
    series(location_at(origin, 6), orthopedics)

    rows = search(specialism_code="0305", postcode=POSTCODE)

    assert [row.location.accepted_urgency_classes for row in rows] == [(1, 2, 3), (1, 2, 3, 4, 5)]
    assert [row.location.accepts_mediation for row in rows] == [False, True]


def test_postcode_errors(orthopedics):
    with pytest.raises(ValidationError):
        search(postcode="12345")
    with pytest.raises(UnknownPostcode):
        search(postcode="1000 AA")  # well-formed, but not an area in the table
    with pytest.raises(ValueError, match="postcode"):
        search(max_distance_km=10)
    with pytest.raises(ValueError, match="postcode"):
        search(ordering="distance")


def test_query_count_does_not_grow_with_the_results(origin, orthopedics, django_assert_num_queries):
    for km in range(1, 30):
        series(location_at(origin, km), orthopedics)
        series(location_at(origin, km + 0.5), orthopedics, kind=WaitingTimeKind.DIAGNOSTICS)

    search(specialism_code="0305", postcode=POSTCODE, max_distance_km=1)  # reference data read

    # The reference data's stamp (unchanged: postcodes, locations and norms come from memory),
    # then the series, counted and the first page.
    with django_assert_num_queries(2):
        rows = search(specialism_code="0305", postcode=POSTCODE, max_distance_km=19.7)

    assert len(rows) == 2 * 19  # first visits at 1..19 km, diagnostics at 1.5..19.5 km
    assert all(row.distance_km <= 19.7 for row in rows)


def test_a_page_is_counted_and_cut_by_the_database(origin, orthopedics, django_assert_num_queries):
    for km in range(1, 30):
        series(location_at(origin, km), orthopedics, days=100 - km)
    everything = search(specialism_code="0305", postcode=POSTCODE, max_distance_km=19.7)
    results = waiting_time_current_list(
        specialism_code="0305", postcode=POSTCODE, max_distance_km=19.7, today=TODAY
    )

    # The postcode was read when the search was made. Counting fetches the first page with the
    # total (one query); a slice of it costs nothing more; a later page is one query.
    with django_assert_num_queries(1):
        assert results.count() == len(results) == 19
    with django_assert_num_queries(0):
        page = results[5:10]
    results.FIRST_PAGE = 4
    results._count = None
    with django_assert_num_queries(1):
        assert results.count() == 19
    with django_assert_num_queries(1):
        assert [row.days for row in results[4:6]] == [85, 86]

    assert [row.location.code for row in page] == codes(everything[5:10])
    assert [row.days for row in page] == [100 - km for km in range(14, 9, -1)]
    assert results[18].days == 99
    with pytest.raises(IndexError):
        results[19]
