"""National-scale benchmark data (DESIGN §7, issue 3), reproducible from a seed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_bench \\
        .venv/bin/python benchmarks/generate.py --seed 1

What it makes (the shape of the Dutch hospital landscape, with fictional names):

* 335 providers: 8 UMCs (3 locations each), 70 hospitals (455 locations: main sites and outpatient
  clinics nearby) and 257 ZBCs (332 locations, a few chains with sites across the country) —
  811 locations at real PC4 points of the postcode table, each provider in the ROAZ region of its
  main site;
* 71 extra treatments (code ``bench-…``, name "Benchmarkbehandeling …") next to the 46 shipped
  ones: 117 treatments over the 33 specialisms;
* a waiting-time series per location × specialism × kind (hospitals many specialisms, ZBCs a few)
  and per location × treatment, each with two years of biweekly figures on the NZa peildatums
  (Tuesdays of even ISO weeks): about 3 million reports. Waits scatter around the national medians
  (first visit 28, diagnostics 15, treatment 40 days) with regional, specialism and provider-kind
  differences, a slowly shrinking catch-up backlog, seasonal noise, some insufficient
  observations, series that stopped (stale) and providers that missed the last cycle;
* capacity offers for the coming 8 weeks.

The big tables are loaded with PostgreSQL ``COPY``; the series' current figure is set with one
``UPDATE … FROM (SELECT DISTINCT ON …)``. Benchmark rows are recognisable (providers' AGB codes
start with 97 and their names with "Bench ", locations' codes with 98, treatments' codes with
``bench-``); running the script again replaces them. It refuses to touch a database holding other
providers unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import random
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from django_setup import setup_django
from results import append_result

PROVIDER_PREFIX = "97"
LOCATION_PREFIX = "98"
TREATMENT_PREFIX = "bench-"
NAME_PREFIX = "Bench "

UMC_PLACES = [
    "Groningen",
    "Amsterdam",
    "Amsterdam",
    "Leiden",
    "Rotterdam",
    "Utrecht",
    "Nijmegen",
    "Maastricht",
]
UMC_LOCATIONS = 3
HOSPITAL_COUNT = 70
HOSPITAL_LOCATIONS = 455
ZBC_COUNT = 257
ZBC_LOCATIONS = 332
ZBC_CHAINS = 20
EXTRA_TREATMENTS = 71
CYCLES = 52  # two years of biweekly peildatums
CAPACITY_WEEKS = 8

# ZBC focus: a name and the specialisms it offers.
ZBC_FOCI = [
    ("Oogkliniek", ["0301"]),
    ("Orthopedische Kliniek", ["0305"]),
    ("Huidkliniek", ["0310"]),
    ("Kliniek voor Plastische Chirurgie", ["0304"]),
    ("KNO-kliniek", ["0302"]),
    ("Spataderkliniek", ["0303", "0310"]),
    ("Heup- en Kniekliniek", ["0305", "0389"]),
    ("Handkliniek", ["0304", "0305"]),
    ("Urologisch Centrum", ["0306"]),
    ("MDL-kliniek", ["0318", "0313"]),
    ("Hartkliniek", ["0320", "0328"]),
    ("Gynaecologisch Centrum", ["0307"]),
    ("Kliniek Mondziekten en Kaakchirurgie", ["1100"]),
    ("Pijn- en Rugkliniek", ["0389", "0330", "0305"]),
    ("Slaapcentrum", ["0322", "0330"]),
    ("Multidisciplinaire Kliniek", ["0301", "0302", "0303", "0304", "0305", "0310", "0306"]),
]
# How often a hospital offers a specialism (rare ones only in the larger hospitals).
RARE_SPECIALISMS = {"0308", "0328", "0361", "0363", "0390", "0326", "0327", "0329", "0300"}
# Where the extra treatments go (surgical specialisms have most).
TREATMENT_WEIGHTS = {
    "0301": 4,
    "0302": 4,
    "0303": 8,
    "0304": 4,
    "0305": 8,
    "0306": 5,
    "0307": 5,
    "0308": 3,
    "0310": 3,
    "0313": 3,
    "0316": 2,
    "0318": 4,
    "0320": 4,
    "0322": 2,
    "0324": 1,
    "0328": 2,
    "0330": 2,
    "0361": 2,
    "0362": 2,
    "1100": 2,
}
NATIONAL_MEDIAN_DAYS = {"first_visit": 28, "diagnostics": 15, "treatment": 40}
KIND_FACTOR = {"umc": 1.15, "hospital": 1.0, "zbc": 0.6}
MAX_DAYS = 3 * 365
_LETTERS = "ABCDEFGHJKLMNPRTVWXZ"


@dataclass
class LocationSpec:
    id: int
    code: str
    name: str
    role: str  # "main", "outpatient" (a hospital's other sites) or "zbc"
    pc4: str
    postcode: str
    city: str
    latitude: str
    longitude: str
    area: object = None  # the PostcodeArea it stands in


@dataclass
class ProviderSpec:
    id: int
    agb_code: str
    name: str
    kind: str
    region_code: str
    specialisms: list[str] = field(default_factory=list)
    locations: list[LocationSpec] = field(default_factory=list)


@dataclass
class SeriesSpec:
    id: int
    location: LocationSpec
    provider: ProviderSpec
    specialism: str
    kind: str
    treatment: str | None


def log(message: str) -> None:
    print(message, flush=True)


class Timer:
    def __init__(self) -> None:
        self.timings: list[tuple[str, float]] = []

    def step(self, label: str):
        timer = self

        class _Step:
            def __enter__(self):
                self.start = time.perf_counter()
                log(f"… {label}")

            def __exit__(self, *exc):
                elapsed = time.perf_counter() - self.start
                timer.timings.append((label, elapsed))
                log(f"  {label}: {elapsed:.1f} s")

        return _Step()


# --- Providers and locations ---------------------------------------------------------------------
def _places_by_size(areas) -> list[tuple[str, list]]:
    by_place: dict[str, list] = defaultdict(list)
    for area in areas:
        by_place[area.place].append(area)
    return sorted(by_place.items(), key=lambda item: (-len(item[1]), item[0]))


def _near(rng: random.Random, areas, centre, *, max_km: float, avoid: set[str]):
    from providers.geography.points import distance_km

    lat0, lon0 = float(centre.latitude), float(centre.longitude)
    candidates = [
        area
        for area in areas
        if area.place not in avoid
        and abs(float(area.latitude) - lat0) < max_km / 110
        and abs(float(area.longitude) - lon0) < max_km / 60
        and distance_km(lat0, lon0, float(area.latitude), float(area.longitude)) <= max_km
    ]
    return rng.choice(candidates) if candidates else None


def _spread(rng: random.Random, total: int, buckets: int) -> list[int]:
    counts = [0] * buckets
    for _ in range(total):
        counts[rng.randrange(buckets)] += 1
    return counts


def build_providers(rng: random.Random, areas, specialism_codes: list[str]) -> list[ProviderSpec]:
    from providers.geography.regions import region_code_for

    places = _places_by_size(areas)
    place_areas = dict(places)
    providers: list[ProviderSpec] = []
    location_serial = 0

    def location(provider: ProviderSpec, area, role: str, label: str) -> None:
        nonlocal location_serial
        location_serial += 1
        lat = min(53.55, max(50.75, float(area.latitude) + rng.uniform(-0.003, 0.003)))
        lon = min(7.25, max(3.35, float(area.longitude) + rng.uniform(-0.003, 0.003)))
        provider.locations.append(
            LocationSpec(
                id=0,
                code=f"{LOCATION_PREFIX}{location_serial:06d}",
                name=f"{provider.name} — {label}",
                role=role,
                pc4=area.pc4,
                postcode=area.pc4 + rng.choice(_LETTERS) + rng.choice(_LETTERS),
                city=area.place,
                latitude=f"{lat:.6f}",
                longitude=f"{lon:.6f}",
                area=area,
            )
        )

    def provider(kind: str, name: str, main) -> ProviderSpec:
        spec = ProviderSpec(
            id=0,
            agb_code=f"{PROVIDER_PREFIX}{len(providers) + 1:06d}",
            name=NAME_PREFIX + name,
            kind=kind,
            region_code=region_code_for(
                province=main.province,
                latitude=float(main.latitude),
                longitude=float(main.longitude),
            ),
        )
        providers.append(spec)
        location(spec, main, "main", main.place)
        return spec

    # UMCs: all specialisms, three sites in and around their city.
    for number, place in enumerate(UMC_PLACES, start=1):
        spec = provider("umc", f"UMC {place} {number}", rng.choice(place_areas[place]))
        spec.specialisms = list(specialism_codes)
        for _ in range(UMC_LOCATIONS - 1):
            area = _near(rng, areas, spec.locations[0].area, max_km=25, avoid={place})
            if area is None:
                area = rng.choice(place_areas[place])
            location(spec, area, "outpatient", f"buitenpolikliniek {area.place}")

    # Hospitals: the largest places first (the largest get two), outpatient clinics nearby.
    hospital_places: list[str] = []
    for place, place_list in places:
        if len(hospital_places) >= HOSPITAL_COUNT:
            break
        hospital_places.append(place)
        if len(place_list) >= 25 and len(hospital_places) < HOSPITAL_COUNT:
            hospital_places.append(place)
    extra_sites = _spread(rng, HOSPITAL_LOCATIONS - HOSPITAL_COUNT, HOSPITAL_COUNT)
    seen: dict[str, int] = defaultdict(int)
    for place, extra in zip(hospital_places, extra_sites, strict=True):
        seen[place] += 1
        suffix = "" if seen[place] == 1 else f" {seen[place]}"
        spec = provider("hospital", f"Ziekenhuis {place}{suffix}", rng.choice(place_areas[place]))
        spec.specialisms = [
            code
            for code in specialism_codes
            if rng.random() < (0.35 + 0.1 * extra if code in RARE_SPECIALISMS else 0.92)
        ]
        used = {place}
        for _ in range(extra):
            area = _near(rng, areas, spec.locations[0].area, max_km=30, avoid=used)
            if area is None:
                area = rng.choice(place_areas[place])
            used.add(area.place)
            location(spec, area, "outpatient", f"buitenpolikliniek {area.place}")

    # ZBCs: in the 150 largest places; a few chains with sites anywhere in the country.
    zbc_places = [place for place, _list in places[:150]]
    weights = [len(place_areas[place]) for place in zbc_places]
    chains = rng.sample(range(ZBC_COUNT), ZBC_CHAINS)
    chain_sites = _spread(rng, ZBC_LOCATIONS - ZBC_COUNT, ZBC_CHAINS)
    extra_by_zbc = dict(zip(chains, chain_sites, strict=True))
    for number in range(ZBC_COUNT):
        focus, focus_specialisms = ZBC_FOCI[number % len(ZBC_FOCI)]
        place = rng.choices(zbc_places, weights=weights)[0]
        spec = provider("zbc", f"{focus} {place} {number + 1}", rng.choice(place_areas[place]))
        spec.specialisms = list(focus_specialisms)
        for _ in range(extra_by_zbc.get(number, 0)):
            other = rng.choices(zbc_places, weights=weights)[0]
            location(spec, rng.choice(place_areas[other]), "zbc", f"vestiging {other}")
    for spec in providers:
        if spec.kind == "zbc":
            for loc in spec.locations:
                loc.role = "zbc"
    return providers


# --- Series ---------------------------------------------------------------------------------------
def build_series(
    rng: random.Random,
    providers: list[ProviderSpec],
    treatments_by_specialism: dict[str, list[tuple[str, str]]],
) -> list[SeriesSpec]:
    """Which location reports which wait: main sites of hospitals and UMCs nearly everything they
    offer, outpatient clinics most first visits and day treatments, ZBCs their focus."""
    series: list[SeriesSpec] = []

    def add(loc, spec, specialism, kind, treatment=None):
        series.append(SeriesSpec(0, loc, spec, specialism, kind, treatment))

    for spec in providers:
        for loc in spec.locations:
            if loc.role == "main":
                p_specialism, p_diag, p_day, p_inpatient = 1.0, 0.9, 0.95, 0.95
            elif loc.role == "outpatient":
                p_specialism, p_diag, p_day, p_inpatient = 0.9, 0.8, 0.85, 0.25
            else:
                p_specialism, p_diag, p_day, p_inpatient = 1.0, 0.7, 0.95, 0.35
            for specialism in spec.specialisms:
                if rng.random() >= p_specialism:
                    continue
                add(loc, spec, specialism, "first_visit")
                if rng.random() < p_diag:
                    add(loc, spec, specialism, "diagnostics")
                for code, setting in treatments_by_specialism.get(specialism, []):
                    if rng.random() < (p_day if setting == "day" else p_inpatient):
                        add(loc, spec, specialism, "treatment", code)
    return series


# --- Figures --------------------------------------------------------------------------------------
def report_rows(
    rng: random.Random,
    series: list[SeriesSpec],
    cycles: list[date],
    region_factor: dict[str, float],
    specialism_factor: dict[str, float],
):
    """Yield (series_id, reference_date, days | None) cycle by cycle, as reports arrive."""
    provider_misses_last = {
        spec.agb_code for spec in {s.provider.agb_code: s.provider for s in series}.values()
    }
    provider_misses_last = {code for code in sorted(provider_misses_last) if rng.random() < 0.04}
    location_misses_last = {s.location.code for s in series if rng.random() < 0.0004}
    count = len(cycles)
    start = []
    stop = []
    level = []
    insufficient = []
    noise = []
    for s in series:
        roll = rng.random()
        start.append(rng.randrange(1, count - 6) if roll < 0.08 else 0)
        stop.append(count - rng.randrange(3, 11) if rng.random() < 0.02 else count)
        level.append(
            NATIONAL_MEDIAN_DAYS[s.kind]
            * KIND_FACTOR[s.provider.kind]
            * region_factor[s.provider.region_code]
            * specialism_factor[s.specialism]
            * math.exp(rng.gauss(0, 0.35))
        )
        insufficient.append(0.2 if rng.random() < 0.04 else 0.01)
        noise.append(rng.gauss(0, 0.1))
    for index, cycle in enumerate(cycles):
        # The catch-up backlog shrinks over the two years; waits peak a little after summer.
        backlog = 1.25 - 0.3 * index / (count - 1)
        season = 1 + 0.06 * math.sin(2 * math.pi * (cycle.timetuple().tm_yday - 120) / 365)
        last = index == count - 1
        for i, s in enumerate(series):
            noise[i] = 0.7 * noise[i] + rng.gauss(0, 0.08)
            if index < start[i] or index >= stop[i]:
                continue
            if last and (
                s.provider.agb_code in provider_misses_last
                or s.location.code in location_misses_last
            ):
                continue
            if rng.random() < 0.01:  # a missed cycle now and then
                continue
            if rng.random() < insufficient[i]:
                yield s.id, cycle, None
                continue
            days = round(level[i] * backlog * season * math.exp(noise[i]))
            yield s.id, cycle, max(0, min(MAX_DAYS, days))


# --- Database -------------------------------------------------------------------------------------
def _table(model) -> str:
    return model._meta.db_table


@contextmanager
def _without_secondary_indexes(cursor, table: str):
    """Drop the table's foreign keys, unique constraints and secondary indexes for a bulk load
    and create them again afterwards: building an index once is far cheaper than updating it for
    every row, and a foreign key is then checked in one pass instead of by a (deferred) trigger
    per row. Inside the caller's transaction, so a failure leaves the schema as it was."""
    # Pending deferred checks (of rows loaded before) would forbid ALTER TABLE: run them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
        "ORDER BY i.relname",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _copy(cursor, table: str, columns: list[str], rows, *, chunk: int = 50_000) -> int:
    """COPY rows (tuples of already formatted text, None for NULL) into table."""
    count = 0
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cursor.cursor.copy(sql) as copy:
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(r"\N" if value is None else str(value) for value in row))
            buffer.write("\n")
            count += 1
            if count % chunk == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
    return count


