"""Waiting lists at national scale (issue 15): the upload of a 100,000-entry snapshot against a
plain COPY, and the proactive scan of the benchmark insurer's entries with 1 and 2 real Celery
workers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_bench_h15 \\
        .venv/bin/python benchmarks/generate_waiting_lists.py --entries 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_bench_h15 \\
        .venv/bin/python benchmarks/bench_waiting_lists.py [--upload-entries 100000] [--workers 1 2]

* **Upload**: a snapshot of ``--upload-entries`` rows for one benchmark provider (its own
  locations, the entry fields of DESIGN §3.6 as the API takes them). First the same rows go into
  the entry table with one plain ``COPY`` (and are removed again); then through
  :func:`mediation.waiting_lists.uploads.waiting_list_upload` (check every row, store, close the
  missing, flag duplicates, link open cases, commit). Also measured: the same snapshot uploaded
  again (nothing changed: the nightly case).
* **Scan**: for each worker count, ``celery worker`` processes (each ``--concurrency 1``) are
  started against Redis (``--redis``, default ``redis://127.0.0.1:6379/14``); the scan is started
  as a mediator would and its row polled until it has finished. Wall time from start to finish,
  and each worker's peak RSS (``VmHWM`` of its pool process). The scan's invitations are removed
  between runs (otherwise the quiet period would leave the second run nothing to do).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from django_setup import PROJECT_ROOT, setup_django
from results import append_result

BENCH_UZOVI = "9797"


def log(message: str) -> None:
    print(message, flush=True)


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


def upload_bench(*, entries: int) -> list[str]:
    from django.db import connection, transaction
    from django.utils import timezone
    from generate import _copy, _table

    from accounts.actors import Actor
    from accounts.models import Organisation, OrganisationKind, Role
    from mediation.waiting_lists.models import WaitingListEntry, WaitingListUpload
    from mediation.waiting_lists.uploads import waiting_list_upload
    from providers.models import Location, Provider, WaitingTimeSeries

    today = timezone.localdate()
    provider = (
        Provider.objects.filter(agb_code__startswith="97", kind="hospital")
        .order_by("agb_code")
        .first()
    )
    assert provider is not None, "run generate_waiting_lists.py first"
    organisation, _ = Organisation.objects.get_or_create(
        provider=provider, defaults={"kind": OrganisationKind.PROVIDER, "name": provider.name}
    )
    insurer = Organisation.objects.get(uzovi=BENCH_UZOVI)
    series = list(
        WaitingTimeSeries.objects.filter(location__provider=provider).values_list(
            "location__code", "specialism__code", "treatment__code", "kind"
        )
    )
    postcodes = list(Location.objects.filter(provider=provider).values_list("postcode", flat=True))
    # The provider's own benchmark entries go: this snapshot is its whole list.
    WaitingListEntry.objects.filter(provider=provider).delete()
    WaitingListUpload.objects.filter(provider=provider).delete()
    rows = []
    for number in range(entries):
        location, specialism, treatment, kind = series[number % len(series)]
        waited = number % 300
        rows.append(
            {
                "external_id": f"U-{number:07d}",
                "location": location,
                "insurer": BENCH_UZOVI,
                "policy_number": f"U{number:09d}",
                "full_name": f"Upload Patiënt {number}",
                "birth_date": f"{1940 + number % 70}-0{1 + number % 9}-1{number % 9}",
                "email": f"u{number}@bench.invalid",
                "phone": "0612345678",
                "postcode": postcodes[number % len(postcodes)],
                "specialism": specialism,
                "treatment": treatment,
                "kind": kind,
                "urgency_class": 3 + number % 3,
                "waiting_since": (today - timedelta(days=waited)).isoformat(),
                "expected_date": None,
                "consent_date": (today - timedelta(days=waited // 2)).isoformat(),
            }
        )
    location_ids = dict(Location.objects.filter(provider=provider).values_list("code", "pk"))
    from providers.models import Specialism, Treatment

    specialism_ids = dict(Specialism.objects.values_list("code", "pk"))
    treatment_ids = dict(Treatment.objects.values_list("code", "pk"))
    now = timezone.now().isoformat()

    # Plain COPY of the same rows (then removed again).
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        _copy(
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
                "is_duplicate",
                "implausible",
                "created_at",
                "updated_at",
            ],
            (
                (
                    provider.pk,
                    row["external_id"],
                    location_ids[row["location"]],
                    insurer.pk,
                    row["policy_number"],
                    row["full_name"],
                    row["birth_date"],
                    row["email"],
                    row["phone"],
                    row["postcode"],
                    specialism_ids[row["specialism"]],
                    treatment_ids[row["treatment"]] if row["treatment"] else None,
                    row["kind"],
                    row["urgency_class"],
                    row["waiting_since"],
                    None,
                    row["consent_date"],
                    "f",
                    "",
                    now,
                    now,
                )
                for row in rows
            ),
        )
    copy_seconds = time.perf_counter() - started
    WaitingListEntry.objects.filter(provider=provider).delete()

    actor = Actor(organisation=organisation, roles=frozenset({Role.PLANNER}))
    started = time.perf_counter()
    upload = waiting_list_upload(
        actor=actor, rows=list(enumerate(rows, start=1)), source="api", today=today
    )
    upload_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = waiting_list_upload(
        actor=actor, rows=list(enumerate(rows, start=1)), source="api", today=today
    )
    again_seconds = time.perf_counter() - started
    ratio = upload_seconds / copy_seconds
    return [
        f"- upload data: {entries:,} entries of provider {provider.agb_code} "
        f"({len(location_ids)} locations, {len(series)} series); "
        f"{WaitingListEntry.objects.count():,} entries in the table",
        f"- plain COPY of the same rows (+ commit): {copy_seconds:.2f} s",
        f"- `waiting_list_upload` (check, store, close, duplicates, case links, commit): "
        f"**{upload_seconds:.2f} s** — {upload.created:,} new",
        f"- upload / COPY: **{ratio:.2f}×** — {'within' if ratio <= 3 else 'OVER'} the 3× budget",
        f"- informative: the same snapshot again (nothing changed, {again.created} new, "
        f"{again.closed} closed): {again_seconds:.2f} s",
    ]


def _scans_remove(insurer_id: int) -> None:
    """The benchmark insurer's scans, invitations and their mails, with plain SQL (the ORM's
    cascade would load hundreds of thousands of rows first)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM mediation_invitationmail WHERE invitation_id IN "
            "(SELECT id FROM mediation_invitation WHERE insurer_id = %s)",
            [insurer_id],
        )
        cursor.execute("DELETE FROM mediation_invitation WHERE insurer_id = %s", [insurer_id])
        cursor.execute(
            "DELETE FROM mediation_proactivescanpart WHERE scan_id IN "
            "(SELECT id FROM mediation_proactivescan WHERE insurer_id = %s)",
            [insurer_id],
        )
        cursor.execute("DELETE FROM mediation_proactivescan WHERE insurer_id = %s", [insurer_id])


