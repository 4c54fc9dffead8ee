"""Writing the Excel files of a plan: the template to fill in and the export of a whole plan
(the format is described in ``plans.excel``).

Every text is written as text, never as a formula, whatever it starts with; characters a workbook
cannot hold are left out.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from core.months import month_format
from plans.excel import (
    FIRST_MONTH_COLUMN,
    MAX_DATA_ROWS,
    SHEET_FORECAST,
    SHEET_INFO,
    SHEET_LINES,
    SHEET_MEASURES,
    SHEET_PROGRESS,
)
from plans.models import MAX_VOLUME
from providers.models import MEDIATED_URGENCY_CLASSES

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="0B4F6C")


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
