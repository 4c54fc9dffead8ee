"""The current waiting times: one figure per series (location × specialism/treatment × kind).

The public search (API and page) reads only the denormalised current figure of every series
(``WaitingTimeSeries.current_*``), never the report history: one row per series. The candidate
locations (active, in the region and of the provider kind asked for, within the exact
great-circle distance) come from the reference data each process keeps in memory
(``providers.search.snapshot``); the database narrows the series to those locations
and the subject and kind, orders them, counts them and cuts out the page asked for; Python builds
only that page's rows (norms, staleness). A search for a large specialism matches thousands of
series at national scale, of which a page shows 50.

Rules (DESIGN §3.1): the norm of a series is the one of its kind (for treatments, of the
treatment's setting); a wait *exceeds the norm* above the norm's maximum; a figure older than 28
days is *stale*: returned and flagged, never dropped.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, overload

from django.db import connection, models
from django.utils import timezone

from providers.geography.greatcircle import bounding_box, distance_km
from providers.geography.postcodes import normalise_pc4
from providers.models import Specialism, Treatment, WaitingTimeKind, WaitingTimeSeries
from providers.search.snapshot import (
    ActiveLocation,
    LocationSummary,
    ProviderSummary,
    SearchReference,
    search_reference,
)
from providers.waiting_times import rules

__all__ = [
    "ORDERINGS",
    "CurrentWaitingTime",
    "CurrentWaitingTimes",
    "LocationSummary",
    "Ordering",
    "ProviderSummary",
    "UnknownPostcode",
    "waiting_time_current_list",
]

Ordering = Literal["days", "distance"]
ORDERINGS: tuple[Ordering, ...] = ("days", "distance")
_KIND_POSITION = {kind: position for position, kind in enumerate(WaitingTimeKind.values)}


class UnknownPostcode(LookupError):
    """The postcode is well-formed but its PC4 area is not in the postcode table."""


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
    # Who the figure comes from (DESIGN §3.8): ``provider`` or ``nza``.
    source: str = "provider"

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
    reference: SearchReference | None = None,
) -> CurrentWaitingTimes:
    """The current figure of every series that has one, at active locations, narrowed by the
    filters; for a treatment series the specialism is the treatment's.

    ``distance_km`` is measured from the PC4 point of ``postcode`` (``None`` without one) and
    ``max_distance_km`` keeps locations at most that far (exactly, not rounded). Ordering
    ``days``: shortest wait first, figures without a number (insufficient observations) last,
    ties by distance, then location code. Ordering ``distance``: nearest first, ties by wait, then
    location code. Stale figures are included and flagged, and in either order come after all
    current ones.

    ``reference`` is the reference data the caller already holds (its input checks read the same
    snapshot); without it the current one is used.

    The result is a lazy sequence: ``count()``/``len()`` and each slice are one query.
    A malformed postcode raises ``django.core.exceptions.ValidationError``, an unknown one
    :class:`UnknownPostcode`; a distance filter or order without a postcode is a ``ValueError``.
    """
    if ordering not in ORDERINGS:
        raise ValueError(f"unknown ordering {ordering!r}")
    if postcode is None and (max_distance_km is not None or ordering == "distance"):
        raise ValueError("a distance filter or order needs a postcode")
    today = today or timezone.localdate()
    reference = reference or search_reference()
    origin: tuple[float, float] | None = None
    if postcode is not None:
        origin = reference.postcode_point(normalise_pc4(postcode))
        if origin is None:
            raise UnknownPostcode(postcode)

    # Every candidate location once, with its exact distance; the locations are ordered by
    # latitude, so a box around the postcode narrows them first, and locations in the corners
    # of the box, beyond the maximum, drop out by their exact distance.
    candidates: Sequence[ActiveLocation] = reference.locations
    longitudes: tuple[float, float] | None = None
    if origin is not None and max_distance_km is not None:
        box = bounding_box(latitude=origin[0], longitude=origin[1], radius_km=max_distance_km)
        lat_min, lat_max, lon_min, lon_max = (float(edge) for edge in box)
        latitudes = reference.location_latitudes
        candidates = candidates[bisect_left(latitudes, lat_min) : bisect_right(latitudes, lat_max)]
        longitudes = (lon_min, lon_max)
    places: list[_Place] = []
    for candidate in candidates:
        location = candidate.summary
        if region_code and location.provider.region_code != region_code:
            continue
        if provider_kind and location.provider.kind != provider_kind:
            continue
        if longitudes and not longitudes[0] <= location.longitude <= longitudes[1]:
            continue
        distance = None
        if origin is not None:
            distance = distance_km(*origin, location.latitude, location.longitude)
            if max_distance_km is not None and distance > max_distance_km:
                continue
        places.append(_Place(candidate.pk, distance, location))
    places.sort(key=lambda place: (place.distance or 0.0, place.location.code))
    return CurrentWaitingTimes(
        places=places,
        specialism_code=specialism_code,
        treatment_code=treatment_code,
        kind=kind,
        by_distance=ordering == "distance",
        today=today,
        reference=reference,
    )


@dataclass(slots=True)
class _Place:
    """A candidate location: its id, its distance and what a result shows of it."""

    pk: int
    distance: float | None
    location: LocationSummary


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class CurrentWaitingTimes(Sequence[CurrentWaitingTime]):
    """The search's results, counted, ordered and cut into pages by the database: a page builds
    only its own rows (Django's ``Paginator`` and DRF's pagination take any sequence with
    ``count()``).

    The candidate locations, with their exact distances and their place in the order of distance,
    are known in Python (a few hundred at most); they go into the query as a ``VALUES`` list
    joined to the series, so the database orders the series by plain numbers. Every query also
    returns the total (``COUNT(*) OVER ()``), and counting fetches the first :data:`FIRST_PAGE`
    rows with it: the usual request (count, then the first page) is one query.
    """

    FIRST_PAGE = 50

    def __init__(
        self,
        *,
        places: list[_Place],
        specialism_code: str | None,
        treatment_code: str | None,
        kind: str | None,
        by_distance: bool,
        today: date,
        reference: SearchReference,
    ) -> None:
        self._places = places
        self._reference = reference
        self._today = today
        self._count: int | None = None
        self._first: list[tuple] = []
        conditions = [
            "s.current_reference_date IS NOT NULL",
            "sp.is_active",
            "(s.treatment_id IS NULL OR t.is_active)",
        ]
        self._params: list[int | float | str] = []
        for column, value in (
            ("sp.code", specialism_code),
            ("t.code", treatment_code),
            ("s.kind", kind),
        ):
            if value:
                conditions.append(f"{column} = %s")
                self._params.append(value)
        kind_position = " ".join(
            f"WHEN '{kind}' THEN {position}" for kind, position in _KIND_POSITION.items()
        )
        no_number_last = "s.current_days IS NULL, s.current_days"
        tie_breaks = f"CASE s.kind {kind_position} ELSE 99 END, sp.code, COALESCE(t.code, '')"
        # Stale figures (DESIGN §3.1) after current ones, whatever the order: an old short wait
        # must not head the list as if it were today's.
        stale_last = "CASE WHEN s.current_reference_date < %s THEN 1 ELSE 0 END"
        self._params.append(rules.stale_before(today=today).isoformat())
        if by_distance:
            order = f"{stale_last}, near.column3, {no_number_last}, near.column2, {tie_breaks}"
        else:
            order = f"{stale_last}, {no_number_last}, near.column2, {tie_breaks}"
        # The candidates as literal numbers (ids, positions and floats that we computed; their
        # repr reads back as the same double): hundreds of parameters would cost more to bind.
        values = ", ".join(
            f"({int(place.pk)}, {position}, {float(place.distance or 0.0)!r})"
            for position, place in enumerate(places)
        )
        # (Only our own table names, fixed SQL and those numbers are interpolated; the codes
        # asked for are parameters.)
        self._sql = (
            "SELECT s.location_id, sp.code, t.code, s.kind, "  # noqa: S608
            "s.current_days, s.current_insufficient_observations, s.current_reference_date, "
            f"s.current_origin, COUNT(*) OVER () FROM {_table(WaitingTimeSeries)} s "
            f"JOIN (VALUES {values}) AS near ON near.column1 = s.location_id "
            f"JOIN {_table(Specialism)} sp ON sp.id = s.specialism_id "
            f"LEFT JOIN {_table(Treatment)} t ON t.id = s.treatment_id "
            f"WHERE {' AND '.join(conditions)} ORDER BY {order}"
        )

    def _fetch(self, *, offset: int, limit: int | None) -> list[tuple]:
        if not self._places or (limit is not None and limit <= 0):
            return []
        sql, params = self._sql, list[int | float | str](self._params)
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        elif offset:
            sql += " LIMIT -1" if connection.vendor == "sqlite" else " LIMIT ALL"
        if offset:
            sql += " OFFSET %s"
            params.append(offset)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def count(self) -> int:  # type: ignore[override]
        if self._count is None:
            self._first = self._fetch(offset=0, limit=self.FIRST_PAGE)
            self._count = self._first[0][-1] if self._first else 0
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[CurrentWaitingTime]:
        return iter(self._build(self._slice(0, None)))

    @overload
    def __getitem__(self, index: int) -> CurrentWaitingTime: ...

    @overload
    def __getitem__(self, index: slice) -> list[CurrentWaitingTime]: ...

    def __getitem__(self, index: int | slice) -> CurrentWaitingTime | list[CurrentWaitingTime]:
        if isinstance(index, slice):
            start, stop, step = index.start or 0, index.stop, index.step
            if start < 0 or (stop is not None and stop < 0) or step not in (None, 1):
                return list(self)[index]
            return self._build(self._slice(start, stop))
        if index < 0:
            return list(self)[index]
        found = self._build(self._slice(index, index + 1))
        if not found:
            raise IndexError(index)
        return found[0]

    def _slice(self, start: int, stop: int | None) -> list[tuple]:
        """The rows from ``start`` to ``stop``: from the first page when it holds them."""
        if self._count is not None:
            complete = len(self._first) == self._count
            if complete or (stop is not None and stop <= len(self._first)):
                return self._first[start:stop]
        rows = self._fetch(offset=start, limit=None if stop is None else stop - start)
        if start == 0 and stop is None:  # everything: now counted too
            self._first, self._count = rows, len(rows)
        return rows

    def _build(self, rows: Iterable[tuple]) -> list[CurrentWaitingTime]:
        reference = self._reference
        places = {place.pk: place for place in self._places}
        stale_on: dict[date, bool] = {}
        result = []
        for (
            location_id,
            specialism,
            treatment,
            series_kind,
            days,
            insufficient,
            reference_date,
            origin,
            _total,
        ) in rows:
            place = places[location_id]
            # Names from the reference data (the query keeps only active specialisms and
            # treatments, as the snapshot does).
            specialism_name = reference.specialisms[specialism].name
            treatment_name = treatment_setting = None
            if treatment is not None:
                entry = reference.treatments[treatment]
                treatment_name, treatment_setting = entry.name, entry.setting
            norm = reference.norms.get(
                rules.norm_key(kind=series_kind, treatment_setting=treatment_setting),
                (None, None),
            )
            if isinstance(reference_date, str):  # SQLite hands raw SQL dates back as text
                reference_date = date.fromisoformat(reference_date)
            stale = stale_on.get(reference_date)
            if stale is None:
                stale = stale_on[reference_date] = rules.is_stale(
                    reference_date=reference_date, today=self._today
                )
            result.append(
                CurrentWaitingTime(
                    place.location,
                    specialism,
                    specialism_name,
                    treatment,
                    treatment_name,
                    treatment_setting,
                    series_kind,
                    days,
                    bool(insufficient),
                    reference_date,
                    norm[0],
                    norm[1],
                    rules.exceeds_norm(days=days, max_days=norm[1]),
                    stale,
                    place.distance,
                    origin,
                )
            )
        return result
