"""Reading the national NZa waiting-time data: pure parsing, no database (issue 14; DESIGN §3.8;
docs/waiting-time-import.md, "The national NZa import").

Two forms of the same data are read:

* the **open-data CSV** ("Dataset Wachttijden medisch-specialistische zorg"): ``;``-separated,
  ISO-8859-1 or UTF-8 (found by looking at the bytes, as for a provider's own file), recognised by
  a ``TYPE_WACHTTIJD`` (or ``TreatmentType``) column;
* a **file of Zorgbeeld API records** (``GET …/openapi/WaitingTimeMSZ`` saved as JSON): a list of
  objects, or an object whose ``value``/``data``/``items``/``results`` member is that list.

Column and field names are data: :data:`NZA_NATIONAL_COLUMNS` maps each of our fields to the names
that carry it (the first one is the one we document; matched without regard to case, in CSV headers
and JSON keys alike), so a renamed column is a one-line change there. No copy of the real NZa file
was available (``shared/data/nza_wachttijden_schema.md``): the names of the Zorgbeeld API are known
from third-party code, most CSV names are assumptions.

The reader yields one :class:`NzaLine` per line (a :class:`WaitingTimeRow` plus the provider and
location fields of the line) or a :class:`RowError` for a line it cannot read; whether a line can
be mapped (known specialism, kind of institution, postcode …) is for ``providers.nza.services``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.utils.translation import gettext as _

from providers.waiting_times.csv_reader import (
    _DECIMAL_WHOLE,
    _SPECIALISM_IN_LABEL,
    NZA_COLUMNS,
    NZA_INSUFFICIENT,
    NZA_KINDS,
    NZA_NO,
    NZA_YES,
    RowError,
    TextFileReading,
    WaitingTimeRow,
    _file_error,
    _nza_date,
)

# Our field → the NZa column (CSV) or field (API JSON) names that carry it, lower case. The
# waiting-time fields are those a provider's own NZa-layout file is read with
# (``providers.waiting_times.csv_reader.NZA_COLUMNS``); the national file adds who and where.
NZA_NATIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    **NZA_COLUMNS,
    "provider_agb": (
        "agb_code_zorgaanbieder",
        "agb_zorgaanbieder",
        "agb_code_instelling",
        "agb_instelling",
        "careprovider_agbcode",
    ),
    "provider_name": ("zorgaanbieder", "naam_zorgaanbieder", "instelling", "careprovider"),
    "kvk": ("kvk_instelling", "kvk_nummer", "kvknumber"),
    "provider_type": ("type_zorginstelling", "type_instelling", "careprovidertype"),
    "roaz_region": ("roaz_regio", "roaz", "roazregion"),
    "location_name": ("locatie", "naam_locatie", "vestiging", "location"),
    "street": ("straat", "street"),
    "street_number": ("huisnummer", "streetnumber"),
    "postcode": ("postcode", "postalcode"),
    "city": ("plaats", "woonplaats", "city"),
    "treatment_number": ("behandelnummer", "nummer_behandeling", "treatmentnumber"),
}
NZA_NATIONAL_REQUIRED = ("location", "provider_agb", "kind", "days", "specialism", "reference_date")
# The names we document, for messages about a missing column.
NZA_NATIONAL_DISPLAY = {
    "location": "AGB_CODE_LOCATIE",
    "provider_agb": "AGB_CODE_ZORGAANBIEDER",
    "kind": "TYPE_WACHTTIJD",
    "days": "WACHTTIJD",
    "specialism": "SPECIALISME",
    "reference_date": "PEILDATUM",
}
# Where a list of records may sit in a JSON object (API envelopes).
_JSON_LIST_KEYS = ("value", "data", "items", "results", "records")


@dataclass(slots=True)
class NzaLine:
    """One line of the national file: the figure (``figure.treatment`` is the NZa's treatment
    name, ``figure.specialism`` the Vektis code when the label carried one) and the who and where
    of the line, as strings (empty when absent)."""

    figure: WaitingTimeRow
    specialism_label: str
    provider_agb: str
    provider_name: str
    kvk: str
    provider_type: str
    roaz_region: str
    location_name: str
    street: str
    postcode: str
    city: str
    treatment_number: str


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# The position of each of our fields in a line's values (the order of NZA_NATIONAL_COLUMNS).
_FIELDS = tuple(NZA_NATIONAL_COLUMNS)
(
    _LOCATION,
    _KIND,
    _DAYS,
    _SPECIALISM,
    _TREATMENT,
    _INSUFFICIENT,
    _REFERENCE_DATE,
    _PROVIDER_AGB,
    _PROVIDER_NAME,
    _KVK,
    _PROVIDER_TYPE,
    _ROAZ,
    _LOCATION_NAME,
    _STREET,
    _STREET_NUMBER,
    _POSTCODE,
    _CITY,
    _TREATMENT_NUMBER,
) = range(len(_FIELDS))
assert _FIELDS[_TREATMENT_NUMBER] == "treatment_number" and _FIELDS[_PROVIDER_AGB] == "provider_agb"
_CACHE_LIMIT = 10_000


class _LineMaker:
    """Turns a line's values (strings, in the order of :data:`NZA_NATIONAL_COLUMNS`) into an
    :class:`NzaLine`. A national file repeats a few hundred distinct labels, dates and numbers
    millions of times: each is interpreted once."""

    def __init__(self, columns: dict[str, str]):
        self.columns = columns
        self.specialisms: dict[str, str] = {}
        self.dates: dict[str, str] = {}

    def specialism(self, label: str) -> str:
        code = self.specialisms.get(label)
        if code is None:
            code = label
            match = _SPECIALISM_IN_LABEL.search(label)
            if match:  # "Orthopedie (305)" → "0305" (Vektis COD016 without its leading zero)
                code = match.group(1).zfill(4)
            if len(self.specialisms) < _CACHE_LIMIT:
                self.specialisms[label] = code
        return code

    def date(self, value: str) -> str:
        iso = self.dates.get(value)
        if iso is None:
            iso = _nza_date(value)
            if len(self.dates) < _CACHE_LIMIT:
                self.dates[value] = iso
        return iso

    def line(self, number: int, v: list[str]) -> NzaLine | RowError:
        kind_value = v[_KIND]
        kind = NZA_KINDS.get(kind_value.lower())
        if kind is None:
            return {
                "row": number,
                "field": self.columns.get("kind", "TYPE_WACHTTIJD"),
                "message": _(
                    "Unknown type of waiting time “%(value)s”: expected Behandeling, "
                    "Polikliniekbezoek or Diagnostiek."
                )
                % {"value": kind_value},
            }
        days, insufficient = days_and_flag(v[_DAYS], v[_INSUFFICIENT])
        street, street_number = v[_STREET], v[_STREET_NUMBER]
        label = v[_SPECIALISM]
        return NzaLine(
            WaitingTimeRow(
                number,
                v[_LOCATION],
                kind,
                self.specialism(label),
                v[_TREATMENT] if kind == "treatment" else "",
                days,
                insufficient,
                self.date(v[_REFERENCE_DATE]),
            ),
            label,
            v[_PROVIDER_AGB],
            v[_PROVIDER_NAME],
            v[_KVK],
            v[_PROVIDER_TYPE],
            v[_ROAZ],
            v[_LOCATION_NAME],
            f"{street} {street_number}".strip() if street_number else street,
            v[_POSTCODE],
            v[_CITY],
            v[_TREATMENT_NUMBER],
        )


def days_and_flag(days_cell: str, flag_cell: str) -> tuple[str | None, bool | str]:
    """A line's WACHTTIJD and ONVOLDOENDE_WAARNEMINGEN cells as the check takes them."""
    days: str | None = days_cell
    flag = flag_cell.lower()
    insufficient: bool | str = flag in NZA_YES
    if not insufficient and flag not in NZA_NO:
        insufficient = flag  # refused by the check, with the column named
    if days and not days.isdigit():
        if days.lower() in NZA_INSUFFICIENT:
            days, insufficient = None, True
        else:
            whole = _DECIMAL_WHOLE.match(days)
            if whole:
                days = whole.group(1)
    return days, insufficient


