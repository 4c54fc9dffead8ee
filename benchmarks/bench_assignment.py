"""Global assignment at national scale (issue 16): outcome simulation and speed.

    .venv/bin/python benchmarks/bench_assignment.py                 # both, appends to RESULTS.md
    .venv/bin/python benchmarks/bench_assignment.py --scales 10000   # speed only at 10 k
    .venv/bin/python benchmarks/bench_assignment.py --no-record

The pure solver (:mod:`mediation.assignment`) is benchmarked without a database: the supply and
the open cases are generated in Python from the distributions of ``benchmarks/generate.py`` —
335 providers (8 UMCs with 3 sites, 70 hospitals with 455 sites, 257 ZBCs with 332 sites) at real
PC4 points (``../shared/data/nl_pc4_centroids_geonames.csv``), about 33 specialisms with their
treatments, a series per location × specialism × kind as ``generate.build_series`` decides, the
current wait ``NATIONAL_MEDIAN_DAYS × KIND_FACTOR × specialism factor × noise`` (a few stale or
insufficient figures), and capacity offers for the coming 8 weeks as ``generate.py`` makes them —
then thinned so that the slots are **scarce**: ``--slots-per-case`` (default 0.1) slots left
nationally per open case. Patients wait at a random series with a current wait of at least 35
days (as ``bench_matching.py``), live within 25 km of it, have waited up to 1.2 × that wait (so
some are overdue with an unknown remaining wait), urgency class 3 (20 %), 4 (45 %), 5 (35 %),
travel 25–150 km (mostly 50), one in five needs a hospital setting; margin 14 days.

1. **Simulation** (``--cases``, default 100,000): the assignment against the greedy first-come-
   first-served baseline on the same data: share placed within the Treeknorm among the patients
   for whom a within-norm option exists at all (capacity ignored), median days gained, class-3
   patients placed inside their window among those with an option inside it.
2. **Speed** (``--scales``, default 10,000 / 100,000 / 1,000,000): each scale in its own process;
   its specialisms (the run's parts) shared by ``--workers`` forked processes (default 2, the
   machine's cores, as two Celery workers would share a run; ``--workers 1``: one after the
   other), largest first; wall time of the solve (input generation excluded), CPU time, peak RSS
   of the largest process, the largest specialism's share of cases and of the wall time.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

TODAY = date(2026, 3, 2)  # a Monday
PC4_FILE = ROOT.parent / "shared" / "data" / "nl_pc4_centroids_geonames.csv"
DISTANCES_KM = [25, 50, 50, 50, 75, 100, 150]
LONG_WAIT_DAYS = 35
NATIONAL_MEDIAN_DAYS = {"first_visit": 28, "diagnostics": 15, "treatment": 40}
KIND_FACTOR = {"umc": 1.15, "hospital": 1.0, "zbc": 0.6}
NORM_MAX = {
    ("first_visit", ""): 28,
    ("diagnostics", ""): 28,
    ("treatment", "day"): 42,
    ("treatment", "inpatient"): 49,
}
TREATMENT_WEIGHTS = {
    "0301": 4, "0302": 4, "0303": 8, "0304": 4, "0305": 8, "0306": 5, "0307": 5, "0308": 3,
    "0310": 3, "0313": 3, "0316": 2, "0318": 4, "0320": 4, "0322": 2, "0324": 1, "0328": 2,
    "0330": 2, "0361": 2, "0362": 2, "1100": 2,
}  # fmt: skip
OTHER_SPECIALISMS = ["0300", "0326", "0327", "0329", "0335", "0363", "0389", "0390", "0386",
                     "0387", "0388", "0399", "0325"]  # fmt: skip
RARE = {"0308", "0328", "0361", "0363", "0390", "0326", "0327", "0329", "0300"}
ZBC_FOCI = [["0301"], ["0305"], ["0310"], ["0304"], ["0302"], ["0303", "0310"], ["0305", "0389"],
            ["0304", "0305"], ["0306"], ["0318", "0313"], ["0320", "0328"], ["0307"], ["1100"],
            ["0389", "0330", "0305"], ["0322", "0330"],
            ["0301", "0302", "0303", "0304", "0305", "0310", "0306"]]  # fmt: skip


def _areas() -> list[tuple[str, float, float]]:
    with open(PC4_FILE, encoding="utf-8") as handle:
        return [
            (row["pc4"], float(row["lat"]), float(row["lon"])) for row in csv.DictReader(handle)
        ]


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[0] - b[0]) * 111.2
    dlon = (a[1] - b[1]) * 111.2 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlon)


def generate(*, cases: int, seed: int, slots_per_case: float):
    """(assignment cases by specialism, supply rows by specialism, counts)."""
    from mediation.assignment import AssignmentCase
    from mediation.matching import CapacitySlotOffer, Need, Supply

    rng = random.Random(seed)
    areas = _areas()
    specialisms = sorted(set(TREATMENT_WEIGHTS) | set(OTHER_SPECIALISMS))
    treatments = {
        code: [(f"{code}-t{i}", "day" if rng.random() < 0.7 else "inpatient")
               for i in range(TREATMENT_WEIGHTS.get(code, 1))]
        for code in specialisms
    }  # fmt: skip
    specialism_factor = {code: math.exp(rng.gauss(0, 0.3)) for code in specialisms}
    locations = []  # (id, code, kind, role, lat, lon, specialisms)

    def site(kind: str, role: str, point, offered: list[str]) -> None:
        number = len(locations) + 1
        locations.append((number, f"98{number:06d}", kind, role, point[0], point[1], offered))

    def near(point, km: float):
        while True:
            area = rng.choice(areas)
            if _km(point, (area[1], area[2])) <= km:
                return (area[1], area[2])

    for kind, providers, sites in (("umc", 8, 24), ("hospital", 70, 455)):
        per = [sites // providers + (1 if i < sites % providers else 0) for i in range(providers)]
        for count in per:
            main = rng.choice(areas)
            offered = [c for c in specialisms if c not in RARE or rng.random() < 0.35]
            site(kind, "main", (main[1], main[2]), offered)
            for _ in range(count - 1):
                site(kind, "outpatient", near((main[1], main[2]), 25), offered)
    for _ in range(332):
        area = rng.choice(areas)
        site("zbc", "zbc", (area[1], area[2]), rng.choice(ZBC_FOCI))

    supply: dict[str, list] = defaultdict(list)
    series_for_patients = []
    offer_id = 0
    raw_offers = []  # (specialism, row index, week, slots left, classes)
    for number, code, kind, role, lat, lon, offered in locations:
        p_diag, p_day, p_inpatient = {
            "main": (0.9, 0.95, 0.95),
            "outpatient": (0.8, 0.85, 0.25),
            "zbc": (0.7, 0.95, 0.35),
        }[role]
        if role == "outpatient" and rng.random() < 0.1:
            continue
        location_factor = math.exp(rng.gauss(0, 0.2))
        accepted = rng.choice([(1, 2, 3, 4, 5)] * 8 + [(1, 2, 3)] + [(3, 4, 5)])
        for specialism in offered:
            subjects = [(None, "first_visit", "")]
            if rng.random() < p_diag:
                subjects.append((None, "diagnostics", ""))
            for treatment, setting in treatments[specialism]:
                if rng.random() < (p_day if setting == "day" else p_inpatient):
                    subjects.append((treatment, "treatment", setting))
            for treatment, subject_kind, setting in subjects:
                days = round(
                    NATIONAL_MEDIAN_DAYS[subject_kind] * KIND_FACTOR[kind]
                    * specialism_factor[specialism] * location_factor
                    * math.exp(rng.gauss(0, 0.35))
                )  # fmt: skip
                insufficient = rng.random() < 0.02
                age = 40 if rng.random() < 0.03 else rng.randrange(0, 14)
                row_index = len(supply[specialism])
                row = Supply(
                    location_id=number,
                    location_code=code,
                    location_name=f"Bench {code}",
                    city="",
                    provider_agb_code=f"97{number:06d}",
                    provider_name=f"Bench {number}",
                    provider_kind=kind,
                    latitude=lat,
                    longitude=lon,
                    accepted_urgency_classes=accepted,
                    specialism_code=specialism,
                    treatment_code=treatment,
                    kind=subject_kind,
                    current_days=None if insufficient else max(0, min(3 * 365, days)),
                    insufficient_observations=insufficient,
                    reference_date=TODAY - timedelta(days=age),
                    stale=age > 28,
                    norm_max_days=NORM_MAX[(subject_kind, setting)],
                    contracted=rng.random() < 0.7,
                )
                supply[specialism].append(row)
                if not insufficient and age <= 28 and days >= LONG_WAIT_DAYS:
                    series_for_patients.append((specialism, row_index))
                if subject_kind != "diagnostics" and rng.random() < (
                    0.4 if kind == "zbc" else 0.12
                ):
                    for week in range(8):
                        if rng.random() < 0.7:
                            slots = rng.randint(1, 12)
                            left = slots - rng.randint(0, slots // 3)
                            classes = rng.choice([(3, 4, 5), (3, 4, 5), (1, 2, 3, 4, 5), (4, 5)])
                            raw_offers.append((specialism, row_index, week, left, classes))
    # Scarce: keep offers until the slots left reach slots_per_case × cases.
    rng.shuffle(raw_offers)
    target = slots_per_case * cases
    kept: dict[tuple[str, int], list] = defaultdict(list)
    total_slots = 0
    for specialism, row_index, week, left, classes in raw_offers:
        if total_slots >= target:
            break
        offer_id += 1
        total_slots += left
        kept[(specialism, row_index)].append(
            CapacitySlotOffer(offer_id, TODAY + timedelta(weeks=week), left, classes)
        )
    for (specialism, row_index), offers in kept.items():
        row = supply[specialism][row_index]
        supply[specialism][row_index] = type(row)(
            **{
                **{name: getattr(row, name) for name in row.__dataclass_fields__},
                "capacity_offers": tuple(sorted(offers, key=lambda o: o.id)),
            }
        )

    near_areas: dict[int, list] = {}
    by_specialism: dict[str, list] = defaultdict(list)
    for case_id in range(1, cases + 1):
        specialism, row_index = rng.choice(series_for_patients)
        row = supply[specialism][row_index]
        if row.location_id not in near_areas:
            near_areas[row.location_id] = [
                (area[1], area[2])
                for area in areas
                if _km((row.latitude, row.longitude), (area[1], area[2])) <= 25
            ] or [(row.latitude, row.longitude)]
        point = rng.choice(near_areas[row.location_id])
        waited = rng.randint(0, int(row.current_days * 1.2))
        remaining = row.current_days - waited
        urgency = rng.choices([3, 4, 5], weights=[20, 45, 35])[0]
        by_specialism[specialism].append(
            AssignmentCase(
                case_id=case_id,
                need=Need(
                    specialism_code=specialism,
                    treatment_code=row.treatment_code,
                    kind=row.kind,
                    urgency_class=urgency,
                    latitude=point[0],
                    longitude=point[1],
                    max_distance_km=float(rng.choice(DISTANCES_KM)),
                    hospital_setting_required=rng.random() < 0.2,
                    current_location_id=row.location_id,
                    insurer_id=1,
                    remaining_wait_days=remaining if remaining >= 0 else None,
                    margin_days=14,
                    today=TODAY,
                    waiting_since=TODAY - timedelta(days=waited),
                    current_wait_days=row.current_days,
                ),
            )
        )
    counts = {
        "locations": len(locations),
        "series": sum(len(rows) for rows in supply.values()),
        "capacity offers": offer_id,
        "slots left": total_slots,
        "specialisms with cases": len(by_specialism),
    }
    return by_specialism, supply, counts


# --- Simulation ----------------------------------------------------------------------------------
def simulate(args) -> list[str]:
    from mediation import assignment
    from mediation.matching import CLASS3, row_options

    by_specialism, supply, counts = generate(
        cases=args.cases, seed=args.seed, slots_per_case=args.slots_per_case
    )
    totals = {"feasible": 0, "class3_feasible": 0, "cases": 0}
    results = {name: defaultdict(int) for name in ("assignment", "greedy")}
    gains: dict[str, list[int]] = {"assignment": [], "greedy": []}
    started = time.perf_counter()
    for specialism in sorted(by_specialism):
        cases = by_specialism[specialism]
        rows = supply[specialism]
        index = assignment.SupplyIndex(rows)
        feasible: set[int] = set()
        class3_feasible: set[int] = set()
        for case in cases:
            for position in index.near(case.need):
                for option in row_options(case.need, index.rows[
                    (case.need.specialism_code, case.need.treatment_code, case.need.kind)
                ][position]):  # fmt: skip
                    if option.within_norm:
                        feasible.add(case.case_id)
                    if case.need.urgency_class == CLASS3 and not option.outside_class3_window:
                        class3_feasible.add(case.case_id)
        totals["cases"] += len(cases)
        totals["feasible"] += len(feasible)
        totals["class3_feasible"] += len(class3_feasible)
        needs = {case.case_id: case.need for case in cases}
        for name, solver in (("assignment", assignment.solve), ("greedy", assignment.greedy)):
            for proposal in solver(cases, rows):
                candidate = proposal.candidate
                if candidate is None:
                    continue
                results[name]["placed"] += 1
                if candidate.capacity_offer_id is not None:
                    results[name]["slots"] += 1
                if candidate.within_norm and proposal.case_id in feasible:
                    results[name]["within_norm_feasible"] += 1
                if candidate.days_gained is not None:
                    gains[name].append(candidate.days_gained)
                if (
                    needs[proposal.case_id].urgency_class == CLASS3
                    and not candidate.outside_class3_window
                    and proposal.case_id in class3_feasible
                ):
                    results[name]["class3_inside"] += 1
    seconds = time.perf_counter() - started
    lines = [
        f"- data: {counts['locations']} locations, {counts['series']:,} series, "
        f"{counts['capacity offers']:,} capacity offers with {counts['slots left']:,} slots left "
        f"({args.slots_per_case} per case), {totals['cases']:,} open cases in "
        f"{counts['specialisms with cases']} specialisms; seed {args.seed}; today {TODAY}",
        f"- a within-norm option exists (capacity ignored) for {totals['feasible']:,} cases "
        f"({100 * totals['feasible'] / totals['cases']:.1f} %); class-3 patients with an option "
        f"inside their window: {totals['class3_feasible']:,}",
        "",
        "| | assignment | greedy FCFS | difference |",
        "|---|---:|---:|---:|",
    ]

    def row(label: str, a: float, g: float, fmt: str = "{:,.0f}") -> str:
        change = f"{100 * (a - g) / g:+.1f} %" if g else "–"
        return f"| {label} | {fmt.format(a)} | {fmt.format(g)} | {change} |"

    a, g = results["assignment"], results["greedy"]
    feasible_total = max(totals["feasible"], 1)
    lines += [
        row("placed", a["placed"], g["placed"]),
        row("capacity slots used", a["slots"], g["slots"]),
        row("placed within norm (of feasible)", a["within_norm_feasible"],
            g["within_norm_feasible"]),
        row("share within norm of feasible (%)", 100 * a["within_norm_feasible"] / feasible_total,
            100 * g["within_norm_feasible"] / feasible_total, "{:.1f}"),
        row("median days gained (known gains)", statistics.median(gains["assignment"] or [0]),
            statistics.median(gains["greedy"] or [0]), "{:.0f}"),
        row("total days gained", sum(gains["assignment"]), sum(gains["greedy"])),
        row("class-3 inside window (of those with an option inside)", a["class3_inside"],
            g["class3_inside"]),
    ]  # fmt: skip
    lines.append("")
    lines.append(f"- both solved in {seconds:.0f} s (with the feasibility scan)")
    return lines


# --- Speed ---------------------------------------------------------------------------------------
_DATA: dict[str, object] = {}


def _solve_specialism(specialism: str) -> tuple[str, int, float, float, int, float]:
    """One part, as a Celery worker takes it: (code, cases, seconds, CPU seconds, placed,
    peak RSS in MB of this process)."""
    from mediation import assignment

    by_specialism = _DATA["cases"]
    supply = _DATA["supply"]
    assert isinstance(by_specialism, dict) and isinstance(supply, dict)
    cases = by_specialism[specialism]
    begin, cpu = time.perf_counter(), time.process_time()
    proposals = assignment.solve(cases, supply[specialism])
    seconds, cpu = time.perf_counter() - begin, time.process_time() - cpu
    placed = sum(1 for p in proposals if p.candidate is not None)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return specialism, len(cases), seconds, cpu, placed, rss


def speed_worker(args) -> None:
    """One scale, in its own process: the parts over ``--workers`` processes (forked after the
    data is generated, as Celery workers share a run); prints a JSON line."""
    import multiprocessing

    by_specialism, supply, counts = generate(
        cases=args.worker, seed=args.seed, slots_per_case=args.slots_per_case
    )
    _DATA.update(cases=by_specialism, supply=supply)
    # Largest first, so that the biggest part does not start last.
    order = sorted(by_specialism, key=lambda code: -len(by_specialism[code]))
    started = time.perf_counter()
    if args.workers > 1:
        with multiprocessing.get_context("fork").Pool(args.workers) as pool:
            results = pool.map(_solve_specialism, order, chunksize=1)
    else:
        results = [_solve_specialism(code) for code in order]
    wall = time.perf_counter() - started
    per = {code: (n, seconds) for code, n, seconds, _cpu, _placed, _rss in results}
    largest = max(per, key=lambda code: per[code][0])
    print(
        json.dumps(
            {
                "cases": args.worker,
                "wall": wall,
                "cpu": sum(result[3] for result in results),
                "placed": sum(result[4] for result in results),
                "specialisms": len(per),
                "largest": largest,
                "largest_cases": per[largest][0],
                "largest_seconds": per[largest][1],
                "maxrss_mb": max(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    max(result[5] for result in results),
                ),
                "slots": counts["slots left"],
                "workers": args.workers,
            }
        )
    )


def speed(args) -> list[str]:
    lines = [
        f"| cases | solve wall time ({args.workers} worker processes) | CPU time | peak RSS "
        "(largest process) | specialisms | largest specialism (cases, share, its time, share of "
        "the wall time) | placed |",
        "|---:|---:|---:|---:|---:|---|---:|",
    ]
    for scale in args.scales:
        command = [sys.executable, __file__, "--worker", str(scale), "--seed", str(args.seed),
                   "--slots-per-case", str(args.slots_per_case),
                   "--workers", str(args.workers)]  # fmt: skip
        # Our own interpreter and script: no untrusted input.
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            error = (done.stderr.strip().splitlines() or ["?"])[-1]
            lines.append(f"| {scale:,} | failed: {error} | | | | | |")
            print(lines[-1], flush=True)
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        lines.append(
            f"| {scale:,} | {result['wall']:.1f} s | {result['cpu']:.1f} s | "
            f"{result['maxrss_mb']:,.0f} MB | "
            f"{result['specialisms']} | {result['largest']}: {result['largest_cases']:,} "
            f"({100 * result['largest_cases'] / scale:.1f} %), {result['largest_seconds']:.1f} s "
            f"({100 * result['largest_seconds'] / result['wall']:.1f} %) | "
            f"{result['placed']:,} |"
        )
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--scales", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slots-per-case", type=float, default=0.1)
    parser.add_argument("--skip-simulation", action="store_true")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes sharing the parts (the machine's cores)"
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    if args.worker:
        speed_worker(args)
        return
    lines: list[str] = [f"- load average before: {os.getloadavg()[0]:.2f}"]
    if not args.skip_simulation:
        lines += ["", "### Simulation: assignment vs greedy first come, first served", ""]
        lines += simulate(args)
        print("\n".join(lines), flush=True)
    if args.scales:
        lines += ["", "### Speed (pure solver; the specialisms shared by worker processes)", ""]
        lines += speed(args)
    lines.append(f"- load average after: {os.getloadavg()[0]:.2f}")
    print("\n".join(lines))
    if not args.no_record:
        from results import append_result

        append_result(
            title="Global assignment (issue 16): simulation and speed",
            command="python benchmarks/bench_assignment.py " + " ".join(sys.argv[1:]),
            lines=lines,
        )


if __name__ == "__main__":
    main()
