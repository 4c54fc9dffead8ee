"""The regional picture (issue 3): per ROAZ region, how the waits of its locations stand against
the Treeknormen, what capacity is offered in and around it, who has not reported, and the trend.

The rules of DESIGN §3.1 come from :mod:`providers.waiting_times.rules`; the definitions kept here:

* A location **reports** a specialism × kind when a series of it has a current (not stale)
  figure: a number of days or ``insufficient_observations``. For kind ``treatment`` the row of a
  specialism gathers the series of all its treatments (a location counts once, however many of
  its treatments it reports); the per-treatment rows are kept as well.
* A location **exceeds the norm** when one of its current figures is above the maximum of the
  norm of that series' kind (and, for treatments, setting).
* The **median** is taken over the current figures with a number (one per series): stale figures
  and ``insufficient_observations`` are left out of it. Stale figures are not dropped silently:
  the locations that have only stale figures for a row are counted separately.
* **Capacity** is the sum of the remaining slots (slots − reserved) of the capacity offers of
  active locations for the weeks from this week's Monday up to ``weeks_ahead`` weeks on, inside
  the region and in its neighbouring regions.
* The NZa publishes waits per **peildatum**, the Tuesday of even ISO weeks. The **last cycle** is
  the latest such Tuesday on or before today; a **series** that has no figure with a peildatum on
  or after it is *not reported* (judged per series, not per location: a location that reports
  one specialism and not another has a series not reported). They are listed per provider, with
  the locations concerned (and the active locations without any series); every row counts its
  series not reported, and the rows' counts add up to the series listed.
* A series is **persistently over the norm** while it has an open flag
  (:class:`~providers.models.PersistentOverrun`, kept by :mod:`providers.waiting_times.overrun`):
  listed per provider and location.
* The **trend** covers the last :data:`TREND_CYCLES` cycles; a report counts towards the cycle
  whose peildatum is the latest one on or before its own (so an off-cycle peildatum is not lost).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Count,
    F,
    Q,
    Sum,
)
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from providers.models import (
    CapacityHold,
    CapacityOffer,
    Location,
    Norm,
    PersistentOverrun,
    ProviderKind,
    Region,
    RegionTrendCount,
    ReportOrigin,
    Specialism,
    Treatment,
    WaitingTimeKind,
    WaitingTimeSeries,
)
from providers.waiting_times.rules import (
    exceeds_norm,
    norm_key,
    nza_reference_date_on_or_before,
    nza_reference_dates,
    stale_before,
)

TREND_CYCLES = 26
KIND_ORDER: list[str] = [
    WaitingTimeKind.FIRST_VISIT,
    WaitingTimeKind.DIAGNOSTICS,
    WaitingTimeKind.TREATMENT,
]


# --- The report ---------------------------------------------------------------------------------
@dataclass
class ReportFigures:
    """Counts and median of one row (a specialism × kind, or one treatment)."""

    locations_reporting: int = 0
    locations_exceeding: int = 0
    locations_stale: int = 0
    series_not_reported: int = 0
    # Of the locations reporting, those whose current figure comes from the national NZa data.
    locations_nza: int = 0
    median_days: float | None = None
    norm_target_days: int | None = None
    norm_max_days: int | None = None
    capacity_in_region: int = 0
    capacity_in_neighbours: int = 0

    @property
    def median_weeks(self) -> int | None:
        """The median in weeks, rounded up (DESIGN §3.1)."""
        return None if self.median_days is None else math.ceil(self.median_days / 7)

    @property
    def median_exceeds_norm(self) -> bool | None:
        if self.median_days is None or self.norm_max_days is None:
            return None
        return self.median_days > self.norm_max_days

    @property
    def median_norm_status(self) -> str | None:
        """``within_target``, ``within_maximum`` or ``above_maximum`` (as in the search)."""
        if self.median_days is None or self.norm_max_days is None:
            return None
        if self.median_days > self.norm_max_days:
            return "above_maximum"
        if self.norm_target_days is not None and self.median_days > self.norm_target_days:
            return "within_maximum"
        return "within_target"


@dataclass
class TreatmentRow(ReportFigures):
    treatment: Treatment | None = None


@dataclass
class RegionalReportRow(ReportFigures):
    specialism: Specialism | None = None
    kind: str = ""
    treatments: list[TreatmentRow] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(WaitingTimeKind(self.kind).label)


@dataclass(frozen=True)
class SeriesNotReported:
    """A series that missed the last cycle: its location, subject, kind and last peildatum."""

    location_code: str
    location_name: str
    specialism_code: str
    specialism_name: str
    treatment_code: str | None
    treatment_name: str | None
    kind: str
    last_reference_date: date | None

    @property
    def kind_label(self) -> str:
        return str(WaitingTimeKind(self.kind).label)


@dataclass(frozen=True)
class LocationNotReported:
    code: str
    name: str
    last_reference_date: date | None


@dataclass(frozen=True)
class ProviderNotReported:
    agb_code: str
    name: str
    kind: str
    last_reference_date: date | None
    locations: list[LocationNotReported]
    series: list[SeriesNotReported] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(ProviderKind(self.kind).label)

    @property
    def locations_without_series(self) -> list[LocationNotReported]:
        """Active locations that have no series at all (nothing ever reported)."""
        codes = {series.location_code for series in self.series}
        return [location for location in self.locations if location.code not in codes]

    @property
    def lines(self) -> int:
        """Lines of the provider in the page's table: its series and its silent locations."""
        return len(self.series) + len(self.locations_without_series)


