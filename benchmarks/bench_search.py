"""Current-waiting-time search at national scale: the service layer and the HTTP path.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_bench \
        .venv/bin/python benchmarks/bench_search.py

Budgets (issue 3): postcode + specialism + 50 km, p95 ≤ 50 ms in the service layer, and ≥ 150
requests/s through gunicorn on this 2-core machine with a load generator on loopback.

The search terms are drawn from a fixed seed: a PC4 near a random benchmark location (so every
search has results) and a specialism that location reports. The HTTP part starts gunicorn on
127.0.0.1 (``--workers``, default 2, one per core) and loads it with ``wrk`` (Debian's package;
a C load generator on loopback, 1 thread, 8 connections, ``--seconds`` long), which cycles
through the seeded searches (about 1,900 different ones in 2,000); without ``wrk`` on the PATH,
a bounded number of requests is sent from a thread pool in this process instead (heavier: it
shares the two cores with the server). Throttling is lifted for the run
(``THROTTLE_PUBLIC_RATE``), since the load comes from one address.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from django_setup import setup_django
from loopback import cache_description, http_get, run_wrk, start_gunicorn, stop_gunicorn
from results import append_result

PORT = 8799


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def search_terms(count: int, seed: int) -> list[tuple[str, str]]:
    from providers.models import PostcodeArea, WaitingTimeSeries

    rng = random.Random(seed)
    pairs = list(
        WaitingTimeSeries.objects.filter(kind="first_visit", current_days__isnull=False)
        .values_list("location__postcode", "specialism__code")
        .distinct()
    )
    known = set(PostcodeArea.objects.values_list("pc4", flat=True))
    terms = []
    while len(terms) < count:
        postcode, specialism = rng.choice(pairs)
        # A neighbouring PC4 when it exists: the patient lives near, not at, the hospital.
        pc4 = str(int(postcode[:4]) + rng.randint(-5, 5))
        terms.append((pc4 if pc4 in known else postcode[:4], specialism))
    return terms


def bench_service(terms: list[tuple[str, str]]) -> tuple[list[float], list[int]]:
    from providers.search.selectors import waiting_time_current_list

    def search(postcode: str, specialism: str) -> int:
        """What an API request asks of the service: the count and the first page of 50."""
        results = waiting_time_current_list(
            specialism_code=specialism, postcode=postcode, max_distance_km=50
        )
        count = results.count()
        page = results[:50]
        assert len(page) == min(50, count)
        return count

    for postcode, specialism in terms[:20]:  # warm caches and connections
        search(postcode, specialism)
    timings, sizes = [], []
    for postcode, specialism in terms:
        start = time.perf_counter()
        sizes.append(search(postcode, specialism))
        timings.append((time.perf_counter() - start) * 1000)
    return timings, sizes


def _get(path: str) -> tuple[int, float]:
    status, elapsed, _body = http_get(PORT, path)
    return status, elapsed


WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("ZB_PATHS")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("ZB p50=%.3f p95=%.3f requests=%d non2xx=%d errors=%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    summary.status or 0, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


def search_api_paths(terms: list[tuple[str, str]]) -> list[str]:
    return [
        "/api/v1/waiting-times/current/?"
        + urlencode({"postcode": pc, "specialism": sp, "max_distance_km": 50})
        for pc, sp in terms
    ]


def bench_http_wrk(
    terms: list[tuple[str, str]], *, workers: int, seconds: int, connections: int
) -> dict:
    """Requests/s with wrk (a C load generator) on loopback; latency from wrk's histogram."""
    paths = search_api_paths(terms)
    server = start_gunicorn(port=PORT, workers=workers)
    try:
        for path in paths[:20]:
            _get(path)
        with tempfile.TemporaryDirectory() as folder:
            listing = os.path.join(folder, "paths.txt")
            script = os.path.join(folder, "search.lua")
            with open(listing, "w") as out:
                out.write("\n".join(paths) + "\n")
            with open(script, "w") as out:
                out.write(WRK_SCRIPT)
            output = run_wrk(
                port=PORT,
                script=script,
                connections=connections,
                seconds=seconds,
                env={"ZB_PATHS": listing},
            )
    finally:
        stop_gunicorn(server)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    found = re.search(
        r"ZB p50=([\d.]+) p95=([\d.]+) requests=(\d+) non2xx=(\d+) errors=(\d+)",
        output,
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "tool": f"wrk, 1 thread, {connections} connections, {seconds} s",
        "requests": int(found.group(3)),
        "seconds": seconds,
        "rps": rps,
        "p50": float(found.group(1)),
        "p95": float(found.group(2)),
        "non_200": int(non_2xx.group(1)) if non_2xx else 0,
        "errors": int(found.group(5)),
    }


