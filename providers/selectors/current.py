"""The current waiting times: one figure per series (location × specialism/treatment × kind).

The public search (API and page) reads only the denormalised current figure of every series
(``WaitingTimeSeries.current_*``), never the report history: one row per series, and each location
read once. SQL narrows the series (subject, kind, region, provider kind, active locations and
a latitude/longitude box around the postcode); Python then computes the exact great-circle
distances, the norms and the order over that small set.

Rules (DESIGN §3.1): the norm of a series is the one of its kind (for treatments, of the
treatment's setting); a wait *exceeds the norm* above the norm's maximum; a figure older than 28
days is *stale*: returned and flagged, never dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from operator import itemgetter
from typing import Literal

from django.db.models import FloatField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from providers import rules
from providers.geo import EARTH_RADIUS_KM, distance_km, postcode_point
from providers.models import Location, Norm, ProviderKind, WaitingTimeKind, WaitingTimeSeries

Ordering = Literal["days", "distance"]
ORDERINGS: tuple[Ordering, ...] = ("days", "distance")
# Urgency classes that insurers mediate (DESIGN §3.2); a location accepting fewer scales down.
MEDIATION_URGENCY_CLASSES = frozenset({3, 4, 5})
_KIND_POSITION = {kind: position for position, kind in enumerate(WaitingTimeKind.values)}
# 1° of latitude on the sphere of providers.geo; the box is widened a little beyond it so that
# rounding never drops a location that the exact distance would keep.
_KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180
_BOX_MARGIN = 1.01


class UnknownPostcode(LookupError):
    """The postcode is well-formed but its PC4 area is not in the postcode table."""


@dataclass(slots=True)
class ProviderSummary:
    agb_code: str
    name: str
    kind: str
    region_code: str

    @property
    def kind_label(self) -> str:
        return str(ProviderKind(self.kind).label)


@dataclass(slots=True)
class LocationSummary:
    code: str
    name: str
    city: str
    postcode: str
    latitude: float
    longitude: float
    accepted_urgency_classes: tuple[int, ...]
    provider: ProviderSummary

    @property
    def named_after_provider(self) -> bool:
        """Whether the location's name already says which provider it belongs to."""
        return self.name.startswith(self.provider.name)

    @property
    def accepts_mediation(self) -> bool:
        """Whether the location takes every urgency class that mediation handles (3, 4, 5);
        ``False`` while it scales down (e.g. only 1–3)."""
        return set(self.accepted_urgency_classes) >= MEDIATION_URGENCY_CLASSES


@dataclass(slots=True)
class CurrentWaitingTime:
    """The current figure of one series, with its norm, age and distance."""

    location: LocationSummary
    specialism_code: str
    specialism_name: str
    treatment_code: str | None
    treatment_name: str | None
    treatment_setting: str | None
    kind: str
    days: int | None
    insufficient_observations: bool
    reference_date: date
    norm_target_days: int | None
    norm_max_days: int | None
    exceeds_norm: bool | None
    stale: bool
    distance_km: float | None

    @property
    def norm_status(self) -> str | None:
        """``within_target``, ``within_maximum``, ``above_maximum`` or ``None`` (unknown)."""
        if self.days is None or self.norm_max_days is None:
            return None
        if self.exceeds_norm:
            return "above_maximum"
        if self.norm_target_days is not None and self.days <= self.norm_target_days:
            return "within_target"
        return "within_maximum"


