"""Peak memory and time of a large waiting-time CSV import (issue 12, item 9: at most 200 MB more
memory for a 50 MB file), through the service and through the API.

    createdb -h 127.0.0.1 -U postgres zb_import_memory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_import_memory \\
        .venv/bin/python benchmarks/bench_import_memory.py

Needs a scratch database of its own: the script runs ``migrate``, refuses a database that holds
other providers, and creates the provider "Bench memory" (AGB ``97999001``) with ``--locations``
locations (``98999001``…; default 20), a planner and, for each API run, a new API key. It writes a
CSV in our layout of about ``--megabytes`` MB (default 50) of valid rows for every series those
locations can have (each specialism × first visit and diagnostics, each treatment), on biweekly
peildatums going back from today's, so every row is a new report.

Each measurement runs in a process of its own, so that the peaks do not mix:

* **service** — ``providers.waiting_times.imports.waiting_time_reports_import`` on the file (open
  on disk, as Django keeps a large upload): reading, parsing, checking and storing, all or nothing;
* **api** — gunicorn (one sync worker, the embedded default: no Redis, Celery tasks run inline) on
  127.0.0.1; the file is POSTed to ``/api/v1/waiting-times/import/`` with the provider's API key.
  The worker's figures include Django's multipart parsing and, for a file above
  ``WAITING_TIME_IMPORT_SYNC_MAX_BYTES``, the import job: the file kept in the database in pieces,
  and the task, run inline, reading it back (the answer is 202 with the finished import's status).
* **api, queued** (with ``--api-redis-url redis://127.0.0.1:<port>/<db>``, a Redis of your own) —
  the same with a real broker that no worker consumes: the web worker's own share of a large file
  when Celery workers import it (multipart parsing, keeping the file in pieces, 202 ``pending``).

Peak = the process's high-water mark (``VmHWM``, reset through ``/proc/<pid>/clear_refs`` just
before) minus its resident size just before (``VmRSS``), after a warm-up import of a one-line file
with an error (which loads every module and stores nothing). Between runs the provider's series,
reports and the trend counts are deleted again. Figures are appended to RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django_setup import PROJECT_ROOT, setup_django
from results import append_result

BUDGET_MB = 200
PROVIDER_AGB = "97999001"
PROVIDER_NAME = "Bench memory"
LOCATION_BASE = 98999001
USERNAME = "bench-memory-planner"
HEADER = "location,specialism,treatment,kind,days,insufficient_observations,reference_date\n"


# --- Memory of a process (Linux /proc) -----------------------------------------------------------
def _status_kib(pid: int | str, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def peak_reset(pid: int | str = "self") -> int:
    """Reset the process's high-water mark; return its resident size (KiB)."""
    with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as clear_refs:
        clear_refs.write("5")
    return _status_kib(pid, "VmRSS")


def peak_kib(pid: int | str = "self") -> int:
    return _status_kib(pid, "VmHWM")


