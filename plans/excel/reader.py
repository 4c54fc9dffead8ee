"""Reading an uploaded workbook: the lines of the ``Regels`` sheet (the format is described in
``plans.excel``).

Reading an upload is all or nothing and names every problem by sheet, row and column. Files from
outside are hostile until proven otherwise: the archive is checked before openpyxl opens it (a
real .xlsx zip, no macros, no encryption, a bounded size and compression ratio — no zip bombs),
openpyxl parses its XML with defusedxml (no entity expansion, no external entities), and only a
bounded number of rows and columns is read.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from openpyxl.xml import DEFUSEDXML

from core.months import month_format, month_of, month_parse, month_range
from plans.excel import FIRST_MONTH_COLUMN, MAX_DATA_ROWS, SHEET_LINES
from plans.inputs import LineInput
from plans.models import MAX_VOLUME
from providers.models import MEDIATED_URGENCY_CLASSES

# openpyxl parses with defusedxml when it is installed (a dependency of this project); refuse to
# run without it rather than parse hostile XML with the standard library.
assert DEFUSEDXML, "defusedxml must be installed for openpyxl to read uploads safely"

MAX_MONTH_COLUMNS = 60
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 25 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ARCHIVE_MEMBERS = 200
MAX_ERRORS = 50
_CODE = re.compile(r"^\d{1,4}$")
_INTEGER = re.compile(r"^-?\d{1,12}$")


class WorkbookError(Exception):
    """The file cannot be used; ``errors`` says why, naming sheet, row and column where it can."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _archive_errors(data: bytes) -> list[str]:
    """Why ``data`` is not a safe .xlsx archive (empty when it is one)."""
    if len(data) > MAX_UPLOAD_BYTES:
        return [_("The file is larger than %(size)s MB.") % {"size": MAX_UPLOAD_BYTES // 2**20}]
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return [
            _(
                "This is an old Excel file (.xls) or a protected workbook: save it as an Excel "
                "workbook (.xlsx) without a password."
            )
        ]
    if not data.startswith(b"PK\x03\x04"):
        return [_("This is not an Excel workbook (.xlsx): download the template and fill it in.")]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return [_("The file is damaged: it cannot be opened as an Excel workbook (.xlsx).")]
    names = {member.filename for member in members}
    if len(members) > MAX_ARCHIVE_MEMBERS:
        return [_("The workbook holds too many parts to be a plan.")]
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return [_("This is not an Excel workbook (.xlsx): download the template and fill it in.")]
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return [_("Workbooks with macros are not accepted: save the file as .xlsx without macros.")]
    if any(member.flag_bits & 0x1 for member in members):
        return [_("Encrypted workbooks are not accepted: save the file without a password.")]
    uncompressed = sum(member.file_size for member in members)
    ratio_too_high = any(
        member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        and member.file_size > 1024 * 1024
        for member in members
    )
    if uncompressed > MAX_UNCOMPRESSED_BYTES or ratio_too_high:
        return [_("The workbook unpacks to more data than a plan can hold; it is not read.")]
    return []


class _CellError(Exception):
    pass


def _whole_number(value: Any, *, required: bool = False) -> int | None:
    """A cell's whole number from 0 to the maximum; ``None`` for an empty cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _CellError(_("enter a number (0 if there is none)."))
        return None
    number: int
    if isinstance(value, bool):
        raise _CellError(_("enter a whole number, not %(value)s.") % {"value": value})
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal):
        if not math.isfinite(value) or value != int(value):
            raise _CellError(_("enter a whole number, not %(value)s.") % {"value": value})
        number = int(value)
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        number = int(value.strip())
    else:
        raise _CellError(_("enter a whole number, not “%(value)s”.") % {"value": str(value)[:30]})
    if number < 0:
        raise _CellError(_("a volume cannot be negative."))
    if number > MAX_VOLUME:
        raise _CellError(
            _("%(value)d is more than %(max)d.") % {"value": number, "max": MAX_VOLUME}
        )
    return number


def _specialism_code(value: Any, known: set[str]) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = value.strip() if isinstance(value, str) else ""
    if not _CODE.match(text):
        raise _CellError(
            _("“%(value)s” is not a specialism code (a Vektis code such as 0305).")
            % {"value": str(value)[:30]}
        )
    code = text.zfill(4)  # Excel drops the leading zero of a code typed as a number
    if code not in known:
        raise _CellError(_("unknown specialism code %(code)s.") % {"code": code})
    return code


def _urgency_class(value: Any) -> int:
    try:
        number = _whole_number(value, required=True)
    except _CellError:
        number = None
    if number not in MEDIATED_URGENCY_CLASSES:
        raise _CellError(_("the urgency class is 3, 4 or 5 (classes 1 and 2 are acute care)."))
    assert number is not None
    return number


def _header_month(value: Any) -> date | None:
    if isinstance(value, datetime):
        return month_of(value.date())
    if isinstance(value, date):
        return month_of(value)
    if isinstance(value, str):
        return month_parse(value.strip())
    return None


class _Errors:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.count = 0

    def add(self, row: int, column: int, message: str) -> None:
        self.count += 1
        if len(self.messages) < MAX_ERRORS:
            self.messages.append(
                _("%(sheet)s, row %(row)d, column %(column)s: %(message)s")
                % {
                    "sheet": SHEET_LINES,
                    "row": row,
                    "column": get_column_letter(column),
                    "message": message,
                }
            )

    def result(self) -> list[str]:
        if self.count > len(self.messages):
            return [
                *self.messages,
                _("… and %(count)d more errors.") % {"count": self.count - len(self.messages)},
            ]
        return self.messages


def _read_header(
    header: tuple[Any, ...], *, period_start: date, period_end: date, errors: _Errors
) -> dict[int, date]:
    """Column index (from 0) → month, for the month columns of the header row."""
    columns: dict[int, date] = {}
    seen: dict[date, int] = {}
    for index in range(FIRST_MONTH_COLUMN - 1, len(header)):
        value = header[index]
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        month = _header_month(value)
        if month is None:
            errors.add(
                1,
                index + 1,
                _("“%(value)s” is not a month: head each month column YYYY-MM.")
                % {"value": str(value)[:30]},
            )
        elif not period_start <= month <= period_end:
            errors.add(
                1,
                index + 1,
                _("%(month)s is outside the period of the plan (%(start)s – %(end)s).")
                % {
                    "month": month_format(month),
                    "start": month_format(period_start),
                    "end": month_format(period_end),
                },
            )
        elif month in seen:
            errors.add(
                1,
                index + 1,
                _("%(month)s is already the heading of column %(column)s.")
                % {"month": month_format(month), "column": get_column_letter(seen[month] + 1)},
            )
        else:
            seen[month] = index
            columns[index] = month
    missing = [m for m in month_range(period_start, period_end) if m not in seen]
    if missing and not errors.count:
        errors.add(
            1,
            FIRST_MONTH_COLUMN + len(seen),
            _("the months %(months)s of the period have no column.")
            % {"months": ", ".join(month_format(m) for m in missing)},
        )
    return columns


def read_plan_lines(
    data: bytes, *, period_start: date, period_end: date, known_specialisms: set[str]
) -> list[LineInput]:
    """The lines in the ``Regels`` sheet of an uploaded workbook, or :class:`WorkbookError`
    listing every problem (nothing is read from a file with errors)."""
    archive_errors = _archive_errors(data)
    if archive_errors:
        raise WorkbookError(archive_errors)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception as exc:  # any parse failure, including defusedxml's refusals
        raise WorkbookError(
            [_("The file cannot be read as an Excel workbook (.xlsx); it may be damaged.")]
        ) from exc
    try:
        if SHEET_LINES not in workbook.sheetnames:
            raise WorkbookError(
                [
                    _(
                        "The workbook has no sheet “%(sheet)s”: download the template and fill "
                        "it in."
                    )
                    % {"sheet": SHEET_LINES}
                ]
            )
        sheet = workbook[SHEET_LINES]
        max_column = FIRST_MONTH_COLUMN - 1 + MAX_MONTH_COLUMNS
        try:
            return _read_lines_sheet(
                sheet.iter_rows(max_col=max_column, values_only=True),
                period_start=period_start,
                period_end=period_end,
                known_specialisms=known_specialisms,
            )
        except WorkbookError:
            raise
        except Exception as exc:  # malformed sheet XML
            raise WorkbookError(
                [_("The file cannot be read as an Excel workbook (.xlsx); it may be damaged.")]
            ) from exc
    finally:
        workbook.close()


def _read_lines_sheet(
    rows: Any, *, period_start: date, period_end: date, known_specialisms: set[str]
) -> list[LineInput]:
    errors = _Errors()
    header = next(rows, None)
    if header is None:
        raise WorkbookError(
            [_("Sheet “%(sheet)s” is empty: download the template.") % {"sheet": SHEET_LINES}]
        )
    month_columns = _read_header(
        tuple(header), period_start=period_start, period_end=period_end, errors=errors
    )
    if errors.count:
        raise WorkbookError(errors.result())

    lines: list[LineInput] = []
    first_row_of: dict[tuple[str, int], int] = {}
    for row_number, values in enumerate(rows, start=2):
        values = tuple(values)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if row_number > MAX_DATA_ROWS + 1:
            errors.add(
                row_number,
                1,
                _("a plan has at most %(max)d rows; the rest of the sheet is not read.")
                % {"max": MAX_DATA_ROWS},
            )
            break
        cell = dict(enumerate(values))
        row_errors = errors.count

        backlog = None
        try:
            backlog = _whole_number(cell.get(3))
        except _CellError as exc:
            errors.add(row_number, 4, str(exc))
        planned: list[tuple[date, int]] = []
        for index, month in month_columns.items():
            try:
                volume = _whole_number(cell.get(index))
            except _CellError as exc:
                errors.add(row_number, index + 1, str(exc))
                continue
            if volume:
                planned.append((month, volume))
        planned_volumes = sum(volume for _month, volume in planned)
        if not backlog and not planned_volumes and errors.count == row_errors:
            continue  # a template row without figures: not a line
        if backlog is None and errors.count == row_errors:
            errors.add(row_number, 4, _("enter the backlog at the start (0 if there is none)."))

        code = urgency_class = None
        try:
            code = _specialism_code(cell.get(0), known_specialisms)
        except _CellError as exc:
            errors.add(row_number, 1, str(exc))
        try:
            urgency_class = _urgency_class(cell.get(2))
        except _CellError as exc:
            errors.add(row_number, 3, str(exc))
        if code is not None and urgency_class is not None:
            key = (code, urgency_class)
            if key in first_row_of:
                errors.add(
                    row_number,
                    1,
                    _(
                        "specialism %(code)s, urgency class %(class)s is already on row "
                        "%(row)d; give each specialism and class one row."
                    )
                    % {"code": code, "class": urgency_class, "row": first_row_of[key]},
                )
            else:
                first_row_of[key] = row_number
        if errors.count == row_errors:
            assert code is not None and urgency_class is not None and backlog is not None
            lines.append(
                LineInput(
                    specialism=code,
                    urgency_class=urgency_class,
                    backlog=backlog,
                    planned=tuple(planned),
                    label=_("%(sheet)s, row %(row)d") % {"sheet": SHEET_LINES, "row": row_number},
                )
            )
    if errors.count:
        raise WorkbookError(errors.result())
    if not lines:
        raise WorkbookError(
            [
                _(
                    "Sheet “%(sheet)s” has no line with a backlog or planned volume: fill in the "
                    "template and upload it again."
                )
                % {"sheet": SHEET_LINES}
            ]
        )
    return lines
