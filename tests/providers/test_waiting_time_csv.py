"""Reading waiting-time CSV files (pure parsing): our layout and the NZa open-data layout."""

from __future__ import annotations

import io

import pytest
from django.utils import translation

from providers.waiting_times import csv_reader
from providers.waiting_times.csv_reader import waiting_time_csv_open, waiting_time_csv_parse


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


OURS = "location,specialism,treatment,kind,days,insufficient_observations,reference_date\n"


def cells(row):
    return (
        row.row,
        row.location,
        row.kind,
        row.specialism,
        row.treatment,
        row.days,
        row.insufficient_observations,
        row.reference_date,
    )


def test_our_layout_with_commas():
    parsed = waiting_time_csv_parse((OURS + "06020502,0305,,first_visit,30,,2026-11-17\n").encode())
    assert parsed.layout == "ours"
    assert parsed.errors == []
    assert [cells(r) for r in parsed.rows] == [
        (2, "06020502", "first_visit", "0305", "", "30", "", "2026-11-17")
    ]


def test_our_layout_with_semicolons_bom_crlf_and_other_column_order():
    text = (
        "\ufeffkind;location;reference_date;days;specialism\r\n"
        "diagnostics;06020502;2026-11-17;14;0305\r\n"
        "\r\n"
        "first_visit;06020502;2026-11-17;20;0305\r\n"
    )
    parsed = waiting_time_csv_parse(text.encode("utf-8"))
    assert parsed.layout == "ours"
    assert parsed.errors == []
    # Line numbers are the file's: the blank line 3 is skipped but counted.
    assert [(r.row, r.kind, r.days, r.treatment) for r in parsed.rows] == [
        (2, "diagnostics", "14", ""),
        (4, "first_visit", "20", ""),
    ]


def test_quoted_cells_and_short_rows():
    parsed = waiting_time_csv_parse((OURS + '"06020502","0305","","first_visit","30"\n').encode())
    assert parsed.errors == []
    [row] = parsed.rows
    assert (row.location, row.days, row.reference_date) == ("06020502", "30", "")


def test_our_layout_must_be_utf_8():
    data = (OURS + "06020502,0305,,first_visit,30,,2026-11-17\n# Ã©\n").encode("utf-8")
    data += "06020502,0305,,diagnostics,30,,2026-11-17,é\n".encode("iso-8859-1")
    parsed = waiting_time_csv_parse(data)
    assert parsed.layout is None
    [error] = parsed.errors
    assert error["row"] == 4
    assert "not UTF-8" in error["message"]


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_empty_file(data):
    assert waiting_time_csv_parse(data).errors == [
        {"row": None, "field": None, "message": "The file is empty."}
    ]


def test_header_only():
    assert waiting_time_csv_parse(OURS.encode()).errors == [
        {"row": 2, "field": None, "message": "The file has no rows below the header."}
    ]


def test_binary_file_is_refused():
    parsed = waiting_time_csv_parse(b"PK\x03\x04\x00\x00binary spreadsheet")
    assert "not a CSV text file" in parsed.errors[0]["message"]


def test_unknown_layout_lists_the_expected_headers():
    [error] = waiting_time_csv_parse(b"locatie,soort,dagen\n1,2,3\n").errors
    assert error["row"] == 1
    assert "location,specialism,treatment,kind,days,insufficient_observations" in error["message"]
    assert "TYPE_WACHTTIJD" in error["message"]


def test_missing_required_columns_are_named():
    [error] = waiting_time_csv_parse(b"location,kind,days\n06020502,first_visit,3\n").errors
    assert error == {
        "row": 1,
        "field": None,
        "message": "Line 1 (the header) lacks the columns: specialism, reference_date.",
    }


NZA_HEADER = (
    "ID;TYPE_WACHTTIJD;WACHTTIJD;SPECIALISME;ROAZ_REGIO;TYPE_ZORGINSTELLING;KVK_INSTELLING;"
    "AGB_CODE_LOCATIE;PEILDATUM;BEHANDELING\n"
)


