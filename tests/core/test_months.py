"""core.months: the one month arithmetic and the one "YYYY-MM" reader of the project."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.months import (
    month_add,
    month_format,
    month_of,
    month_parse,
    month_range,
    months_before,
    months_between,
)

months = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 1)).map(month_of)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03", date(2026, 3, 1)),
        (" 2026-12 ", date(2026, 12, 1)),
        ("0001-01", date(1, 1, 1)),
        ("9999-12", date(9999, 12, 1)),
        ("0000-01", None),  # the shape fits, but no date has year 0 (finance answered 500)
        ("2026-13", None),
        ("2026-00", None),
        ("2026-1", None),
        ("26-01", None),
        ("2026-03-01", None),
        ("2026-03\n", date(2026, 3, 1)),
        ("", None),
        ("2026-03" + " " * 20, None),  # overlong input is refused unread
    ],
)
def test_month_parse(text: str, expected: date | None) -> None:
    assert month_parse(text) == expected


def test_month_parse_refuses_what_is_not_text() -> None:
    assert month_parse(202603) is None  # type: ignore[arg-type]
    assert month_parse(None) is None  # type: ignore[arg-type]


@given(months)
def test_format_and_parse_round_trip(month: date) -> None:
    assert month_parse(month_format(month)) == month


@given(months, st.integers(min_value=-120, max_value=120))
def test_month_add_and_months_between_agree(month: date, count: int) -> None:
    try:
        later = month_add(month, count)
    except ValueError:  # beyond year 1 or 9999
        return
    assert later.day == 1
    assert months_between(month, later) == count


def test_month_range_includes_both_ends() -> None:
    assert list(month_range(date(2026, 11, 1), date(2027, 2, 1))) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]
    assert list(month_range(date(2026, 3, 1), date(2026, 2, 1))) == []


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2026, 1, 15), 1, date(2025, 12, 15)),
        (date(2026, 12, 6), 12, date(2025, 12, 6)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
        (date(2026, 1, 31), -1, date(2026, 2, 28)),
    ],
)
def test_months_before_keeps_the_day_or_takes_the_months_last(
    day: date, count: int, expected: date
) -> None:
    assert months_before(day, count) == expected
