"""Parse a GeoNames postal-code export for the Netherlands (``NL.txt``) into PC4 areas.

Pure computation, no database: ``manage.py import_postcodes`` writes the result.

The GeoNames format (https://download.geonames.org/export/zip/readme.txt) is UTF-8, tab-separated,
without a header, twelve columns per line: country code, postal code, place name, admin1 name,
admin1 code, admin2 name, admin2 code, admin3 name, admin3 code, latitude, longitude, accuracy.
For NL the postal code is the PC4, admin1 the province (in English), admin2 the municipality with
its CBS gemeente code (digits only). A PC4 has one line per place in it.

Rules, kept in line with the derivation of ``providers/data/pc4_geonames.csv`` (see the README
there):

- a PC4 is four digits, the first not 0; ``9999`` is a GeoNames pseudo code spread over the whole
  country and is dropped, as are points outside the Dutch bounding box;
- the point of a PC4 is the mean of its place points, the place is the first one listed, the
  municipality is the most frequent one (ties: the first listed);
- provinces are translated to their Dutch names; municipality names lose the " Municipality"
  suffix and the "Gemeente " prefix that the 2024 export added to some of them (the names are
  still less reliable than the CBS codes: ``import_postcodes`` keeps the curated name of a
  known code);
- a malformed line makes the whole file unusable: every such line is reported with its number.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

COLUMNS = 12
PSEUDO_PC4 = "9999"

# WGS84 box around the European Netherlands (the PC4 points lie within 50.75–53.48, 3.38–7.21).
NL_LATITUDE = (50.7, 53.6)
NL_LONGITUDE = (3.3, 7.3)

# Coordinates are stored with five decimals (about a metre), as in PostcodeArea.
COORDINATE_QUANTUM = Decimal("0.00001")

# GeoNames admin1 names (English) → the Dutch province names used throughout the project. The
# Dutch names map to themselves so that a future export in Dutch is accepted as well.
PROVINCES_NL = {
    "Drenthe": "Drenthe",
    "Flevoland": "Flevoland",
    "Friesland": "Friesland",
    "Fryslân": "Friesland",
    "Gelderland": "Gelderland",
    "Groningen": "Groningen",
    "Guelders": "Gelderland",
    "Limburg": "Limburg",
    "North Brabant": "Noord-Brabant",
    "Noord-Brabant": "Noord-Brabant",
    "North Holland": "Noord-Holland",
    "Noord-Holland": "Noord-Holland",
    "Overijssel": "Overijssel",
    "South Holland": "Zuid-Holland",
    "Zuid-Holland": "Zuid-Holland",
    "Utrecht": "Utrecht",
    "Zealand": "Zeeland",
    "Zeeland": "Zeeland",
}

_PC4 = re.compile(r"^[1-9][0-9]{3}$")
_MUNICIPALITY_CODE = re.compile(r"^(?:GM)?([0-9]{1,4})$")
_MUNICIPALITY_SUFFIX = re.compile(r"\s+Municipal\w*\.?$", re.IGNORECASE)
_MUNICIPALITY_PREFIX = re.compile(r"^Gemeente\s+", re.IGNORECASE)


@dataclass(frozen=True)
class PostcodeAreaRecord:
    """One PC4 as it should be stored (field names as in ``providers.models.PostcodeArea``)."""

    pc4: str
    place: str
    municipality: str
    municipality_code: str
    province: str
    latitude: Decimal
    longitude: Decimal


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ParseResult:
    areas: list[PostcodeAreaRecord] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    # Well-formed lines left out on purpose: the pseudo code 9999 and points outside NL.
    skipped_lines: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _PlaceRow:
    pc4: str
    place: str
    municipality: str
    municipality_code: str
    province: str
    latitude: float
    longitude: float


def municipality_name(admin2_name: str) -> str:
    """``"Assen Municipality"`` → ``"Assen"``, ``"Gemeente Zwolle"`` → ``"Zwolle"``.

    The 2024 export also has misspelt suffixes ("Katwijk Municipalty", "Ameland Municipalitye")
    and a stray full stop ("Groningen."), so any word starting with "Municipal" is dropped.
    """
    name = _MUNICIPALITY_SUFFIX.sub("", admin2_name.strip())
    name = _MUNICIPALITY_PREFIX.sub("", name)
    return name.rstrip(".").strip()


def municipality_code(admin2_code: str) -> str:
    """A CBS gemeente code in its ``GMxxxx`` form: ``"363"`` or ``"0363"`` → ``"GM0363"``.

    Raises ``ValueError`` for anything that is not a code; an empty code stays empty.
    """
    code = admin2_code.strip()
    if not code:
        return ""
    match = _MUNICIPALITY_CODE.match(code)
    if not match:
        raise ValueError(f"municipality code {code!r} is not a CBS gemeente code (digits)")
    return "GM" + match.group(1).zfill(4)


def province_name(admin1_name: str) -> str:
    """The Dutch province name for a GeoNames admin1 name; ``ValueError`` if unknown."""
    name = admin1_name.strip()
    if not name:
        return ""
    try:
        return PROVINCES_NL[name]
    except KeyError:
        raise ValueError(f"unknown province {name!r}") from None


def _coordinate(text: str, label: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{label} {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{label} {text!r} is not a number")
    return value


def _parse_line(text: str) -> _PlaceRow:
    columns = text.split("\t")
    if len(columns) != COLUMNS:
        raise ValueError(f"expected {COLUMNS} tab-separated columns, found {len(columns)}")
    country, pc4, place, admin1_name, _a1, admin2_name, admin2_code = columns[:7]
    if country.strip() != "NL":
        raise ValueError(f"country {country.strip()!r} is not NL")
    pc4 = pc4.strip()
    if not _PC4.match(pc4):
        raise ValueError(f"postal code {pc4!r} is not a PC4 (four digits, not starting with 0)")
    place = place.strip()
    if not place:
        raise ValueError("place name is empty")
    return _PlaceRow(
        pc4=pc4,
        place=place,
        municipality=municipality_name(admin2_name),
        municipality_code=municipality_code(admin2_code),
        province=province_name(admin1_name),
        latitude=_coordinate(columns[9].strip(), "latitude"),
        longitude=_coordinate(columns[10].strip(), "longitude"),
    )


def _inside_netherlands(row: _PlaceRow) -> bool:
    return (
        NL_LATITUDE[0] <= row.latitude <= NL_LATITUDE[1]
        and NL_LONGITUDE[0] <= row.longitude <= NL_LONGITUDE[1]
    )


def _mean(values: list[float]) -> Decimal:
    return Decimal(repr(sum(values) / len(values))).quantize(
        COORDINATE_QUANTUM, rounding=ROUND_HALF_UP
    )


def _aggregate(pc4: str, rows: list[_PlaceRow]) -> PostcodeAreaRecord:
    # The CBS code identifies the municipality; a code can come with differently spelt names.
    counts = Counter(row.municipality_code or row.municipality for row in rows)
    # Counter keeps first-seen order and max() returns the first maximum: ties go to the first.
    modal = max(counts, key=lambda key: counts[key])
    modal_row = next(row for row in rows if (row.municipality_code or row.municipality) == modal)
    province = modal_row.province or next((row.province for row in rows if row.province), "")
    return PostcodeAreaRecord(
        pc4=pc4,
        place=rows[0].place,
        municipality=modal_row.municipality,
        municipality_code=modal_row.municipality_code,
        province=province,
        latitude=_mean([row.latitude for row in rows]),
        longitude=_mean([row.longitude for row in rows]),
    )


def parse_geonames(lines: Iterable[str]) -> ParseResult:
    """Parse the lines of a GeoNames ``NL.txt`` into one record per PC4, ordered by PC4.

    Line numbers in errors start at 1. Blank lines are ignored. When ``errors`` is not empty the
    areas are still returned (for a report), but the file must not be imported.
    """
    result = ParseResult()
    rows_by_pc4: dict[str, list[_PlaceRow]] = {}
    for number, raw in enumerate(lines, start=1):
        text = raw.rstrip("\r\n")
        if not text.strip():
            continue
        try:
            row = _parse_line(text)
        except ValueError as exc:
            result.errors.append(LineError(number, str(exc)))
            continue
        if row.pc4 == PSEUDO_PC4 or not _inside_netherlands(row):
            result.skipped_lines += 1
            continue
        rows_by_pc4.setdefault(row.pc4, []).append(row)
    result.areas = [_aggregate(pc4, rows_by_pc4[pc4]) for pc4 in sorted(rows_by_pc4)]
    return result
