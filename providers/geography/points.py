"""Distances and postcode points.

Distances are great-circle distances (:mod:`providers.geography.greatcircle`), measured from the
PC4 point of a postcode: a GeoNames place point, typically well under a kilometre from any address
in the area (see ``providers/data/README.md``). Travel time is not modelled.
"""

from __future__ import annotations

from providers.geography.greatcircle import EARTH_RADIUS_KM, distance_km
from providers.geography.postcodes import normalise_pc4
from providers.models import PostcodeArea

__all__ = ["EARTH_RADIUS_KM", "distance_km", "postcode_area", "postcode_point"]


def postcode_area(postcode: str) -> PostcodeArea | None:
    """The PC4 area of a PC6 or PC4 postcode, or ``None`` if the area is not in the table.

    A malformed postcode raises ``django.core.exceptions.ValidationError`` (from
    ``providers.geography.postcodes``), so that callers can tell "wrong" from "unknown".
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
