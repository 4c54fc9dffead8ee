"""Demo data: the synthetic national NZa file (``portal/demo/data/nza_wachttijden_demo.csv``,
fictional providers in the NZa layout), imported through the national import as the platform
operator would (``providers.nza``).

The file's peildatums are moved to the current cycle first (by whole cycles of two weeks), so
that its figures are as fresh as the rest of the demo; otherwise the file is imported as it is.
Its lines for the demo provider "Demo UMC Groningen" sit beside that provider's own figures of the
same peildatum, so the precedence of a provider's own report is visible (``kept_provider``).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from accounts.actors import actor_for_system
from providers.models import WaitingTimeImport
from providers.nza.imports import nza_import_run_file
from providers.nza.services import NationalImportResult
from providers.waiting_times.rules import nza_reference_dates

DEMO_NATIONAL_FILE = Path(__file__).resolve().parent / "data" / "nza_wachttijden_demo.csv"
_ENCODING = "iso-8859-1"  # as the NZa publishes it
_DATE_COLUMN = "PEILDATUM"


def demo_national_file(*, today: date) -> bytes:
    """The demo file with its peildatums moved to the cycle of ``today`` (the newest one becomes
    the latest peildatum on or before ``today``; the others keep their distance to it)."""
    text = DEMO_NATIONAL_FILE.read_text(encoding=_ENCODING)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    column = rows[0].index(_DATE_COLUMN)
    newest = max(date.fromisoformat(row[column]) for row in rows[1:] if row)
    shift = nza_reference_dates(last=today, count=1)[0] - newest
    for row in rows[1:]:
        if row:
            row[column] = (date.fromisoformat(row[column]) + shift).isoformat()
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(_ENCODING)


def seed_demo_national(*, today: date) -> tuple[WaitingTimeImport, NationalImportResult | None]:
    """Import the synthetic national file (its new providers marked as demo data)."""
    return nza_import_run_file(
        file=io.BytesIO(demo_national_file(today=today)),
        file_name=DEMO_NATIONAL_FILE.name,
        actor=actor_for_system("seed_demo"),
        is_demo=True,
    )
