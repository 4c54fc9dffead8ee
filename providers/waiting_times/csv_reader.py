"""Reading waiting-time CSV files: pure parsing, no database (docs/waiting-time-import.md).

Two layouts are recognised by their header line (line 1; errors use the file's line numbers):

* **ours** — UTF-8 (with or without BOM), separated by commas or semicolons, columns
  ``location,specialism,treatment,kind,days,insufficient_observations,reference_date`` (any order;
  ``treatment`` and ``insufficient_observations`` may be left out).
* **NZa** — the NZa open-data file ("Dataset Wachttijden medisch-specialistische zorg"):
  ``;``-separated, ISO-8859-1 (UTF-8 is read too), NZa column names. Only ``TYPE_WACHTTIJD``,
  ``WACHTTIJD`` and ``SPECIALISME`` are known from third-party code; the names of the location
  AGB, peildatum, treatment and insufficient-observation columns are assumptions, and the names
  of NZa's Zorgbeeld API (``Location_AGBCode``, ``Date``, …) are accepted as well.

The parser turns cells into :class:`WaitingTimeRow` values (strings) and leaves every domain rule
to ``providers.waiting_times.validation``; it reports only what it cannot read, as
:class:`RowError` values. Both types are the common currency of every way a figure comes in (the
API and the web form build ``WaitingTimeRow`` values too), so they live here, at the bottom: the
services import this reader, never the reverse.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypedDict

from django.utils.translation import gettext as _


class RowError(TypedDict):
    """One problem of one row: the row (a file's line number, or the item's position counted from
    1), the field (``None``: the row as a whole) and a message for people."""

    row: int | None
    field: str | None
    message: str


@dataclass(slots=True)
class WaitingTimeRow:
    """One waiting-time figure as it came in, not yet checked (CSV cells are strings)."""

    row: int
    location: str
    kind: str
    specialism: str | None = None
    treatment: str | None = None
    days: int | str | None = None
    insufficient_observations: bool | str | None = False
    reference_date: date | str | None = None


OUR_COLUMNS = (
    "location",
    "specialism",
    "treatment",
    "kind",
    "days",
    "insufficient_observations",
    "reference_date",
)
OUR_REQUIRED = ("location", "specialism", "kind", "days", "reference_date")

# Our field → the NZa column names that carry it (lower case). The first name is the one we
# document; "known" names come from code that reads the real file, the others are assumptions.
NZA_COLUMNS: dict[str, tuple[str, ...]] = {
    "location": (
        "agb_code_locatie",
        "agb_locatie",
        "locatie_agb",
        "agbcode_locatie",
        "agb_code_vestiging",
        "location_agbcode",
    ),
    "kind": ("type_wachttijd", "treatmenttype"),
    "days": ("wachttijd", "waitingtime"),
    "specialism": ("specialisme", "specialism"),
    "treatment": ("behandeling", "treatment"),
    "insufficient_observations": ("onvoldoende_waarnemingen", "insufficientobservations"),
    "reference_date": ("peildatum", "datum", "date"),
}
NZA_REQUIRED = ("location", "kind", "days", "specialism", "reference_date")
NZA_DISPLAY = {
    "location": "AGB_CODE_LOCATIE",
    "kind": "TYPE_WACHTTIJD",
    "days": "WACHTTIJD",
    "specialism": "SPECIALISME",
    "treatment": "BEHANDELING",
    "insufficient_observations": "ONVOLDOENDE_WAARNEMINGEN",
    "reference_date": "PEILDATUM",
}
# NZa's TYPE_WACHTTIJD (and the API's TreatmentType) → our kind.
NZA_KINDS = {
    "behandeling": "treatment",
    "polikliniek": "first_visit",
    "polikliniekbezoek": "first_visit",
    "poliklinisch bezoek": "first_visit",
    "eerste polikliniekbezoek": "first_visit",
    "diagnostiek": "diagnostics",
}
NZA_INSUFFICIENT = frozenset({"onvoldoende waarnemingen", "onvoldoende", "ow", "ov"})
NZA_YES = frozenset({"ja", "j", "yes", "true", "1"})
NZA_NO = frozenset({"nee", "n", "no", "false", "0", ""})

_SPECIALISM_IN_LABEL = re.compile(r"\((\d{1,4})\)\s*$")
_DUTCH_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_ISO_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DECIMAL_WHOLE = re.compile(r"^(\d+)[.,]0+$")


@dataclass
class ParsedCsv:
    """What a file held: its layout (``None`` when unreadable), the rows that could be read, the
    problems found, and for each of our field names the file's own column name."""

    layout: str | None
    rows: list[WaitingTimeRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"


def _file_error(message: str, row: int | None = None) -> ParsedCsv:
    return ParsedCsv(layout=None, errors=[{"row": row, "field": None, "message": message}])


def _decode(data: bytes) -> tuple[str, str, int | None]:
    """(text, encoding, line of the first byte that is not UTF-8 or ``None``)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return data.decode("iso-8859-1"), "iso-8859-1", line


def _delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def waiting_time_csv_parse(data: bytes) -> ParsedCsv:
    """Read a CSV file in our layout or the NZa layout (see the module docstring)."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        return _file_error(_("The file is empty."))
    if b"\x00" in data:
        return _file_error(
            _("This is not a CSV text file. Save the spreadsheet as CSV (UTF-8) and try again.")
        )
    text, encoding, bad_line = _decode(data)
    end = text.find("\n")
    header_line = text[: end if end >= 0 else len(text)].strip("\r")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return _file_error(_("The header line (line 1) cannot be read."), row=1)
    names = [name.strip().strip('"').strip().lower() for name in header]
    positions: dict[str, int] = {}
    columns: dict[str, str] = {}

    if "location" in names and "kind" in names:
        layout = "ours"
        positions = {name: names.index(name) for name in OUR_COLUMNS if name in names}
        missing = [name for name in OUR_REQUIRED if name not in positions]
        columns = {name: header[index].strip() for name, index in positions.items()}
    elif any(name in names for name in NZA_COLUMNS["kind"]):
        layout = "nza"
        for our_name, candidates in NZA_COLUMNS.items():
            for candidate in candidates:
                if candidate in names:
                    positions[our_name] = names.index(candidate)
                    columns[our_name] = header[positions[our_name]].strip()
                    break
        missing = [NZA_DISPLAY[name] for name in NZA_REQUIRED if name not in positions]
    else:
        return _file_error(
            _(
                "Unknown layout: the header (line 1) must name the columns %(ours)s, or be the "
                "header of the NZa open-data file (%(nza)s)."
            )
            % {
                "ours": ",".join(OUR_COLUMNS),
                "nza": ";".join(NZA_DISPLAY[name] for name in NZA_REQUIRED),
            },
            row=1,
        )
    if missing:
        return _file_error(
            _("Line 1 (the header) lacks the columns: %(columns)s.")
            % {"columns": ", ".join(missing)},
            row=1,
        )
    if bad_line is not None and layout == "ours":
        return _file_error(
            _(
                "Line %(line)s contains characters that are not UTF-8. Save the file as "
                "CSV (UTF-8) and try again."
            )
            % {"line": bad_line},
            row=bad_line,
        )

    parsed = ParsedCsv(layout=layout, columns=columns, encoding=encoding)
    try:
        if layout == "ours":
            _read_ours(parsed, reader, positions)
        else:
            _read_nza(parsed, reader, positions)
    except csv.Error as exc:
        parsed.errors.append(
            {
                "row": reader.line_num,
                "field": None,
                "message": _("Line %(line)s cannot be read as CSV: %(problem)s")
                % {"line": reader.line_num, "problem": str(exc)},
            }
        )
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(
            {"row": 2, "field": None, "message": _("The file has no rows below the header.")}
        )
    return parsed


def _blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _read_ours(parsed: ParsedCsv, reader: Any, positions: dict[str, int]) -> None:
    """Cells are passed on as they are (the service strips them); a short row is padded."""
    width = max(positions.values()) + 1
    location, specialism, kind, days, reference_date = (positions[name] for name in OUR_REQUIRED)
    treatment = positions.get("treatment")
    insufficient = positions.get("insufficient_observations")
    append = parsed.rows.append
    for cells in reader:
        if len(cells) < width:
            if _blank(cells):
                continue
            cells = cells + [""] * (width - len(cells))
        elif not cells[location] and _blank(cells):
            continue
        append(
            WaitingTimeRow(
                reader.line_num,
                cells[location],
                cells[kind],
                cells[specialism],
                "" if treatment is None else cells[treatment],
                cells[days],
                "" if insufficient is None else cells[insufficient],
                cells[reference_date],
            )
        )


def _read_nza(parsed: ParsedCsv, reader: Any, positions: dict[str, int]) -> None:
    for cells in reader:
        if not _blank(cells):
            _nza_row(parsed, reader.line_num, cells, positions)


def _cell(cells: list[str], positions: dict[str, int], name: str) -> str:
    index = positions.get(name)
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _nza_date(value: str) -> str:
    """NZa dates as ISO (they may be ``2022-11-01``, ``2022-11-01 00:00:00``, ``1-11-2022`` or
    ``20221101``); anything else is passed on for the service to refuse."""
    match = _DUTCH_DATE.match(value)
    if match:
        day, month, year = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    match = _ISO_DATETIME.match(value) or _COMPACT_DATE.match(value)
    if match:
        return "-".join(match.groups())
    return value


def _nza_row(parsed: ParsedCsv, line: int, cells: list[str], positions: dict[str, int]) -> None:
    kind_value = _cell(cells, positions, "kind")
    kind = NZA_KINDS.get(kind_value.lower())
    if kind is None:
        parsed.errors.append(
            {
                "row": line,
                "field": parsed.columns["kind"],
                "message": _(
                    "Unknown type of waiting time “%(value)s”: expected Behandeling, "
                    "Polikliniekbezoek or Diagnostiek."
                )
                % {"value": kind_value},
            }
        )
        return

    specialism = _cell(cells, positions, "specialism")
    match = _SPECIALISM_IN_LABEL.search(specialism)
    if match:  # "Orthopedie (305)" → "0305" (Vektis COD016 without its leading zero)
        specialism = match.group(1).zfill(4)

    days: str | None = _cell(cells, positions, "days")
    insufficient_cell = _cell(cells, positions, "insufficient_observations").lower()
    insufficient: bool | str = insufficient_cell in NZA_YES
    if insufficient_cell not in NZA_YES and insufficient_cell not in NZA_NO:
        insufficient = insufficient_cell  # refused by the service, with the column named
    if days and days.lower() in NZA_INSUFFICIENT:
        days, insufficient = None, True
    elif days:
        whole = _DECIMAL_WHOLE.match(days)
        if whole:
            days = whole.group(1)

    parsed.rows.append(
        WaitingTimeRow(
            row=line,
            location=_cell(cells, positions, "location"),
            kind=kind,
            specialism=specialism,
            # NZa names a treatment on other rows too; it only counts on treatment rows.
            treatment=_cell(cells, positions, "treatment") if kind == "treatment" else "",
            days=days,
            insufficient_observations=insufficient,
            reference_date=_nza_date(_cell(cells, positions, "reference_date")),
        )
    )
