"""The regional trend's summary (:class:`providers.models.RegionTrendCount`), kept in step with
the reports.

The regional report's trend needs, per region, kind (and setting) and peildatum, how many reports
gave each number of days. Counting that from the reports themselves means reading every figure of
a region over half a year (≈ 250,000 reports in the largest region at national scale); the
summary holds the same counts in a few thousand rows per region.

Invariant: for every region R, the rows of R equal the counts of the reports with a number of
days of R's providers' *active* locations. Every write path keeps it:

* the reporting service (API, CSV, web form) applies the *change* a submission makes — one more
  report at each new value, one less at each value it corrects — inside the submission's
  transaction (:func:`region_trend_counts_apply`): the cost follows the submission's size, not
  the region's, and concurrent submissions add up (``INSERT … ON CONFLICT DO UPDATE``);
* bulk loads that bypass the service (demo data, the benchmark generator) and changes of a
  location's activity or a provider's region recount the regions concerned
  (:func:`region_trend_counts_rebuild`; also ``manage.py rebuild_trend_counts``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count

from providers.models import Region, RegionTrendCount, WaitingTimeReport

BATCH_SIZE = 5000

# A group of the summary: (region id, peildatum, kind, setting or "", days).
TrendKey = tuple[int, date, str, str, int]


def _recount(*, region_ids: list[int]) -> None:
    RegionTrendCount.objects.filter(region_id__in=region_ids).delete()
    reports = WaitingTimeReport.objects.filter(
        series__location__provider__region_id__in=region_ids,
        series__location__is_active=True,
        days__isnull=False,
    )
    counted = (
        reports.values_list(
            "series__location__provider__region_id",
            "series__kind",
            "series__treatment__setting",
            "reference_date",
            "days",
        )
        # Counting "days" (never null here) lets the index (series, peildatum, days) answer.
        .annotate(reports=Count("days"))
        .order_by()
    )
    RegionTrendCount.objects.bulk_create(
        (
            RegionTrendCount(
                region_id=region_id,
                kind=kind,
                setting=setting or "",
                reference_date=reference_date,
                days=days,
                reports=reports,
            )
            for region_id, kind, setting, reference_date, days, reports in counted.iterator(
                chunk_size=BATCH_SIZE
            )
        ),
        batch_size=BATCH_SIZE,
    )


def _lock(region_ids: Iterable[int]) -> list[int]:
    """Recounts of one region run one after the other (row locks on the regions, in id order)."""
    return list(
        Region.objects.select_for_update()
        .filter(pk__in=set(region_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def region_trend_counts_apply(*, changes: Mapping[TrendKey, int]) -> None:
    """Add ``changes`` (group → reports more, or fewer when negative) to the summary.

    Call inside the transaction that wrote the reports. Groups are written in key order, so two
    submissions never wait for each other crosswise; a group that drops to zero is removed."""
    more = sorted((key, n) for key, n in changes.items() if n > 0)
    fewer = sorted((key, -n) for key, n in changes.items() if n < 0)
    if not more and not fewer:
        return
    with connection.cursor() as cursor:
        apply = _apply_postgresql if connection.vendor == "postgresql" else _apply_rowwise
        apply(cursor, more=more, fewer=fewer)


_TABLE = RegionTrendCount._meta.db_table
_COLUMNS = ("region_id", "reference_date", "kind", "setting", "days")
_GROUP = ", ".join(_COLUMNS)
# (The SQL names only our own table and columns; every value is a parameter: ``noqa: S608``.)
_UPSERT = f"ON CONFLICT ({_GROUP}) DO UPDATE SET reports = {_TABLE}.reports + EXCLUDED.reports"


def _apply_postgresql(cursor: Any, *, more: list, fewer: list) -> None:
    """One statement per direction, whatever the number of groups (arrays, ``unnest``)."""

    def arrays(items: list) -> list[list]:
        return [list(column) for column in zip(*((*key, n) for key, n in items), strict=True)]

    typed = "%s::int[], %s::date[], %s::text[], %s::text[], %s::int[], %s::int[]"
    if more:
        cursor.execute(
            f"INSERT INTO {_TABLE} ({_GROUP}, reports) "  # noqa: S608
            f"SELECT * FROM unnest({typed}) {_UPSERT}",
            arrays(more),
        )
    if fewer:
        match = " AND ".join(f"t.{column} = n.{column}" for column in _COLUMNS)
        cursor.execute(
            f"UPDATE {_TABLE} t SET reports = t.reports - n.reports "  # noqa: S608
            f"FROM unnest({typed}) AS n ({_GROUP}, reports) WHERE {match}",
            arrays(fewer),
        )
        cursor.execute(
            f"DELETE FROM {_TABLE} WHERE reports = 0 AND region_id = ANY(%s)",  # noqa: S608
            [sorted({key[0] for key, _n in fewer})],
        )


def _apply_rowwise(cursor: Any, *, more: list, fewer: list) -> None:
    """Other databases (SQLite): the same, a statement per group."""
    if more:
        cursor.executemany(
            f"INSERT INTO {_TABLE} ({_GROUP}, reports) "  # noqa: S608
            f"VALUES (%s, %s, %s, %s, %s, %s) {_UPSERT}",
            [(*key, n) for key, n in more],
        )
    if fewer:
        match = " AND ".join(f"{column} = %s" for column in _COLUMNS)
        cursor.executemany(
            f"UPDATE {_TABLE} SET reports = reports - %s WHERE {match}",  # noqa: S608
            [(n, *key) for key, n in fewer],
        )
        cursor.executemany(
            f"DELETE FROM {_TABLE} WHERE {match} AND reports = 0",  # noqa: S608
            [key for key, _n in fewer],
        )


@transaction.atomic
def region_trend_counts_rebuild(*, region_ids: Iterable[int] | None = None) -> None:
    """Recount every peildatum of these regions (all regions when ``None``)."""
    locked = _lock(
        Region.objects.values_list("pk", flat=True) if region_ids is None else region_ids
    )
    if locked:
        _recount(region_ids=locked)