def test_nza_layout_in_iso_8859_1():
    text = NZA_HEADER + (
        "1;Polikliniekbezoek;30;Orthopedie (305);Noord;Ziekenhuis;123;06020502;1-11-2022;"
        "Polikliniekbezoek orthopedie\n"
        "2;Diagnostiek;12,0;Keel-, neus- en oorheelkunde (302);Noord;Ziekenhuis;123;06020502;"
        "2022-11-01;\n"
        "3;Behandeling;onvoldoende waarnemingen;Oogheelkunde (301);Noord;Ziekenhuis;123;06020502;"
        "20221101;Cataract-operatie (oogheelkunde – één oog)\n"
    )
    parsed = waiting_time_csv_parse(text.encode("iso-8859-1", errors="replace"))
    assert parsed.layout == "nza"
    assert parsed.errors == []
    assert [cells(r) for r in parsed.rows] == [
        (2, "06020502", "first_visit", "0305", "", "30", False, "2022-11-01"),
        (3, "06020502", "diagnostics", "0302", "", "12", False, "2022-11-01"),
        (4, "06020502", "treatment", "0301", "Cataract-operatie (oogheelkunde ? één oog)", None,
         True, "2022-11-01"),
    ]  # fmt: skip
    assert parsed.columns["kind"] == "TYPE_WACHTTIJD"
    assert parsed.columns["location"] == "AGB_CODE_LOCATIE"


def test_nza_latin_1_characters_are_read():
    text = "TYPE_WACHTTIJD;WACHTTIJD;SPECIALISME;AGB_CODE_LOCATIE;PEILDATUM;BEHANDELING\n"
    text += "Behandeling;40;Oogheelkunde (301);06020502;2022-11-01;Glasvochtoperatie (één)\n"
    parsed = waiting_time_csv_parse(text.encode("iso-8859-1"))
    assert parsed.encoding == "iso-8859-1"
    assert parsed.rows[0].treatment == "Glasvochtoperatie (één)"


def test_nza_zorgbeeld_api_column_names():
    text = (
        "Date;WaitingTime;InsufficientObservations;Location_AGBCode;TreatmentType;Specialism\n"
        "2026-11-17;;Ja;06020502;Polikliniekbezoek;Orthopedie (305)\n"
    )
    parsed = waiting_time_csv_parse(text.encode())
    assert parsed.layout == "nza"
    assert [cells(r) for r in parsed.rows] == [
        (2, "06020502", "first_visit", "0305", "", "", True, "2026-11-17")
    ]


def test_nza_unknown_type_is_a_row_error():
    text = "TYPE_WACHTTIJD;WACHTTIJD;SPECIALISME;AGB_CODE_LOCATIE;PEILDATUM\n"
    text += "Spoed;1;Orthopedie (305);06020502;2022-11-01\n"
    text += "Diagnostiek;1;Orthopedie (305);06020502;2022-11-01\n"
    parsed = waiting_time_csv_parse(text.encode())
    assert [(e["row"], e["field"]) for e in parsed.errors] == [(2, "TYPE_WACHTTIJD")]
    assert [r.row for r in parsed.rows] == [3]


def test_nza_missing_columns_are_named_by_their_nza_names():
    [error] = waiting_time_csv_parse(b"TYPE_WACHTTIJD;WACHTTIJD\nDiagnostiek;1\n").errors
    assert error["message"] == (
        "Line 1 (the header) lacks the columns: AGB_CODE_LOCATIE, SPECIALISME, PEILDATUM."
    )


def test_nul_bytes_anywhere_are_refused():
    data = (OURS + "06020502,0305,,first_visit,30,,2026-11-17\n" * 1000).encode()
    parsed = waiting_time_csv_parse(data + b"0602\x000502,0305,,first_visit,30,,2026-11-17\n")
    assert parsed.layout is None
    assert "not a CSV text file" in parsed.errors[0]["message"]