@dataclass(frozen=True)
class SeriesOverrun:
    """A series persistently over the norm (an open :class:`PersistentOverrun` flag)."""

    provider_agb_code: str
    provider_name: str
    location_code: str
    location_name: str
    specialism_code: str
    specialism_name: str
    treatment_code: str | None
    treatment_name: str | None
    kind: str
    since: date
    cycles: int
    days: int
    max_days: int

    @property
    def kind_label(self) -> str:
        return str(WaitingTimeKind(self.kind).label)


@dataclass(frozen=True)
class TrendPoint:
    reference_date: date
    kind: str
    median_days: float | None
    percentage_above_norm: float | None
    figures: int


@dataclass(frozen=True)
class RegionalReport:
    region: Region
    neighbours: list[Region]
    today: date
    stale_before: date
    last_cycle: date
    capacity_from: date
    capacity_until: date
    rows: list[RegionalReportRow]
    providers_not_reported: list[ProviderNotReported]
    trend: list[TrendPoint]
    persistent_overruns: list[SeriesOverrun] = field(default_factory=list)

    @property
    def series_not_reported(self) -> int:
        """Series of the region's active locations that missed the last cycle (the sum of the
        rows' ``series_not_reported``, and the number of series listed per provider)."""
        return sum(len(provider.series) for provider in self.providers_not_reported)


@dataclass
class _Tally:
    reporting: set[int] = field(default_factory=set)
    exceeding: set[int] = field(default_factory=set)
    stale: set[int] = field(default_factory=set)
    nza: set[int] = field(default_factory=set)
    days: list[int] = field(default_factory=list)
    settings: set[str] = field(default_factory=set)
    not_reported: int = 0

    def add(
        self,
        location_id: int,
        *,
        current: bool,
        days: int | None,
        above: bool,
        reported: bool = True,
        origin: str = ReportOrigin.PROVIDER,
    ) -> None:
        if not reported:
            self.not_reported += 1
        if not current:
            self.stale.add(location_id)
            return
        self.reporting.add(location_id)
        if origin == ReportOrigin.NZA:
            self.nza.add(location_id)
        if days is not None:
            self.days.append(days)
        if above:
            self.exceeding.add(location_id)

    def figures(self, norms: dict[tuple[str, str], Norm], kind: str) -> dict[str, Any]:
        # A treatment row of mixed settings (day and inpatient) has no single norm.
        setting = next(iter(self.settings)) if len(self.settings) == 1 else None
        norm = norms.get(norm_key(kind=kind, treatment_setting=setting))
        if kind == WaitingTimeKind.TREATMENT and setting is None:
            norm = None
        return {
            "locations_reporting": len(self.reporting),
            "locations_exceeding": len(self.exceeding),
            "locations_stale": len(self.stale - self.reporting),
            "series_not_reported": self.not_reported,
            "locations_nza": len(self.nza),
            "median_days": float(statistics.median(self.days)) if self.days else None,
            "norm_target_days": norm.target_days if norm else None,
            "norm_max_days": norm.max_days if norm else None,
        }


