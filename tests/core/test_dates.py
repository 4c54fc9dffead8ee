"""core.dates: the one rule for plausible dates (DESIGN §7: 1900 up to ten years ahead)."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from rest_framework import serializers

from core.dates import (
    plausible_date_errors,
    plausible_last_year,
    plausible_year_errors,
    validate_plausible_date,
)
from core.serializers import PlausibleYearField

TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("day", "plausible"),
    [
        (date(1, 1, 1), False),
        (date(1899, 12, 31), False),
        (date(1900, 1, 1), True),
        (TODAY, True),
        (date(2036, 12, 31), True),  # ten years ahead: the whole year counts
        (date(2037, 1, 1), False),
        (date(9999, 12, 31), False),
    ],
)
def test_from_1900_up_to_ten_years_ahead(day, plausible):
    assert (plausible_date_errors(day, today=TODAY) == []) is plausible


def test_the_message_names_the_years():
    assert plausible_date_errors(date(9999, 12, 31), today=TODAY) == [
        "Check the year: it must lie between 1900 and 2036."
    ]


def test_the_domain_may_only_narrow_the_range():
    assert plausible_year_errors(1999, today=TODAY, first=2000) != []
    assert plausible_year_errors(2000, today=TODAY, first=2000) == []
    assert plausible_year_errors(2031, today=TODAY, last=2031) == []
    assert plausible_year_errors(2032, today=TODAY, last=2031) == [
        "Check the year: it must lie between 1900 and 2031."
    ]
    # A wider wish does not widen the outer bound.
    assert plausible_year_errors(1800, today=TODAY, first=1700) != []
    assert plausible_year_errors(2050, today=TODAY, last=2100) != []


def test_the_validator_uses_the_clock():
    validate_plausible_date(timezone.localdate())
    with pytest.raises(ValidationError) as error:
        validate_plausible_date(date(1, 1, 1))
    assert error.value.code == "implausible"


def test_the_year_field_bound_moves_with_the_calendar_in_check_and_schema(monkeypatch):
    field = PlausibleYearField(min_value=2000)
    last = plausible_last_year(today=timezone.localdate())

    assert (field.min_value, field.max_value) == (2000, last)
    assert field.run_validation(last) == last
    for year in (1999, last + 1, 9999):
        with pytest.raises(serializers.ValidationError):
            field.run_validation(year)

    # A serializer builds its fields anew for every instance (a deep copy of the declared ones),
    # so the bound is the one of the day the request comes in, not of the day the code loaded.
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2040, 6, 1))
    later = copy.deepcopy(field)
    assert later.max_value == 2050
    assert later.run_validation(2050) == 2050
