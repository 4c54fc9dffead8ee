from datetime import date

import pytest

from providers.waiting_times.rules import exceeds_norm, is_stale, norm_key


@pytest.mark.parametrize(
    ("kind", "setting", "expected"),
    [
        ("first_visit", None, ("first_visit", "")),
        ("diagnostics", "day", ("diagnostics", "")),
        ("treatment", "day", ("treatment", "day")),
        ("treatment", "inpatient", ("treatment", "inpatient")),
    ],
)
def test_norm_key(kind, setting, expected) -> None:
    assert norm_key(kind=kind, treatment_setting=setting) == expected


def test_exceeds_norm_only_above_the_maximum() -> None:
    assert exceeds_norm(days=28, max_days=28) is False
    assert exceeds_norm(days=29, max_days=28) is True
    assert exceeds_norm(days=None, max_days=28) is None


def test_stale_after_28_days() -> None:
    today = date(2026, 11, 23)
    assert not is_stale(reference_date=date(2026, 10, 26), today=today)  # 28 days old
    assert is_stale(reference_date=date(2026, 10, 25), today=today)  # 29 days old
    assert is_stale(reference_date=None, today=today)


def test_nza_peildatum_is_the_tuesday_of_an_even_iso_week() -> None:
    from providers.waiting_times.rules import nza_reference_date_on_or_before, nza_reference_dates

    assert nza_reference_date_on_or_before(date(2026, 11, 24)) == date(2026, 11, 24)  # week 48
    assert nza_reference_date_on_or_before(date(2026, 11, 23)) == date(2026, 11, 10)  # week 46
    # 2026 has 53 ISO weeks: weeks 53 and 1 are both odd, so the cycle is 21 days there.
    assert nza_reference_date_on_or_before(date(2027, 1, 6)) == date(2026, 12, 22)  # week 52
    dates = nza_reference_dates(last=date(2027, 1, 20), count=3)
    assert dates == [date(2026, 12, 8), date(2026, 12, 22), date(2027, 1, 12)]
    assert all(d.weekday() == 1 and d.isocalendar().week % 2 == 0 for d in dates)
