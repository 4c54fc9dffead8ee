"""Great-circle distances and postcode points (providers.geography.points)."""

import math

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from providers.geography.points import EARTH_RADIUS_KM, distance_km, postcode_area, postcode_point
from providers.models import PostcodeArea

AMSTERDAM = (52.3676, 4.9041)  # Dam
UTRECHT = (52.0907, 5.1214)  # Domtoren
GRONINGEN = (53.2194, 6.5665)  # Martinitoren
MAASTRICHT = (50.8514, 5.6910)  # Vrijthof


def _vector_distance_km(lat1, lon1, lat2, lon2):
    """Independent oracle: the angle between the two unit vectors, atan2(|a×b|, a·b)."""

    def unit(lat, lon):
        phi, lam = math.radians(lat), math.radians(lon)
        return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))

    a, b = unit(lat1, lon1), unit(lat2, lon2)
    cross = (
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    )
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return EARTH_RADIUS_KM * math.atan2(math.sqrt(sum(x * x for x in cross)), dot)


def test_amsterdam_utrecht_is_about_35_km():
    assert distance_km(*AMSTERDAM, *UTRECHT) == pytest.approx(35, abs=2)


def test_groningen_maastricht_is_about_270_km():
    # Straight-line distance Martinitoren–Vrijthof; a road route is longer (≈ 340 km).
    assert distance_km(*GRONINGEN, *MAASTRICHT) == pytest.approx(270, abs=5)


def test_one_degree_of_latitude_is_about_111_km():
    assert distance_km(52.0, 5.0, 53.0, 5.0) == pytest.approx(111.195, abs=0.01)


def test_antipodes_are_half_the_circumference_apart():
    assert distance_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_KM)


latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
points = st.tuples(latitudes, longitudes)
dutch_points = st.tuples(
    st.floats(min_value=50.75, max_value=53.5), st.floats(min_value=3.35, max_value=7.25)
)


@given(points, points)
def test_distance_is_symmetric_and_non_negative(p, q):
    d = distance_km(*p, *q)
    assert d >= 0
    assert d == pytest.approx(distance_km(*q, *p), abs=1e-6)
    assert d <= math.pi * EARTH_RADIUS_KM + 1e-6


@given(points)
def test_distance_from_a_point_to_itself_is_zero(p):
    assert distance_km(*p, *p) == pytest.approx(0, abs=1e-9)


@given(points, points, points)
def test_triangle_inequality(p, q, r):
    # 1 m slack: near antipodes the haversine loses precision (asin close to 1).
    assert distance_km(*p, *r) <= distance_km(*p, *q) + distance_km(*q, *r) + 1e-3


@given(points, points)
def test_haversine_agrees_with_the_vector_formula(p, q):
    assert distance_km(*p, *q) == pytest.approx(_vector_distance_km(*p, *q), abs=1e-3)


@given(dutch_points, dutch_points)
def test_no_two_points_in_the_netherlands_are_more_than_400_km_apart(p, q):
    assert distance_km(*p, *q) < 400


@pytest.mark.django_db
class TestPostcodePoints:
    """The PC4 table is loaded by a data migration (GeoNames)."""

    def test_pc6_and_pc4_give_the_point_of_the_pc4_area(self):
        assert postcode_point("1011 AB") == (52.371, 4.9042)
        assert postcode_point("1011") == (52.371, 4.9042)
        assert postcode_point(" 1011ab ") == (52.371, 4.9042)

    def test_postcode_area_returns_the_row(self):
        area = postcode_area("9711 AA")
        assert isinstance(area, PostcodeArea)
        assert (area.place, area.municipality, area.province) == (
            "Groningen",
            "Groningen",
            "Groningen",
        )

    def test_unknown_postcode_gives_none(self):
        PostcodeArea.objects.filter(pk="6679").delete()  # also absent from GeoNames 2024
        assert postcode_point("6679 AB") is None
        assert postcode_area("6679") is None

    def test_malformed_postcode_raises_instead_of_pretending_to_be_unknown(self):
        with pytest.raises(ValidationError):
            postcode_point("0123 AB")
        with pytest.raises(ValidationError):
            postcode_area("12")

    def test_distance_between_two_postcodes(self):
        amsterdam = postcode_point("1011 AB")
        utrecht = postcode_point("3511 AB")
        assert amsterdam is not None and utrecht is not None
        assert distance_km(*amsterdam, *utrecht) == pytest.approx(35, abs=2)
