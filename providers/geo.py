"""Distances and postcode points.

Distances are great-circle distances on a sphere with the mean Earth radius (IUGG, 6371.0088 km):
within 0.5 % of the ellipsoidal distance, far better than the PC4 points themselves (a GeoNames
place point, typically well under a kilometre from any address in the area; see
``providers/data/README.md``). Travel time is not modelled.
"""

from __future__ import annotations

import math

from providers.models import PostcodeArea
from providers.postcodes import normalise_pc4

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two WGS84 points in degrees (haversine formula)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    # Rounding can push h a hair above 1 for antipodal points; asin would then fail.
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def postcode_area(postcode: str) -> PostcodeArea | None:
    """The PC4 area of a PC6 or PC4 postcode, or ``None`` if the area is not in the table.

    A malformed postcode raises ``django.core.exceptions.ValidationError`` (from
    ``providers.postcodes``), so that callers can tell "wrong" from "unknown".
    """
    return PostcodeArea.objects.filter(pk=normalise_pc4(postcode)).first()


def postcode_point(postcode: str) -> tuple[float, float] | None:
    """``(latitude, longitude)`` of the PC4 area of a PC6 or PC4 postcode, or ``None`` if the
    area is unknown. Malformed postcodes raise ``ValidationError`` as in :func:`postcode_area`."""
    values = (
        PostcodeArea.objects.filter(pk=normalise_pc4(postcode))
        .values_list("latitude", "longitude")
        .first()
    )
    if values is None:
        return None
    return float(values[0]), float(values[1])
