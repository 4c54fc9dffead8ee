"""Persistent overruns ("langdurige overschrijding", DESIGN §3.8; issue 14): a series above the
Treeknorm maximum for three NZa cycles in a row.

The rules kept here:

* The **cycles** are the NZa peildatums (the Tuesday of each even ISO week); the last one is the
  latest on or before today (:func:`~providers.waiting_times.rules.nza_reference_date_on_or_before`,
  the same "last cycle" as the regional report). A report counts towards the cycle whose
  peildatum is the latest one on or before its own (as in the regional trend); of two in one
  cycle, the later one counts.
* A series is **flagged** when each of the last :data:`OVERRUN_CYCLES` cycles has a report with a
  number of days above the maximum of the series' norm (kind, and for treatments the setting).
  A missing cycle or ``insufficient_observations`` in one of them breaks the run.
* Series of inactive (closed) locations are not flagged.
* A flag **stays** while the series is over the norm or does not report (a missing figure does
  not clear it: the series is then also *not reported*), and **clears** when the series' latest
  figure is a number within the maximum again: ``cleared_at`` and the peildatum are recorded; the
  row stays as history. A later run of three cycles opens a new flag.

:func:`series_overrun_refresh` keeps the flags: after each waiting-time submission for the
series it touched (``providers.waiting_times.storage``, after the commit) and periodically for all
series (``providers.series_overruns_refresh`` in ``CELERY_BEAT_SCHEDULE``), so that a new cycle
without reports breaks runs and opens none. Idempotent: running it twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from providers.models import Norm, PersistentOverrun, WaitingTimeReport, WaitingTimeSeries
from providers.waiting_times.rules import (
    norm_key,
    nza_reference_date_on_or_before,
    nza_reference_dates,
)
from providers.waiting_times.validation import chunked

OVERRUN_CYCLES = 3
# Series read and judged this many at a time.
REFRESH_CHUNK = 2_000


@dataclass
class OverrunRefreshResult:
    flagged: int = 0
    extended: int = 0
    cleared: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {"flagged": self.flagged, "extended": self.extended, "cleared": self.cleared}


def overrun_cycles(*, today: date) -> list[date]:
    """The peildatums of the last :data:`OVERRUN_CYCLES` cycles as of ``today``, oldest first."""
    return nza_reference_dates(last=nza_reference_date_on_or_before(today), count=OVERRUN_CYCLES)


def series_overrun_refresh(
    *, series_ids: Iterable[int] | None = None, today: date | None = None
) -> OverrunRefreshResult:
    """Flag, extend and clear the persistent overruns of the given series (all series when
    ``series_ids`` is None) as of ``today``; see the module docstring for the rules."""
    today = today or timezone.localdate()
    cycles = overrun_cycles(today=today)
    if series_ids is None:
        # Every series with a report in the window, and every one with an open flag.
        window = WaitingTimeReport.objects.filter(
            reference_date__gte=cycles[0], reference_date__lte=today
        )
        ids = set(window.values_list("series_id", flat=True).distinct())
        ids |= set(
            PersistentOverrun.objects.filter(cleared_at__isnull=True).values_list(
                "series_id", flat=True
            )
        )
    else:
        ids = set(series_ids)
    norms = {(norm.kind, norm.setting): norm.max_days for norm in Norm.objects.all()}
    result = OverrunRefreshResult()
    for chunk in chunked(sorted(ids), REFRESH_CHUNK):
        _refresh_chunk(series_ids=chunk, cycles=cycles, today=today, norms=norms, result=result)
    return result


def _refresh_chunk(
    *,
    series_ids: Sequence[int],
    cycles: list[date],
    today: date,
    norms: dict[tuple[str, str], int],
    result: OverrunRefreshResult,
) -> None:
    series = {
        row[0]: row
        for row in WaitingTimeSeries.objects.filter(pk__in=series_ids).values_list(
            "pk",
            "kind",
            "treatment__setting",
            "current_reference_date",
            "current_days",
            "location__is_active",
        )
    }
    # The later report of each cycle, per series: (peildatum, days).
    figures: dict[int, dict[date, tuple[date, int | None]]] = {}
    cycle_of: dict[date, date] = {}
    for series_id, reference_date, days in WaitingTimeReport.objects.filter(
        series_id__in=series_ids, reference_date__gte=cycles[0], reference_date__lte=today
    ).values_list("series_id", "reference_date", "days"):
        cycle = cycle_of.get(reference_date)
        if cycle is None:
            cycle = cycle_of[reference_date] = nza_reference_date_on_or_before(reference_date)
        known = figures.setdefault(series_id, {})
        if cycle not in known or known[cycle][0] < reference_date:
            known[cycle] = (reference_date, days)
    with transaction.atomic():
        open_flags = {
            flag.series_id: flag
            for flag in PersistentOverrun.objects.select_for_update().filter(
                series_id__in=series_ids, cleared_at__isnull=True
            )
        }
        now = timezone.now()
        new_flags: list[PersistentOverrun] = []
        changed: list[PersistentOverrun] = []
        for series_id, row in series.items():
            _pk, kind, setting, current_date, current_days, active = row
            max_days = norms.get(norm_key(kind=kind, treatment_setting=setting))
            flag = open_flags.get(series_id)
            if max_days is None:
                continue
            known = figures.get(series_id, {})
            run = [known.get(cycle) for cycle in cycles]
            over = all(
                figure is not None and figure[1] is not None and figure[1] > max_days
                for figure in run
            )
            if over:
                latest_days = int(run[-1][1])  # type: ignore[index,arg-type]
                if flag is None and not active:
                    continue  # a closed location is not flagged (nor anyone told)
                if flag is None:
                    new_flags.append(
                        PersistentOverrun(
                            series_id=series_id,
                            since=cycles[0],
                            latest_reference_date=cycles[-1],
                            cycles=OVERRUN_CYCLES,
                            days=latest_days,
                            max_days=max_days,
                        )
                    )
                elif flag.latest_reference_date < cycles[-1] or flag.days != latest_days:
                    flag.cycles += sum(1 for cycle in cycles if cycle > flag.latest_reference_date)
                    flag.latest_reference_date = max(flag.latest_reference_date, cycles[-1])
                    flag.days = latest_days
                    changed.append(flag)
                    result.extended += 1
            elif (
                flag is not None
                and current_date is not None
                and current_days is not None
                and current_days <= max_days
                and current_date >= flag.latest_reference_date
            ):
                flag.cleared_at = now
                flag.cleared_reference_date = current_date
                changed.append(flag)
                result.cleared += 1
        # A concurrent refresh may have opened the same flag meanwhile: one open flag per series.
        PersistentOverrun.objects.bulk_create(new_flags, batch_size=500, ignore_conflicts=True)
        result.flagged += len(new_flags)
        PersistentOverrun.objects.bulk_update(
            changed,
            ["cycles", "latest_reference_date", "days", "cleared_at", "cleared_reference_date"],
            batch_size=500,
        )
