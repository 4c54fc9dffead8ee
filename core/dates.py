"""Plausible dates (DESIGN §7): every date a person or a system sends lies in a year from 1900 up to
ten years after the current one. Anything else — year 1, year 9999, a typing error such as 2062 for
2026 — is refused with a message that names the field, before it can reach arithmetic that would
run off the calendar (``date.max + 1 day``) or a table in which it makes no sense.

This is the outer bound only. Where the domain knows better it is tighter, and the app that knows
says so with its own message: a waiting list is joined in the past (not in the future), a capacity
offer is for this week up to a year ahead, a catch-up plan is for the years around today, a
contract year starts in 2000. Services call :func:`plausible_date_errors` (or
:func:`plausible_year_errors`) beside those rules; query filters and form fields that reach no
service use :func:`validate_plausible_date`.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

PLAUSIBLE_FIRST_YEAR = 1900
PLAUSIBLE_YEARS_AHEAD = 10


def plausible_last_year(*, today: date) -> int:
    """The last year a date may fall in: ten years after ``today``'s."""
    return today.year + PLAUSIBLE_YEARS_AHEAD


def plausible_year_errors(
    year: int, *, today: date, first: int | None = None, last: int | None = None
) -> list[str]:
    """``[message]`` when ``year`` lies outside 1900 … ten years ahead, or outside the tighter
    ``first`` … ``last`` the caller's domain gives; ``[]`` when it is plausible."""
    lowest = max(PLAUSIBLE_FIRST_YEAR, first if first is not None else PLAUSIBLE_FIRST_YEAR)
    highest = plausible_last_year(today=today)
    if last is not None:
        highest = min(highest, last)
    if lowest <= year <= highest:
        return []
    return [
        _("Check the year: it must lie between %(first)d and %(last)d.")
        % {"first": lowest, "last": highest}
    ]


def plausible_date_errors(
    value: date, *, today: date, first_year: int | None = None, last_year: int | None = None
) -> list[str]:
    """:func:`plausible_year_errors` for the year of a date (or of a month's first day)."""
    return plausible_year_errors(value.year, today=today, first=first_year, last=last_year)


def validate_plausible_date(value: date) -> None:
    """A Django validator (form fields, query filters): the date lies from 1900 to ten years
    ahead of today."""
    errors = plausible_date_errors(value, today=timezone.localdate())
    if errors:
        raise ValidationError(errors[0], code="implausible")


def date_display(day: date) -> str:
    """A date as people read it, in the active language: "6 december 2026" in Dutch (lower-case
    month, no leading zero), "6 December 2026" in English — the one style of the whole UI, the
    same as the templates' ``date:"j F Y"``. For messages and timeline notes built in Python;
    never ``isoformat()`` or ``strftime`` there (those are for files, JSON and audit details)."""
    return date_format(day, "j F Y")


def month_display(month: date) -> str:
    """A month as people read it: "maart 2026" (``month_format`` gives the API's "2026-03")."""
    return date_format(month, "F Y")
