"""Great-circle geometry on a sphere with the mean Earth radius (IUGG, 6371.0088 km): within 0.5 %
of the ellipsoidal distance, far better than the PC4 points themselves (see
``providers/geography/points.py``).

Pure Python, no Django: the search, matching (``mediation/matching.py``) and the benchmarks share
these functions, so every distance in the product is computed the same way to the last bit.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

EARTH_RADIUS_KM = 6371.0088
# 1° of latitude on this sphere; a box is widened a little beyond it so that rounding never drops
# a point that the exact distance would keep.
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180
_BOX_MARGIN = 1.01
_MICRODEGREE = Decimal("0.000001")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two WGS84 points in degrees (haversine formula)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    # Rounding can push h a hair above 1 for antipodal points; asin would then fail.
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def bounding_box(
    *, latitude: float, longitude: float, radius_km: float
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """``(lat_min, lat_max, lon_min, lon_max)`` of a box that contains every point within
    ``radius_km`` of the given point, in microdegrees (the precision of stored coordinates).

    Along a meridian 1° is ``KM_PER_DEGREE``; along a parallel it shrinks with the cosine of the
    latitude, so the box uses the latitude of its edge farthest from the equator."""
    d_lat = radius_km / KM_PER_DEGREE * _BOX_MARGIN
    edge = min(89.0, abs(latitude) + d_lat)
    d_lon = d_lat / math.cos(math.radians(edge))

    def down(value: float) -> Decimal:
        return Decimal(value).quantize(_MICRODEGREE, rounding=ROUND_FLOOR)

    def up(value: float) -> Decimal:
        return Decimal(value).quantize(_MICRODEGREE, rounding=ROUND_CEILING)

    return (
        down(latitude - d_lat),
        up(latitude + d_lat),
        down(longitude - d_lon),
        up(longitude + d_lon),
    )
