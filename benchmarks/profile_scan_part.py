"""Profile one part of the proactive scan (issue 15) and fingerprint its result.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_bench_h15 \\
        .venv/bin/python benchmarks/profile_scan_part.py [--specialism CODE] [--top 30]

Runs :func:`mediation.waiting_lists.scan.proactive_scan_part_run` for one whole specialism of
the benchmark insurer (by default the one with the most open entries; data from
``generate_waiting_lists.py``) under cProfile, prints the wall time, the counts, a fingerprint
of what it wrote (every invitation's entry, channel, alternatives and figures: SHA-256 of them
sorted by entry) and the top functions by cumulative and by own time. Everything is rolled back,
so runs before and after a change compare like for like.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import time

from django_setup import setup_django

BENCH_UZOVI = "9797"


class _Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--specialism", default="")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from accounts.models import Organisation
    from mediation.waiting_lists.models import (
        Invitation,
        InvitationMail,
        ProactiveScan,
        ProactiveScanPart,
        ScanStatus,
        ScanTrigger,
        WaitingListEntry,
    )
    from mediation.waiting_lists.scan import proactive_scan_part_run
    from providers.models import Specialism

    insurer = Organisation.objects.get(uzovi=BENCH_UZOVI)
    open_entries = WaitingListEntry.objects.filter(insurer=insurer, closed_on__isnull=True)
    if args.specialism:
        specialism = Specialism.objects.get(code=args.specialism)
    else:
        top = (
            open_entries.order_by()
            .values("specialism_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        assert top is not None
        specialism = Specialism.objects.get(pk=top["specialism_id"])
    count = open_entries.filter(specialism=specialism).count()
    print(f"specialism {specialism.code} ({specialism.name}): {count:,} open entries")
    profiler = cProfile.Profile()
    try:
        with transaction.atomic():
            scan = ProactiveScan.objects.create(
                insurer=insurer,
                trigger=ScanTrigger.API,
                specialisms=[specialism.code],
                scan_date=timezone.localdate(),
                status=ScanStatus.RUNNING,
                parts_total=1,
            )
            part = ProactiveScanPart.objects.create(scan=scan, specialism=specialism, entries=count)
            started = time.perf_counter()
            if args.no_profile:
                proactive_scan_part_run(part_id=part.pk)
            else:
                profiler.runcall(proactive_scan_part_run, part_id=part.pk)
            wall = time.perf_counter() - started
            part.refresh_from_db()
            rows = list(
                Invitation.objects.filter(scan=scan)
                .order_by("entry_id")
                .values_list(
                    "entry_id",
                    "channel",
                    "alternatives",
                    "waited_days",
                    "projected_total_days",
                    "norm_max_days",
                    "status",
                )
            )
            mails = InvitationMail.objects.filter(invitation__scan=scan).count()
            digest = hashlib.sha256(
                json.dumps(rows, sort_keys=True, default=str).encode()
            ).hexdigest()
            print(f"wall {wall:.2f} s ({'no profiler' if args.no_profile else 'under cProfile'})")
            print(
                f"scanned {part.scanned:,}, over the norm {part.over_norm:,}, invited "
                f"{part.invited:,}, mails {mails:,}; not invited {part.not_invited}"
            )
            print(f"fingerprint {digest}")
            raise _Rollback
    except _Rollback:
        pass
    if not args.no_profile:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
