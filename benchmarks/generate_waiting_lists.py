"""Consented waiting lists at national scale (issue 15), reproducible from a seed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_bench_h15 \\
        .venv/bin/python benchmarks/generate_waiting_lists.py --seed 1 --entries 1000000

What it makes:

* the hospital landscape of ``benchmarks/generate.py`` (335 providers, 811 locations, ~62,000
  series) when the database has none yet — but only each series' **current figure** (peildatum
  a few days ago, waits scattered around the national medians with regional, specialism and
  provider-kind differences), not two years of history: the scan reads only current figures;
* one benchmark insurer (UZOVI ``9797``, "Bench Zorgverzekeraar") holding all entries, so that
  one scan sees them all;
* ``--entries`` waiting-list entries (default 1,000,000) on the providers' lists: each entry waits
  for a series' subject at that series' location (more entries where waits are long), lives in a
  PC4 area within about 30 km of it, started waiting some time ago (exponential, mean 45 days),
  urgency class 3, 4 or 5, consent given, an email address for 85 %; 1 % flagged as duplicates
  (as the upload's validation would), 1 % withdrew consent, 2 % have an appointment date.

Loaded with PostgreSQL ``COPY``; running it again replaces the benchmark entries (external ids
start with ``B-``) and the benchmark insurer's scans and invitations.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from collections import defaultdict
from datetime import date, timedelta

from django_setup import setup_django
from results import append_result

BENCH_UZOVI = "9797"
BENCH_INSURER = "Bench Zorgverzekeraar"
MEDIAN_DAYS = {"first_visit": 28, "diagnostics": 15, "treatment": 40}
KIND_FACTOR = {"umc": 1.3, "hospital": 1.0, "zbc": 0.55}


def log(message: str) -> None:
    print(message, flush=True)


def ensure_landscape(*, rng: random.Random, today: date) -> int:
    """Providers, locations and series with a current figure, when there are none yet."""
    from django.db import connection, transaction
    from generate import (
        EXTRA_TREATMENTS,
        TREATMENT_PREFIX,
        TREATMENT_WEIGHTS,
        _copy,
        _table,
        build_providers,
        build_series,
    )

    from providers.models import (
        Location,
        PostcodeArea,
        Provider,
        Region,
        Specialism,
        Treatment,
        WaitingTimeSeries,
    )

    existing = WaitingTimeSeries.objects.filter(location__code__startswith="98").count()
    if existing:
        log(f"  landscape present: {existing} benchmark series")
        return existing
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
        extra.append(
            (
                f"{TREATMENT_PREFIX}{number:03d}",
                rng.choice(weighted),
                "inpatient" if rng.random() < 0.35 else "day",
            )
        )
    by_specialism: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for code, specialism, setting in shipped + extra:
        by_specialism[specialism].append((code, setting))
    series = build_series(rng, providers, by_specialism)
    regions = {region.code: region for region in Region.objects.all()}
    region_factor = {code: math.exp(rng.gauss(0, 0.15)) for code in regions}
    specialism_factor = {code: math.exp(rng.gauss(0, 0.3)) for code in specialism_codes}
    with transaction.atomic():
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
        pairs = [(spec, loc) for spec in providers for loc in spec.locations]
        made = Location.objects.bulk_create(
            [
                Location(
                    provider_id=spec.id,
                    code=loc.code,
                    name=loc.name,
                    street="Benchmarkweg 1",
                    postcode=loc.postcode,
                    city=loc.city,
                    latitude=loc.latitude,
                    longitude=loc.longitude,
                )
                for spec, loc in pairs
            ],
            batch_size=1000,
        )
        for (_spec, loc), location in zip(pairs, made, strict=True):
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
            ],
            ignore_conflicts=True,
        )
        treatments = dict(Treatment.objects.values_list("code", "id"))
        reference_date = today - timedelta(days=5)

        def days(s) -> int:
            median = MEDIAN_DAYS[s.kind]
            factor = (
                region_factor[s.provider.region_code]
                * specialism_factor[s.specialism]
                * KIND_FACTOR[s.provider.kind]
            )
            return max(1, round(median * factor * math.exp(rng.gauss(0, 0.45))))

        with connection.cursor() as cursor:
            count = _copy(
                cursor,
                _table(WaitingTimeSeries),
                [
                    "location_id",
                    "specialism_id",
                    "treatment_id",
                    "kind",
                    "current_insufficient_observations",
                    "current_days",
                    "current_reference_date",
                ],
                (
                    (
                        s.location.id,
                        specialisms[s.specialism],
                        treatments[s.treatment] if s.treatment else None,
                        s.kind,
                        "f",
                        days(s),
                        reference_date.isoformat(),
                    )
                    for s in series
                ),
            )
    log(f"  landscape made: {len(providers)} providers, {len(pairs)} locations, {count} series")
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone
    from generate import _copy, _table

    from accounts.models import Organisation, OrganisationKind
    from mediation.waiting_lists.models import ProactiveScan, WaitingListEntry
    from providers.geography.greatcircle import distance_km
    from providers.models import PostcodeArea, WaitingTimeSeries

    started = time.perf_counter()
    rng = random.Random(args.seed)
    today = timezone.localdate()
    call_command("migrate", interactive=False, verbosity=0)
    ensure_landscape(rng=rng, today=today)
    insurer, _ = Organisation.objects.update_or_create(
        uzovi=BENCH_UZOVI, defaults={"kind": OrganisationKind.INSURER, "name": BENCH_INSURER}
    )
    with transaction.atomic():
        ProactiveScan.objects.filter(insurer=insurer).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {_table(WaitingListEntry)} WHERE external_id LIKE 'B-%%'"  # noqa: S608
            )

    series = list(
        WaitingTimeSeries.objects.filter(
            location__code__startswith="98", current_days__isnull=False
        ).values_list(
            "location_id",
            "location__provider_id",
            "location__latitude",
            "location__longitude",
            "specialism_id",
            "treatment_id",
            "kind",
            "current_days",
        )
    )
    areas = [
        (pc4, float(lat), float(lon))
        for pc4, lat, lon in PostcodeArea.objects.values_list("pc4", "latitude", "longitude")
    ]
    nearby: dict[int, list[str]] = {}
    for location_id, _provider, lat, lon, *_rest in series:
        if location_id not in nearby:
            found = [
                pc4
                for pc4, a_lat, a_lon in areas
                if abs(a_lat - float(lat)) < 0.3
                and abs(a_lon - float(lon)) < 0.45
                and distance_km(float(lat), float(lon), a_lat, a_lon) <= 30
            ]
            nearby[location_id] = found or [min(areas, key=lambda a: abs(a[1] - float(lat)))[0]]
    # More entries where waits are long (a long wait is a long list).
    cum_weights = list(itertools.accumulate(max(5, days) for *_x, days in series))
    letters = "ABCDEFGHJKLMNPRTVWXZ"
    now = timezone.now().isoformat()

    def rows():
        for number in range(args.entries):
            location_id, provider_id, _lat, _lon, specialism_id, treatment_id, kind, _days = (
                rng.choices(series, cum_weights=cum_weights)[0]
            )
            waited = min(700, int(rng.expovariate(1 / 45)))
            waiting_since = today - timedelta(days=waited)
            birth = date(rng.randint(1935, 2015), rng.randint(1, 12), rng.randint(1, 28))
            if birth > waiting_since:
                birth = waiting_since - timedelta(days=365)
            roll = rng.random()
            expected = (
                (today + timedelta(days=rng.randint(1, 120))).isoformat() if roll < 0.02 else None
            )
            policy = f"B{number:09d}"
            yield (
                provider_id,
                f"B-{number:07d}",
                location_id,
                insurer.pk,
                policy,
                f"Bench Patiënt {number}",
                birth.isoformat(),
                f"p{number}@bench.invalid" if rng.random() < 0.85 else "",
                "0612345678",
                rng.choice(nearby[location_id]) + rng.choice(letters) + rng.choice(letters),
                specialism_id,
                treatment_id,
                kind,
                rng.choice((3, 4, 4, 5, 5)),
                waiting_since.isoformat(),
                expected,
                (waiting_since + timedelta(days=rng.randint(0, max(0, waited)))).isoformat(),
                now if 0.02 <= roll < 0.03 else None,
                "t" if 0.03 <= roll < 0.04 else "f",
                "",
                now,
                now,
            )

    load_started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        count = _copy(
            cursor,
            _table(WaitingListEntry),
            [
                "provider_id",
                "external_id",
                "location_id",
                "insurer_id",
                "policy_number",
                "full_name",
                "birth_date",
                "email",
                "phone",
                "postcode",
                "specialism_id",
                "treatment_id",
                "kind",
                "urgency_class",
                "waiting_since",
                "expected_date",
                "consent_date",
                "consent_withdrawn_at",
                "is_duplicate",
                "implausible",
                "created_at",
                "updated_at",
            ],
            rows(),
        )
        cursor.execute(f"ANALYZE {_table(WaitingListEntry)}")
    load_seconds = time.perf_counter() - load_started
    specialisms = (
        WaitingListEntry.objects.filter(insurer=insurer).values("specialism").distinct().count()
    )
    lines = [
        f"- entries: {count:,} of insurer {BENCH_UZOVI} over {specialisms} specialisms, "
        f"{len(series):,} series with a current figure",
        f"- load (COPY) {load_seconds:.1f} s; total {time.perf_counter() - started:.1f} s",
    ]
    for line in lines:
        log(line)
    if not args.no_record:
        append_result(
            "Waiting-list benchmark data (generate_waiting_lists.py)",
            " ".join(["benchmarks/generate_waiting_lists.py", *sys.argv[1:]]),
            lines,
        )


if __name__ == "__main__":
    main()
