"""Time the regional report (issue 3 budget: ≤ 300 ms on PostgreSQL at national scale).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_bench \\
        .venv/bin/python benchmarks/bench_regional_report.py

Runs ``providers.reports.selectors.regional_report`` for every ROAZ region, warm (one untimed
round first), ``--repeat`` times, and prints p50 / p95 / max over all runs, the p50 per region
and where the time goes in the slowest region; then appends the figures to RESULTS.md. Also
times the JSON serialisation the API adds. Load the data first with ``benchmarks/generate.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta

from django_setup import setup_django
from results import append_result

BUDGET_MS = 300


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def backend_cpu_seconds(connection) -> float:
    """CPU time (user + system) the PostgreSQL backend of this connection has used so far, read
    from /proc (the server runs on this machine)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed rounds over all regions")
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="report date (default: the day after the latest peildatum in the data)",
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()

    setup_django()
    from django.db import connection
    from django.db.models import Count, Max

    from portal.reports.apis import RegionalReportOutputSerializer
    from providers.models import Region, WaitingTimeReport, WaitingTimeSeries
    from providers.reports import selectors as reports
    from providers.waiting_times import rules

    latest = WaitingTimeSeries.objects.aggregate(latest=Max("current_reference_date"))["latest"]
    if latest is None:
        sys.exit("No waiting-time data: run benchmarks/generate.py first.")
    today = args.today or latest + timedelta(days=1)
    regions = list(Region.objects.annotate(series=Count("providers__locations__series")))
    report_count = WaitingTimeReport.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname",
            [WaitingTimeReport._meta.db_table],
        )
        indexes = [row[0].split(" USING ")[1] for row in cursor.fetchall()]
    load_before = os.getloadavg()
    print(f"{report_count:,} reports, {len(regions)} regions, report date {today}")
    print(f"indexes on the report table: {'; '.join(indexes)}")

    for region in regions:  # warm-up: plans, caches, buffers
        reports.regional_report(region=region, today=today)

    timings: dict[str, list[float]] = {region.code: [] for region in regions}
    serialisation: list[float] = []
    for _round in range(args.repeat):
        for region in regions:
            elapsed, report = timed(reports.regional_report, region=region, today=today)
            timings[region.code].append(elapsed)
            serialised, _data = timed(lambda r=report: RegionalReportOutputSerializer(r).data)
            serialisation.append(serialised)
    load_after = os.getloadavg()

    everything = [value for values in timings.values() for value in values]
    p50, p95, worst = statistics.median(everything), percentile(everything, 0.95), max(everything)
    slowest = max(regions, key=lambda region: statistics.median(timings[region.code]))

    # Where the time goes in the slowest region (the parts regional_report is made of).
    neighbour_ids = list(slowest.neighbours.values_list("id", flat=True))
    monday = today - timedelta(days=today.weekday())
    last_cycle = rules.nza_reference_date_on_or_before(today)
    parts = {
        "current figures and capacity": lambda: reports._rows(
            region=slowest,
            neighbour_ids=neighbour_ids,
            today=today,
            last_cycle=last_cycle,
            since=monday,
            until=monday + timedelta(weeks=8),
        ),
        "providers not reported": lambda: reports._providers_not_reported(
            region=slowest, last_cycle=last_cycle
        ),
        "trend (26 cycles)": lambda: reports._trend(
            region=slowest, today=today, last_cycle=last_cycle
        ),
    }
    breakdown = {
        label: statistics.median(timed(part)[0] for _ in range(args.repeat))
        for label, part in parts.items()
    }

    # CPU time per report, client and server, with a serial plan (parallel workers are separate
    # processes whose CPU time /proc would not show): what one report costs without waiting for
    # a CPU that other processes hold, i.e. about its wall-clock time on an idle machine.
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    cpu: dict[str, float] = {}
    for region in regions:
        reports.regional_report(region=region, today=today)
        client, server = time.process_time(), backend_cpu_seconds(connection)
        for _round in range(args.repeat):
            reports.regional_report(region=region, today=today)
        client, server = time.process_time() - client, backend_cpu_seconds(connection) - server
        cpu[region.code] = (client + server) * 1000 / args.repeat
    with connection.cursor() as cursor:
        cursor.execute("RESET max_parallel_workers_per_gather")

    verdict = "within" if p95 <= BUDGET_MS else "OVER"
    lines = [
        f"- data: {report_count:,} waiting-time reports; report date {today} "
        f"(last peildatum {last_cycle}); {args.repeat} warm rounds over {len(regions)} regions",
        f"- indexes on the report table: {'; '.join(f'`{index}`' for index in indexes)}",
        f"- **regional_report: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {worst:.0f} ms** "
        f"(budget {BUDGET_MS} ms: {verdict})",
        f"- CPU time per report (Python + PostgreSQL backend, serial plan), i.e. the time on an "
        f"idle core: mean {statistics.mean(cpu.values()):.0f} ms, slowest region "
        f"{max(cpu, key=cpu.__getitem__)} {max(cpu.values()):.0f} ms",
        f"- JSON serialisation on top (API): p50 {statistics.median(serialisation):.1f} ms",
        f"- load average (1 min) before/after: {load_before[0]:.2f} / {load_after[0]:.2f} "
        "(other processes share the machine)",
        "- p50 per region (series): "
        + ", ".join(
            f"{region.code} {statistics.median(timings[region.code]):.0f} ms ({region.series:,})"
            for region in sorted(regions, key=lambda r: r.series)
        ),
        f"- slowest region {slowest.code}, p50 of its parts: "
        + ", ".join(f"{label} {ms:.0f} ms" for label, ms in breakdown.items()),
    ]
    print("\n".join(lines))
    if not args.no_record:
        command = "DATABASE_URL=postgres://…/zb_bench .venv/bin/python benchmarks/" + " ".join(
            [os.path.basename(sys.argv[0]), *sys.argv[1:]]
        )
        append_result("Regional report", command, lines)
        print("appended to benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
