"""Dutch working days: for mediation's first-contact SLA and offer expiry (DESIGN §3.3).

A working day is Monday to Friday and not a Dutch public holiday
(``holidays.country_holidays("NL")``: New Year, Good Friday, Easter Monday, King's Day,
Liberation Day in lustrum years, Ascension Day, Whit Monday, Christmas).
Pure functions: no database, no clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _dutch_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NL", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _dutch_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` Dutch working days after ``start`` (``start`` itself never counts).

    E.g. from Friday 24 April 2026, 2 working days is Wednesday 29 April: the weekend and King's
    Day (Monday 27 April) do not count. ``days == 0`` returns ``start``.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def add_working_days_to_moment(start: datetime, days: int) -> datetime:
    """The same wall-clock time ``days`` working days after ``start``.

    Used for offer expiry: an offer made on Friday at 10:00 with 5 working days expires the next
    Friday at 10:00 (later when a holiday falls in between). Pass a local time with a ``zoneinfo``
    zone (``timezone.localtime(...)``): the result keeps the wall-clock time across a DST change.
    """
    target = add_working_days(start.date(), days)
    return datetime.combine(target, start.time(), tzinfo=start.tzinfo)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
