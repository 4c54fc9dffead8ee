"""Dutch working days: the first-contact SLA and offer expiry (worked examples)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.working_days import (
    add_working_days,
    add_working_days_to_moment,
    is_working_day,
    working_days_between,
)

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Wednesday → Friday: two ordinary working days.
        (date(2026, 3, 4), 2, date(2026, 3, 6)),
        # Thursday → Monday: the weekend does not count.
        (date(2026, 3, 5), 2, date(2026, 3, 9)),
        # Friday 24 April → Wednesday 29 April: weekend and King's Day (Monday 27 April).
        (date(2026, 4, 24), 2, date(2026, 4, 29)),
        # Submitted on a Saturday: Monday and Tuesday are the two working days.
        (date(2026, 5, 9), 2, date(2026, 5, 12)),
        # Wednesday 23 December → Monday 28 December: Christmas (25, 26) and the weekend.
        (date(2026, 12, 23), 2, date(2026, 12, 28)),
        # Ascension Day (Thursday 14 May 2026).
        (date(2026, 5, 13), 1, date(2026, 5, 15)),
        # Zero days is the start itself.
        (date(2026, 4, 27), 0, date(2026, 4, 27)),
        # New Year's Day 2027 is a Friday: Thursday 31 December + 1 → Monday 4 January.
        (date(2026, 12, 31), 1, date(2027, 1, 4)),
    ],
)
def test_add_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


def test_holidays_and_weekends_are_not_working_days():
    assert not is_working_day(date(2026, 4, 27))  # King's Day
    assert not is_working_day(date(2026, 12, 25))  # Christmas
    assert not is_working_day(date(2026, 12, 26))  # Second Christmas Day (a Saturday anyway)
    assert not is_working_day(date(2026, 3, 7))  # Saturday
    assert is_working_day(date(2026, 4, 28))


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), -1)


def test_offer_expiry_five_working_days_keeps_the_time_of_day():
    made = datetime(2026, 3, 2, 10, 0, tzinfo=AMS)  # Monday
    assert add_working_days_to_moment(made, 5) == datetime(2026, 3, 9, 10, 0, tzinfo=AMS)


def test_offer_expiry_skips_kings_day():
    made = datetime(2026, 4, 20, 14, 30, tzinfo=AMS)  # Monday
    # 21, 22, 23, 24, (27 King's Day), 28.
    assert add_working_days_to_moment(made, 5) == datetime(2026, 4, 28, 14, 30, tzinfo=AMS)


def test_offer_expiry_across_daylight_saving_and_easter_keeps_wall_clock_time():
    made = datetime(2026, 3, 27, 10, 0, tzinfo=AMS)  # Friday, CET
    # 30, 31 March, 1, 2 April, (3 Good Friday, 6 Easter Monday), 7 April — now CEST.
    expires = add_working_days_to_moment(made, 5)
    assert expires == datetime(2026, 4, 7, 10, 0, tzinfo=AMS)
    assert expires.utcoffset() != made.utcoffset()
    assert expires.hour == 10


def test_working_days_between():
    assert working_days_between(date(2026, 4, 24), date(2026, 4, 28)) == 1
    assert working_days_between(date(2026, 4, 28), date(2026, 4, 24)) == 0
