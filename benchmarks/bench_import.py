"""Time a 100,000-row waiting-time CSV import through the real import path against a plain
PostgreSQL ``COPY`` of the same rows into the same table (issue 3 budget: ≤ 10 s, and ≤ 3× the
COPY, measured in the same run).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_bench \\
        .venv/bin/python benchmarks/bench_import.py

Load the data first with ``benchmarks/generate.py``. The script takes the benchmark provider with
the most waiting-time series, gives it a planner (``bench-import-planner``, created once), and
writes a CSV in our layout with ``--rows`` figures (default 100,000) for that provider's series,
on the peildatums before the generated two years (so every row is a new report, as in a normal
cycle's import; a provider's 100,000 figures reach back several years).

Each round (``--repeat``, default 3), in alternation:

* **plain COPY** — the rows as PostgreSQL text (series id, peildatum, days, flag, source,
  reported_at, reported_by), prepared beforehand, ``COPY``-ed into the report table and committed;
* **import** — ``providers.waiting_times.imports.waiting_time_reports_import`` on the file as
  uploaded, the path of ``POST /api/v1/waiting-times/import/`` and of the upload task:
  decoding, CSV parsing, checking every row (codes, values, dates, duplicates, own locations),
  series lookup, storing, the series' current figures, the audit event and the commit.

After every round the rows are deleted again (and the table vacuumed), so each round starts from
the same state. The parse and validation steps are also timed on their own, for the breakdown.
A last, informative round imports the same file with other values: 100,000 corrections (each
keeps a revision), which goes through the staging-table path. Figures are the median of the
rounds; they and the load average are appended to RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from datetime import timedelta

from django_setup import setup_django
from results import append_result

BUDGET_SECONDS = 10.0
BUDGET_RATIO = 3.0
PROVIDER_PREFIX = "97"
USERNAME = "bench-import-planner"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()

    setup_django()
    from django.db import connection, transaction
    from django.db.models import Count, Min
    from django.utils import timezone

    from accounts.actors import actor_for_user
    from accounts.models import Organisation, OrganisationKind, Role, User
    from accounts.services import member_create
    from providers.models import (
        Provider,
        WaitingTimeReport,
        WaitingTimeRevision,
        WaitingTimeSeries,
    )
    from providers.waiting_times.csv_reader import waiting_time_csv_parse
    from providers.waiting_times.imports import waiting_time_reports_import
    from providers.waiting_times.validation import waiting_time_reports_validate

    provider = (
        Provider.objects.filter(agb_code__startswith=PROVIDER_PREFIX)
        .annotate(series_count=Count("locations__series"))
        .order_by("-series_count", "agb_code")
        .first()
    )
    if provider is None or not provider.series_count:
        sys.exit("No benchmark data: run benchmarks/generate.py first (see benchmarks/README.md).")

    # A planner of that provider: the importing actor.
    organisation, _created = Organisation.objects.get_or_create(
        kind=OrganisationKind.PROVIDER, provider=provider, defaults={"name": provider.name}
    )
    user = User.objects.filter(username=USERNAME).first()
    if user is not None and user.membership.organisation_id != organisation.pk:
        user.delete()
        user = None
    if user is None:
        user = member_create(organisation=organisation, username=USERNAME, role=Role.PLANNER)
    actor = actor_for_user(User.objects.select_related("membership__organisation").get(pk=user.pk))

    series = list(
        WaitingTimeSeries.objects.filter(location__provider=provider)
        .select_related("location", "specialism", "treatment")
        .order_by("id")
    )
    series_ids = [one.pk for one in series]
    first_date = (
        WaitingTimeReport.objects.filter(series_id__in=series_ids).aggregate(
            first=Min("reference_date")
        )["first"]
        or timezone.localdate()
    )
    cycles = -(-args.rows // len(series))
    dates = [first_date - timedelta(weeks=2 * cycle) for cycle in range(1, cycles + 1)]

    # The file (our layout) and the same rows as COPY text for the baseline.
    lines = ["location,specialism,treatment,kind,days,insufficient_observations,reference_date"]
    copy_rows = []
    now = timezone.now().isoformat()
    count = 0
    for cycle, day in enumerate(dates):
        for index, one in enumerate(series):
            if count == args.rows:
                break
            days = 5 + (index * 7 + cycle * 3) % 120
            treatment = one.treatment.code if one.treatment else ""
            specialism = "" if one.treatment else one.specialism.code
            lines.append(
                f"{one.location.code},{specialism},{treatment},{one.kind},{days},,{day.isoformat()}"
            )
            copy_rows.append(f"{one.pk}\t{day.isoformat()}\t{days}\tf\tcsv\t{now}\t{USERNAME}\n")
            count += 1
    data = ("\n".join(lines) + "\n").encode("utf-8")
    corrected_lines = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        cells[4] = str(int(cells[4]) + 1)
        corrected_lines.append(",".join(cells))
    corrected = ("\n".join(corrected_lines) + "\n").encode("utf-8")
    copy_text = "".join(copy_rows)
    report_table = WaitingTimeReport._meta.db_table
    oldest_kept = first_date

    def clean() -> None:
        with transaction.atomic():
            WaitingTimeRevision.objects.filter(
                report__series_id__in=series_ids, report__reference_date__lt=oldest_kept
            ).delete()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {report_table} "  # noqa: S608
                    "WHERE series_id = ANY(%s) AND reference_date < %s",
                    [series_ids, oldest_kept],
                )
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {report_table}")

    def plain_copy() -> float:
        start = time.perf_counter()
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {report_table} (series_id, reference_date, days, "
                "insufficient_observations, source, reported_at, reported_by) FROM STDIN"
            ) as copy,
        ):
            copy.write(copy_text)
        return time.perf_counter() - start

    def real_import(content: bytes) -> tuple[float, dict]:
        start = time.perf_counter()
        result = waiting_time_reports_import(file=io.BytesIO(content), actor=actor)
        return time.perf_counter() - start, result.counts

    print(
        f"provider {provider.agb_code} {provider.name}: {len(series)} series, "
        f"{count} rows over {len(dates)} peildatums ({dates[-1]} … {dates[0]}), "
        f"file {len(data) / 1e6:.1f} MB"
    )
    clean()
    copy_times, import_times, parse_times, validate_times = [], [], [], []
    for round_number in range(1, args.repeat + 1):
        copy_seconds = plain_copy()
        clean()
        import_seconds, counts = real_import(data)
        assert counts == {"created": count, "updated": 0, "unchanged": 0}, counts
        clean()
        start = time.perf_counter()
        parsed = waiting_time_csv_parse(data)
        parse_seconds = time.perf_counter() - start
        start = time.perf_counter()
        _resolved, errors = waiting_time_reports_validate(
            rows=parsed.rows, actor=actor, today=timezone.localdate()
        )
        validate_seconds = time.perf_counter() - start
        assert not errors, errors[:3]
        copy_times.append(copy_seconds)
        import_times.append(import_seconds)
        parse_times.append(parse_seconds)
        validate_times.append(validate_seconds)
        print(
            f"round {round_number}: plain COPY {copy_seconds:.2f} s · import "
            f"{import_seconds:.2f} s ({import_seconds / copy_seconds:.2f}×) · of which parse "
            f"{parse_seconds:.2f} s, validate {validate_seconds:.2f} s"
        )

    # Informative: the same figures corrected (staging table, revisions).
    real_import(data)
    correction_seconds, correction_counts = real_import(corrected)
    assert correction_counts["updated"] == count, correction_counts
    clean()

    copy_median = statistics.median(copy_times)
    import_median = statistics.median(import_times)
    ratio = import_median / copy_median
    load = os.getloadavg()
    verdict_time = "within" if import_median <= BUDGET_SECONDS else "OVER"
    verdict_ratio = "within" if ratio <= BUDGET_RATIO else "OVER"
    figures = [
        f"- data: {count:,} rows for {len(series)} series of provider {provider.agb_code} "
        f"({len(dates)} peildatums), file {len(data) / 1e6:.1f} MB; {args.repeat} rounds, medians",
        f"- plain COPY of the same rows into `{report_table}` (+ commit): {copy_median:.2f} s",
        f"- import through `waiting_time_reports_import` (parse, validate, store, commit): "
        f"**{import_median:.2f} s** — {verdict_time} the 10 s budget",
        f"- import / COPY: **{ratio:.2f}×** — {verdict_ratio} the 3× budget",
        f"- breakdown: parse {statistics.median(parse_times):.2f} s, validate "
        f"{statistics.median(validate_times):.2f} s, store and commit about "
        f"{import_median - statistics.median(parse_times) - statistics.median(validate_times):.2f}"
        " s",
        f"- informative: the same file with every value changed (100% corrections with "
        f"revisions, staging-table path): {correction_seconds:.2f} s",
        f"- load average during the run: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
    ]
    print("\n".join(figures))
    if not args.no_record:
        append_result(
            "Waiting-time CSV import (100,000 rows) vs plain COPY",
            "DATABASE_URL=postgres://…/zb_bench .venv/bin/python benchmarks/bench_import.py",
            figures,
        )


if __name__ == "__main__":
    main()
