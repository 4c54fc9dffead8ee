from datetime import date

import pytest

from providers.rules import exceeds_norm, is_stale, norm_key


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
