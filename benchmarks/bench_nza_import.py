"""Time the national NZa import (issue 14): one national file (one cycle, ~11,000 lines) and a
two-year history (~3 million lines), against a plain PostgreSQL ``COPY`` of the same lines.

    createdb -h 127.0.0.1 -U postgres zb_nza && \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_nza .venv/bin/python manage.py migrate && \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_nza \
        .venv/bin/python benchmarks/bench_nza_import.py

Run it on a freshly migrated database of its own (the import creates the providers, locations and
treatments it meets; the script refuses a database that already has providers). It writes two
files in the NZa open-data layout (``;``, ISO-8859-1; fictional providers) into ``--workdir``:

* **one cycle**: ``--cycle-lines`` lines (default 11,325, the size of the national file in the
  third-party notes: 335 providers, 811 locations, 117 treatments, 33 specialisms) on the latest
  peildatum;
* **history**: ``--cycles`` earlier peildatums (default 52: two years) × ``--history-series``
  series (default 57,700: the national scale of ``benchmarks/generate.py``, whose two years hold
  about 3 million reports), i.e. about 3 million lines. The series of the one-cycle file are among
  them; the other series are new.

Then, timed, through ``providers.nza.imports.nza_import_run_file`` (the path of the management
command: reading, mapping, creating providers/locations/treatments, checking, storing with COPY,
current figures, trend counts, commit):

1. the one-cycle file into the empty database (creates 335 providers, 811 locations, the
   treatments for review);
2. the same file again (idempotent: every line unchanged);
3. the history file;
4. a plain ``COPY`` of the history file as it is (all its columns as text) into a bare table,
   a plain ``COPY`` of the rows the import stored (report-shaped) into a bare table, and the same
   rows into a table like the report table (its indexes, checks and deferred foreign keys).

The ratios of (3) to the three COPYs and the lines per second are appended to RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from django_setup import setup_django
from results import append_result

HEADER = [
    "ID",
    "PEILDATUM",
    "TYPE_WACHTTIJD",
    "WACHTTIJD",
    "ONVOLDOENDE_WAARNEMINGEN",
    "SPECIALISME",
    "BEHANDELING",
    "AGB_CODE_ZORGAANBIEDER",
    "ZORGAANBIEDER",
    "TYPE_ZORGINSTELLING",
    "ROAZ_REGIO",
    "AGB_CODE_LOCATIE",
    "LOCATIE",
    "POSTCODE",
    "PLAATS",
]
KINDS = (("Polikliniekbezoek", 28), ("Diagnostiek", 15), ("Behandeling", 40))


def landscape(rng: random.Random, *, areas: list, regions: dict[str, str], specialisms: list):
    """335 providers (8 UMCs, 70 hospitals, 257 clinics) with 811 locations at real PC4 points,
    and 117 treatment names over the 33 specialisms."""
    from providers.geography.regions import region_code_for

    kinds = ["Ziekenhuis"] * 8 + ["Ziekenhuis"] * 70 + ["Kliniek"] * 257
    names = [f"Bench UMC {n}" for n in range(8)]
    names += [f"Bench Ziekenhuis {n}" for n in range(70)]
    names += [f"Bench Kliniek {n}" for n in range(257)]
    counts = [3] * 8 + [6] * 60 + [7] * 10 + [1] * 157 + [2] * 100
    assert sum(counts) == 811, sum(counts)
    locations = []
    code = 0
    for index, (name, kind, count) in enumerate(zip(names, kinds, counts, strict=True)):
        agb = f"960{index:05d}"
        main = rng.choice(areas)
        region = region_code_for(
            province=main.province, latitude=float(main.latitude), longitude=float(main.longitude)
        )
        for number in range(count):
            area = main if number == 0 else rng.choice(areas)
            code += 1
            locations.append(
                (
                    agb,
                    name,
                    kind,
                    regions[region],
                    f"950{code:05d}",
                    f"{name} locatie {number + 1}",
                    f"{area.pc4} AB",
                    area.place,
                )
            )
    treatments = [
        (f"Benchmarkbehandeling {n:03d}", specialisms[n % len(specialisms)]) for n in range(117)
    ]
    return locations, treatments


def series_keys(rng: random.Random, *, count: int, locations: list, specialisms: list, treatments):
    keys: list[tuple[int, str, str, str]] = []
    seen: set[tuple[int, str, str, str]] = set()
    while len(keys) < count:
        location = rng.randrange(len(locations))
        kind, _median = rng.choices(KINDS, weights=(45, 20, 35))[0]
        if kind == "Behandeling":
            treatment, specialism = rng.choice(treatments)
        else:
            treatment, specialism = "", rng.choice(specialisms)
        key = (location, kind, specialism, treatment)
        if key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


def write_file(
    path: Path, *, keys: list, dates: list[date], locations: list, rng: random.Random
) -> int:
    medians = dict(KINDS)
    lines = 0
    with path.open("w", encoding="iso-8859-1", newline="") as out:
        out.write(";".join(HEADER) + "\r\n")
        for day in dates:
            iso = day.isoformat()
            buffer = []
            for location, kind, specialism, treatment in keys:
                agb, name, kind_type, roaz, code, location_name, postcode, city = locations[
                    location
                ]
                lines += 1
                if rng.random() < 0.03:
                    days, flag = "", "Ja"
                else:
                    days, flag = str(int(medians[kind] * rng.lognormvariate(0, 0.4))), "Nee"
                buffer.append(
                    f"{lines};{iso};{kind};{days};{flag};{specialism};{treatment};{agb};{name};"
                    f"{kind_type};{roaz};{code};{location_name};{postcode};{city}\r\n"
                )
            out.write("".join(buffer))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycle-lines", type=int, default=11_325)
    parser.add_argument("--history-series", type=int, default=57_700)
    parser.add_argument("--cycles", type=int, default=52)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()

    setup_django()
    from django.db import connection
    from django.utils import timezone

    from accounts.actors import actor_for_system
    from providers.models import PostcodeArea, Provider, Region, Specialism, WaitingTimeReport
    from providers.nza.imports import nza_import_run_file
    from providers.waiting_times.rules import nza_reference_dates

    if Provider.objects.exists() and "--force" not in sys.argv:
        sys.exit("Run this on a freshly migrated database of its own (it has providers).")
    rng = random.Random(args.seed)
    areas = list(PostcodeArea.objects.exclude(province="").order_by("pc4"))
    regions = dict(Region.objects.values_list("code", "name"))
    specialisms = [
        f"{name} ({int(code)})" for code, name in Specialism.objects.values_list("code", "name")
    ]
    locations, treatments = landscape(rng, areas=areas, regions=regions, specialisms=specialisms)
    total = max(args.cycle_lines, args.history_series)
    keys = series_keys(
        rng, count=total, locations=locations, specialisms=specialisms, treatments=treatments
    )
    dates = nza_reference_dates(last=timezone.localdate(), count=args.cycles + 1)
    cycle_path = args.workdir / "bench_nza_cycle.csv"
    history_path = args.workdir / "bench_nza_history.csv"
    started = time.perf_counter()
    cycle_lines = write_file(
        cycle_path, keys=keys[: args.cycle_lines], dates=dates[-1:], locations=locations, rng=rng
    )
    history_lines = write_file(
        history_path,
        keys=keys[: args.history_series],
        dates=dates[:-1],
        locations=locations,
        rng=rng,
    )
    print(
        f"files written in {time.perf_counter() - started:.0f} s: {cycle_lines:,} lines "
        f"({cycle_path.stat().st_size / 2**20:.1f} MiB), {history_lines:,} lines "
        f"({history_path.stat().st_size / 2**20:.0f} MiB)",
        flush=True,
    )
    actor = actor_for_system("bench")

    def timed_import(path: Path) -> tuple[float, dict]:
        with path.open("rb") as file:
            start = time.perf_counter()
            job, result = nza_import_run_file(file=file, file_name=path.name, actor=actor)
            elapsed = time.perf_counter() - start
        assert result is not None, job.errors
        return elapsed, result.counts

    first, first_counts = timed_import(cycle_path)
    print(f"one cycle, first import: {first:.1f} s {first_counts['created']:,} created", flush=True)
    again, again_counts = timed_import(cycle_path)
    print(f"one cycle, again: {again:.1f} s, {again_counts['unchanged']:,} unchanged", flush=True)
    history, history_counts = timed_import(history_path)
    print(f"history: {history:.1f} s, {history_counts['created']:,} created", flush=True)

    report_table = WaitingTimeReport._meta.db_table
    columns = (
        "series_id, reference_date, days, insufficient_observations, source, origin, "
        "import_job_id, reported_at, reported_by"
    )
    with connection.cursor() as cursor:
        raw = cursor.cursor
        cursor.execute("DROP TABLE IF EXISTS bench_nza_raw, bench_nza_rows")
        cursor.execute(
            "CREATE TABLE bench_nza_raw ("
            + ", ".join(f"c{n} text" for n in range(len(HEADER)))
            + ")"
        )
        cursor.execute(
            f"CREATE TABLE bench_nza_rows AS SELECT {columns} "  # noqa: S608
            f"FROM {report_table} WITH NO DATA"
        )
        with history_path.open("rb") as file:
            start = time.perf_counter()
            with raw.copy(
                "COPY bench_nza_raw FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true, "
                "ENCODING 'LATIN1')"
            ) as copy:
                while data := file.read(1024 * 1024):
                    copy.write(data)
            copy_raw = time.perf_counter() - start
        # The rows the import stored, as PostgreSQL text, prepared beforehand.
        rows = io.BytesIO()
        with raw.copy(
            f"COPY (SELECT {columns} FROM {report_table} "  # noqa: S608
            "WHERE reference_date < %s) TO STDOUT",
            [dates[-1]],
        ) as copy:
            for data in copy:
                rows.write(data)
        rows.seek(0)
        start = time.perf_counter()
        with raw.copy(f"COPY bench_nza_rows ({columns}) FROM STDIN") as copy:
            while data := rows.read(1024 * 1024):
                copy.write(data)
        copy_rows = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM bench_nza_rows")
        copied = cursor.fetchone()[0]
        # The same rows into a table shaped like the report table: its indexes, checks and
        # (deferred) foreign keys, checked at the commit (autocommit: the COPY is the transaction).
        cursor.execute(f"CREATE TABLE bench_nza_shaped (LIKE {report_table} INCLUDING ALL)")
        for column in ("series_id", "import_job_id"):
            model = WaitingTimeReport._meta.get_field(column.removesuffix("_id")).related_model
            cursor.execute(
                f"ALTER TABLE bench_nza_shaped ADD FOREIGN KEY ({column}) REFERENCES "
                f"{model._meta.db_table} (id) DEFERRABLE INITIALLY DEFERRED"
            )
        rows.seek(0)
        start = time.perf_counter()
        with raw.copy(f"COPY bench_nza_shaped ({columns}) FROM STDIN") as copy:
            while data := rows.read(1024 * 1024):
                copy.write(data)
        copy_shaped = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_nza_raw, bench_nza_rows, bench_nza_shaped")
    print(f"plain COPY of the history file: {copy_raw:.1f} s", flush=True)
    print(f"plain COPY of the stored rows: {copy_rows:.1f} s ({copied:,} rows)", flush=True)
    print(f"COPY into a report-shaped table with its indexes and keys: {copy_shaped:.1f} s")
    load = os.getloadavg()[0]
    lines = [
        f"- files (fictional providers, NZa layout, `;`, ISO-8859-1): one cycle "
        f"{cycle_lines:,} lines; history {history_lines:,} lines = {args.cycles} cycles × "
        f"{args.history_series:,} series (`--cycle-lines {args.cycle_lines} --history-series "
        f"{args.history_series} --cycles {args.cycles}`), "
        f"{history_path.stat().st_size / 2**20:.0f} MiB",
        f"- one cycle into an empty database: **{first:.1f} s** "
        f"({cycle_lines / first:,.0f} lines/s; {first_counts['providers_created']} providers, "
        f"{first_counts['locations_created']} locations, "
        f"{len(first_counts['treatments_created'])} treatments created, "
        f"{first_counts['created']:,} figures)",
        f"- the same file again: **{again:.1f} s** ({again_counts['unchanged']:,} unchanged, "
        f"{again_counts['created']} created, {again_counts['updated']} updated)",
        f"- history: **{history:.1f} s** ({history_lines / history:,.0f} lines/s; "
        f"{history_counts['created']:,} figures created, {history_counts['skipped']} skipped)",
        f"- plain COPY of the history file as it is (15 text columns, no index): {copy_raw:.1f} s "
        f"→ import / COPY = **{history / copy_raw:.1f}×**",
        f"- plain COPY of the {copied:,} stored rows (report-shaped, bare table, no index): "
        f"{copy_rows:.1f} s → import / COPY = **{history / copy_rows:.1f}×**",
        f"- plain COPY of the same rows into a table like the report table (its indexes, checks "
        f"and foreign keys, committed): {copy_shaped:.1f} s → import / COPY = "
        f"**{history / copy_shaped:.1f}×**",
        f"- load average (1 min) at the end: {load:.2f} (2 cores, shared with other helpers' work)",
    ]
    print("\n".join(lines))
    if not args.no_record:
        append_result(
            "National NZa import (issue 14)",
            "DATABASE_URL=postgres://…/bench_<name> .venv/bin/python "
            "benchmarks/bench_nza_import.py " + " ".join(sys.argv[1:]),
            lines,
        )
    cycle_path.unlink()
    history_path.unlink()


if __name__ == "__main__":
    main()