def bench_http(terms: list[tuple[str, str]], *, threads: int, workers: int) -> dict:
    """The fallback without wrk: a thread pool in this process."""
    paths = search_api_paths(terms)
    server = start_gunicorn(port=PORT, workers=workers)
    try:
        for path in paths[:20]:
            _get(path)
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(_get, paths))
        elapsed = time.perf_counter() - start
    finally:
        stop_gunicorn(server)
    latencies = [ms for _status, ms in results]
    return {
        "tool": f"{threads} threads in this process",
        "requests": len(results),
        "seconds": elapsed,
        "rps": len(results) / elapsed,
        "p50": statistics.median(latencies),
        "p95": _percentile(latencies, 0.95),
        "non_200": sum(1 for status, _ms in results if status != 200),
        "errors": 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--requests", type=int, default=2000, help="distinct searches for HTTP")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--seconds", type=int, default=30, help="wrk's duration")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="without wrk: client threads")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    setup_django()

    terms = search_terms(max(args.searches, args.requests), args.seed)
    load_before = os.getloadavg()[0]
    cpu_before = time.process_time()
    timings, sizes = bench_service(terms[: args.searches])
    cpu_per_search = (time.process_time() - cpu_before) / (len(timings) + 20) * 1000
    service_p95 = _percentile(timings, 0.95)
    if shutil.which("wrk"):
        http = bench_http_wrk(
            terms[: args.requests],
            workers=args.workers,
            seconds=args.seconds,
            connections=args.connections,
        )
    else:
        http = bench_http(terms[: args.requests], threads=args.threads, workers=args.workers)
    load = os.getloadavg()[0]
    lines = [
        f"- service layer, {len(timings)} searches (postcode + specialism + 50 km): "
        f"p50 {statistics.median(timings):.1f} ms, **p95 {service_p95:.1f} ms**, "
        f"max {max(timings):.1f} ms (budget 50 ms: {'met' if service_p95 <= 50 else 'OVER'}); "
        f"Python CPU per search {cpu_per_search:.1f} ms; matching series per search: median "
        f"{statistics.median(sizes):.0f}, max {max(sizes)} (a page of 50 is built)",
        f"- gunicorn ({args.workers} workers) on 127.0.0.1, {http['tool']}: "
        f"**{http['rps']:.0f} requests/s** (budget 150: "
        f"{'met' if http['rps'] >= 150 else 'OVER'}), {http['requests']} requests, latency p50 "
        f"{http['p50']:.0f} ms, p95 {http['p95']:.0f} ms; non-2xx {http['non_200']}, "
        f"socket errors {http['errors']}",
        f"- load average (1 min) before/after: {load_before:.2f} / {load:.2f}",
        "- gunicorn's cache (throttling counters): " + cache_description(),
    ]
    print("\n".join(lines))
    if not args.no_record:
        append_result(
            "Current-waiting-time search",
            ("REDIS_URL=redis://…/3 " if os.environ.get("REDIS_URL") else "")
            + "DATABASE_URL=postgres://…/zb_bench .venv/bin/python benchmarks/bench_search.py"
            + (f" --workers {args.workers}" if args.workers != 2 else ""),
            lines,
        )


if __name__ == "__main__":
    main()
