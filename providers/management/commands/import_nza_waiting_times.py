"""``python manage.py import_nza_waiting_times FILE``: load the national NZa waiting-time data.

FILE is the NZa open-data CSV ("Dataset Wachttijden medisch-specialistische zorg", ``;``,
ISO-8859-1 or UTF-8) or a JSON file of Zorgbeeld API records. Unknown providers, locations and
treatments are created (treatments for review), lines that cannot be mapped are skipped and
listed, a provider's own figures win over the NZa's for the same series and peildatum; importing
the same file again changes nothing (``providers.nza.services``; docs/waiting-time-import.md).
The import is recorded as a national ``WaitingTimeImport`` (visible in the admin).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import actor_for_system
from providers.models import WaitingTimeImportStatus
from providers.nza.imports import nza_import_run_file

MAX_SKIPPED_SHOWN = 50


class Command(BaseCommand):
    help = "Import the national NZa waiting-time file (open-data CSV or Zorgbeeld JSON records)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the NZa CSV file or a JSON file of records")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        last = [-1]

        def progress(fraction: float) -> None:
            percent = int(fraction * 100)
            if percent >= last[0] + 10 and options.get("verbosity", 1) > 1:
                last[0] = percent
                self.stderr.write(f"{percent} %")

        with file.open("rb") as stream:
            job, result = nza_import_run_file(
                file=stream,
                file_name=file.name,
                actor=actor_for_system("import_nza_waiting_times"),
                progress=progress,
            )
        if job.status == WaitingTimeImportStatus.FAILED or result is None:
            for error in job.errors:
                self.stderr.write(f"line {error['row']}: {error['message']}")
            raise CommandError(f"{file}: not imported (import {job.pk}).")
        counts = result.counts
        self.stdout.write(
            f"Import {job.pk}: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['kept_provider']} kept (the provider's "
            f"own figure), {counts['skipped']} lines skipped."
        )
        self.stdout.write(
            f"Providers: {result.providers_created} created, {result.providers_updated} "
            f"updated; locations: {result.locations_created} created, "
            f"{result.locations_updated} updated."
        )
        if result.treatments_created:
            self.stdout.write(
                f"{len(result.treatments_created)} treatments created for review (admin: "
                "Treatments, filter 'needs review'):"
            )
            for treatment in result.treatments_created:
                self.stdout.write(
                    f"  {treatment['code']}: {treatment['name']} ({treatment['specialism']}, "
                    f"{treatment['setting']})"
                )
        if result.unknown_regions:
            self.stdout.write(
                "Unknown ROAZ_REGIO values (the region was approximated from the postcode): "
                + ", ".join(result.unknown_regions)
            )
        for error in result.skipped_lines[:MAX_SKIPPED_SHOWN]:
            field = f" {error['field']}" if error["field"] else ""
            self.stdout.write(f"  skipped line {error['row']}{field}: {error['message']}")
        if len(result.skipped_lines) > MAX_SKIPPED_SHOWN:
            self.stdout.write(
                f"  … {len(result.skipped_lines) - MAX_SKIPPED_SHOWN} more skipped lines listed "
                f"in import {job.pk}."
            )
