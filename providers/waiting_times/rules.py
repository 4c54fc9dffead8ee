"""The waiting-time rules of DESIGN §3.1, as plain functions (no database).

* A wait **exceeds the norm** when it is above the norm's maximum (``max_days``).
* A figure whose peildatum is more than ``WAITING_TIME_STALE_DAYS`` (28) days old is **stale**:
  shown as such, never used by matching as if it were current.
* The norm of a series is the one of its kind; for treatments, of the treatment's setting.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings

from providers.models import WaitingTimeKind


def norm_key(*, kind: str, treatment_setting: str | None) -> tuple[str, str]:
    """The ``(kind, setting)`` of the Norm that applies to a series."""
    return (kind, (treatment_setting or "") if kind == WaitingTimeKind.TREATMENT else "")


def exceeds_norm(*, days: int | None, max_days: int | None) -> bool | None:
    """``None`` when either side is unknown (insufficient observations, no norm)."""
    if days is None or max_days is None:
        return None
    return days > max_days


def stale_before(*, today: date) -> date:
    """Figures with a peildatum before this date are stale."""
    return today - timedelta(days=settings.WAITING_TIME_STALE_DAYS)


def is_stale(*, reference_date: date | None, today: date) -> bool:
    return reference_date is None or reference_date < stale_before(today=today)


def nza_reference_date_on_or_before(day: date) -> date:
    """The latest NZa peildatum on or before ``day``: the Tuesday of an even ISO week.

    ISO years with 53 weeks have two odd weeks in a row (53 and 1), so cycles are 14 days apart
    except around such a new year (21 days)."""
    tuesday = day - timedelta(days=(day.weekday() - 1) % 7)
    while tuesday.isocalendar().week % 2:
        tuesday -= timedelta(weeks=1)
    return tuesday


def nza_reference_dates(*, last: date, count: int) -> list[date]:
    """The ``count`` peildatums up to and including the one on or before ``last``, oldest first."""
    dates = [nza_reference_date_on_or_before(last)]
    while len(dates) < count:
        dates.append(nza_reference_date_on_or_before(dates[-1] - timedelta(days=1)))
    return dates[::-1]
