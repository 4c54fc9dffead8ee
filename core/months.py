"""Calendar months: a month is the ``date`` of its first day.

Pure Python (no Django), the one month arithmetic of the project: plans (forecast, Excel files),
finance (production per month), mediation (outcomes per month, retention). In the API, forms and
files a month is written ``"YYYY-MM"`` (DESIGN §8), years 0001–9999; the fields that read it are
:class:`core.serializers.MonthField` and :class:`core.forms.MonthField`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import date

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_MONTH_RE = re.compile(MONTH_PATTERN)
# Longer input is refused before the regular expression looks at it (room for spaces around it).
MONTH_MAX_INPUT = 16


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


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier, or the month's last day when that month is
    shorter (31 March, 1 month → 28 or 29 February)."""
    year, month = divmod(day.year * 12 + (day.month - 1) - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_format(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_parse(value: str) -> date | None:
    """``"2026-03"`` → ``date(2026, 3, 1)``; anything else (also year 0000, which no ``date`` can
    hold, and overlong text) → ``None``."""
    if (
        not isinstance(value, str)
        or len(value) > MONTH_MAX_INPUT
        or not _MONTH_RE.match(value.strip())
    ):
        return None
    year, month = value.strip().split("-")
    year_number = int(year)
    if year_number < 1:
        return None
    return date(year_number, int(month), 1)