def _norms() -> dict[tuple[str, str], Norm]:
    return {(norm.kind, norm.setting): norm for norm in Norm.objects.all()}


def _max_days(norms: dict[tuple[str, str], Norm], kind: str, setting: str | None) -> int | None:
    norm = norms.get(norm_key(kind=kind, treatment_setting=setting))
    return norm.max_days if norm else None


def _current_tallies(
    *, region: Region, today: date, last_cycle: date, norms: dict[tuple[str, str], Norm]
) -> tuple[dict[tuple[int, str], _Tally], dict[tuple[int, str, int], _Tally]]:
    """Tallies of the current figures per (specialism, kind) and per (specialism, kind, treatment).

    One row per series of the region's active locations (thousands at national scale); the rules
    of :mod:`providers.waiting_times.rules` are applied to them here rather than re-expressed in
    SQL."""
    by_row: dict[tuple[int, str], _Tally] = defaultdict(_Tally)
    by_treatment: dict[tuple[int, str, int], _Tally] = defaultdict(_Tally)
    # is_stale(reference_date) is "reference_date < stale_before(today)"; computed once here.
    cutoff = stale_before(today=today)
    max_days_of: dict[tuple[str, str | None], int | None] = {}
    series = WaitingTimeSeries.objects.filter(
        location__provider__region=region, location__is_active=True
    ).values_list(
        "location_id",
        "specialism_id",
        "kind",
        "treatment_id",
        "treatment__setting",
        "current_reference_date",
        "current_days",
        "current_origin",
    )
    for (
        location_id,
        specialism_id,
        kind,
        treatment_id,
        setting,
        reference_date,
        days,
        origin,
    ) in series:
        if (kind, setting) not in max_days_of:
            max_days_of[(kind, setting)] = _max_days(norms, kind, setting)
        reported = series_reported(reference_date=reference_date, last_cycle=last_cycle)
        if reference_date is None:
            # Never reported: only counted as not reported (no figure, not even a stale one).
            by_row[(specialism_id, kind)].not_reported += 1
            if treatment_id is not None:
                by_treatment[(specialism_id, kind, treatment_id)].not_reported += 1
                by_treatment[(specialism_id, kind, treatment_id)].settings.add(setting)
                by_row[(specialism_id, kind)].settings.add(setting)
            continue
        current = reference_date >= cutoff
        above = current and bool(exceeds_norm(days=days, max_days=max_days_of[(kind, setting)]))
        by_row[(specialism_id, kind)].add(
            location_id, current=current, days=days, above=above, reported=reported, origin=origin
        )
        if treatment_id is not None:
            tally = by_treatment[(specialism_id, kind, treatment_id)]
            tally.add(
                location_id,
                current=current,
                days=days,
                above=above,
                reported=reported,
                origin=origin,
            )
            tally.settings.add(setting)
            by_row[(specialism_id, kind)].settings.add(setting)
    return by_row, by_treatment


def _capacity(
    *, region: Region, neighbour_ids: list[int], since: date, until: date
) -> dict[tuple[int, str, int | None], tuple[int, int]]:
    """Remaining slots per (specialism, kind, treatment): (inside the region, in neighbours).
    A slot held by an offer whose time has passed is free, whether or not the expiry job has
    recorded it yet (:class:`CapacityHold`)."""
    offers = CapacityOffer.objects.filter(
        week_start__gte=since,
        week_start__lt=until,
        location__is_active=True,
        location__provider__region_id__in=[region.pk, *neighbour_ids],
    )
    group = ("specialism_id", "kind", "treatment_id", "location__provider__region_id")
    rows = list(
        offers.values(*group).annotate(free_slots=Sum(F("slots") - F("reserved_slots"))).order_by()
    )
    rows += list(
        CapacityHold.objects.filter(capacity_offer__in=offers, until__lte=timezone.now())
        .values(*(f"capacity_offer__{name}" for name in group))
        .annotate(free_slots=Count("pk"))
        .order_by()
    )
    capacity: dict[tuple[int, str, int | None], tuple[int, int]] = {}
    for row in rows:
        values = [row.get(name, row.get(f"capacity_offer__{name}")) for name in group]
        specialism_id, kind, treatment_id, region_id = values
        key = (specialism_id, kind, treatment_id)
        inside, around = capacity.get(key, (0, 0))
        if region_id == region.pk:
            inside += row["free_slots"]
        else:
            around += row["free_slots"]
        capacity[key] = (inside, around)
    return capacity