def _box(
    *, latitude: float, longitude: float, radius_km: float
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """A latitude/longitude box that contains every point within ``radius_km`` (great circle).

    Along a meridian 1° is ``_KM_PER_DEGREE``; along a parallel it shrinks with the cosine of the
    latitude, so the box uses the latitude of its edge farthest from the equator."""
    d_lat = radius_km / _KM_PER_DEGREE * _BOX_MARGIN
    edge = min(89.0, abs(latitude) + d_lat)
    d_lon = d_lat / math.cos(math.radians(edge))

    def down(value: float) -> Decimal:
        return Decimal(value).quantize(Decimal("0.000001"), rounding=ROUND_FLOOR)

    def up(value: float) -> Decimal:
        return Decimal(value).quantize(Decimal("0.000001"), rounding=ROUND_CEILING)

    return (
        down(latitude - d_lat),
        up(latitude + d_lat),
        down(longitude - d_lon),
        up(longitude + d_lon),
    )


def _norms() -> dict[tuple[str, str], tuple[int, int]]:
    return {
        (kind, setting): (target, maximum)
        for kind, setting, target, maximum in Norm.objects.values_list(
            "kind", "setting", "target_days", "max_days"
        )
    }


_LOCATION_COLUMNS = (
    "id",
    "code",
    "name",
    "city",
    "postcode",
    "lat",
    "lon",
    "accepted_urgency_classes",
    "provider__agb_code",
    "provider__name",
    "provider__kind",
    "provider__region__code",
)
_SERIES_COLUMNS = (
    "location_id",
    "specialism__code",
    "specialism__name",
    "treatment__code",
    "treatment__name",
    "treatment__setting",
    "kind",
    "current_days",
    "current_insufficient_observations",
    "current_reference_date",
)


def _location_summaries(locations: QuerySet[Location]) -> dict[int, LocationSummary]:
    # Floats straight from the database: no Decimal per row (distances are floats anyway).
    rows = locations.annotate(
        lat=Cast("latitude", FloatField()), lon=Cast("longitude", FloatField())
    ).values_list(*_LOCATION_COLUMNS)
    return {
        pk: LocationSummary(
            code,
            name,
            city,
            postcode,
            latitude,
            longitude,
            tuple(accepted_classes or ()),
            ProviderSummary(agb_code, provider_name, provider_kind, region),
        )
        for (
            pk,
            code,
            name,
            city,
            postcode,
            latitude,
            longitude,
            accepted_classes,
            agb_code,
            provider_name,
            provider_kind,
            region,
        ) in rows
    }


def waiting_time_current_list(
    *,
    specialism_code: str | None = None,
    treatment_code: str | None = None,
    kind: str | None = None,
    postcode: str | None = None,
    max_distance_km: float | None = None,
    region_code: str | None = None,
    provider_kind: str | None = None,
    ordering: Ordering = "days",
    today: date | None = None,
) -> list[CurrentWaitingTime]:
    """The current figure of every series that has one, at active locations, narrowed by the
    filters; for a treatment series the specialism is the treatment's.

    ``distance_km`` is measured from the PC4 point of ``postcode`` (``None`` without one) and
    ``max_distance_km`` keeps locations at most that far (exactly, not rounded). Ordering
    ``days``: shortest wait first, figures without a number (insufficient observations) last,
    ties by distance, then location code. Ordering ``distance``: nearest first, ties by wait, then
    location code. Stale figures are included and flagged.

    A malformed postcode raises ``django.core.exceptions.ValidationError``, an unknown one
    :class:`UnknownPostcode`; a distance filter or order without a postcode is a ``ValueError``.
    """
    if ordering not in ORDERINGS:
        raise ValueError(f"unknown ordering {ordering!r}")
    if postcode is None and (max_distance_km is not None or ordering == "distance"):
        raise ValueError("a distance filter or order needs a postcode")
    today = today or timezone.localdate()
    origin: tuple[float, float] | None = None
    if postcode is not None:
        origin = postcode_point(postcode)
        if origin is None:
            raise UnknownPostcode(postcode)

    location_filters: dict[str, object] = {"is_active": True}
    if region_code:
        location_filters["provider__region__code"] = region_code
    if provider_kind:
        location_filters["provider__kind"] = provider_kind
    if origin is not None and max_distance_km is not None:
        # A box around the postcode narrows the locations in SQL; the exact distance follows.
        lat_min, lat_max, lon_min, lon_max = _box(
            latitude=origin[0], longitude=origin[1], radius_km=max_distance_km
        )
        location_filters["latitude__range"] = (lat_min, lat_max)
        location_filters["longitude__range"] = (lon_min, lon_max)
    locations = Location.objects.filter(**location_filters)
    series_filters: dict[str, object] = {
        "current_reference_date__isnull": False,
        "specialism__is_active": True,
        "location__in": locations,
    }
    if specialism_code:
        series_filters["specialism__code"] = specialism_code
    if treatment_code:
        series_filters["treatment__code"] = treatment_code
    if kind:
        series_filters["kind"] = kind
    rows = list(
        WaitingTimeSeries.objects.filter(Q(treatment__isnull=True) | Q(treatment__is_active=True))
        .filter(**series_filters)
        .values_list(*_SERIES_COLUMNS)
    )
    if not rows:
        return []

    # Every location once: its summary, its distance, and its place in the order of distance,
    # then code. Locations in the corners of the box, beyond the maximum distance, drop out.
    if max_distance_km is None:
        locations = locations.filter(pk__in={row[0] for row in rows})
    summaries = _location_summaries(locations)
    distances: dict[int, float | None] = {
        pk: None if origin is None else distance_km(*origin, location.latitude, location.longitude)
        for pk, location in summaries.items()
    }
    by_location: dict[int, tuple[LocationSummary, float | None, int]] = {}
    for position, pk in enumerate(
        sorted(summaries, key=lambda pk: (distances[pk] or 0.0, summaries[pk].code))
    ):
        distance = distances[pk]
        if max_distance_km is None or distance <= max_distance_km:  # type: ignore[operator]
            by_location[pk] = (summaries[pk], distance, position)

    norms = _norms()
    norm_of: dict[tuple[str, str | None], tuple[int | None, int | None]] = {}
    stale_on: dict[date, bool] = {}
    by_distance = ordering == "distance"
    keyed: list[tuple[tuple, CurrentWaitingTime]] = []
    for (
        location_id,
        specialism,
        specialism_name,
        treatment,
        treatment_name,
        treatment_setting,
        series_kind,
        days,
        insufficient,
        reference_date,
    ) in rows:
        found = by_location.get(location_id)
        if found is None:
            continue
        location, distance, position = found
        norm = norm_of.get((series_kind, treatment_setting))
        if norm is None:
            norm = norm_of[(series_kind, treatment_setting)] = norms.get(
                rules.norm_key(kind=series_kind, treatment_setting=treatment_setting),
                (None, None),
            )
        stale = stale_on.get(reference_date)
        if stale is None:
            stale = stale_on[reference_date] = rules.is_stale(
                reference_date=reference_date, today=today
            )
        # Positional arguments, in the order of the fields: this runs for every series.
        row = CurrentWaitingTime(
            location,
            specialism,
            specialism_name,
            treatment,
            treatment_name,
            treatment_setting,
            series_kind,
            days,
            insufficient,
            reference_date,
            norm[0],
            norm[1],
            rules.exceeds_norm(days=days, max_days=norm[1]),
            stale,
            distance,
        )
        kind_position = _KIND_POSITION.get(series_kind, 99)
        if by_distance:
            # Distance first; equally far: shorter wait, then location code (its position).
            key: tuple = (
                distance,
                days is None,
                days or 0,
                position,
                kind_position,
                specialism,
                treatment or "",
            )
        else:
            # Shorter wait first, no number last; equal waits: nearer, then location code.
            key = (days is None, days or 0, position, kind_position, specialism, treatment or "")
        keyed.append((key, row))
    keyed.sort(key=itemgetter(0))
    return [row for _key, row in keyed]
