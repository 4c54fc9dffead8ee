"""``python manage.py import_postcodes <NL.txt|NL.zip> [--prune] [--dry-run]``.

Refreshes the PC4 table from a GeoNames postal-code download for the Netherlands
(https://download.geonames.org/export/zip/NL.zip, CC BY 4.0: keep the attribution "GeoNames").

All or nothing: a file with any malformed line is refused as a whole, with the line numbers; a
good file is applied in one transaction. PC4s are inserted or updated; PC4s missing from the file
are kept unless ``--prune`` is given (a download can lag behind, and locations may still use them).

Two curated values survive a refresh, because GeoNames is less reliable than the table:
- the municipality *name* of a known CBS code (the 2024 export has "Hoogland" for Nijkerk and
  "Den Haag" for 's-Gravenhage; operators' corrections in the admin stay);
- municipality and province of a PC4 for which the file has no admin fields at all (the Voorne
  aan Zee places in 2024).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from providers.geography.geonames import parse_geonames
from providers.geography.services import postcode_areas_upsert

MAX_ERRORS_SHOWN = 50


@contextmanager
def _open_lines(path: Path) -> Iterator[io.TextIOBase]:
    """The text of ``NL.txt``, also from inside the ``NL.zip`` that GeoNames publishes."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if name.lower() != "readme.txt"]
            if len(names) != 1:
                raise CommandError(f"{path}: expected one data file in the zip, found {names}.")
            with archive.open(names[0]) as raw:
                yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield handle


class Command(BaseCommand):
    help = "Refresh the PC4 postcode areas from a GeoNames NL.txt (or NL.zip) download."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="GeoNames NL.txt or NL.zip")
        parser.add_argument(
            "--prune", action="store_true", help="delete PC4s that are not in the file"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, change nothing"
        )

    def handle(self, *args: Any, path: Path, prune: bool, dry_run: bool, **options: Any) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            with _open_lines(path) as lines:
                result = parse_geonames(lines)
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text ({exc}).") from exc
        if result.errors:
            shown = [str(error) for error in result.errors[:MAX_ERRORS_SHOWN]]
            if len(result.errors) > MAX_ERRORS_SHOWN:
                shown.append(f"… and {len(result.errors) - MAX_ERRORS_SHOWN} more")
            raise CommandError(
                f"{path}: {len(result.errors)} malformed line(s), nothing imported:\n"
                + "\n".join(shown)
            )
        if not result.areas:
            raise CommandError(f"{path}: no postcode areas found, nothing imported.")

        with transaction.atomic():
            counts = postcode_areas_upsert(records=result.areas, prune=prune)
            if dry_run:
                transaction.set_rollback(True)

        prefix = "Dry run, nothing stored. " if dry_run else ""
        self.stdout.write(
            f"{prefix}{len(result.areas)} postcode areas: {counts.created} created, "
            f"{counts.updated} updated, {counts.unchanged} unchanged, {counts.deleted} deleted "
            f"({result.skipped_lines} lines skipped: pseudo code 9999 or outside the Netherlands)."
        )
