"""Excel files of plans, because that is what planners use: the template, the upload and the
export (openpyxl).

The file format (sheet names are part of it and stay Dutch in every language):

* ``Regels`` — row 1 is the header; from row 2 one line per row: column A the specialism's Vektis
  code, B its name (for people; not read), C the urgency class (3, 4, 5), D the backlog at the
  start, and from column E one column per month of the period, headed ``YYYY-MM``, with the
  planned volume. The template has a row for each of the provider's specialisms × class.
* ``Toelichting`` — the plan's facts and how to fill in the file (not read).
* An export adds ``Maatregelen`` (the measure sections), ``Voortgang`` (realised volume per line
  and month) and ``Prognose`` (the forecast per line and in total). Uploading an export reads
  ``Regels`` only, so an exported plan can be uploaded again.

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml import DEFUSEDXML

from core.months import month_format, month_of, month_parse, month_range
from plans.inputs import LineInput
from plans.models import MAX_VOLUME
from providers.models import MEDIATED_URGENCY_CLASSES

# openpyxl parses with defusedxml when it is installed (a dependency of this project); refuse to
# run without it rather than parse hostile XML with the standard library.
assert DEFUSEDXML, "defusedxml must be installed for openpyxl to read uploads safely"

SHEET_LINES = "Regels"
SHEET_INFO = "Toelichting"
SHEET_MEASURES = "Maatregelen"
SHEET_PROGRESS = "Voortgang"
SHEET_FORECAST = "Prognose"

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_MONTH_COLUMN = 5  # E
MAX_MONTH_COLUMNS = 60
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 25 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ARCHIVE_MEMBERS = 200
MAX_DATA_ROWS = 1000
MAX_ERRORS = 50
_CODE = re.compile(r"^\d{1,4}$")
_INTEGER = re.compile(r"^-?\d{1,12}$")

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="0B4F6C")
_INFO_FILL = PatternFill("solid", fgColor="E7F1F5")


class WorkbookError(Exception):
    """The file cannot be used; ``errors`` says why, naming sheet, row and column where it can."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


