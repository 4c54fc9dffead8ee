"""The one CSV dialect of every export (audit trail, plans, finance, reports).

What a Dutch spreadsheet opens without an import dialog: fields separated by ``;`` (Excel's list
separator in the Dutch locale, where ``,`` is the decimal comma), lines ended by CRLF, UTF-8 with a
byte-order mark so that Excel reads the accents. Text that a spreadsheet would run as a formula
(CSV injection, OWASP: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is
written with a leading apostrophe, which spreadsheets show as text. Numbers are written as they
are (a negative amount stays a number).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

DELIMITER = ";"
LINE_TERMINATOR = "\r\n"
BOM = "\ufeff"
CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One value as the text of a cell: empty for ``None``, numbers and dates as they are, text
    guarded against being run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal | date | datetime):
        return value.isoformat() if isinstance(value, date) else str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like object whose ``write`` returns the line, so that ``csv.writer`` can feed a
    stream one line at a time."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The export line by line: the byte-order mark and the header first, then each row. Rows are
    read lazily, so a large export can be streamed."""
    writer = csv.writer(_Line(), delimiter=DELIMITER, lineterminator=LINE_TERMINATOR)
    yield BOM + writer.writerow([csv_cell(value) for value in header])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """The whole export as one text (for an API renderer)."""
    return "".join(csv_lines(header, rows))


def csv_response(
    filename: str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    stream: bool = False,
) -> HttpResponse:
    """A download named ``filename``. With ``stream`` the rows are written as they are read
    (a ``StreamingHttpResponse``), for exports too large to hold in memory."""
    response: Any
    if stream:
        response = StreamingHttpResponse(csv_lines(header, rows), content_type=CONTENT_TYPE)
    else:
        response = HttpResponse(csv_text(header, rows), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
