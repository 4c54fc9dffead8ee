"""The current waiting times: one figure per series (location × specialism/treatment × kind).

The public search (API and page) reads only the denormalised current figure of every series
(``WaitingTimeSeries.current_*``), never the report history: one row per series. The database
narrows the series (subject, kind, region, provider kind, active locations, a latitude/longitude
box around the postcode, then the exact great-circle distance), orders them, counts them and cuts
out the page asked for; Python builds only that page's rows (norms, staleness). A search for a
large specialism matches thousands of series at national scale, of which a page shows 50.

Rules (DESIGN §3.1): the norm of a series is the one of its kind (for treatments, of the
treatment's setting); a wait *exceeds the norm* above the norm's maximum; a figure older than 28
days is *stale*: returned and flagged, never dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal, overload

from django.db.models import Case, Count, F, FloatField, Q, QuerySet, Value, When, Window
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import ASin, Cast, Coalesce, Cos, Least, Power, Radians, Sin, Sqrt
from django.utils import timezone

from providers import rules
from providers.geo import EARTH_RADIUS_KM, distance_km, postcode_point
from providers.models import Norm, ProviderKind, WaitingTimeKind, WaitingTimeSeries

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
) -> CurrentWaitingTimes:
    """The current figure of every series that has one, at active locations, narrowed by the
    filters; for a treatment series the specialism is the treatment's.

    ``distance_km`` is measured from the PC4 point of ``postcode`` (``None`` without one) and
    ``max_distance_km`` keeps locations at most that far (exactly, not rounded). Ordering
    ``days``: shortest wait first, figures without a number (insufficient observations) last,
    ties by distance, then location code. Ordering ``distance``: nearest first, ties by wait, then
    location code. Stale figures are included and flagged.

    The result is a lazy sequence: ``count()``/``len()`` and each slice are one query.
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
    series = WaitingTimeSeries.objects.filter(
        Q(treatment__isnull=True) | Q(treatment__is_active=True),
        current_reference_date__isnull=False,
        specialism__is_active=True,
        **{f"location__{name}": value for name, value in location_filters.items()},
    )
    if specialism_code:
        series = series.filter(specialism__code=specialism_code)
    if treatment_code:
        series = series.filter(treatment__code=treatment_code)
    if kind:
        series = series.filter(kind=kind)
    distance: Value | F = Value(None, output_field=FloatField())
    if origin is not None:
        series = series.alias(distance=_distance_expression(origin))
        if max_distance_km is not None:
            series = series.filter(distance__lte=max_distance_km)
        distance = F("distance")
    kind_position = Case(
        *(When(kind=kind, then=Value(position)) for kind, position in _KIND_POSITION.items()),
        default=Value(99),
    )
    no_number_last = [F("current_days").asc(nulls_last=True)]
    tie_breaks = [
        F("location__code").asc(),
        kind_position.asc(),
        F("specialism__code").asc(),
        Coalesce(F("treatment__code"), Value("")).asc(),
    ]
    if ordering == "distance":
        order = [distance.asc(), *no_number_last, *tie_breaks]
    else:
        order = [*no_number_last, *([distance.asc()] if origin is not None else []), *tie_breaks]
    return CurrentWaitingTimes(
        series.annotate(lat=Cast("location__latitude", FloatField()))
        .annotate(lon=Cast("location__longitude", FloatField()))
        .order_by(*order),
        origin=origin,
        today=today,
    )


def _distance_expression(origin: tuple[float, float]) -> CombinedExpression:
    """:func:`providers.geo.distance_km` from ``origin`` to the series' location, in SQL: the same
    operations in the same order, so that the database and Python agree to the last bit (both
    call the C library's functions) and a filter at exactly the maximum keeps what Python keeps."""
    phi1 = math.radians(origin[0])
    latitude = Cast("location__latitude", FloatField())
    longitude = Cast("location__longitude", FloatField())
    d_phi = Radians(latitude) - Value(phi1)
    d_lambda = Radians(longitude - Value(origin[1]))
    h = Power(Sin(d_phi / Value(2.0)), 2) + Value(math.cos(phi1)) * Cos(Radians(latitude)) * Power(
        Sin(d_lambda / Value(2.0)), 2
    )
    return Value(2 * EARTH_RADIUS_KM) * ASin(Sqrt(Least(Value(1.0), h)))