def _rows(
    *,
    region: Region,
    neighbour_ids: list[int],
    today: date,
    last_cycle: date,
    since: date,
    until: date,
) -> list[RegionalReportRow]:
    norms = _norms()
    by_row, by_treatment = _current_tallies(
        region=region, today=today, last_cycle=last_cycle, norms=norms
    )
    capacity = _capacity(region=region, neighbour_ids=neighbour_ids, since=since, until=until)

    row_keys = set(by_row)
    treatment_keys = set(by_treatment)
    for specialism_id, kind, treatment_id in capacity:
        row_keys.add((specialism_id, kind))
        if treatment_id is not None:
            treatment_keys.add((specialism_id, kind, treatment_id))
    specialisms = Specialism.objects.in_bulk({key[0] for key in row_keys})
    treatments = Treatment.objects.in_bulk({key[2] for key in treatment_keys})

    rows: dict[tuple[int, str], RegionalReportRow] = {}
    for specialism_id, kind in row_keys:
        tally = by_row.get((specialism_id, kind), _Tally())
        if kind == WaitingTimeKind.TREATMENT:
            tally.settings |= {
                treatments[key[2]].setting
                for key in treatment_keys
                if key[:2] == (specialism_id, kind)
            }
        rows[(specialism_id, kind)] = RegionalReportRow(
            specialism=specialisms[specialism_id], kind=kind, **tally.figures(norms, kind)
        )
    for (specialism_id, kind, _treatment_id), (inside, around) in capacity.items():
        row = rows[(specialism_id, kind)]
        row.capacity_in_region += inside
        row.capacity_in_neighbours += around
    for key in treatment_keys:
        treatment = treatments[key[2]]
        tally = by_treatment.get(key, _Tally())
        tally.settings.add(treatment.setting)
        inside, around = capacity.get(key, (0, 0))
        rows[key[:2]].treatments.append(
            TreatmentRow(
                treatment=treatment,
                capacity_in_region=inside,
                capacity_in_neighbours=around,
                **tally.figures(norms, key[1]),
            )
        )

    ordered = sorted(
        rows.values(),
        key=lambda row: (row.specialism.code if row.specialism else "", KIND_ORDER.index(row.kind)),
    )
    for row in ordered:
        row.treatments.sort(key=lambda t: t.treatment.name if t.treatment else "")
    return ordered


def not_reported_condition(*, last_cycle: date, prefix: str = "") -> Q:
    """A series (``prefix`` leading to it) that missed the last cycle: no figure on or after
    its peildatum (the series keeps its latest peildatum as ``current_reference_date``)."""
    return Q(**{f"{prefix}current_reference_date__lt": last_cycle}) | Q(
        **{f"{prefix}current_reference_date__isnull": True}
    )


def series_reported(*, reference_date: date | None, last_cycle: date) -> bool:
    """The rule of :func:`not_reported_condition`, for one series' current peildatum."""
    return reference_date is not None and reference_date >= last_cycle


