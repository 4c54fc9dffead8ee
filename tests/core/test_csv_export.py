"""core.csv_export: the one dialect of every export (`;`, CRLF, UTF-8 with BOM, formula guard)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from core.csv_export import csv_cell, csv_lines, csv_response, csv_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+31 6 1234", "'+31 6 1234"),
        ("-1+1", "'-1+1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ZB-2026-000001", "ZB-2026-000001"),
        ("a=b", "a=b"),
        (None, ""),
        (-5, "-5"),  # numbers are numbers, not formulas
        (Decimal("-1250.50"), "-1250.50"),
        (2.5, "2.5"),
        (date(2026, 3, 1), "2026-03-01"),
    ],
)
def test_csv_cell(value: object, expected: str) -> None:
    assert csv_cell(value) == expected


def _read(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


def test_one_dialect_round_trips_through_a_csv_reader() -> None:
    text = csv_text(
        ["naam", "bedrag"],
        [["Ziekenhuis; Noord", Decimal("10.00")], ['Kliniek "Oost"\nlocatie 2', None]],
    )
    assert text.startswith("\ufeffnaam;bedrag\r\n")
    assert _read(text) == [
        ["naam", "bedrag"],
        ["Ziekenhuis; Noord", "10.00"],
        ['Kliniek "Oost"\nlocatie 2', ""],
    ]


def test_lines_are_produced_lazily() -> None:
    def rows():
        yield ["a"]
        raise AssertionError("read beyond what was asked")

    lines = csv_lines(["kolom"], rows())
    assert next(lines) == "\ufeffkolom\r\n"
    assert next(lines) == "a\r\n"


@pytest.mark.parametrize("stream", [False, True])
def test_response_is_a_named_download(stream: bool) -> None:
    response = csv_response("export.csv", ["x"], [["=1"], ["é"]], stream=stream)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="export.csv"'
    body = b"".join(response.streaming_content) if stream else response.content
    assert _read(body.decode("utf-8")) == [["x"], ["'=1"], ["é"]]
