"""The national picture (issue 14): for insurers and the regulator, every ROAZ region × specialism
with the median current wait per kind against the Treeknorm, the series not reported and the
series persistently over the norm, and the capacity offered; with the lists of those series.

The definitions are the regional report's (:mod:`providers.reports.selectors`), applied to every
region at once:

* A **cell** is a region × specialism × kind, and for treatments × setting (day care or
  inpatient), so that every cell has one norm: the norm's maximum and target decide its status
  (``within_target``, ``within_maximum``, ``above_maximum``) from the median.
* ``series``: the series of the cell's active locations; ``series_current``: those with a figure
  that is not stale; ``series_exceeding``: current figures above the maximum; the **median** is
  taken over the current figures with a number.
* ``series_not_reported``: series without a figure on or after the last cycle's peildatum
  (:func:`~providers.reports.selectors.not_reported_condition`);
  ``series_persistent_overrun``: series with an open persistent-overrun flag
  (:class:`~providers.models.PersistentOverrun`, kept by the overrun service).
* **Capacity**: remaining slots of the capacity offers of active locations for the weeks from
  this week's Monday up to ``weeks_ahead`` weeks on, in the region (a slot held by an offer whose
  time has passed is free, as in the regional report).

Fast at national scale: one pass over the series' current figures (one row per series, ~60 000),
one grouped query over the capacity offers, the open flags (a small table), and the two lists
read with a limit; never the reports' history.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, F, Sum
from django.utils import timezone

from providers.models import (
    CapacityHold,
    CapacityOffer,
    Norm,
    PersistentOverrun,
    Region,
    Specialism,
    WaitingTimeKind,
    WaitingTimeSeries,
)
from providers.reports.selectors import not_reported_condition, series_reported
from providers.waiting_times.rules import (
    exceeds_norm,
    norm_key,
    nza_reference_date_on_or_before,
    stale_before,
)

# The columns of the matrix: a kind, and for treatments a setting (each with its own norm).
KIND_SETTINGS: list[tuple[str, str]] = [
    (WaitingTimeKind.FIRST_VISIT, ""),
    (WaitingTimeKind.DIAGNOSTICS, ""),
    (WaitingTimeKind.TREATMENT, "day"),
    (WaitingTimeKind.TREATMENT, "inpatient"),
]
# The lists of series name at most this many (their totals are always given).
LIST_LIMIT = 200


@dataclass
class NationalCell:
    region_code: str
    specialism_code: str
    kind: str
    setting: str
    series: int = 0
    series_current: int = 0
    series_exceeding: int = 0
    series_not_reported: int = 0
    series_persistent_overrun: int = 0
    capacity: int = 0
    median_days: float | None = None
    norm_target_days: int | None = None
    norm_max_days: int | None = None

    @property
    def median_weeks(self) -> int | None:
        return None if self.median_days is None else math.ceil(self.median_days / 7)

    @property
    def norm_status(self) -> str | None:
        """``within_target``, ``within_maximum`` or ``above_maximum`` (as the regional report)."""
        if self.median_days is None or self.norm_max_days is None:
            return None
        if self.median_days > self.norm_max_days:
            return "above_maximum"
        if self.norm_target_days is not None and self.median_days > self.norm_target_days:
            return "within_maximum"
        return "within_target"


@dataclass(frozen=True)
class NationalSeries:
    """One series in a list: where, what, and its latest figure (and, for an overrun, since)."""

    region_code: str
    provider_agb_code: str
    provider_name: str
    location_code: str
    location_name: str
    specialism_code: str
    specialism_name: str
    treatment_code: str | None
    treatment_name: str | None
    kind: str
    last_reference_date: date | None
    days: int | None
    overrun_since: date | None = None
    overrun_cycles: int | None = None
    norm_max_days: int | None = None

    @property
    def kind_label(self) -> str:
        return str(WaitingTimeKind(self.kind).label)


@dataclass(frozen=True)
class SeriesList:
    count: int
    results: list[NationalSeries]

    @property
    def truncated(self) -> bool:
        return self.count > len(self.results)


@dataclass(frozen=True)
class NationalReport:
    today: date
    last_cycle: date
    stale_before: date
    capacity_from: date
    capacity_until: date
    regions: list[Region]
    specialisms: list[Specialism]
    cells: list[NationalCell]
    series_not_reported: SeriesList
    persistent_overruns: SeriesList
    totals: dict[str, int] = field(default_factory=dict)

    def cell(
        self, region_code: str, specialism_code: str, kind: str, setting: str = ""
    ) -> NationalCell | None:
        for cell in self.cells:
            if (cell.region_code, cell.specialism_code, cell.kind, cell.setting) == (
                region_code,
                specialism_code,
                kind,
                setting,
            ):
                return cell
        return None


@dataclass
class _Tally:
    series: int = 0
    current: int = 0
    exceeding: int = 0
    not_reported: int = 0
    overrun: int = 0
    days: list[int] = field(default_factory=list)


CellKey = tuple[int, int, str, str]  # region id, specialism id, kind, setting


def _open_overrun_series() -> set[int]:
    return set(
        PersistentOverrun.objects.filter(cleared_at__isnull=True).values_list(
            "series_id", flat=True
        )
    )


def _tallies(*, today: date, last_cycle: date, overrun_ids: set[int]) -> dict[CellKey, _Tally]:
    norms = {(norm.kind, norm.setting): norm.max_days for norm in Norm.objects.all()}
    cutoff = stale_before(today=today)
    tallies: dict[CellKey, _Tally] = defaultdict(_Tally)
    rows = WaitingTimeSeries.objects.filter(location__is_active=True).values_list(
        "id",
        "location__provider__region_id",
        "specialism_id",
        "kind",
        "treatment__setting",
        "current_reference_date",
        "current_days",
    )
    for series_id, region_id, specialism_id, kind, setting, reference_date, days in rows:
        key_setting = norm_key(kind=kind, treatment_setting=setting)[1]
        tally = tallies[(region_id, specialism_id, kind, key_setting)]
        tally.series += 1
        if not series_reported(reference_date=reference_date, last_cycle=last_cycle):
            tally.not_reported += 1
        if series_id in overrun_ids:
            tally.overrun += 1
        if reference_date is None or reference_date < cutoff:
            continue
        tally.current += 1
        if days is not None:
            tally.days.append(days)
            if exceeds_norm(days=days, max_days=norms.get((kind, key_setting))):
                tally.exceeding += 1
    return tallies


def _capacity(*, since: date, until: date) -> dict[CellKey, int]:
    offers = CapacityOffer.objects.filter(
        week_start__gte=since, week_start__lt=until, location__is_active=True
    )
    group = ("location__provider__region_id", "specialism_id", "kind", "treatment__setting")
    capacity: dict[CellKey, int] = defaultdict(int)
    for row in (
        offers.values(*group).annotate(free=Sum(F("slots") - F("reserved_slots"))).order_by()
    ):
        region_id, specialism_id, kind, setting = (row[name] for name in group)
        capacity[(region_id, specialism_id, kind, setting or "")] += row["free"]
    expired_holds = (
        CapacityHold.objects.filter(capacity_offer__in=offers, until__lte=timezone.now())
        .values(*(f"capacity_offer__{name}" for name in group))
        .annotate(free=Count("pk"))
        .order_by()
    )
    for row in expired_holds:
        region_id, specialism_id, kind, setting = (row[f"capacity_offer__{n}"] for n in group)
        capacity[(region_id, specialism_id, kind, setting or "")] += row["free"]
    return capacity


_LIST_FIELDS = (
    "id",
    "location__provider__region__code",
    "location__provider__agb_code",
    "location__provider__name",
    "location__code",
    "location__name",
    "specialism__code",
    "specialism__name",
    "treatment__code",
    "treatment__name",
    "kind",
    "current_reference_date",
    "current_days",
)
_LIST_ORDER = (
    "location__provider__region__name",
    "location__provider__name",
    "location__name",
    "location__code",
    "specialism__code",
    "kind",
    "treatment__name",
    "id",
)


def _series_item(row: tuple, **extra: object) -> NationalSeries:
    (
        _pk,
        region_code,
        agb_code,
        provider_name,
        location_code,
        location_name,
        specialism_code,
        specialism_name,
        treatment_code,
        treatment_name,
        kind,
        reference_date,
        days,
    ) = row
    return NationalSeries(
        region_code=region_code,
        provider_agb_code=agb_code,
        provider_name=provider_name,
        location_code=location_code,
        location_name=location_name,
        specialism_code=specialism_code,
        specialism_name=specialism_name,
        treatment_code=treatment_code,
        treatment_name=treatment_name,
        kind=kind,
        last_reference_date=reference_date,
        days=days,
        **extra,  # type: ignore[arg-type]
    )


def _not_reported_list(*, last_cycle: date, count: int, limit: int) -> SeriesList:
    rows = (
        WaitingTimeSeries.objects.filter(location__is_active=True)
        .filter(not_reported_condition(last_cycle=last_cycle))
        .order_by(*_LIST_ORDER)
        .values_list(*_LIST_FIELDS)[:limit]
    )
    return SeriesList(count=count, results=[_series_item(row) for row in rows])


def _overrun_list(*, count: int, limit: int) -> SeriesList:
    """The open flags of active locations, with their series, in one query with a limit."""
    rows = (
        PersistentOverrun.objects.filter(cleared_at__isnull=True, series__location__is_active=True)
        .order_by(*(f"series__{name}" for name in _LIST_ORDER))
        .values_list(*(f"series__{name}" for name in _LIST_FIELDS), "since", "cycles", "max_days")[
            :limit
        ]
    )
    results = [
        _series_item(
            row[: len(_LIST_FIELDS)],
            overrun_since=row[-3],
            overrun_cycles=row[-2],
            norm_max_days=row[-1],
        )
        for row in rows
    ]
    return SeriesList(count=count, results=results)


def national_report(
    *, today: date | None = None, weeks_ahead: int = 8, list_limit: int = LIST_LIMIT
) -> NationalReport:
    """The national picture as of ``today`` (see the module docstring)."""
    today = today or timezone.localdate()
    last_cycle = nza_reference_date_on_or_before(today)
    monday = today - timedelta(days=today.weekday())
    until = monday + timedelta(weeks=weeks_ahead)
    overrun_ids = _open_overrun_series()
    tallies = _tallies(today=today, last_cycle=last_cycle, overrun_ids=overrun_ids)
    capacity = _capacity(since=monday, until=until)
    norms = {(norm.kind, norm.setting): norm for norm in Norm.objects.all()}

    regions = list(Region.objects.order_by("name"))
    region_code = {region.pk: region.code for region in regions}
    keys = set(tallies) | set(capacity)
    specialisms = list(
        Specialism.objects.filter(pk__in={key[1] for key in keys}).order_by("name", "code")
    )
    specialism_code = {specialism.pk: specialism.code for specialism in specialisms}
    order = {kind_setting: index for index, kind_setting in enumerate(KIND_SETTINGS)}
    cells = []
    for key in sorted(
        keys,
        key=lambda k: (region_code[k[0]], specialism_code[k[1]], order.get((k[2], k[3]), 99)),
    ):
        region_id, specialism_id, kind, setting = key
        tally = tallies.get(key, _Tally())
        norm = norms.get((kind, setting))
        cells.append(
            NationalCell(
                region_code=region_code[region_id],
                specialism_code=specialism_code[specialism_id],
                kind=kind,
                setting=setting,
                series=tally.series,
                series_current=tally.current,
                series_exceeding=tally.exceeding,
                series_not_reported=tally.not_reported,
                series_persistent_overrun=tally.overrun,
                capacity=capacity.get(key, 0),
                median_days=float(statistics.median(tally.days)) if tally.days else None,
                norm_target_days=norm.target_days if norm else None,
                norm_max_days=norm.max_days if norm else None,
            )
        )
    totals = {
        "series": sum(cell.series for cell in cells),
        "series_current": sum(cell.series_current for cell in cells),
        "series_exceeding": sum(cell.series_exceeding for cell in cells),
        "series_not_reported": sum(cell.series_not_reported for cell in cells),
        "series_persistent_overrun": sum(cell.series_persistent_overrun for cell in cells),
        "capacity": sum(cell.capacity for cell in cells),
    }
    return NationalReport(
        today=today,
        last_cycle=last_cycle,
        stale_before=stale_before(today=today),
        capacity_from=monday,
        capacity_until=until - timedelta(days=1),
        regions=regions,
        specialisms=specialisms,
        cells=cells,
        series_not_reported=_not_reported_list(
            last_cycle=last_cycle, count=totals["series_not_reported"], limit=list_limit
        ),
        persistent_overruns=_overrun_list(
            count=totals["series_persistent_overrun"], limit=list_limit
        ),
        totals=totals,
    )