# --- Writing ------------------------------------------------------------------------------------
def _clean_text(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _put(sheet: Worksheet, row: int, column: int, value: Any, **style: Any) -> None:
    """Write a value; text is always text (never a formula, whatever it starts with)."""
    cell = sheet.cell(row=row, column=column, value=_clean_text(value))
    if isinstance(value, str):
        cell.data_type = "s"
    for name, setting in style.items():
        setattr(cell, name, setting)


def _header(sheet: Worksheet, labels: Sequence[str]) -> None:
    for column, label in enumerate(labels, start=1):
        _put(sheet, 1, column, label, font=_HEADER_FONT, fill=_HEADER_FILL)
    sheet.freeze_panes = "E2" if sheet.title in (SHEET_LINES, SHEET_PROGRESS) else "A2"


def _widths(sheet: Worksheet, widths: Sequence[int]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


@dataclass(frozen=True)
class SheetRow:
    """One row of the lines sheet (and of the progress sheet): a specialism × class with a
    value per month (planned or realised)."""

    specialism_code: str
    specialism_name: str
    urgency_class: int
    backlog: int | None = None
    months: dict[date, int] = field(default_factory=dict)


def _lines_sheet(sheet: Worksheet, *, months: list[date], rows: Sequence[SheetRow]) -> None:
    _header(
        sheet,
        [
            _("Specialism (code)"),
            _("Specialism"),
            _("Urgency class"),
            _("Backlog at the start"),
            *[month_format(month) for month in months],
        ],
    )
    for index, row in enumerate(rows, start=2):
        _put(sheet, index, 1, row.specialism_code, number_format="@")
        _put(sheet, index, 2, row.specialism_name)
        _put(sheet, index, 3, row.urgency_class)
        if row.backlog is not None:
            _put(sheet, index, 4, row.backlog)
        for offset, month in enumerate(months):
            if month in row.months:
                _put(sheet, index, FIRST_MONTH_COLUMN + offset, row.months[month])
    _widths(sheet, [18, 42, 15, 20, *[10] * len(months)])
    last_row = max(len(rows) + 1, MAX_DATA_ROWS // 2)
    classes = DataValidation(
        type="list",
        formula1='"' + ",".join(str(c) for c in MEDIATED_URGENCY_CLASSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Urgency class"),
        error=_("The urgency class is 3, 4 or 5."),
    )
    classes.add(f"C2:C{last_row}")
    volumes = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2=str(MAX_VOLUME),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Volume"),
        error=_("Enter a whole number of 0 or more."),
    )
    last_column = get_column_letter(FIRST_MONTH_COLUMN + len(months) - 1)
    volumes.add(f"D2:{last_column}{last_row}")
    sheet.add_data_validation(classes)
    sheet.add_data_validation(volumes)


def _info_sheet(sheet: Worksheet, *, title: str, facts: Sequence[tuple[str, str]]) -> None:
    _put(sheet, 1, 1, title, font=Font(bold=True, size=14))
    row = 3
    for label, value in facts:
        _put(sheet, row, 1, label, font=Font(bold=True))
        _put(sheet, row, 2, value)
        row += 1
    row += 1
    instructions = [
        _("How to fill in this file"),
        _(
            "Sheet “Regels” has one row per specialism and urgency class (3, 4 or 5). Enter the "
            "backlog at the start of the period in column D and the volume you plan to deliver "
            "in each month in the month columns."
        ),
        _(
            "Rows without a backlog and without planned volume are skipped: leave them empty or "
            "delete them. Add rows for other specialisms with their Vektis code in column A."
        ),
        _(
            "Keep the header row and the month columns as they are. Enter whole numbers; "
            "formulas are read by their last calculated value."
        ),
        _(
            "Uploading the file replaces all lines of the plan. If anything is wrong, nothing is "
            "changed and every error is listed by sheet, row and column."
        ),
    ]
    for index, text in enumerate(instructions):
        _put(
            sheet,
            row + index,
            1,
            text,
            font=Font(bold=index == 0),
            alignment=Alignment(wrap_text=True, vertical="top"),
        )
        sheet.merge_cells(start_row=row + index, start_column=1, end_row=row + index, end_column=4)
        sheet.row_dimensions[row + index].height = 15 if index == 0 else 45
    _widths(sheet, [30, 60, 20, 20])


def _save(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_workbook(
    *, title: str, facts: Sequence[tuple[str, str]], months: list[date], rows: Sequence[SheetRow]
) -> bytes:
    """The template: instructions and facts, and the lines sheet to fill in."""
    workbook = openpyxl.Workbook()
    info = workbook.active
    assert info is not None
    info.title = SHEET_INFO
    _info_sheet(info, title=title, facts=facts)
    lines = workbook.create_sheet(SHEET_LINES)
    _lines_sheet(lines, months=months, rows=rows)
    workbook.active = 1
    return _save(workbook)


@dataclass(frozen=True)
class ForecastRow:
    label: str
    urgency_class: int | None
    backlog: int
    planned_total: int
    realised_to_date: int
    remaining: int
    pace: Decimal | None
    projected_clearance_month: date | None
    on_track: bool
    behind: bool


def export_workbook(
    *,
    title: str,
    facts: Sequence[tuple[str, str]],
    months: list[date],
    rows: Sequence[SheetRow],
    measures: Sequence[tuple[str, str]],
    progress: Sequence[SheetRow],
    forecast: Sequence[ForecastRow],
) -> bytes:
    """A whole plan: facts, lines (re-uploadable), measures, progress and forecast."""
    workbook = openpyxl.Workbook()
    info = workbook.active
    assert info is not None
    info.title = SHEET_INFO
    _info_sheet(info, title=title, facts=facts)
    _lines_sheet(workbook.create_sheet(SHEET_LINES), months=months, rows=rows)

    sheet = workbook.create_sheet(SHEET_MEASURES)
    _header(sheet, [_("Measure"), _("Text")])
    for index, (label, text) in enumerate(measures, start=2):
        _put(sheet, index, 1, label, alignment=Alignment(vertical="top", wrap_text=True))
        _put(sheet, index, 2, text, alignment=Alignment(vertical="top", wrap_text=True))
    _widths(sheet, [40, 100])

    sheet = workbook.create_sheet(SHEET_PROGRESS)
    _header(
        sheet,
        [
            _("Specialism (code)"),
            _("Specialism"),
            _("Urgency class"),
            _("Realised to date"),
            *[month_format(month) for month in months],
        ],
    )
    for index, row in enumerate(progress, start=2):
        _put(sheet, index, 1, row.specialism_code, number_format="@")
        _put(sheet, index, 2, row.specialism_name)
        _put(sheet, index, 3, row.urgency_class)
        _put(sheet, index, 4, sum(row.months.values()))
        for offset, month in enumerate(months):
            if month in row.months:
                _put(sheet, index, FIRST_MONTH_COLUMN + offset, row.months[month])
    _widths(sheet, [18, 42, 15, 18, *[10] * len(months)])

    sheet = workbook.create_sheet(SHEET_FORECAST)
    _header(
        sheet,
        [
            _("Line"),
            _("Urgency class"),
            _("Backlog at the start"),
            _("Planned in the period"),
            _("Realised to date"),
            _("Remaining backlog"),
            _("Pace (per month)"),
            _("Projected clearance month"),
            _("On track"),
            _("More than 10% behind plan"),
        ],
    )
    yes, no = _("yes"), _("no")
    for index, item in enumerate(forecast, start=2):
        bold = Font(bold=item.urgency_class is None)
        values = [
            item.label,
            item.urgency_class,
            item.backlog,
            item.planned_total,
            item.realised_to_date,
            item.remaining,
            float(item.pace) if item.pace is not None else None,
            month_format(item.projected_clearance_month)
            if item.projected_clearance_month
            else _("none"),
            yes if item.on_track else no,
            yes if item.behind else no,
        ]
        for column, value in enumerate(values, start=1):
            if value is not None:
                _put(sheet, index, column, value, font=bold)
        sheet.cell(row=index, column=7).number_format = "0.0"
    _widths(sheet, [42, 15, 20, 20, 18, 18, 16, 24, 12, 24])
    workbook.active = 1
    return _save(workbook)


# --- Reading ------------------------------------------------------------------------------------
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