# --- Data ----------------------------------------------------------------------------------------
def prepare(*, locations: int) -> None:
    """Migrate, refuse a database of real data, create the provider, its locations and planner."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.models import Organisation, OrganisationKind, Role, User
    from accounts.services import member_create
    from providers.models import Location, Provider, Region

    others = Provider.objects.exclude(agb_code=PROVIDER_AGB)
    if others.exists():
        sys.exit(
            f"The database holds {others.count()} other providers: use a scratch database of its "
            "own (createdb zb_import_memory)."
        )
    provider, _created = Provider.objects.get_or_create(
        agb_code=PROVIDER_AGB,
        defaults={"name": PROVIDER_NAME, "kind": "hospital", "region": Region.objects.first()},
    )
    for number in range(locations):
        Location.objects.get_or_create(
            code=str(LOCATION_BASE + number),
            defaults={
                "provider": provider,
                "name": f"{PROVIDER_NAME} {number + 1}",
                "postcode": "3511AB",
                "city": "Utrecht",
                "latitude": "52.090000",
                "longitude": "5.120000",
            },
        )
    organisation, _created = Organisation.objects.get_or_create(
        kind=OrganisationKind.PROVIDER, provider=provider, defaults={"name": PROVIDER_NAME}
    )
    if not User.objects.filter(username=USERNAME).exists():
        member_create(organisation=organisation, username=USERNAME, role=Role.PLANNER)


def clean() -> None:
    """Remove what an import stored, and the imports with their files (scratch database: every
    trend count is ours)."""
    from django.db import connection, transaction

    from providers.models import RegionTrendCount, WaitingTimeImport, WaitingTimeSeries

    with transaction.atomic():
        WaitingTimeSeries.objects.filter(location__provider__agb_code=PROVIDER_AGB).delete()
        WaitingTimeImport.objects.filter(provider__agb_code=PROVIDER_AGB).delete()
        RegionTrendCount.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE providers_waitingtimereport")


def write_csv(path: Path, *, megabytes: float) -> tuple[int, int, int]:
    """A file of valid rows of about ``megabytes`` MB; (rows, series, peildatums)."""
    from django.utils import timezone

    from providers.models import Location, Specialism, Treatment
    from providers.waiting_times.rules import nza_reference_date_on_or_before

    codes = list(
        Location.objects.filter(provider__agb_code=PROVIDER_AGB)
        .order_by("code")
        .values_list("code", flat=True)
    )
    subjects = [
        (specialism, "", kind)
        for specialism in Specialism.objects.order_by("code").values_list("code", flat=True)
        for kind in ("first_visit", "diagnostics")
    ] + [
        ("", code, "treatment")
        for code in Treatment.objects.order_by("code").values_list("code", flat=True)
    ]
    day = nza_reference_date_on_or_before(timezone.localdate())
    target = megabytes * 1_000_000
    size = len(HEADER)
    rows = cycles = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        while size < target:
            reference = day.isoformat()
            lines = [
                f"{code},{specialism},{treatment},{kind},{5 + (index * 7 + cycles * 3) % 300},,"
                f"{reference}\n"
                for code in codes
                for index, (specialism, treatment, kind) in enumerate(subjects)
            ]
            chunk = "".join(lines)
            out.write(chunk)
            size += len(chunk)
            rows += len(lines)
            cycles += 1
            day -= timedelta(weeks=2)
    return rows, len(codes) * len(subjects), cycles


def warm_up_file(path: Path) -> None:
    path.write_text(HEADER + f"{LOCATION_BASE},0305,,first_visit,-1,,2020-01-07\n", "utf-8")


# --- Measurements --------------------------------------------------------------------------------
def child_service(file: Path, warm_up: Path) -> dict:
    """Run in a process of its own: the import through the service."""
    from accounts.actors import actor_for_user
    from accounts.models import User
    from providers.waiting_times.imports import waiting_time_reports_import
    from providers.waiting_times.validation import WaitingTimeReportErrors

    user = User.objects.select_related("membership__organisation").get(username=USERNAME)
    actor = actor_for_user(user)
    with contextlib.suppress(WaitingTimeReportErrors), warm_up.open("rb") as handle:
        waiting_time_reports_import(file=handle, actor=actor)
    before = peak_reset()
    start = time.perf_counter()
    with file.open("rb") as handle:
        result = waiting_time_reports_import(file=handle, actor=actor)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mib": (peak_kib() - before) / 1024,
        "rss_before_mib": before / 1024,
        "counts": result.counts,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _worker_pid(master: int) -> int:
    for _attempt in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def measure_api(file: Path, warm_up: Path, *, redis_url: str = "") -> dict:
    """gunicorn with one worker; the file POSTed with an API key; the worker's peak. With
    ``redis_url`` tasks go to that broker, which no worker consumes: the web worker's share."""
    import requests

    from accounts.models import Organisation
    from accounts.services import api_key_create

    organisation = Organisation.objects.get(provider__agb_code=PROVIDER_AGB)
    _key, raw_key = api_key_create(organisation=organisation, name=f"bench-memory-{time.time()}")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(DJANGO_SETTINGS_MODULE="config.settings.base", DJANGO_ALLOWED_HOSTS="127.0.0.1")
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn on loopback
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi:application",
            "--workers=1",
            f"--bind=127.0.0.1:{port}",
            "--timeout=1800",
            "--log-level=warning",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/api/v1/waiting-times/import/"
    headers = {"Authorization": f"Api-Key {raw_key}"}
    try:
        for _attempt in range(100):
            try:
                requests.get(f"http://127.0.0.1:{port}/health/", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        worker = _worker_pid(server.pid)
        with warm_up.open("rb") as handle:
            requests.post(
                url, files={"file": ("w.csv", handle, "text/csv")}, headers=headers, timeout=60
            )
        before = peak_reset(worker)
        start = time.perf_counter()
        with file.open("rb") as handle:
            response = requests.post(
                url, files={"file": ("big.csv", handle, "text/csv")}, headers=headers, timeout=1800
            )
        seconds = time.perf_counter() - start
        peak = peak_kib(worker)
        body = response.json()
        return {
            "seconds": seconds,
            "peak_mib": (peak - before) / 1024,
            "rss_before_mib": before / 1024,
            "status": response.status_code,
            "answer": {key: body[key] for key in ("imported", "status") if key in body},
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_child(mode: str, file: Path, warm_up: Path) -> dict:
    output = subprocess.run(  # noqa: S603 - this script itself
        [sys.executable, __file__, "--child", mode, "--file", str(file), "--warm-up", str(warm_up)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=50.0)
    parser.add_argument("--locations", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument(
        "--api-redis-url",
        default="",
        help="also POST with this Redis as the broker (a database of its own; nothing consumes "
        "the task): the web worker's share when real workers import",
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--child", choices=["service"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warm-up", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    setup_django()
    if args.child:
        print(json.dumps(child_service(args.file, args.warm_up)))
        return

    prepare(locations=args.locations)
    with tempfile.TemporaryDirectory() as folder:
        file, warm_up = Path(folder) / "big.csv", Path(folder) / "warm-up.csv"
        rows, series, cycles = write_csv(file, megabytes=args.megabytes)
        warm_up_file(warm_up)
        size_mb = file.stat().st_size / 1e6
        print(f"file: {size_mb:.1f} MB, {rows:,} rows, {series} series, {cycles} peildatums")
        runs: dict[str, list[dict]] = {"service": [], "api": [], "api_queued": []}
        for _round in range(args.repeat):
            clean()
            runs["service"].append(run_child("service", file, warm_up))
            print("service", runs["service"][-1])
            if not args.skip_api:
                clean()
                runs["api"].append(measure_api(file, warm_up))
                print("api", runs["api"][-1])
            if args.api_redis_url:
                clean()
                runs["api_queued"].append(measure_api(file, warm_up, redis_url=args.api_redis_url))
                print("api, queued", runs["api_queued"][-1])
        clean()

    def line(label: str, results: list[dict]) -> str:
        peak = max(result["peak_mib"] for result in results)
        seconds = sorted(result["seconds"] for result in results)[len(results) // 2]
        verdict = "within" if peak <= BUDGET_MB else "OVER"
        extra = results[-1].get("status")
        answer = f" (HTTP {extra}, {results[-1]['answer']})" if extra else ""
        return (
            f"- {label}: peak memory **+{peak:.0f} MiB** ({verdict} the {BUDGET_MB} MB budget), "
            f"time {seconds:.1f} s{answer}"
        )

    load = os.getloadavg()
    figures = [
        f"- file: {size_mb:.1f} MB in our layout, {rows:,} valid rows ({series} series × {cycles} "
        f"peildatums, all new reports); {args.repeat} run(s) of each, each in a fresh process",
        line(
            "service `waiting_time_reports_import` (read, parse, check, store, commit)",
            runs["service"],
        ),
    ]
    if runs["api"]:
        figures.append(
            line(
                "API `POST /api/v1/waiting-times/import/` (gunicorn worker, eager tasks)",
                runs["api"],
            )
        )
    if runs["api_queued"]:
        figures.append(
            line(
                "API with a broker (`REDIS_URL`; the task queued, run by no worker): the web "
                "worker's share",
                runs["api_queued"],
            )
        )
    figures.append(f"- load average after the runs: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    print("\n".join(figures))
    if not args.no_record:
        append_result(
            f"Waiting-time CSV import of a {size_mb:.0f} MB file: peak memory and time",
            "DATABASE_URL=postgres://…/zb_import_memory .venv/bin/python "
            "benchmarks/bench_import_memory.py",
            figures,
        )


if __name__ == "__main__":
    main()