# --- Reading a file as a stream ------------------------------------------------------------------
STREAMED_FILES = {
    "ours": (
        "\ufefflocation;specialism;treatment;kind;days;insufficient_observations;reference_date\r\n"
        "06020502;0305;;first_visit;30;;2026-11-17\r\n"
        "\r\n"
        '"06020502";"";"Staaroperatie (één oog)";treatment;;ja;2026-11-17\r\n'
        "06020502;0305;;diagnostics;14;nee;2026-11-17\r\n"
    ).encode(),
    "ours, not UTF-8 late in the file": (
        OURS + "06020502,0305,,first_visit,30,,2026-11-17\n" * 3
    ).encode()
    + "06020502,0305,,first_visit,é,,2026-11-17\n".encode("iso-8859-1"),
    "ours, ends inside a UTF-8 character": (OURS + "06020502,0305,,first_visit,30,,x\n").encode()
    + "é".encode()[:1],
    "ours, a line that is not CSV": (OURS + "06020502," + "x" * 200_000 + "\n").encode(),
    "nza, ISO-8859-1": (
        NZA_HEADER
        + "1;Polikliniekbezoek;30;Orthopedie (305);Noord;Ziekenhuis;123;06020502;1-11-2022;\n"
        + "2;Spoed;3;Orthopedie (305);Noord;Ziekenhuis;123;06020502;1-11-2022;\n"
        + "3;Behandeling;40;Oogheelkunde (301);Noord;Ziekenhuis;123;06020502;20221101;"
        "Glasvochtoperatie (één)\n"
    ).encode("iso-8859-1"),
    "nza, UTF-8 with a byte order mark": (
        "\ufeff"
        + NZA_HEADER
        + "1;Diagnostiek;12,0;Orthopedie (305);Noord;Ziekenhuis;123;06020502;2022-11-01;\n"
        + "2;Behandeling;ow;Oogheelkunde (301);Noord;Ziekenhuis;123;06020502;2022-11-01;Één\n"
    ).encode(),
    "header only": OURS.encode(),
}


def snapshot(parsed):
    return (
        parsed.layout,
        parsed.encoding if parsed.layout else None,
        parsed.columns,
        [cells(r) for r in parsed.rows],
        parsed.errors,
    )


@pytest.mark.parametrize("name", STREAMED_FILES)
@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 7, 64])
def test_reading_in_small_pieces_gives_the_same_result(name, chunk_bytes, monkeypatch):
    """The file is scanned and decoded a piece at a time: pieces that split a character, a line
    or the byte order mark change nothing (the oracle: the file read in one piece)."""
    data = STREAMED_FILES[name]
    monkeypatch.setattr(csv_reader, "READ_CHUNK_BYTES", len(data) + 1)
    whole = snapshot(waiting_time_csv_parse(data))
    monkeypatch.setattr(csv_reader, "READ_CHUNK_BYTES", chunk_bytes)
    assert snapshot(waiting_time_csv_parse(data)) == whole


def test_the_streamed_files_cover_rows_errors_and_both_encodings():
    """The files above are not trivial: each says what it is meant to test."""
    results = {name: waiting_time_csv_parse(data) for name, data in STREAMED_FILES.items()}
    assert [r.row for r in results["ours"].rows] == [2, 4, 5]
    assert results["ours"].rows[1].treatment == "Staaroperatie (één oog)"
    assert results["ours, not UTF-8 late in the file"].errors[0]["row"] == 5
    assert results["ours, ends inside a UTF-8 character"].errors[0]["row"] == 3
    assert "cannot be read as CSV" in results["ours, a line that is not CSV"].errors[0]["message"]
    nza = results["nza, ISO-8859-1"]
    assert nza.encoding == "iso-8859-1"
    assert [r.row for r in nza.rows] == [2, 4] and [e["row"] for e in nza.errors] == [3]
    assert nza.rows[1].treatment == "Glasvochtoperatie (één)"
    bom = results["nza, UTF-8 with a byte order mark"]
    assert (bom.encoding, bom.columns["kind"], bom.rows[1].treatment) == (
        "utf-8",
        "TYPE_WACHTTIJD",
        "Één",
    )
    assert results["header only"].errors[0]["message"] == "The file has no rows below the header."


def test_rows_come_one_at_a_time_from_the_callers_file_which_stays_open(tmp_path):
    path = tmp_path / "wachttijden.csv"
    path.write_bytes((OURS + "06020502,0305,,first_visit,30,,2026-11-17\n" * 5000).encode())
    with path.open("rb") as file:
        with waiting_time_csv_open(file) as reading:
            assert (reading.layout, reading.error) == ("ours", None)
            items = reading.items()
            first = next(items)
            assert first.row == 2
            # Only the first pieces of the file have been read, not the whole file.
            assert file.tell() < path.stat().st_size
            assert sum(1 for _item in items) == 4999
        assert not file.closed
        file.seek(0)
        assert file.read(8) == b"location"


def test_a_refused_file_leaves_the_callers_file_open():
    file = io.BytesIO(b"a,b,c\n1,2,3\n")
    with waiting_time_csv_open(file) as reading:
        assert reading.layout is None and reading.error["row"] == 1
        assert list(reading.items()) == []
    assert not file.closed