class NzaCsvError(Exception):
    """A CSV file that cannot be read to its end (see :meth:`NzaReading.cells`)."""


def _positions(names: list[str]) -> dict[str, int]:
    """Our field → the position of the first of its names in a header (lower-cased names)."""
    positions: dict[str, int] = {}
    for field_name, candidates in NZA_NATIONAL_COLUMNS.items():
        for candidate in candidates:
            if candidate in names:
                positions[field_name] = names.index(candidate)
                break
    return positions


class NzaReading(TextFileReading):
    """A national file opened by :func:`nza_file_open`: its form (``layout``: ``"csv"`` or
    ``"json"``), the file's own name of each of our fields (``columns``), or why the file as a
    whole is refused (``error``); then its lines (:meth:`items`). Use it as a context manager."""

    def __init__(self, file: BinaryIO):
        self._records: list[Any] = []
        super().__init__(file)

    def _open(self, file: BinaryIO) -> None:
        first_line = self._first_line(
            file, not_text=_("This is not a text file: expected the NZa's CSV file or a JSON file.")
        )
        if first_line is None:
            return None
        if first_line.lstrip().startswith(("[", "{")):
            return self._open_json(first_line)
        header = self._csv_header(first_line)
        if header is None:
            return None
        names = [name.strip().strip('"').strip().lower() for name in header]
        positions = _positions(names)
        if "kind" not in positions:
            return self._refuse(
                _(
                    "Unknown layout: line 1 must be the header of the NZa open-data file "
                    "(%(columns)s), or the file a JSON list of Zorgbeeld records."
                )
                % {"columns": ";".join(NZA_NATIONAL_DISPLAY.values())},
                row=1,
            )
        missing = [
            NZA_NATIONAL_DISPLAY[name] for name in NZA_NATIONAL_REQUIRED if name not in positions
        ]
        if missing:
            return self._refuse(
                _("Line 1 (the header) lacks the columns: %(columns)s.")
                % {"columns": ", ".join(missing)},
                row=1,
            )
        self.layout = "csv"
        self._positions = positions
        self.columns = {name: header[index].strip() for name, index in positions.items()}
        return None

    def _open_json(self, first_line: str) -> None:
        assert self._text is not None
        try:
            data = json.loads(first_line + self._text.read())
        except (ValueError, RecursionError):
            return self._refuse(_("The file cannot be read as JSON."))
        if isinstance(data, dict):
            data = next(
                (data[key] for key in _JSON_LIST_KEYS if isinstance(data.get(key), list)), None
            )
        if not isinstance(data, list):
            return self._refuse(_("The JSON file must hold a list of Zorgbeeld records."))
        if not data:
            return self._refuse(_("The file has no records."))
        names = sorted(
            {
                str(key).lower()
                for record in data[:100]
                if isinstance(record, dict)
                for key in record
            }
        )
        known = {
            field_name
            for field_name, candidates in NZA_NATIONAL_COLUMNS.items()
            if any(candidate in names for candidate in candidates)
        }
        missing = [
            NZA_NATIONAL_DISPLAY[name] for name in NZA_NATIONAL_REQUIRED if name not in known
        ]
        if missing:
            return self._refuse(
                _("The records lack the fields: %(columns)s.") % {"columns": ", ".join(missing)}
            )
        self.layout = "json"
        self._records = data
        self.close()
        return None

    @property
    def record_count(self) -> int:
        """The number of records of a JSON file (0 for CSV, which is streamed)."""
        return len(self._records)

    def items(self) -> Iterator[NzaLine | RowError]:
        """The lines in the file's order: an :class:`NzaLine` for each that could be read, a
        :class:`RowError` for each that could not. CSV lines are numbered as in the file (the
        header is line 1), JSON records from 1."""
        if self.error is not None:
            return
        if self.layout == "json":
            yield from self._json_items()
            return
        reader, maker = self._reader, _LineMaker(self.columns)
        # Each field's cell; an absent column reads the empty cell appended at the end.
        width = max(self._positions.values()) + 1
        indexes = [self._positions.get(name, width) for name in _FIELDS]
        location = self._positions["location"]
        try:
            for cells in reader:
                if len(cells) < width or not cells[location]:
                    if not any(cell.strip() for cell in cells):
                        continue  # a blank line
                    cells = cells + [""] * (width - len(cells))
                cells.append("")
                yield maker.line(reader.line_num, [cells[index].strip() for index in indexes])
        except csv.Error as exc:
            yield _file_error(
                _("Line %(line)s cannot be read as CSV: %(problem)s")
                % {"line": reader.line_num, "problem": str(exc)},
                row=reader.line_num,
            )

    @property
    def field_indexes(self) -> list[int]:
        """Where each of our fields (in the order of :data:`NZA_NATIONAL_COLUMNS`) is in the
        cells :meth:`cells` yields (an absent column: the empty cell at the end)."""
        width = max(self._positions.values()) + 1
        return [self._positions.get(name, width) for name in _FIELDS]

    def cells(self) -> Iterator[tuple[int, list[str]]]:
        """A CSV file's lines as (line number, its cells as they are, with an empty one appended;
        see :attr:`field_indexes`), the lines :meth:`items` reads, not interpreted (the PostgreSQL
        fast path of ``providers.nza.fast``; strip a cell before use). Raise :class:`NzaCsvError`
        where :meth:`items` would end with a file error."""
        assert self.layout == "csv" and self.error is None
        reader = self._reader
        width = max(self._positions.values()) + 1
        location = self._positions["location"]
        try:
            for cells in reader:
                if len(cells) < width or not cells[location]:
                    if not any(cell.strip() for cell in cells):
                        continue  # a blank line
                    cells = cells + [""] * (width - len(cells))
                cells.append("")
                yield reader.line_num, cells
        except csv.Error as exc:
            raise NzaCsvError(str(exc)) from exc

    def _json_items(self) -> Iterator[NzaLine | RowError]:
        maker = _LineMaker({})
        for number, record in enumerate(self._records, start=1):
            if not isinstance(record, dict):
                yield _file_error(
                    _("Record %(number)s is not an object.") % {"number": number}, number
                )
                continue
            lowered = {str(key).lower(): value for key, value in record.items()}
            values = [
                next(
                    (
                        _text(lowered[name])
                        for name in NZA_NATIONAL_COLUMNS[field]
                        if name in lowered
                    ),
                    "",
                )
                for field in _FIELDS
            ]
            yield maker.line(number, values)


def nza_file_open(file: BinaryIO) -> NzaReading:
    """Open a national NZa file (CSV or JSON records; a seekable binary file) for reading its
    lines one at a time (a CSV file is streamed; a JSON file, an API dump of some ten thousand
    records, is read whole)."""
    return NzaReading(file)