def scan_bench(*, workers: int, redis_url: str) -> list[str]:
    from django.utils import timezone

    from accounts.models import Organisation
    from mediation.waiting_lists.models import ScanStatus, ScanTrigger
    from mediation.waiting_lists.scan import proactive_scan_start

    insurer = Organisation.objects.get(uzovi=BENCH_UZOVI)
    _scans_remove(insurer.pk)
    # Nothing left in the benchmark's own broker database (e.g. the last run's mail tasks).
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
    }
    processes = []
    for number in range(workers):
        processes.append(
            subprocess.Popen(  # noqa: S603 - our own worker command
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--concurrency",
                    "1",
                    "--pool",
                    "prefork",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel",
                    "WARNING",
                    "-n",
                    f"bench{number}@%h",
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        time.sleep(8)  # the workers connect to the broker
        started = time.perf_counter()
        scan = proactive_scan_start(
            insurer=insurer, trigger=ScanTrigger.API, today=timezone.localdate()
        )
        peaks: dict[int, int] = {}
        while True:
            for process in processes:
                for child in _children(process.pid):
                    peaks[child] = max(peaks.get(child, 0), _vm_hwm_kb(child))
            scan.refresh_from_db()
            if scan.status in (ScanStatus.SUCCEEDED, ScanStatus.FAILED):
                break
            if time.perf_counter() - started > 3600:
                break
            time.sleep(0.5)
        wall = time.perf_counter() - started
        for process in processes:
            for child in _children(process.pid):
                peaks[child] = max(peaks.get(child, 0), _vm_hwm_kb(child))
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    not_invited = ", ".join(f"{k} {v:,}" for k, v in (scan.not_invited or {}).items())
    peak_text = ", ".join(f"{kb / 1024:.0f} MiB" for kb in sorted(peaks.values(), reverse=True))
    return [
        f"- scan with **{workers} worker{'s' if workers > 1 else ''}** "
        f"(celery prefork, concurrency 1 each, Redis broker): **{wall:.1f} s** wall, "
        f"status {scan.status}, {scan.parts_total} specialism parts",
        f"  - scanned {scan.scanned:,}, over the norm {scan.over_norm:,}, invited "
        f"{scan.invited:,}; not invited: {not_invited}",
        f"  - peak RSS per worker pool process: {peak_text or 'not read'}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upload-entries", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--skip-upload", action="store_true")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    os.environ["REDIS_URL"] = args.redis  # the scan's tasks go to the workers' broker
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
    setup_django()
    from mediation.waiting_lists.models import WaitingListEntry

    lines: list[str] = []
    if not args.skip_upload:
        lines += upload_bench(entries=args.upload_entries)
        for line in lines:
            log(line)
    total = WaitingListEntry.objects.filter(insurer__uzovi=BENCH_UZOVI).count()
    lines.append(f"- scan data: {total:,} open entries of insurer {BENCH_UZOVI}")
    log(lines[-1])
    for workers in args.workers:
        found = scan_bench(workers=workers, redis_url=args.redis)
        for line in found:
            log(line)
        lines += found
    load = os.getloadavg()
    lines.append(
        f"- load average (1/5/15 min) at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
    )
    if not args.no_record:
        append_result(
            "Waiting lists: 100k snapshot upload vs COPY; proactive scan with 1 and 2 workers",
            " ".join(["benchmarks/bench_waiting_lists.py", *sys.argv[1:]]),
            lines,
        )


if __name__ == "__main__":
    Path(PROJECT_ROOT)  # the project root is on sys.path (django_setup)
    main()
