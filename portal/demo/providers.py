"""Demo providers and locations: fictional organisations placed at real postcodes.

Deterministic (a fixed seed) and idempotent: every provider and location has a stable code, so
running the seed again updates the same rows instead of adding new ones. Every name starts with
"Demo" and every provider is flagged ``is_demo``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from providers.geography.points import distance_km
from providers.geography.regions import region_code_for
from providers.models import (
    MAX_PLAUSIBLE_WAIT_DAYS,
    Location,
    Norm,
    PostcodeArea,
    Provider,
    ProviderKind,
    Region,
    ReportSource,
    Specialism,
    Treatment,
    WaitingTimeReport,
    WaitingTimeSeries,
)
from providers.reports.trend_counts import region_trend_counts_rebuild
from providers.waiting_times.overrun import OVERRUN_CYCLES, series_overrun_refresh
from providers.waiting_times.rules import nza_reference_dates

# The cities of the Dutch university medical centres (the demo UMCs stand there).
UMC_PLACES = ["Groningen", "Amsterdam", "Leiden", "Rotterdam", "Utrecht", "Nijmegen", "Maastricht"]
HOSPITAL_COUNT = 76
ZBC_COUNT = 38
ZBC_FOCUS = [
    "Oogkliniek",
    "Orthopedische Kliniek",
    "Dermatologisch Centrum",
    "Kliniek voor Plastische Chirurgie",
    "KNO-kliniek",
    "Spataderkliniek",
    "Heup- en Kniekliniek",
    "Handkliniek",
]
# Letter pairs PostNL never issues.
_UNUSED_LETTERS = {"SA", "SD", "SS"}
_LETTERS = "ABCDEFGHJKLMNPRTVWXZ"


@dataclass(frozen=True)
class DemoLocationSpec:
    code: str
    name: str
    area: PostcodeArea


@dataclass(frozen=True)
class DemoProviderSpec:
    agb_code: str
    name: str
    kind: str
    locations: tuple[DemoLocationSpec, ...]


def _places_by_size(areas: list[PostcodeArea]) -> list[tuple[str, list[PostcodeArea]]]:
    """Places ordered by their number of PC4 areas: a fair proxy for population."""
    by_place: dict[str, list[PostcodeArea]] = defaultdict(list)
    for area in areas:
        by_place[area.place].append(area)
    return sorted(by_place.items(), key=lambda item: (-len(item[1]), item[0]))


def _point(area: PostcodeArea) -> tuple[float, float]:
    point = getattr(area, "_point", None)
    if point is None:
        point = area._point = (float(area.latitude), float(area.longitude))  # type: ignore[attr-defined]
    return point


def _nearby(areas: list[PostcodeArea], centre: PostcodeArea, *, max_km: float, min_km: float = 3):
    lat0, lon0 = _point(centre)
    # A cheap bounding box first (1° latitude ≈ 111 km; 1° longitude ≥ 66 km in NL, so 60 is safe).
    box_lat, box_lon = max_km / 110, max_km / 60
    found = []
    for area in areas:
        lat, lon = _point(area)
        if abs(lat - lat0) > box_lat or abs(lon - lon0) > box_lon or area.place == centre.place:
            continue
        if min_km <= distance_km(lat0, lon0, lat, lon) <= max_km:
            found.append(area)
    return found


def demo_provider_specs(rng: random.Random, areas: list[PostcodeArea]) -> list[DemoProviderSpec]:
    """About 120 providers with about 300 locations, spread over the country like real ones:
    UMCs in the university cities, hospitals in the larger places (the largest with two), ZBCs
    mostly in and around cities."""
    places = _places_by_size(areas)
    place_index = dict(places)
    specs: list[DemoProviderSpec] = []
    location_counter = 0

    def location_code(kind: str) -> str:
        nonlocal location_counter
        location_counter += 1
        return f"{'2298' if kind == ProviderKind.ZBC else '0698'}{location_counter:04d}"

    def build(agb: str, name: str, kind: str, main: PostcodeArea, extra: int) -> DemoProviderSpec:
        locations = [DemoLocationSpec(location_code(kind), f"{name} — {main.place}", main)]
        candidates = _nearby(areas, main, max_km=30)
        rng.shuffle(candidates)
        used_places = {main.place}
        for area in candidates:
            if len(locations) > extra:
                break
            if area.place in used_places:
                continue
            used_places.add(area.place)
            label = "buitenpolikliniek" if kind != ProviderKind.ZBC else "vestiging"
            locations.append(
                DemoLocationSpec(location_code(kind), f"{name} — {label} {area.place}", area)
            )
        return DemoProviderSpec(agb, name, kind, tuple(locations))

    serial = 0
    for place in UMC_PLACES:
        serial += 1
        main = rng.choice(place_index[place])
        specs.append(build(f"0699{serial:04d}", f"Demo UMC {place}", ProviderKind.UMC, main, 1))

    # Hospitals: the largest places first (some get two), then a spread of smaller towns.
    hospital_places: list[str] = []
    for place, _areas in places:
        if len(hospital_places) >= HOSPITAL_COUNT:
            break
        if place in UMC_PLACES and len(_areas) < 25:
            continue
        hospital_places.append(place)
        if len(_areas) >= 30 and len(hospital_places) < HOSPITAL_COUNT:
            hospital_places.append(place)
    name_count: dict[str, int] = defaultdict(int)
    for place in hospital_places:
        serial += 1
        name_count[place] += 1
        suffix = (
            "" if name_count[place] == 1 else f" {['', '', 'Zuid', 'Noord'][name_count[place]]}"
        )
        main = rng.choice(place_index[place])
        specs.append(
            build(
                f"0699{serial:04d}",
                f"Demo Ziekenhuis {place}{suffix}",
                ProviderKind.HOSPITAL,
                main,
                rng.choice([1, 2, 2, 3, 3, 4]),
            )
        )

    zbc_places = [place for place, _areas in places[:90]]
    for number in range(1, ZBC_COUNT + 1):
        place = rng.choice(zbc_places)
        focus = ZBC_FOCUS[number % len(ZBC_FOCUS)]
        main = rng.choice(place_index[place])
        specs.append(
            build(
                f"2299{number:04d}",
                f"Demo {focus} {place}",
                ProviderKind.ZBC,
                main,
                rng.choice([0, 0, 1]),
            )
        )
    return specs


def _pc6(rng: random.Random, pc4: str) -> str:
    while True:
        letters = rng.choice(_LETTERS) + rng.choice(_LETTERS)
        if letters not in _UNUSED_LETTERS:
            return pc4 + letters


@transaction.atomic
def seed_demo_providers(*, rng: random.Random) -> list[Provider]:
    areas = list(PostcodeArea.objects.order_by("pc4"))
    if not areas:
        raise RuntimeError("The postcode table is empty; run the migrations first.")
    regions = {region.code: region for region in Region.objects.all()}
    providers = []
    for spec in demo_provider_specs(rng, areas):
        main = spec.locations[0].area
        region = regions[
            region_code_for(
                province=main.province,
                latitude=float(main.latitude),
                longitude=float(main.longitude),
            )
        ]
        provider, _created = Provider.objects.update_or_create(
            agb_code=spec.agb_code,
            defaults={"name": spec.name, "kind": spec.kind, "region": region, "is_demo": True},
        )
        for number, loc in enumerate(spec.locations, start=1):
            # A few hundred metres from the PC4 point, so sites in one place do not coincide.
            lat = loc.area.latitude + Decimal(rng.randint(-300, 300)) / Decimal(100000)
            lon = loc.area.longitude + Decimal(rng.randint(-300, 300)) / Decimal(100000)
            Location.objects.update_or_create(
                code=loc.code,
                defaults={
                    "provider": provider,
                    "name": loc.name,
                    "street": f"Demolaan {number * 10 + rng.randint(1, 9)}",
                    "postcode": _pc6(rng, loc.area.pc4),
                    "city": loc.area.place,
                    "latitude": lat.quantize(Decimal("0.000001")),
                    "longitude": lon.quantize(Decimal("0.000001")),
                    "is_active": True,
                },
            )
        providers.append(provider)
    return providers


# --- Waiting times ----------------------------------------------------------------------------
# National medians the demo figures scatter around (NZa: first visit ~4 weeks, treatment ~6,
# diagnostics ~2), and how much longer or shorter each specialism tends to be.
KIND_MEDIAN_DAYS = {"first_visit": 28, "diagnostics": 15, "treatment": 40}
SPECIALISM_FACTOR = {
    "0301": 1.25, "0302": 1.0, "0303": 0.9, "0304": 1.3, "0305": 1.45, "0306": 1.0,
    "0307": 0.85, "0308": 1.5, "0310": 1.35, "0313": 0.9, "0318": 1.1, "0320": 0.95,
    "0322": 0.8, "0324": 1.1, "0330": 1.2, "1100": 0.9,
}  # fmt: skip
HOSPITAL_SPECIALISMS = list(SPECIALISM_FACTOR)
ZBC_SPECIALISMS = {
    "Oogkliniek": ["0301"],
    "Orthopedische Kliniek": ["0305"],
    "Dermatologisch Centrum": ["0310"],
    "Kliniek voor Plastische Chirurgie": ["0304"],
    "KNO-kliniek": ["0302"],
    "Spataderkliniek": ["0303", "0310"],
    "Heup- en Kniekliniek": ["0305"],
    "Handkliniek": ["0304"],
}
PROVIDER_KIND_FACTOR = {ProviderKind.UMC: 1.3, ProviderKind.HOSPITAL: 1.0, ProviderKind.ZBC: 0.55}
INSUFFICIENT_SHARE = 0.03
STALE_SHARE = 0.04
# Series that missed only the last cycle (not stale yet, but *not reported*: issue 14).
MISSED_LAST_SHARE = 0.03
# Series forced above the norm's maximum in the last cycles, so that the demo shows persistent
# overruns (three cycles in a row): this many per kind, the first ones in a fixed order.
PERSISTENT_OVERRUNS_PER_KIND = 1
HISTORY_CYCLES = 26  # a year of biweekly figures


def _location_specialisms(provider: Provider, location_index: int) -> list[str]:
    if provider.kind == ProviderKind.ZBC:
        for focus, codes in ZBC_SPECIALISMS.items():
            if focus in provider.name:
                return codes
        return ["0303"]
    if location_index == 0:
        return HOSPITAL_SPECIALISMS
    return HOSPITAL_SPECIALISMS[:4]  # an outpatient clinic offers the common specialisms


@transaction.atomic
def seed_demo_waiting_times(*, rng: random.Random, today: date) -> int:
    """A year of biweekly figures for every demo location: regional, provider-kind and
    specialism differences, a drift over time, some above norm, some with insufficient
    observations and a few series that stopped reporting (stale). Idempotent: only missing reports
    are added (the same day gives the same figures), and reports from other sources are kept."""
    dates = nza_reference_dates(last=today, count=HISTORY_CYCLES)
    specialisms = {s.code: s for s in Specialism.objects.all()}
    treatments_by_specialism: dict[str, list[Treatment]] = defaultdict(list)
    for treatment in Treatment.objects.filter(is_active=True).select_related("specialism"):
        treatments_by_specialism[treatment.specialism.code].append(treatment)
    region_factor = {region.pk: rng.uniform(0.8, 1.3) for region in Region.objects.order_by("code")}
    # The demo providers with logins; those the demo's national NZa file created have the NZa's
    # figures only (portal.demo.nza).
    providers = (
        Provider.objects.filter(is_demo=True, organisation__isnull=False)
        .order_by("agb_code")
        .prefetch_related("locations")
    )

    wanted: list[tuple[Location, Specialism, Treatment | None, str, float]] = []
    for provider in providers:
        base = PROVIDER_KIND_FACTOR[ProviderKind(provider.kind)] * region_factor[provider.region_id]
        locations = sorted(provider.locations.all(), key=lambda loc: loc.code)
        for index, location in enumerate(locations):
            for code in _location_specialisms(provider, index):
                factor = base * SPECIALISM_FACTOR.get(code, 1.0)
                specialism = specialisms[code]
                wanted.append((location, specialism, None, "first_visit", factor))
                if index == 0 or provider.kind == ProviderKind.ZBC:
                    wanted.append((location, specialism, None, "diagnostics", factor))
                    for treatment in treatments_by_specialism[code]:
                        is_day = treatment.setting == "day"
                        if provider.kind == ProviderKind.ZBC and not is_day:
                            continue  # independent clinics do day treatments
                        if provider.kind != ProviderKind.ZBC and rng.random() < 0.35:
                            continue
                        wanted.append((location, specialism, treatment, "treatment", factor))

    existing = {
        (s.location_id, s.specialism_id, s.treatment_id, s.kind): s
        for s in WaitingTimeSeries.objects.filter(location__provider__is_demo=True)
    }
    WaitingTimeSeries.objects.bulk_create(
        [
            WaitingTimeSeries(location=loc, specialism=spec, treatment=treat, kind=kind)
            for loc, spec, treat, kind, _f in wanted
            if (loc.pk, spec.pk, treat.pk if treat else None, kind) not in existing
        ],
        batch_size=1000,
    )
    series = {
        (s.location_id, s.specialism_id, s.treatment_id, s.kind): s
        for s in WaitingTimeSeries.objects.filter(location__provider__is_demo=True)
    }
    reports: list[tuple[int, date, int | None, bool]] = []
    latest: dict[int, tuple[int, date, int | None, bool]] = {}
    max_days = {(norm.kind, norm.setting): norm.max_days for norm in Norm.objects.all()}
    over: dict[str, int] = defaultdict(int)
    for loc, spec, treat, kind, factor in wanted:
        one = series[(loc.pk, spec.pk, treat.pk if treat else None, kind)]
        maximum = max_days.get((kind, treat.setting if treat else ""))
        forced_over = maximum is not None and over[kind] < PERSISTENT_OVERRUNS_PER_KIND
        if forced_over:
            over[kind] += 1
        # ``level`` is where the series ends up today; the factors average above 1, hence 0.85.
        level = KIND_MEDIAN_DAYS[kind] * 0.85 * factor * rng.lognormvariate(0, 0.25)
        drift = rng.uniform(-0.015, 0.015)  # per cycle: some queues grow, some shrink
        stops = len(dates) - rng.randint(3, 5) if rng.random() < STALE_SHARE else len(dates)
        if stops == len(dates) and rng.random() < MISSED_LAST_SHARE:
            stops = len(dates) - 1
        if forced_over:
            stops = len(dates)
        for cycle, reference_date in enumerate(dates[:stops]):
            insufficient = kind == "treatment" and rng.random() < INSUFFICIENT_SHARE
            days = None
            if forced_over and cycle >= len(dates) - OVERRUN_CYCLES:
                insufficient = False
                days = round(maximum * rng.uniform(1.3, 1.6))  # type: ignore[operator]
            elif not insufficient:
                value = (
                    level * (1 + drift) ** (cycle - len(dates) + 1) * rng.lognormvariate(0, 0.08)
                )
                days = max(0, min(MAX_PLAUSIBLE_WAIT_DAYS, round(value)))
            reports.append((one.pk, reference_date, days, insufficient))
            latest[one.pk] = reports[-1]
    _insert_demo_reports(reports)

    # The current figure of every demo series is its latest report.
    _set_current_figures(
        [
            (reference_date, days, insufficient, pk)
            for pk, reference_date, days, insufficient in latest.values()
        ]
    )
    region_trend_counts_rebuild(
        region_ids=Provider.objects.filter(is_demo=True).values_list("region_id", flat=True)
    )
    # The persistent overruns of the demo series (the beat job tells the planners and insurers).
    series_overrun_refresh(series_ids=[one.pk for one in series.values()], today=today)
    return len(reports)


def _insert_demo_reports(rows: list[tuple[int, date, int | None, bool]]) -> None:
    """One parameterised INSERT for all rows: the ORM's per-object preparation would take most
    of a minute for a year of demo figures. Existing reports (any source) are left alone."""
    table = WaitingTimeReport._meta.db_table
    sql = (
        f"INSERT INTO {table} "  # noqa: S608 - the table name is ours, the values are parameters
        "(series_id, reference_date, days, insufficient_observations, source, reported_at,"
        " reported_by) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (series_id, reference_date) DO NOTHING"
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (pk, day, days, insufficient, ReportSource.DEMO, now, "seed_demo")
                for pk, day, days, insufficient in rows
            ],
        )


def _set_current_figures(rows: list[tuple[date, int | None, bool, int]]) -> None:
    """Set the current figure of each series (ORM ``bulk_update`` builds a CASE per row, which
    takes tens of seconds for thousands of series), unless the series has a newer one (from the
    demo's national NZa file)."""
    table = WaitingTimeSeries._meta.db_table
    sql = (
        f"UPDATE {table} SET current_reference_date = %s, current_days = %s,"  # noqa: S608
        " current_insufficient_observations = %s, current_origin = 'provider' WHERE id = %s"
        " AND (current_reference_date IS NULL OR current_reference_date <= %s)"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*row, row[0]) for row in rows])
