"""Time the national report and the persistent-overrun refresh (issue 14) at national scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_bench \\
        .venv/bin/python benchmarks/bench_national_report.py

First refreshes the persistent-overrun flags of every series once (what the daily beat job does;
timed, run twice: the second run finds nothing to change), then runs
``providers.reports.national.national_report`` warm (one untimed round first) ``--repeat`` times
and prints p50 / p95 / max, the JSON serialisation the API adds, the CSV rendering, and the
counts it found; then appends the figures to RESULTS.md. Load the data first with
``benchmarks/generate.py``. No budget is set by the issue; the regional report's 300 ms per
region is the yardstick (the national report covers every region at once).
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


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed rounds")
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="report date (default: the day after the latest peildatum in the data)",
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()

    setup_django()
    from django.db.models import Max

    from portal.reports.national_apis import NationalReportCsvRenderer, NationalReportSerializer
    from providers.models import PersistentOverrun, WaitingTimeReport, WaitingTimeSeries
    from providers.reports.national import national_report
    from providers.waiting_times.overrun import series_overrun_refresh

    latest = WaitingTimeSeries.objects.aggregate(latest=Max("current_reference_date"))["latest"]
    if latest is None:
        sys.exit("No waiting-time data: run benchmarks/generate.py first.")
    today = args.today or latest + timedelta(days=1)
    report_count = WaitingTimeReport.objects.count()
    series_count = WaitingTimeSeries.objects.count()
    load_before = os.getloadavg()
    print(f"{report_count:,} reports, {series_count:,} series, report date {today}")

    first_refresh, first = timed(series_overrun_refresh, today=today)
    second_refresh, second = timed(series_overrun_refresh, today=today)
    open_flags = PersistentOverrun.objects.filter(cleared_at__isnull=True).count()
    print(
        f"overrun refresh: {first_refresh:.0f} ms ({first.counts}), again {second_refresh:.0f} ms"
    )

    national_report(today=today)  # warm-up
    timings: list[float] = []
    serialisation: list[float] = []
    rendering: list[float] = []
    report = None
    for _round in range(args.repeat):
        elapsed, report = timed(national_report, today=today)
        timings.append(elapsed)
        serialised, data = timed(lambda r=report: NationalReportSerializer(r).data)
        serialisation.append(serialised)
        rendered, _csv = timed(NationalReportCsvRenderer().render, data)
        rendering.append(rendered)
    load_after = os.getloadavg()
    assert report is not None

    p50, p95, worst = statistics.median(timings), percentile(timings, 0.95), max(timings)
    lines = [
        f"- data: {report_count:,} waiting-time reports, {series_count:,} series; report date "
        f"{today} (last peildatum {report.last_cycle}); {args.repeat} warm rounds",
        f"- **series_overrun_refresh (all series): {first_refresh / 1000:.1f} s** "
        f"({first.counts}); run again: {second_refresh / 1000:.1f} s ({second.counts}); "
        f"{open_flags:,} open flags",
        f"- **national_report: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {worst:.0f} ms** "
        f"({len(report.cells):,} cells, {report.totals['series']:,} series of active locations, "
        f"{report.totals['series_not_reported']:,} not reported, "
        f"{report.totals['series_persistent_overrun']:,} persistently over the norm)",
        f"- on top for the API: JSON serialisation p50 {statistics.median(serialisation):.0f} ms, "
        f"CSV rendering p50 {statistics.median(rendering):.0f} ms",
        f"- load average (1 min) before/after: {load_before[0]:.2f} / {load_after[0]:.2f} "
        "(2 cores, shared with other helpers' work)",
    ]
    print("\n".join(lines))
    if not args.no_record:
        command = "DATABASE_URL=postgres://…/zb_bench .venv/bin/python benchmarks/" + " ".join(
            [os.path.basename(sys.argv[0]), *sys.argv[1:]]
        )
        append_result("National report and overrun refresh", command, lines)
        print("appended to benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
