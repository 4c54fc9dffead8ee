"""Matching one mediation case against national-scale data (issue 4): p95 ≤ 50 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_bench \\
        .venv/bin/python benchmarks/bench_matching.py

Times ``mediation.selectors.matching.case_matches`` — postcode point, the series of the case's
subject and kind in the box around the patient, the Treeknorm, the insurer's contracts, the
capacity offers with slots left, the insurer's margin, then the pure rules and ranking — for
500 seeded patients (``--cases``), warm, as of the day after the latest peildatum (``--today``).

Each patient waits at a random benchmark location for a subject it reports (first visit,
diagnostics or a treatment) with a current wait of at least 35 days (patients who ask for
mediation wait long), has waited up to half of it, lives in a PC4 area near that location, is in
urgency class 3–5, travels 25–150 km (mostly 50) and needs a hospital setting in one case in
five. A benchmark insurer with purchase contracts for about 70 % of the benchmark providers
this year is created for the run; everything is rolled back at the end, so the database is left
as it was. The cases are unsaved ``Case`` objects with their insurer, specialism, treatment and
current location attached (as a page loads them with ``select_related``): the time is matching,
not loading the case (one primary-key query more).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from bench_regional_report import backend_cpu_seconds, percentile
from django_setup import setup_django
from results import append_result

BUDGET_MS = 50
BENCH_INSURER_UZOVI = "9899"
CONTRACTED_SHARE = 0.7
DISTANCES_KM = [25, 50, 50, 50, 75, 100, 150]
# Patients who ask for mediation wait long: their location's current wait is at least this.
LONG_WAIT_DAYS = 35


def make_cases(*, count: int, seed: int, today: date, insurer) -> list:
    """Unsaved cases of random patients near random benchmark locations."""
    from django.utils import timezone

    from mediation.models import Case, CaseStatus, Channel
    from providers.models import Location, PostcodeArea, Specialism, Treatment, WaitingTimeSeries

    rng = random.Random(seed)
    series = list(
        WaitingTimeSeries.objects.filter(
            location__code__startswith="98",
            location__is_active=True,
            current_reference_date__gte=today - timedelta(days=28),
            current_days__gte=LONG_WAIT_DAYS,
        )
        .order_by("id")
        .values_list(
            "location_id",
            "location__postcode",
            "specialism_id",
            "treatment_id",
            "kind",
            "current_days",
        )
    )
    if not series:
        sys.exit("No benchmark waiting times: run benchmarks/generate.py first.")
    known = set(PostcodeArea.objects.values_list("pc4", flat=True))
    picked = [rng.choice(series) for _ in range(count)]
    locations = Location.objects.in_bulk({row[0] for row in picked})
    specialisms = Specialism.objects.in_bulk({row[2] for row in picked})
    treatments = Treatment.objects.in_bulk({row[3] for row in picked if row[3]})
    now = timezone.now()
    cases = []
    for number, (location_id, postcode, specialism_id, treatment_id, kind, days) in enumerate(
        picked
    ):
        # A neighbouring PC4 when it exists: the patient lives near, not at, the hospital.
        pc4 = str(int(postcode[:4]) + rng.randint(-5, 5))
        cases.append(
            Case(
                reference=f"ZB-{today.year}-{number:06d}",
                insurer=insurer,
                channel=Channel.WEB,
                status=CaseStatus.SUBMITTED,
                policy_number=f"B{number:09d}",
                full_name="Benchmark",
                postcode=(pc4 if pc4 in known else postcode[:4]) + "AB",
                specialism=specialisms[specialism_id],
                treatment=treatments[treatment_id] if treatment_id else None,
                kind=kind,
                urgency_class=rng.choice([3, 4, 4, 5]),
                current_location=locations[location_id],
                waiting_since=today - timedelta(days=rng.randint(0, days // 2)),
                expected_date=None,
                max_distance_km=rng.choice(DISTANCES_KM),
                hospital_setting_required=rng.random() < 0.2,
                consent_at=now,
                submitted_at=now,
                first_contact_due=today,
            )
        )
    return cases


def contracts_create(*, insurer, year: int, seed: int) -> tuple[list[int], list[int]]:
    """Purchase contracts of ``insurer`` in ``year`` with about 70 % of the benchmark providers
    (its contracts of that year are replaced); returns the contracted and all provider ids."""
    from finance.models import Contract
    from providers.models import Provider

    rng = random.Random(seed)
    providers = list(
        Provider.objects.filter(agb_code__startswith="97")
        .order_by("id")
        .values_list("id", flat=True)
    )
    contracted = [pk for pk in providers if rng.random() < CONTRACTED_SHARE]
    Contract.objects.filter(insurer=insurer, year=year).delete()
    Contract.objects.bulk_create(
        Contract(insurer=insurer, provider_id=pk, year=year, contract_value=Decimal("10000000.00"))
        for pk in contracted
    )
    return contracted, providers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="matching date (default: the day after the latest peildatum in the data)",
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()

    setup_django()
    from django.db import connection, transaction
    from django.db.models import Max
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Organisation, OrganisationKind
    from mediation.matching import match
    from mediation.selectors.matching import case_matches, match_need_for, match_supply_for
    from providers.models import WaitingTimeSeries

    latest = WaitingTimeSeries.objects.aggregate(latest=Max("current_reference_date"))["latest"]
    if latest is None:
        sys.exit("No waiting-time data: run benchmarks/generate.py first.")
    today = args.today or latest + timedelta(days=1)
    series_count = WaitingTimeSeries.objects.count()
    load_before = os.getloadavg()

    with transaction.atomic():
        insurer, _ = Organisation.objects.get_or_create(
            uzovi=BENCH_INSURER_UZOVI,
            defaults={"kind": OrganisationKind.INSURER, "name": "Bench Verzekeraar"},
        )
        contracted, providers = contracts_create(insurer=insurer, year=today.year, seed=args.seed)
        cases = make_cases(count=args.cases, seed=args.seed, today=today, insurer=insurer)

        for case in cases[:20]:  # warm caches and the connection
            case_matches(case=case, today=today)
        with CaptureQueriesContext(connection) as queries:
            case_matches(case=cases[0], today=today)

        timings: list[float] = []
        by_distance: dict[int, list[float]] = {}
        candidates: list[int] = []
        for case in cases:
            start = time.perf_counter()
            found = case_matches(case=case, today=today)
            elapsed = (time.perf_counter() - start) * 1000
            timings.append(elapsed)
            by_distance.setdefault(case.max_distance_km, []).append(elapsed)
            candidates.append(len(found))

        # The pure rules and ranking alone, on the same inputs (loaded outside the clock).
        pure: list[float] = []
        supply_sizes: list[int] = []
        for case in cases:
            need = match_need_for(case=case, today=today)
            supply = match_supply_for(case=case, today=today)
            supply_sizes.append(len(supply))
            if need is None:
                continue
            start = time.perf_counter()
            match(need, supply)
            pure.append((time.perf_counter() - start) * 1000)

        # CPU time per match (client + PostgreSQL backend): its time on an idle core.
        client, server = time.process_time(), backend_cpu_seconds(connection)
        for case in cases:
            case_matches(case=case, today=today)
        client, server = time.process_time() - client, backend_cpu_seconds(connection) - server
        cpu_ms = (client + server) * 1000 / len(cases)
        transaction.set_rollback(True)
    load_after = os.getloadavg()

    p95 = percentile(timings, 0.95)
    verdict = "met" if p95 <= BUDGET_MS else "OVER"
    helped = sum(1 for count in candidates if count)
    lines = [
        f"- data: {series_count:,} waiting-time series (current figure each); matching date "
        f"{today} (last peildatum {latest}); a benchmark insurer contracting "
        f"{len(contracted)} of {len(providers)} benchmark providers (rolled back afterwards)",
        f"- {len(cases)} patients (seed {args.seed}), warm: **case_matches p50 "
        f"{statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {max(timings):.1f} ms** "
        f"(budget {BUDGET_MS} ms: {verdict}); {len(queries.captured_queries)} queries per case",
        "- p95 by the patient's distance: "
        + ", ".join(
            f"{km} km {percentile(values, 0.95):.1f} ms (n={len(values)})"
            for km, values in sorted(by_distance.items())
        ),
        f"- supply rows per case: median {statistics.median(supply_sizes):.0f}, max "
        f"{max(supply_sizes)}; candidates per case: median {statistics.median(candidates):.0f}, "
        f"max {max(candidates)}; {helped} of {len(cases)} patients have at least one candidate",
        f"- the pure rules and ranking alone (`mediation.matching.match`): p50 "
        f"{statistics.median(pure):.2f} ms, p95 {percentile(pure, 0.95):.2f} ms",
        f"- CPU time per case (Python + PostgreSQL backend), i.e. the time on an idle core: "
        f"{cpu_ms:.1f} ms",
        f"- load average (1 min) before/after: {load_before[0]:.2f} / {load_after[0]:.2f} "
        "(other processes share the machine)",
    ]
    print("\n".join(lines))
    if not args.no_record:
        command = "DATABASE_URL=postgres://…/zb_bench .venv/bin/python benchmarks/" + " ".join(
            [os.path.basename(sys.argv[0]), *sys.argv[1:]]
        )
        append_result("Matching one mediation case", command, lines)
        print("appended to benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