def check_database(*, force: bool) -> None:
    from providers.models import Provider

    others = Provider.objects.exclude(
        agb_code__startswith=PROVIDER_PREFIX, name__startswith=NAME_PREFIX
    )
    if others.exists() and not force:
        sys.exit(
            f"The database holds {others.count()} providers that are not benchmark data. "
            "Use an empty database (createdb zb_bench) or pass --force to add benchmark data "
            "next to them."
        )


def remove_previous(*, only_benchmark: bool) -> None:
    from django.db import connection

    from providers.models import (
        CapacityOffer,
        Location,
        Provider,
        Treatment,
        WaitingTimeReport,
        WaitingTimeRevision,
        WaitingTimeSeries,
    )

    locations = Location.objects.filter(
        code__startswith=LOCATION_PREFIX, provider__name__startswith=NAME_PREFIX
    )
    if (
        not locations.exists()
        and not Treatment.objects.filter(code__startswith=TREATMENT_PREFIX).exists()
    ):
        return
    with connection.cursor() as cursor:
        if only_benchmark:
            cursor.execute(f"TRUNCATE {_table(WaitingTimeRevision)}, {_table(WaitingTimeReport)}")
        else:
            WaitingTimeRevision.objects.filter(report__series__location__in=locations).delete()
            WaitingTimeReport.objects.filter(series__location__in=locations)._raw_delete("default")
    WaitingTimeSeries.objects.filter(location__in=locations)._raw_delete("default")
    CapacityOffer.objects.filter(location__in=locations).delete()
    provider_ids = list(locations.values_list("provider_id", flat=True).distinct())
    Location.history.filter(code__startswith=LOCATION_PREFIX).delete()
    locations.delete()
    Provider.history.filter(id__in=provider_ids).delete()
    Provider.objects.filter(id__in=provider_ids).delete()
    Treatment.objects.filter(code__startswith=TREATMENT_PREFIX).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="default: today")
    parser.add_argument("--force", action="store_true", help="also when other providers exist")
    parser.add_argument("--dry-run", action="store_true", help="count, write nothing")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()

    setup_django(require_postgresql=not args.dry_run)
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from providers.models import (
        CapacityOffer,
        Location,
        PostcodeArea,
        Provider,
        Region,
        RegionTrendCount,
        Specialism,
        Treatment,
        WaitingTimeReport,
        WaitingTimeSeries,
    )
    from providers.reports.trend_counts import region_trend_counts_rebuild
    from providers.waiting_times.rules import nza_reference_dates

    timer = Timer()
    started = time.perf_counter()
    rng = random.Random(args.seed)
    today = args.today or timezone.localdate()

    if not args.dry_run:
        with timer.step("migrate"):
            call_command("migrate", interactive=False, verbosity=0)
        check_database(force=args.force)
        with timer.step("remove previous benchmark data"), transaction.atomic():
            remove_previous(only_benchmark=not args.force)

    with timer.step("plan providers, locations, treatments and series"):
        areas = [area for area in PostcodeArea.objects.order_by("pc4") if area.province]
        specialism_codes = list(Specialism.objects.order_by("code").values_list("code", flat=True))
        providers = build_providers(rng, areas, specialism_codes)
        shipped = list(
            Treatment.objects.exclude(code__startswith=TREATMENT_PREFIX)
            .order_by("code")
            .values_list("code", "specialism__code", "setting")
        )
        weighted = [code for code, weight in TREATMENT_WEIGHTS.items() for _ in range(weight)]
        extra = []
        for number in range(1, EXTRA_TREATMENTS + 1):
            specialism = rng.choice(weighted)
            setting = "inpatient" if rng.random() < 0.35 else "day"
            extra.append((f"{TREATMENT_PREFIX}{number:03d}", specialism, setting))
        treatments_by_specialism: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for code, specialism, setting in shipped + extra:
            treatments_by_specialism[specialism].append((code, setting))
        series = build_series(rng, providers, treatments_by_specialism)
        cycles = nza_reference_dates(last=today, count=CYCLES)
        region_codes = list(Region.objects.order_by("code").values_list("code", flat=True))
        region_factor = {code: math.exp(rng.gauss(0, 0.15)) for code in region_codes}
        specialism_factor = {code: math.exp(rng.gauss(0, 0.3)) for code in specialism_codes}
    location_count = sum(len(spec.locations) for spec in providers)
    log(
        f"  {len(providers)} providers "
        f"({sum(p.kind == 'umc' for p in providers)} UMC, "
        f"{sum(p.kind == 'hospital' for p in providers)} hospitals, "
        f"{sum(p.kind == 'zbc' for p in providers)} ZBCs), {location_count} locations, "
        f"{len(shipped) + len(extra)} treatments ({len(extra)} benchmark), {len(series)} series, "
        f"peildatums {cycles[0]} … {cycles[-1]}"
    )
    if args.dry_run:
        rows = sum(1 for _ in report_rows(rng, series, cycles, region_factor, specialism_factor))
        log(f"  {rows} reports (dry run: nothing written)")
        return

    counts: dict[str, int] = {}
    with transaction.atomic():
        with timer.step("providers, locations, treatments"):
            regions = {region.code: region for region in Region.objects.all()}
            created = Provider.objects.bulk_create(
                [
                    Provider(
                        agb_code=spec.agb_code,
                        name=spec.name,
                        kind=spec.kind,
                        region=regions[spec.region_code],
                    )
                    for spec in providers
                ]
            )
            for spec, provider in zip(providers, created, strict=True):
                spec.id = provider.pk
            locations = [(spec, loc) for spec in providers for loc in spec.locations]
            created_locations = Location.objects.bulk_create(
                [
                    Location(
                        provider_id=spec.id,
                        code=loc.code,
                        name=loc.name,
                        street=f"Benchmarkweg {index % 200 + 1}",
                        postcode=loc.postcode,
                        city=loc.city,
                        latitude=loc.latitude,
                        longitude=loc.longitude,
                    )
                    for index, (spec, loc) in enumerate(locations)
                ],
                batch_size=1000,
            )
            for (_spec, loc), location in zip(locations, created_locations, strict=True):
                loc.id = location.pk
            specialisms = dict(Specialism.objects.values_list("code", "id"))
            Treatment.objects.bulk_create(
                [
                    Treatment(
                        code=code,
                        name=f"Benchmarkbehandeling {code[len(TREATMENT_PREFIX) :]}",
                        specialism_id=specialisms[specialism],
                        setting=setting,
                    )
                    for code, specialism, setting in extra
                ]
            )
            treatments = dict(Treatment.objects.values_list("code", "id"))
            counts["providers"] = len(providers)
            counts["locations"] = len(locations)
            counts["treatments"] = Treatment.objects.count()

        with connection.cursor() as cursor:
            with timer.step("series (COPY)"):
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {_table(WaitingTimeSeries)}")  # noqa: S608
                first_id = cursor.fetchone()[0] + 1
                for offset, s in enumerate(series):
                    s.id = first_id + offset
                counts["series"] = _copy(
                    cursor,
                    _table(WaitingTimeSeries),
                    [
                        "id",
                        "location_id",
                        "specialism_id",
                        "treatment_id",
                        "kind",
                        "current_insufficient_observations",
                    ],
                    (
                        (
                            s.id,
                            s.location.id,
                            specialisms[s.specialism],
                            treatments[s.treatment] if s.treatment else None,
                            s.kind,
                            "f",
                        )
                        for s in series
                    ),
                )
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    [_table(WaitingTimeSeries), first_id + len(series) - 1],
                )

            with (
                timer.step("waiting-time reports (COPY, then indexes and constraints)"),
                _without_secondary_indexes(cursor, _table(WaitingTimeReport)),
            ):
                counts["reports"] = _copy(
                    cursor,
                    _table(WaitingTimeReport),
                    [
                        "series_id",
                        "reference_date",
                        "days",
                        "insufficient_observations",
                        "source",
                        "reported_at",
                        "reported_by",
                    ],
                    (
                        (
                            series_id,
                            reference_date.isoformat(),
                            days,
                            "t" if days is None else "f",
                            "api",
                            f"{reference_date + timedelta(days=2)} 09:00:00+00",
                            "benchmark",
                        )
                        for series_id, reference_date, days in report_rows(
                            rng, series, cycles, region_factor, specialism_factor
                        )
                    ),
                )

            with timer.step("current figure of every series (UPDATE … FROM DISTINCT ON)"):
                series_table, report_table = _table(WaitingTimeSeries), _table(WaitingTimeReport)
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute(
                    f"""
                    UPDATE {series_table} AS s
                       SET current_reference_date = latest.reference_date,
                           current_days = latest.days,
                           current_insufficient_observations = latest.insufficient_observations
                      FROM (SELECT DISTINCT ON (series_id)
                                   series_id, reference_date, days, insufficient_observations
                              FROM {report_table}
                             WHERE series_id >= %s
                             ORDER BY series_id, reference_date DESC) AS latest
                     WHERE s.id = latest.series_id
                    """,  # noqa: S608
                    [first_id],
                )
                counts["series updated"] = cursor.rowcount

            with timer.step("capacity offers (COPY)"):
                monday = today - timedelta(days=today.weekday())
                now = timezone.now().isoformat()

                def offers():
                    for s in series:
                        if s.kind == "diagnostics":
                            continue
                        if rng.random() >= (0.4 if s.provider.kind == "zbc" else 0.12):
                            continue
                        for week in range(CAPACITY_WEEKS):
                            if rng.random() >= 0.7:
                                continue
                            slots = rng.randint(1, 12)
                            classes = rng.choice(
                                ["[3, 4, 5]", "[3, 4, 5]", "[1, 2, 3, 4, 5]", "[4, 5]"]
                            )
                            yield (
                                s.location.id,
                                specialisms[s.specialism],
                                treatments[s.treatment] if s.treatment else None,
                                s.kind,
                                (monday + timedelta(weeks=week)).isoformat(),
                                slots,
                                rng.randint(0, slots // 3),
                                classes,
                                now,
                                "benchmark",
                            )

                counts["capacity offers"] = _copy(
                    cursor,
                    _table(CapacityOffer),
                    [
                        "location_id",
                        "specialism_id",
                        "treatment_id",
                        "kind",
                        "week_start",
                        "slots",
                        "reserved_slots",
                        "urgency_classes",
                        "created_at",
                        "created_by",
                    ],
                    offers(),
                )

    with timer.step("regional trend counts (rebuilt from the reports)"):
        region_trend_counts_rebuild()

    with timer.step("VACUUM ANALYZE"), connection.cursor() as cursor:
        for model in (
            WaitingTimeReport,
            WaitingTimeSeries,
            CapacityOffer,
            Location,
            Provider,
            Treatment,
            RegionTrendCount,
        ):
            cursor.execute(f"VACUUM ANALYZE {_table(model)}")

    total = time.perf_counter() - started
    log("\nRows:")
    for name, count in counts.items():
        log(f"  {name:>16}: {count:>9,}")
    log("Timings:")
    for label, seconds in timer.timings:
        log(f"  {seconds:7.1f} s  {label}")
    log(f"  {total:7.1f} s  total")
    if not args.no_record:
        command = "DATABASE_URL=postgres://…/zb_bench .venv/bin/python benchmarks/" + " ".join(
            [os.path.basename(sys.argv[0]), *sys.argv[1:]]
        )
        append_result(
            "Benchmark data (generate.py)",
            command,
            [
                f"- rows: {', '.join(f'{count:,} {name}' for name, count in counts.items())}; "
                f"peildatums {cycles[0]} … {cycles[-1]}",
                f"- **load time {total:.0f} s**: "
                + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in timer.timings),
                f"- load average (1 min) at the end: {os.getloadavg()[0]:.2f}",
            ],
        )
        log("appended to benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