def _providers_not_reported(*, region: Region, last_cycle: date) -> list[ProviderNotReported]:
    """Per provider of the region, the series of its active locations that missed the last cycle
    (:func:`not_reported_condition`), and its locations that have such a series or no series at
    all; a location's ``last_reference_date`` is the latest peildatum of those series."""
    series = (
        WaitingTimeSeries.objects.filter(location__provider__region=region)
        .filter(location__is_active=True)
        .filter(not_reported_condition(last_cycle=last_cycle))
        .values_list(
            "location__code",
            "specialism__code",
            "specialism__name",
            "treatment__code",
            "treatment__name",
            "kind",
            "current_reference_date",
        )
    )
    by_location: dict[str, list[SeriesNotReported]] = defaultdict(list)
    for code, spec_code, spec_name, treat_code, treat_name, kind, day in series:
        by_location[code].append(
            SeriesNotReported(
                location_code=code,
                location_name="",
                specialism_code=spec_code,
                specialism_name=spec_name,
                treatment_code=treat_code,
                treatment_name=treat_name,
                kind=kind,
                last_reference_date=day,
            )
        )
    locations = (
        Location.objects.filter(provider__region=region, is_active=True)
        .filter(Q(code__in=list(by_location)) | Q(series__isnull=True))
        .distinct()
        .values(
            "code",
            "name",
            "provider__agb_code",
            "provider__name",
            "provider__kind",
        )
        .order_by("provider__name", "provider__agb_code", "name", "code")
    )
    by_provider: dict[str, dict[str, Any]] = {}
    for location in locations:
        entry = by_provider.setdefault(
            location["provider__agb_code"],
            {
                "agb_code": location["provider__agb_code"],
                "name": location["provider__name"],
                "kind": location["provider__kind"],
                "locations": [],
                "series": [],
            },
        )
        listed = [
            SeriesNotReported(**{**vars(item), "location_name": location["name"]})
            for item in by_location.get(location["code"], [])
        ]
        listed.sort(
            key=lambda item: (
                item.specialism_code,
                KIND_ORDER.index(item.kind),
                item.treatment_name or "",
            )
        )
        dates = [item.last_reference_date for item in listed if item.last_reference_date]
        entry["locations"].append(
            LocationNotReported(
                code=location["code"],
                name=location["name"],
                last_reference_date=max(dates, default=None),
            )
        )
        entry["series"].extend(listed)
    result = []
    for entry in by_provider.values():
        dates = [loc.last_reference_date for loc in entry["locations"] if loc.last_reference_date]
        result.append(ProviderNotReported(last_reference_date=max(dates, default=None), **entry))
    return result


def _persistent_overruns(*, region: Region) -> list[SeriesOverrun]:
    """The series of the region's active locations with an open persistent-overrun flag, per
    provider and location."""
    rows = (
        PersistentOverrun.objects.filter(
            cleared_at__isnull=True,
            series__location__provider__region=region,
            series__location__is_active=True,
        )
        .order_by(
            "series__location__provider__name",
            "series__location__name",
            "series__specialism__code",
            "series__kind",
            "series__treatment__name",
        )
        .values_list(
            "series__location__provider__agb_code",
            "series__location__provider__name",
            "series__location__code",
            "series__location__name",
            "series__specialism__code",
            "series__specialism__name",
            "series__treatment__code",
            "series__treatment__name",
            "series__kind",
            "since",
            "cycles",
            "days",
            "max_days",
        )
    )
    return [SeriesOverrun(*row) for row in rows]


def _median_of_histogram(histogram: dict[int, int]) -> float | None:
    """The median of the values counted in ``histogram`` (value → count): the middle value, or
    the mean of the middle two (as ``statistics.median`` on the expanded list)."""
    total = sum(histogram.values())
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while len(found) < 2 and seen > middle[len(found)]:
            found.append(value)
    return (found[0] + found[1]) / 2