_ROW_COLUMNS = (
    "location__code",
    "location__name",
    "location__city",
    "location__postcode",
    "lat",
    "lon",
    "location__accepted_urgency_classes",
    "location__provider__agb_code",
    "location__provider__name",
    "location__provider__kind",
    "location__provider__region__code",
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


class CurrentWaitingTimes(Sequence[CurrentWaitingTime]):
    """The search's results, counted and cut into pages by the database: a page builds only its
    own rows (Django's ``Paginator`` and DRF's pagination take any sequence with ``count()``).

    Every query also returns the total (``COUNT(*) OVER ()``), and counting fetches the first
    :data:`FIRST_PAGE` rows with it: the usual request (count, then the first page) is one query.
    """

    FIRST_PAGE = 50

    def __init__(self, rows: QuerySet, *, origin: tuple[float, float] | None, today: date) -> None:
        self._rows = rows.annotate(total=Window(Count("pk"))).values_list(*_ROW_COLUMNS, "total")
        self._origin = origin
        self._today = today
        self._count: int | None = None
        self._first: list[tuple] = []

    def count(self) -> int:  # type: ignore[override]
        if self._count is None:
            self._first = list(self._rows[: self.FIRST_PAGE])
            self._count = self._first[0][-1] if self._first else 0
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[CurrentWaitingTime]:
        return iter(self._build(self._rows))

    @overload
    def __getitem__(self, index: int) -> CurrentWaitingTime: ...

    @overload
    def __getitem__(self, index: slice) -> list[CurrentWaitingTime]: ...

    def __getitem__(self, index: int | slice) -> CurrentWaitingTime | list[CurrentWaitingTime]:
        if isinstance(index, slice):
            return self._build(self._raw(index))
        found = self._build(self._raw(slice(index, index + 1)))
        if not found:
            raise IndexError(index)
        return found[0]

    def _raw(self, index: slice) -> Iterable[tuple]:
        """The rows of a slice: from the first page when it holds them, else one query."""
        if self._count is not None and index.step is None:
            start = index.start or 0
            stop = self._count if index.stop is None else index.stop
            complete = len(self._first) == self._count
            if start >= 0 and stop >= 0 and (stop <= len(self._first) or complete):
                return self._first[start:stop]
        return self._rows[index]

    def _build(self, rows: Iterable[tuple]) -> list[CurrentWaitingTime]:
        norms = _norms()
        origin = self._origin
        locations: dict[str, tuple[LocationSummary, float | None]] = {}
        stale_on: dict[date, bool] = {}
        result = []
        for (
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
            specialism,
            specialism_name,
            treatment,
            treatment_name,
            treatment_setting,
            series_kind,
            days,
            insufficient,
            reference_date,
            *_total,
        ) in rows:
            found = locations.get(code)
            if found is None:
                location = LocationSummary(
                    code,
                    name,
                    city,
                    postcode,
                    latitude,
                    longitude,
                    tuple(accepted_classes or ()),
                    ProviderSummary(agb_code, provider_name, provider_kind, region),
                )
                distance = None if origin is None else distance_km(*origin, latitude, longitude)
                found = locations[code] = (location, distance)
            norm = norms.get(
                rules.norm_key(kind=series_kind, treatment_setting=treatment_setting),
                (None, None),
            )
            stale = stale_on.get(reference_date)
            if stale is None:
                stale = stale_on[reference_date] = rules.is_stale(
                    reference_date=reference_date, today=self._today
                )
            result.append(
                CurrentWaitingTime(
                    found[0],
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
                    found[1],
                )
            )
        return result
