"""Calendar months, as plans count them: a month is the ``date`` of its first day.

Pure Python (no Django), shared by the forecast, the Excel files, the serializers and the forms. In
the API and in files a month is written ``"YYYY-MM"`` (DESIGN §8).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_MONTH_RE = re.compile(MONTH_PATTERN)


def month_of(day: date) -> date:
    """The month ``day`` falls in."""
    return day.replace(day=1)


def month_add(month: date, count: int) -> date:
    """``count`` months after (or, negative, before) ``month``."""
    index = month.year * 12 + (month.month - 1) + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """How many months ``last`` lies after ``first`` (0 for the same month)."""
    return (last.year - first.year) * 12 + (last.month - first.month)


def month_range(first: date, last: date) -> Iterator[date]:
    """Every month from ``first`` up to and including ``last``."""
    for offset in range(months_between(first, last) + 1):
        yield month_add(first, offset)


def month_format(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_parse(value: str) -> date | None:
    """``"2026-03"`` → ``date(2026, 3, 1)``; anything else → ``None``."""
    if not isinstance(value, str) or not _MONTH_RE.match(value.strip()):
        return None
    year, month = value.strip().split("-")
    year_number = int(year)
    if year_number < 1:
        return None
    return date(year_number, int(month), 1)
