"""Excel: the template, the upload (all or nothing, errors by sheet/row/column, hostile files
refused safely) and the export."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from django.core.exceptions import ValidationError
from django.urls import reverse

from plans.excel import (
    MAX_DATA_ROWS,
    SHEET_FORECAST,
    SHEET_INFO,
    SHEET_LINES,
    SHEET_MEASURES,
    SHEET_PROGRESS,
)
from plans.excel.reader import WorkbookError, read_plan_lines
from plans.services.editing import plan_lines_import, plan_update
from providers.models import Specialism
from tests.plans.factories import actor, approved_plan, line, make_plan, report
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = pytest.mark.django_db

START, END = date(2026, 1, 1), date(2026, 12, 1)
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
KNOWN = {"0303", "0305", "0320"}


def workbook_bytes(rows, *, header=None, sheet=SHEET_LINES) -> bytes:
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(
        header or ["Specialisme (code)", "Specialisme", "Urgentieklasse", "Achterstand", *MONTHS]
    )
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read(data: bytes):
    return read_plan_lines(data, period_start=START, period_end=END, known_specialisms=KNOWN)


def errors_of(data: bytes) -> list[str]:
    with pytest.raises(WorkbookError) as error:
        read(data)
    return error.value.errors


# --- Reading ---------------------------------------------------------------------------------
def test_reads_lines_and_skips_rows_without_figures() -> None:
    lines = read(
        workbook_bytes(
            [
                ["0305", "Orthopedie", 4, 120, *[10] * 12],
                ["0305", "Orthopedie", 5, None],  # a template row left empty
                [303, "Chirurgie", "3", "40", 20, 20.0],  # code as a number, numbers as text
                [None, None, None, None],
            ]
        )
    )

    assert [(li.specialism, li.urgency_class, li.backlog) for li in lines] == [
        ("0305", 4, 120),
        ("0303", 3, 40),
    ]
    assert lines[0].planned[0] == (date(2026, 1, 1), 10)
    assert lines[1].planned == ((date(2026, 1, 1), 20), (date(2026, 2, 1), 20))
    assert lines[1].label == "Regels, row 4"


def test_errors_are_named_by_sheet_row_and_column() -> None:
    errors = errors_of(
        workbook_bytes(
            [
                ["0305", "Orthopedie", 4, 120, 10, -5],
                ["9999", "?", 4, 10],
                ["0305", "Orthopedie", 2, 10],
                ["0303", "Chirurgie", 3, 10.5],
                ["0320", "Reumatologie", 4, 10, "tien"],
                ["0303", "Chirurgie", 5, None, 5],
            ]
        )
    )

    assert errors == [
        "Regels, row 2, column F: a volume cannot be negative.",
        "Regels, row 3, column A: unknown specialism code 9999.",
        "Regels, row 4, column C: the urgency class is 3, 4 or 5 (classes 1 and 2 are acute care).",
        "Regels, row 5, column D: enter a whole number, not 10.5.",
        "Regels, row 6, column E: enter a whole number, not “tien”.",
        "Regels, row 7, column D: enter the backlog at the start (0 if there is none).",
    ]


def test_a_duplicate_row_names_the_first() -> None:
    errors = errors_of(workbook_bytes([["0305", "", 4, 1], ["0303", "", 4, 1], ["0305", "", 4, 2]]))
    assert errors == [
        "Regels, row 4, column A: specialism 0305, urgency class 4 is already on row 2; give each "
        "specialism and class one row."
    ]


def test_month_headers_must_be_the_period() -> None:
    header = ["a", "b", "c", "d", "2026-01", "2027-01", "maand", "2026-01"]
    errors = errors_of(workbook_bytes([["0305", "", 4, 1]], header=header))
    assert errors == [
        "Regels, row 1, column F: 2027-01 is outside the period of the plan (2026-01 – 2026-12).",
        "Regels, row 1, column G: “maand” is not a month: head each month column YYYY-MM.",
        "Regels, row 1, column H: 2026-01 is already the heading of column E.",
    ]
    missing = errors_of(workbook_bytes([["0305", "", 4, 1]], header=["a", "b", "c", "d"]))
    assert "the months 2026-01, 2026-02" in missing[0]


def test_month_headers_typed_as_dates_are_understood() -> None:
    from datetime import datetime

    header = ["a", "b", "c", "d", *[datetime(2026, m, 1) for m in range(1, 13)]]
    [line_] = read(workbook_bytes([["0305", "", 4, 12, 12]], header=header))
    assert line_.planned == ((date(2026, 1, 1), 12),)


def test_no_lines_and_no_sheet() -> None:
    assert "has no line" in errors_of(workbook_bytes([["0305", "", 4, None]]))[0]
    assert "has no sheet “Regels”" in errors_of(workbook_bytes([], sheet="Blad1"))[0]


def test_too_many_rows() -> None:
    rows = [["0305", "", 4, 1]] + [[None]] * (MAX_DATA_ROWS - 1) + [["0303", "", 4, 1]]
    errors = errors_of(workbook_bytes(rows))
    assert errors == [
        f"Regels, row {MAX_DATA_ROWS + 2}, column A: a plan has at most {MAX_DATA_ROWS} rows; "
        "the rest of the sheet is not read."
    ]


def test_errors_are_capped() -> None:
    errors = errors_of(workbook_bytes([["0305", "", 9, 1]] * 80))
    assert len(errors) == 51
    assert errors[-1] == "… and 30 more errors."


# --- Hostile and wrong files ---------------------------------------------------------------------
def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def replace_member(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {info.filename: source.read(info.filename) for info in source.infolist()}
    members[name] = content
    return zip_bytes(members)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"specialism;class\n0305;4\n", "This is not an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Excel file (.xls)"),
        (b"PK\x03\x04 truncated", "The file is damaged"),
        (zip_bytes({"hello.txt": b"hi"}), "This is not an Excel workbook (.xlsx)"),
        (b"PK\x03\x04" + b"\0" * (2 * 1024 * 1024), "larger than 2 MB"),
    ],
)
def test_files_that_are_not_workbooks(data, message) -> None:
    assert message in errors_of(data)[0]


def test_a_zip_bomb_is_not_unpacked() -> None:
    bomb = replace_member(workbook_bytes([]), "xl/worksheets/sheet1.xml", b"\0" * (30 * 2**20))
    assert len(bomb) < 2 * 2**20
    assert "unpacks to more data" in errors_of(bomb)[0]


def test_a_workbook_with_macros_is_refused() -> None:
    data = replace_member(workbook_bytes([["0305", "", 4, 1]]), "xl/vbaProject.bin", b"macro")
    assert "macros" in errors_of(data)[0]


@pytest.mark.parametrize(
    "doctype",
    [
        # Billion laughs: entity expansion.
        '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        # XXE: an external entity reading a local file.
        '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_hostile_xml_is_refused_by_defusedxml(doctype) -> None:
    data = workbook_bytes([["0305", "", 4, 1]])
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    hostile = doctype + sheet
    with pytest.raises(WorkbookError) as error:
        read(replace_member(data, "xl/worksheets/sheet1.xml", hostile.encode()))

    assert error.value.errors == [
        "The file cannot be read as an Excel workbook (.xlsx); it may be damaged."
    ]
    causes, cause = [], error.value.__cause__
    while cause is not None:
        causes.append(cause)
        cause = cause.__cause__
    assert any(isinstance(c, DefusedXmlException) for c in causes)


# --- The service: all or nothing --------------------------------------------------------------
def test_upload_replaces_the_lines(planner, insurer) -> None:
    plan = make_plan(planner, insurer, lines=[line("0303", 3, 5, {})])
    data = workbook_bytes([["0305", "Orthopedie", 4, 60, *[5] * 12]])

    plan_lines_import(actor=actor(planner), plan=plan, data=data)

    assert [(li.specialism.code, li.backlog) for li in plan.lines.all()] == [("0305", 60)]
    plan.refresh_from_db()
    assert plan.backlog_total == 60 and plan.on_track is True


def test_a_bad_upload_changes_nothing(planner, insurer) -> None:
    plan = make_plan(planner, insurer)
    data = workbook_bytes([["0305", "", 4, 60], ["0303", "", 4, -1]])

    with pytest.raises(ValidationError) as error:
        plan_lines_import(actor=actor(planner), plan=plan, data=data)

    assert error.value.message_dict == {
        "file": ["Regels, row 3, column D: a volume cannot be negative."]
    }
    assert [(li.specialism.code, li.backlog) for li in plan.lines.all()] == [("0305", 120)]


# --- Template and export through the pages ---------------------------------------------------
@pytest.fixture
def browser_client(client, planner):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    return client


def open_download(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )


def test_template_lists_the_providers_specialisms_and_the_months(
    browser_client, planner, insurer
) -> None:
    provider = planner.membership.organisation.provider
    location = LocationFactory(provider=provider)
    for code in ("0305", "0303"):
        WaitingTimeSeriesFactory(location=location, specialism=Specialism.objects.get(code=code))
    plan = make_plan(planner, insurer, lines=[line("0305", 4, 120)])

    workbook = open_download(browser_client.get(reverse("plans:plan-template", args=[plan.pk])))

    assert workbook.sheetnames == [SHEET_INFO, SHEET_LINES]
    sheet = workbook[SHEET_LINES]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][4:] == tuple(MONTHS)
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [
        ("0303", 3, None),
        ("0303", 4, None),
        ("0303", 5, None),
        ("0305", 3, None),
        ("0305", 4, 120),
        ("0305", 5, None),
    ]
    assert rows[5][4:] == (10,) * 12

    # Filled in and uploaded, the template becomes the plan's lines.
    sheet["D2"] = 40
    sheet["E2"] = 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan_lines_import(actor=actor(planner), plan=plan, data=buffer.getvalue())
    assert sorted(
        (li.specialism.code, li.urgency_class, li.backlog) for li in plan.lines.all()
    ) == [("0303", 3, 40), ("0305", 4, 120)]


def test_template_falls_back_to_every_specialism(browser_client, planner, insurer) -> None:
    plan = make_plan(planner, insurer, lines=[])
    workbook = open_download(browser_client.get(reverse("plans:plan-template", args=[plan.pk])))
    codes = {row[0] for row in workbook[SHEET_LINES].iter_rows(min_row=2, values_only=True)}
    assert codes == set(Specialism.objects.filter(is_active=True).values_list("code", flat=True))


def test_export_holds_the_whole_plan_and_text_is_never_a_formula(
    browser_client, planner, contract_manager, insurer
) -> None:
    plan = approved_plan(planner, contract_manager, insurer)
    report(planner, plan, "2026-01", {("0305", 4): 8})
    # (editing is closed once approved: set a hostile-looking text on a new draft instead)
    draft = make_plan(planner, insurer, period=(date(2027, 1, 1), date(2027, 12, 1)), lines=[])
    plan_update(actor=actor(planner), plan=draft, measures={"staff": '=HYPERLINK("x")'})

    workbook = open_download(browser_client.get(reverse("plans:plan-export", args=[plan.pk])))
    assert workbook.sheetnames == [
        SHEET_INFO,
        SHEET_LINES,
        SHEET_MEASURES,
        SHEET_PROGRESS,
        SHEET_FORECAST,
    ]
    progress = list(workbook[SHEET_PROGRESS].iter_rows(min_row=2, values_only=True))
    assert progress == [("0305", "Orthopedie", 4, 8, 8, *[None] * 11)]
    forecast = list(workbook[SHEET_FORECAST].iter_rows(min_row=2, values_only=True))
    assert forecast[-1][0] == "Total"
    assert forecast[-1][7] == "2027-03"  # January + ⌈112 / 8⌉
    assert forecast[-1][8:] == ("no", "yes")

    hostile = open_download(browser_client.get(reverse("plans:plan-export", args=[draft.pk])))
    cell = hostile[SHEET_MEASURES]["B5"]
    assert cell.value == '=HYPERLINK("x")' and cell.data_type == "s"

    # An export can be uploaded again as the lines of a plan.
    lines = read_plan_lines(
        browser_client.get(reverse("plans:plan-export", args=[plan.pk])).content,
        period_start=START,
        period_end=END,
        known_specialisms={"0305"},
    )
    assert [(li.specialism, li.urgency_class, li.backlog) for li in lines] == [("0305", 4, 120)]
