"""``python manage.py rebuild_trend_counts [REGION ...]``: recount the regional trend's summary.

The reporting service keeps the summary in step by itself; run this after loading reports in
bulk outside it (a database restore, a hand-made ``COPY``). Region codes limit it to those regions.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from providers.models import Region, RegionTrendCount
from providers.reports.trend_counts import region_trend_counts_rebuild


class Command(BaseCommand):
    help = "Recount the regional trend's summary from the waiting-time reports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("regions", nargs="*", help="ROAZ region codes (default: all)")

    def handle(self, *args: Any, regions: list[str], **options: Any) -> None:
        region_ids = None
        if regions:
            found = dict(Region.objects.filter(code__in=regions).values_list("code", "pk"))
            unknown = sorted(set(regions) - set(found))
            if unknown:
                raise CommandError(f"Unknown region code(s): {', '.join(unknown)}")
            region_ids = list(found.values())
        region_trend_counts_rebuild(region_ids=region_ids)
        rows = RegionTrendCount.objects.count()
        self.stdout.write(f"Regional trend counts rebuilt: {rows} rows in the summary.")
