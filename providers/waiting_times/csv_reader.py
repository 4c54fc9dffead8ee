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

The reader (:func:`waiting_time_csv_open`) takes a binary file and gives its rows one at a time,
so that a file of 50 MB is never held in memory, as bytes, text or rows: a first pass over the
bytes, a piece at a time, finds the encoding (UTF-8 when every byte is, ISO-8859-1 otherwise, as
for the whole file before), NUL bytes and the line of the first byte that is not UTF-8; a second
pass decodes and parses. It turns cells into :class:`WaitingTimeRow` values (strings) and leaves
every domain rule to ``providers.waiting_times.validation``; it reports only what it cannot read,
as :class:`RowError` values. Both types are the common currency of every way a figure comes in (the
API and the web form build ``WaitingTimeRow`` values too), so they live here, at the bottom: the
services import this reader, never the reverse.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO, Self, TypedDict

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
    """What a whole file held (:func:`waiting_time_csv_parse`): its layout (``None`` when
    unreadable), the rows that could be read, the problems found, and for each of our field names
    the file's own column name."""

    layout: str | None
    rows: list[WaitingTimeRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"


# The file is scanned and decoded in pieces of this size: memory does not grow with the file.
READ_CHUNK_BYTES = 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_BLANK_BYTES = b" \t\r\n" + _BOM


@dataclass
class _Scan:
    """What a first look at the bytes tells: whether there is text at all, whether there are NUL
    bytes (not a text file), a UTF-8 byte order mark, and the line of the first byte that is not
    UTF-8 (``None``: the whole file is UTF-8)."""

    has_text: bool = False
    has_nul: bool = False
    bom: bool = False
    bad_line: int | None = None


def _scan(file: BinaryIO) -> _Scan:
    """One pass over the bytes, a piece at a time (the encoding is the whole file's: UTF-8 if every
    byte is, otherwise ISO-8859-1)."""
    scan = _Scan()
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    head = file.read(max(READ_CHUNK_BYTES, len(_BOM)))  # the whole byte order mark, if any
    scan.bom = head.startswith(_BOM)
    rest = iter(lambda: file.read(READ_CHUNK_BYTES), b"")
    for chunk in itertools.chain([head[len(_BOM) :] if scan.bom else head], rest):
        if b"\x00" in chunk:
            scan.has_nul = True
            return scan
        if not scan.has_text and chunk.translate(None, _BLANK_BYTES):
            scan.has_text = True
        if scan.bad_line is None:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # exc.object is the decoder's few pending bytes (never a newline) and this chunk.
                scan.bad_line = newlines + exc.object.count(b"\n", 0, exc.start) + 1
        newlines += chunk.count(b"\n")
    if scan.bad_line is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:  # the file ends inside a multi-byte character
            scan.bad_line = newlines + 1
    return scan


def _delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _file_error(message: str, row: int | None = None) -> RowError:
    return {"row": row, "field": None, "message": message}


class TextFileReading:
    """A text file of the caller's, read as a stream: its encoding (UTF-8, else ISO-8859-1), or why
    it is refused as a whole (``error``). The provider's CSV (:class:`CsvReading`) and the NZa's
    national file (``providers.nza.reader.NzaReading``) read their header on top of it (``_open``).
    Use it as a context manager: it reads the caller's file and leaves it open."""

    def __init__(self, file: BinaryIO):
        self.layout: str | None = None
        self.columns: dict[str, str] = {}
        self.encoding = "utf-8"
        self.error: RowError | None = None
        self._positions: dict[str, int] = {}
        self._text: io.TextIOWrapper | None = None
        self._reader: Any = None
        self._bad_line: int | None = None
        self._open(file)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Let go of the caller's file without closing it."""
        if self._text is not None:
            self._text.detach()
            self._text = None

    def _refuse(self, message: str, row: int | None = None) -> None:
        self.layout = None
        self.error = _file_error(message, row)
        self.close()

    def _open(self, file: BinaryIO) -> None:
        raise NotImplementedError

    def _first_line(self, file: BinaryIO, *, not_text: str) -> str | None:
        """Open the file as text and return its first line; ``None`` when it is refused (empty,
        or not text: ``not_text`` says what was expected)."""
        file.seek(0)
        scan = _scan(file)
        if not scan.has_text and not scan.has_nul:
            self._refuse(_("The file is empty."))
            return None
        if scan.has_nul:
            self._refuse(not_text)
            return None
        # The first line that is not UTF-8 (then read as ISO-8859-1), if any.
        self._bad_line = scan.bad_line
        self.encoding = "utf-8" if scan.bad_line is None else "iso-8859-1"
        file.seek(len(_BOM) if scan.bom else 0)
        # newline="": the csv module sees the line ends as they are (quoted line breaks, "\r\n").
        self._text = io.TextIOWrapper(file, encoding=self.encoding, newline="")
        return self._text.readline()

    def _csv_header(self, first_line: str) -> list[str] | None:
        """Start the CSV reader (the delimiter the header uses) and return the header's cells;
        ``None`` when the header cannot be read (refused)."""
        assert self._text is not None
        self._reader = csv.reader(
            itertools.chain([first_line], self._text),
            delimiter=_delimiter(first_line.rstrip("\r\n")),
        )
        try:
            return list(next(self._reader))
        except (StopIteration, csv.Error):
            self._refuse(_("The header line (line 1) cannot be read."), row=1)
            return None


class CsvReading(TextFileReading):
    """A CSV file opened by :func:`waiting_time_csv_open`: what its header line says (``layout``,
    ``columns``, ``encoding``), or why the file as a whole is refused (``error``); then its rows,
    one at a time (:meth:`items`). Use it as a context manager: it reads the caller's file and
    leaves it open."""

    def _open(self, file: BinaryIO) -> None:
        first_line = self._first_line(
            file,
            not_text=_(
                "This is not a CSV text file. Save the spreadsheet as CSV (UTF-8) and try again."
            ),
        )
        if first_line is None:
            return None
        header = self._csv_header(first_line)
        if header is None:
            return None
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
            return self._refuse(
                _(
                    "Unknown layout: the header (line 1) must name the columns %(ours)s, or be "
                    "the header of the NZa open-data file (%(nza)s)."
                )
                % {
                    "ours": ",".join(OUR_COLUMNS),
                    "nza": ";".join(NZA_DISPLAY[name] for name in NZA_REQUIRED),
                },
                row=1,
            )
        if missing:
            return self._refuse(
                _("Line 1 (the header) lacks the columns: %(columns)s.")
                % {"columns": ", ".join(missing)},
                row=1,
            )
        if self._bad_line is not None and layout == "ours":
            return self._refuse(
                _(
                    "Line %(line)s contains characters that are not UTF-8. Save the file as "
                    "CSV (UTF-8) and try again."
                )
                % {"line": self._bad_line},
                row=self._bad_line,
            )
        self.layout, self.columns, self._positions = layout, columns, positions
        return None

    def items(self) -> Iterator[WaitingTimeRow | RowError]:
        """The rows below the header in the file's order: a :class:`WaitingTimeRow` for each line
        that could be read, a :class:`RowError` for each that could not. A line that is not CSV
        ends the file (its error is the last item); a file without rows gives one error."""
        if self.error is not None or self._reader is None:
            return
        reader = self._reader
        read_any = False
        try:
            rows = (
                _read_ours(reader, self._positions)
                if self.layout == "ours"
                else _read_nza(reader, self._positions, self.columns)
            )
            for item in rows:
                read_any = True
                yield item
        except csv.Error as exc:
            read_any = True
            yield _file_error(
                _("Line %(line)s cannot be read as CSV: %(problem)s")
                % {"line": reader.line_num, "problem": str(exc)},
                row=reader.line_num,
            )
        if not read_any:
            yield _file_error(_("The file has no rows below the header."), row=2)


def waiting_time_csv_open(file: BinaryIO) -> CsvReading:
    """Open a CSV file in our layout or the NZa layout (see the module docstring) for reading its
    rows one at a time: the file (seekable, binary) is read twice, a piece at a time — once to
    learn its encoding, once to read it — so memory does not grow with its size."""
    return CsvReading(file)


def waiting_time_csv_parse(data: bytes) -> ParsedCsv:
    """Read a whole CSV file held in memory (a small one: the import streams its file through
    :func:`waiting_time_csv_open`)."""
    with waiting_time_csv_open(io.BytesIO(data)) as reading:
        if reading.error is not None:
            return ParsedCsv(layout=None, errors=[reading.error])
        parsed = ParsedCsv(
            layout=reading.layout, columns=reading.columns, encoding=reading.encoding
        )
        for item in reading.items():
            if isinstance(item, WaitingTimeRow):
                parsed.rows.append(item)
            else:
                parsed.errors.append(item)
    return parsed


def _blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _read_ours(reader: Any, positions: dict[str, int]) -> Iterator[WaitingTimeRow]:
    """Cells are passed on as they are (the service strips them); a short row is padded."""
    width = max(positions.values()) + 1
    location, specialism, kind, days, reference_date = (positions[name] for name in OUR_REQUIRED)
    treatment = positions.get("treatment")
    insufficient = positions.get("insufficient_observations")
    for cells in reader:
        if len(cells) < width:
            if _blank(cells):
                continue
            cells = cells + [""] * (width - len(cells))
        elif not cells[location] and _blank(cells):
            continue
        yield WaitingTimeRow(
            reader.line_num,
            cells[location],
            cells[kind],
            cells[specialism],
            "" if treatment is None else cells[treatment],
            cells[days],
            "" if insufficient is None else cells[insufficient],
            cells[reference_date],
        )


def _read_nza(
    reader: Any, positions: dict[str, int], columns: dict[str, str]
) -> Iterator[WaitingTimeRow | RowError]:
    for cells in reader:
        if not _blank(cells):
            yield _nza_row(reader.line_num, cells, positions, columns)


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


def _nza_row(
    line: int, cells: list[str], positions: dict[str, int], columns: dict[str, str]
) -> WaitingTimeRow | RowError:
    kind_value = _cell(cells, positions, "kind")
    kind = NZA_KINDS.get(kind_value.lower())
    if kind is None:
        return {
            "row": line,
            "field": columns["kind"],
            "message": _(
                "Unknown type of waiting time “%(value)s”: expected Behandeling, "
                "Polikliniekbezoek or Diagnostiek."
            )
            % {"value": kind_value},
        }

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

    return WaitingTimeRow(
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