def _trend(*, region: Region, today: date, last_cycle: date) -> list[TrendPoint]:
    """Median and share above norm per cycle and kind, from the reports' history.

    Reads the region's :class:`RegionTrendCount` rows (reports per peildatum, kind, setting and
    number of days; kept by the reporting service) for the window: a few thousand rows however
    many reports. The median and the share above norm are taken from those counts here, exactly,
    after the peildatums are put into cycles."""
    norms = _norms()
    cycles = nza_reference_dates(last=last_cycle, count=TREND_CYCLES)
    counts = RegionTrendCount.objects.filter(
        region=region, reference_date__gte=cycles[0], reference_date__lte=today
    ).values_list("kind", "setting", "reference_date", "days", "reports")
    # One histogram (days → reports) per kind and cycle, and the reports above norm.
    histograms: dict[tuple[str, date], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    above: dict[tuple[str, date], int] = defaultdict(int)
    cycle_of: dict[date, date] = {}
    limits: dict[tuple[str, str], int | None] = {}
    for kind, setting, reference_date, days, reports in counts:
        cycle = cycle_of.get(reference_date)
        if cycle is None:
            cycle = cycle_of[reference_date] = nza_reference_date_on_or_before(reference_date)
        if (kind, setting) not in limits:
            limits[(kind, setting)] = _max_days(norms, kind, setting or None)
        histograms[(kind, cycle)][days] += reports
        if exceeds_norm(days=days, max_days=limits[(kind, setting)]):
            above[(kind, cycle)] += reports
    points = []
    for kind in KIND_ORDER:
        for cycle in cycles:
            histogram = histograms.get((kind, cycle), {})
            figures = sum(histogram.values())
            points.append(
                TrendPoint(
                    reference_date=cycle,
                    kind=kind,
                    median_days=_median_of_histogram(histogram),
                    percentage_above_norm=(
                        round(100 * above[(kind, cycle)] / figures, 1) if figures else None
                    ),
                    figures=figures,
                )
            )
    return points


def regional_report(
    *, region: Region, today: date | None = None, weeks_ahead: int = 8
) -> RegionalReport:
    """The regional report of ``region`` as of ``today`` (see the module docstring)."""
    today = today or timezone.localdate()
    neighbours = list(region.neighbours.order_by("name"))
    neighbour_ids = [neighbour.pk for neighbour in neighbours]
    monday = today - timedelta(days=today.weekday())
    until = monday + timedelta(weeks=weeks_ahead)
    last_cycle = nza_reference_date_on_or_before(today)
    return RegionalReport(
        region=region,
        neighbours=neighbours,
        today=today,
        stale_before=stale_before(today=today),
        last_cycle=last_cycle,
        capacity_from=monday,
        capacity_until=until - timedelta(days=1),
        rows=_rows(
            region=region,
            neighbour_ids=neighbour_ids,
            today=today,
            last_cycle=last_cycle,
            since=monday,
            until=until,
        ),
        providers_not_reported=_providers_not_reported(region=region, last_cycle=last_cycle),
        trend=_trend(region=region, today=today, last_cycle=last_cycle),
        persistent_overruns=_persistent_overruns(region=region),
    )


# One colour, line style and point shape per kind, so the lines differ without colour too.
_KIND_STYLE: dict[str, tuple[str, list[int], str]] = {
    WaitingTimeKind.FIRST_VISIT: ("#0b5394", [], "circle"),
    WaitingTimeKind.DIAGNOSTICS: ("#b45f06", [6, 4], "rect"),
    WaitingTimeKind.TREATMENT: ("#38761d", [2, 3], "triangle"),
}


def regional_trend_chart(
    *, trend: list[TrendPoint], value: str, axis_title: str, y_max: int | None = None
) -> dict[str, Any]:
    """The regional trend of ``value`` (a :class:`TrendPoint` field) per kind, as a Chart.js line
    chart configuration (plain JSON, drawn by static/js/app.js); a missing cycle is a gap."""
    dates = sorted({point.reference_date for point in trend})
    datasets = []
    for kind in KIND_ORDER:
        by_date = {point.reference_date: point for point in trend if point.kind == kind}
        colour, dash, shape = _KIND_STYLE[kind]
        datasets.append(
            {
                "label": str(WaitingTimeKind(kind).label),
                "data": [getattr(by_date[day], value) if day in by_date else None for day in dates],
                "borderColor": colour,
                "backgroundColor": colour,
                "borderDash": dash,
                "pointStyle": shape,
                "spanGaps": True,
                "tension": 0.2,
            }
        )
    y_axis: dict[str, Any] = {"beginAtZero": True, "title": {"display": True, "text": axis_title}}
    if y_max is not None:
        y_axis["max"] = y_max
    return {
        "type": "line",
        "data": {
            "labels": [date_format(day, "SHORT_DATE_FORMAT") for day in dates],
            "datasets": datasets,
        },
        "options": {
            "responsive": True,
            "animation": False,
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {"legend": {"position": "bottom", "labels": {"usePointStyle": True}}},
            "scales": {
                "x": {"title": {"display": True, "text": _("Peildatum")}},
                "y": y_axis,
            },
        },
    }
