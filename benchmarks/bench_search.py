"""Current-waiting-time search at national scale: the service layer and the HTTP path.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_bench \
        .venv/bin/python benchmarks/bench_search.py

Budgets (issue 3): postcode + specialism + 50 km, p95 ≤ 50 ms in the service layer, and ≥ 150
requests/s through gunicorn on this 2-core machine with a load generator on loopback.

The search terms are drawn from a fixed seed: a PC4 near a random benchmark location (so every
search has results) and a specialism that location reports. The HTTP part starts gunicorn on
127.0.0.1 with two workers (one per core) and sends a bounded number of requests from a thread
pool in this process, which shares the two cores with the server; throttling is lifted for the
run (``THROTTLE_PUBLIC_RATE``), since the load comes from one address.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from django_setup import PROJECT_ROOT, setup_django
from results import append_result

PORT = 8799


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _search_terms(count: int, seed: int) -> list[tuple[str, str]]:
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
    from providers.selectors.current import waiting_time_current_list

    for postcode, specialism in terms[:20]:  # warm caches and connections
        waiting_time_current_list(specialism_code=specialism, postcode=postcode, max_distance_km=50)
    timings, sizes = [], []
    for postcode, specialism in terms:
        start = time.perf_counter()
        rows = waiting_time_current_list(
            specialism_code=specialism, postcode=postcode, max_distance_km=50
        )
        timings.append((time.perf_counter() - start) * 1000)
        sizes.append(len(rows))
    return timings, sizes


def _get(path: str) -> tuple[int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    start = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, (time.perf_counter() - start) * 1000


def bench_http(terms: list[tuple[str, str]], *, threads: int) -> dict[str, float]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "THROTTLE_PUBLIC_RATE": "100000000/minute",
    }
    server = subprocess.Popen(  # noqa: S603
        [
            str(PROJECT_ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                if _get("/health/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        paths = [
            "/api/v1/waiting-times/current/?"
            + urlencode({"postcode": pc, "specialism": sp, "max_distance_km": 50})
            for pc, sp in terms
        ]
        for path in paths[:20]:
            _get(path)
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(_get, paths))
        elapsed = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
    statuses = {status for status, _ms in results}
    latencies = [ms for _status, ms in results]
    return {
        "requests": len(results),
        "seconds": elapsed,
        "rps": len(results) / elapsed,
        "p50": statistics.median(latencies),
        "p95": _percentile(latencies, 0.95),
        "non_200": sum(1 for status, _ms in results if status != 200),
        "statuses": sorted(statuses),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    setup_django()

    terms = _search_terms(max(args.searches, args.requests), args.seed)
    timings, sizes = bench_service(terms[: args.searches])
    service_p95 = _percentile(timings, 0.95)
    http = bench_http(terms[: args.requests], threads=args.threads)
    load = os.getloadavg()[0]
    lines = [
        f"- service layer, {len(timings)} searches (postcode + specialism + 50 km): "
        f"p50 {statistics.median(timings):.1f} ms, **p95 {service_p95:.1f} ms**, "
        f"max {max(timings):.1f} ms (budget 50 ms: {'met' if service_p95 <= 50 else 'OVER'}); "
        f"results per search: median {statistics.median(sizes):.0f}, max {max(sizes)}",
        f"- gunicorn (2 workers) on 127.0.0.1, {http['requests']} requests from {args.threads} "
        f"threads in this process: **{http['rps']:.0f} requests/s** "
        f"(budget 150: {'met' if http['rps'] >= 150 else 'OVER'}), latency p50 "
        f"{http['p50']:.0f} ms, p95 {http['p95']:.0f} ms; statuses {http['statuses']}",
        f"- load average (1 min) at the end: {load:.2f}",
    ]
    print("\n".join(lines))
    append_result(
        "Current-waiting-time search",
        "DATABASE_URL=postgres://…/zb_bench .venv/bin/python benchmarks/bench_search.py",
        lines,
    )


if __name__ == "__main__":
    main()
