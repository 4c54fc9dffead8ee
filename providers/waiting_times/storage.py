"""Storing a waiting-time submission, all or nothing (DESIGN §3.1; issue 3, "Reporting").

:func:`waiting_time_reports_store` is the one way reported figures are written: the CSV import
(:mod:`providers.waiting_times.imports`) hands it the rows it checked while reading the file, the
API and the planners' web form go through :func:`waiting_time_reports_record`, which checks a
submission held in memory first. The rules kept here:

* **All or nothing**: the submission is checked first (:mod:`providers.waiting_times.validation`);
  one bad row and nothing is stored. Storing is one transaction.
* Re-reporting a key corrects it; the value it replaces is kept as a ``WaitingTimeRevision``.
* A series' *current* figure follows its newest peildatum: correcting an older peildatum leaves it
  alone, correcting the current one changes it. A series that does not exist yet is created.
* The regional trend's counts follow in the same transaction: one report more at each new value,
  one less at each value replaced (:mod:`providers.reports.trend_counts`).
* Submissions for the same locations run one after the other; one audit event per submission.
* After the commit, the persistent-overrun flags of the touched series are refreshed
  (:mod:`providers.waiting_times.overrun`).
* **Provenance and precedence** (DESIGN §3.8): every report records its ``origin`` (``provider``
  or ``nza``) and the import it came from. For the same series and peildatum a provider's own
  report wins: a national (``nza``) row never replaces a ``provider`` report (it is counted as
  ``kept_provider`` and left out), while a provider's report replaces an ``nza`` one like a
  correction (the NZa value kept as a revision). A series' current figure records its origin.

Speed: stored with set-based statements (PostgreSQL: ``COPY`` into a temporary staging table, then
``INSERT … ON CONFLICT`` / ``UPDATE … FROM``; other databases: ORM bulk operations in chunks).
Memory: the checked rows are stored :data:`STORE_CHUNK_ROWS` at a time; what spans the chunks (the
series, their newest rows, the trend's count changes) grows with the series, not the rows.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.services import audit_record
from providers.models import (
    Location,
    ReportOrigin,
    ReportSource,
    Treatment,
    WaitingTimeReport,
    WaitingTimeRevision,
    WaitingTimeSeries,
)
from providers.reports.trend_counts import TrendKey, region_trend_counts_apply
from providers.waiting_times.csv_reader import WaitingTimeRow
from providers.waiting_times.overrun import series_overrun_refresh
from providers.waiting_times.validation import (
    CHUNK_SIZE,
    CheckedRows,
    ProgressCallback,
    ResolvedWaitingTimeRow,
    Subject,
    WaitingTimeReportErrors,
    chunked,
    waiting_time_reports_check,
)

logger = logging.getLogger(__name__)

NULL = "\\N"  # NULL in PostgreSQL's COPY text format


@dataclass
class RecordResult:
    created: int
    updated: int
    unchanged: int
    rows: list[ResolvedWaitingTimeRow] = field(default_factory=list)
    # Rows of a national import left out because the provider reported that series and peildatum.
    kept_provider: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def waiting_time_reports_record(
    *,
    rows: Sequence[WaitingTimeRow],
    actor: Actor,
    source: str,
    today: date | None = None,
    progress: ProgressCallback | None = None,
) -> RecordResult:
    """Store a submission held in memory (the API's list, the web form), all or nothing; raise
    :class:`WaitingTimeReportErrors` on any error. The result's ``rows`` are the stored rows.

    Counts: ``created`` new peildatums, ``updated`` corrections (the old value kept as a revision),
    ``unchanged`` re-reports of the same value. One audit event per submission.
    """
    if source not in ReportSource.values:
        raise ValueError(f"unknown source {source!r}")
    checked, errors = waiting_time_reports_check(
        rows=rows,
        actor=actor,
        today=today or timezone.localdate(),
        progress=progress_scaled(progress, 0.0, 0.5),
    )
    if errors:
        raise WaitingTimeReportErrors(errors)
    result = waiting_time_reports_store(
        checked=checked, actor=actor, source=source, progress=progress_scaled(progress, 0.5, 1.0)
    )
    result.rows = list(checked.rows())
    return result


# Checked rows are stored this many at a time (one COPY, or bulk statements, per chunk).
STORE_CHUNK_ROWS = 50_000


def waiting_time_reports_store(
    *,
    checked: CheckedRows,
    actor: Actor,
    source: str,
    progress: ProgressCallback | None = None,
    origin: str = ReportOrigin.PROVIDER,
    import_id: int | None = None,
) -> RecordResult:
    """Store rows that passed every check (:class:`~providers.waiting_times.validation.
    WaitingTimeCheck` without errors) in one transaction, :data:`STORE_CHUNK_ROWS` at a time, so
    that memory does not grow with the submission. The result's ``rows`` are left empty.

    ``origin`` and ``import_id`` record where the figures come from (see the module docstring for
    the precedence of a provider's own reports over national ones)."""
    if source not in ReportSource.values:
        raise ValueError(f"unknown source {source!r}")
    if origin not in ReportOrigin.values:
        raise ValueError(f"unknown origin {origin!r}")
    if not len(checked):
        raise WaitingTimeReportErrors(
            [{"row": None, "field": None, "message": _("There are no waiting times to store.")}]
        )
    store = _store_postgresql if connection.vendor == "postgresql" else _store_orm
    changes: Counter[TrendKey] = Counter()
    newest: dict[int, ResolvedWaitingTimeRow] = {}
    kept_provider = 0
    total = len(checked)
    with transaction.atomic():
        subjects = checked.series
        _lock_locations(sorted({subject.location_id for subject in subjects}))
        current_dates = _series_for(subjects)
        trend_groups = _trend_groups(subjects)
        # Decided once, before the first chunk: rows stored by earlier chunks never count.
        all_new = not _reports_exist(
            series_ids=sorted({subject.series_id for subject in subjects}), dates=checked.dates()
        )
        if progress is not None:
            progress(0.1)

        def chunks() -> Iterator[list[ResolvedWaitingTimeRow]]:
            """The rows a chunk at a time, each with what it changes besides the reports (read
            before the store function writes the chunk)."""
            nonlocal kept_provider
            done = 0
            for chunk in checked.chunks(STORE_CHUNK_ROWS):
                stored = {} if all_new else _stored_reports(chunk)
                done += len(chunk)
                if origin == ReportOrigin.NZA and stored:
                    # A provider's own report of the same series and peildatum wins.
                    kept = [
                        row
                        for row in chunk
                        if stored.get(_report_key(row), (None, ""))[1] != ReportOrigin.PROVIDER
                    ]
                    kept_provider += len(chunk) - len(kept)
                    chunk = kept
                before = {key: days for key, (days, _origin) in stored.items()}
                changes.update(_trend_changes(resolved=chunk, groups=trend_groups, before=before))
                _newest_rows(chunk, newest)
                if chunk:
                    yield chunk
                if progress is not None:
                    progress(0.1 + 0.85 * done / total)

        result = store(
            chunks=chunks(),
            source=source,
            reported_by=actor.label,
            all_new=all_new,
            origin=origin,
            import_id=import_id,
        )
        result.kept_provider = kept_provider
        _current_figures_refresh(newest=newest, current_dates=current_dates, origin=origin)
        region_trend_counts_apply(changes=changes)
        touched = sorted({subject.series_id for subject in subjects})
        transaction.on_commit(lambda: _overruns_refresh(touched))
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="providers.waitingtimereport",
            detail={
                "source": source,
                "rows": total,
                **result.counts,
                **(
                    {"origin": origin, "kept_provider": kept_provider}
                    if origin != ReportOrigin.PROVIDER
                    else {}
                ),
            },
        )
    if progress is not None:
        progress(1.0)
    return result


def _overruns_refresh(series_ids: list[int]) -> None:
    """After the commit: the persistent-overrun flags of the series the submission touched. A
    failure is logged, never the submitter's problem: the periodic refresh catches up."""
    try:
        series_overrun_refresh(series_ids=series_ids)
    except Exception:
        logger.exception("Refreshing the overrun flags of %s series failed.", len(series_ids))


def progress_scaled(
    progress: ProgressCallback | None, start: float, end: float
) -> ProgressCallback | None:
    """``progress`` for one stage of a longer job: the stage's fractions 0..1 as ``start..end``."""
    if progress is None:
        return None
    return lambda fraction: progress(start + (end - start) * fraction)


# The first key of our advisory locks ("WTRP"); the second is the location id.
ADVISORY_LOCK_NAMESPACE = 0x57545250


def _lock_locations(location_ids: list[int]) -> None:
    """Submissions for the same locations run one after the other (PostgreSQL advisory locks,
    held until the transaction ends; SQLite has a single writer anyway), so two of them never
    race to create the same report."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, id) FROM unnest(%s::int[]) AS id ORDER BY id",
            [ADVISORY_LOCK_NAMESPACE, location_ids],
        )


def _series_for(subjects: list[Subject]) -> dict[int, date | None]:
    """Give every subject its series id, creating the missing series (a few queries whatever the
    number of rows); return the current peildatum of each series."""
    current: dict[int, date | None] = {}

    def fetch(location_ids: list[int]) -> dict[tuple, int]:
        found: dict[tuple, int] = {}
        for chunk in chunked(location_ids):
            for (
                pk,
                location_id,
                kind,
                specialism_id,
                treatment_id,
                current_date,
            ) in WaitingTimeSeries.objects.filter(location_id__in=chunk).values_list(
                "id",
                "location_id",
                "kind",
                "specialism_id",
                "treatment_id",
                "current_reference_date",
            ):
                key = (
                    (location_id, kind, None, treatment_id)
                    if treatment_id is not None
                    else (location_id, kind, specialism_id, None)
                )
                found[key] = pk
                current[pk] = current_date
        return found

    series_ids = fetch(sorted({subject.location_id for subject in subjects}))
    missing = {s.series_key: s for s in subjects if s.series_key not in series_ids}
    if missing:
        WaitingTimeSeries.objects.bulk_create(
            [
                WaitingTimeSeries(
                    location_id=subject.location_id,
                    specialism_id=subject.specialism_id,
                    treatment_id=subject.treatment_id,
                    kind=subject.kind,
                )
                for subject in missing.values()
            ],
            batch_size=CHUNK_SIZE,
            ignore_conflicts=True,  # created meanwhile by someone else: fetched below
        )
        series_ids.update(fetch(sorted({s.location_id for s in missing.values()})))
    for subject in subjects:
        subject.series_id = series_ids[subject.series_key]
    return current


def _reports_exist(*, series_ids: list[int], dates: list[date]) -> bool:
    """Whether any of the series has a report on any of the peildatums: a cross-product check,
    cheap on the (series, peildatum) index. Usually not (a new cycle), and then every row is a new
    report, stored without looking for the one it would replace."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {WaitingTimeReport._meta.db_table} "  # noqa: S608
                "WHERE series_id = ANY(%s) AND reference_date = ANY(%s))",
                [series_ids, dates],
            )
            return bool(cursor.fetchone()[0])
    return any(
        WaitingTimeReport.objects.filter(
            series_id__in=series_chunk, reference_date__in=date_chunk
        ).exists()
        for series_chunk in chunked(series_ids)
        for date_chunk in chunked(dates)
    )


def _report_key(row: ResolvedWaitingTimeRow) -> tuple[int, date]:
    return (row.subject.series_id, row.reference_date)


def _stored_reports(
    resolved: list[ResolvedWaitingTimeRow],
) -> dict[tuple[int, date], tuple[int | None, str]]:
    """The days and origin already stored for the submission's (series, peildatum) keys, if any."""
    keys = {_report_key(row) for row in resolved}
    dates = sorted({day for _series, day in keys})
    stored: dict[tuple[int, date], tuple[int | None, str]] = {}
    for chunk in chunked(sorted({series for series, _day in keys})):
        for series_id, reference_date, days, origin in WaitingTimeReport.objects.filter(
            series_id__in=chunk, reference_date__in=dates
        ).values_list("series_id", "reference_date", "days", "origin"):
            if (series_id, reference_date) in keys:
                stored[(series_id, reference_date)] = (days, origin)
    return stored


@dataclass
class _TrendGroups:
    """What the regional trend's counts need of a submission's series: each location's region
    (active locations only; the others do not count) and each treatment's setting."""

    region_of: dict[int, int]
    setting_of: dict[int, str]


def _trend_groups(subjects: list[Subject]) -> _TrendGroups:
    return _TrendGroups(
        region_of=dict(
            Location.objects.filter(
                pk__in={subject.location_id for subject in subjects}, is_active=True
            ).values_list("pk", "provider__region_id")
        ),
        setting_of=dict(
            Treatment.objects.filter(
                pk__in={s.treatment_id for s in subjects if s.treatment_id is not None}
            ).values_list("pk", "setting")
        ),
    )


def _trend_changes(
    *,
    resolved: list[ResolvedWaitingTimeRow],
    groups: _TrendGroups,
    before: dict[tuple[int, date], int | None],
) -> Counter[TrendKey]:
    """What the rows change in the regional trend's counts: one report more at each new value,
    one less at each value it replaced (only numbers of active locations count)."""
    changes: Counter[TrendKey] = Counter()
    for row in resolved:
        subject = row.subject
        region_id = groups.region_of.get(subject.location_id)
        if region_id is None:
            continue
        group = (
            region_id,
            row.reference_date,
            subject.kind,
            "" if subject.treatment_id is None else groups.setting_of[subject.treatment_id],
        )
        previous = before.get((subject.series_id, row.reference_date))
        if previous is not None:
            changes[(*group, previous)] -= 1
        if row.days is not None:
            changes[(*group, row.days)] += 1
    return changes


def _newest_rows(
    resolved: list[ResolvedWaitingTimeRow], newest: dict[int, ResolvedWaitingTimeRow]
) -> None:
    """Keep, per series, the row with the newest peildatum seen so far."""
    for row in resolved:
        series_id = row.subject.series_id
        latest = newest.get(series_id)
        if latest is None or row.reference_date > latest.reference_date:
            newest[series_id] = row


def _current_figures_refresh(
    *,
    newest: dict[int, ResolvedWaitingTimeRow],
    current_dates: dict[int, date | None],
    origin: str,
) -> None:
    """A series' current figure becomes its newest row when that row's peildatum is not older
    than the current one (so correcting an older peildatum leaves the current figure alone)."""
    refreshed = [
        (series_id, row)
        for series_id, row in newest.items()
        if (current := current_dates.get(series_id)) is None or row.reference_date >= current
    ]
    if not refreshed:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {WaitingTimeSeries._meta.db_table} t "  # noqa: S608
                "SET current_reference_date = n.reference_date, current_days = n.days, "
                "current_insufficient_observations = n.insufficient, current_origin = %s "
                "FROM unnest(%s::int[], %s::date[], %s::int[], %s::boolean[]) "
                "AS n (id, reference_date, days, insufficient) WHERE t.id = n.id",
                [
                    origin,
                    [series_id for series_id, _row in refreshed],
                    [row.reference_date for _id, row in refreshed],
                    [row.days for _id, row in refreshed],
                    [row.insufficient_observations for _id, row in refreshed],
                ],
            )
        return
    WaitingTimeSeries.objects.bulk_update(
        [
            WaitingTimeSeries(
                id=series_id,
                current_reference_date=row.reference_date,
                current_days=row.days,
                current_insufficient_observations=row.insufficient_observations,
                current_origin=origin,
            )
            for series_id, row in refreshed
        ],
        [
            "current_reference_date",
            "current_days",
            "current_insufficient_observations",
            "current_origin",
        ],
        batch_size=CHUNK_SIZE,
    )


def _store_orm(
    *,
    chunks: Iterable[list[ResolvedWaitingTimeRow]],
    source: str,
    reported_by: str,
    all_new: bool,
    origin: str,
    import_id: int | None,
) -> RecordResult:
    """Any database: per chunk, look up the existing reports (unless ``all_new``: none exists),
    then bulk create and update."""
    now = timezone.now()
    result = RecordResult(created=0, updated=0, unchanged=0)
    for resolved in chunks:
        stored = _store_orm_chunk(
            resolved=resolved,
            source=source,
            reported_by=reported_by,
            all_new=all_new,
            now=now,
            origin=origin,
            import_id=import_id,
        )
        result.created += stored.created
        result.updated += stored.updated
        result.unchanged += stored.unchanged
    return result


def _store_orm_chunk(
    *,
    resolved: list[ResolvedWaitingTimeRow],
    source: str,
    reported_by: str,
    all_new: bool,
    now: datetime,
    origin: str,
    import_id: int | None,
) -> RecordResult:
    existing: dict[tuple[int, date], WaitingTimeReport] = {}
    if not all_new:
        series_ids = sorted({row.subject.series_id for row in resolved})
        dates = sorted({row.reference_date for row in resolved})
        for chunk in chunked(series_ids):
            for found in WaitingTimeReport.objects.filter(
                series_id__in=chunk, reference_date__in=dates
            ):
                existing[(found.series_id, found.reference_date)] = found

    new_reports: list[WaitingTimeReport] = []
    changed: list[WaitingTimeReport] = []
    revisions: list[WaitingTimeRevision] = []
    unchanged = 0
    for row in resolved:
        report = existing.get((row.subject.series_id, row.reference_date))
        if report is None:
            new_reports.append(
                WaitingTimeReport(
                    series_id=row.subject.series_id,
                    reference_date=row.reference_date,
                    days=row.days,
                    insufficient_observations=row.insufficient_observations,
                    source=source,
                    origin=origin,
                    import_job_id=import_id,
                    reported_at=now,
                    reported_by=reported_by,
                )
            )
        elif (
            report.days == row.days
            and report.insufficient_observations == row.insufficient_observations
            and report.origin == origin
        ):
            unchanged += 1
        else:
            revisions.append(
                WaitingTimeRevision(
                    report=report,
                    days=report.days,
                    insufficient_observations=report.insufficient_observations,
                    source=report.source,
                    origin=report.origin,
                    reported_at=report.reported_at,
                    reported_by=report.reported_by,
                    replaced_by=reported_by,
                )
            )
            report.days = row.days
            report.insufficient_observations = row.insufficient_observations
            report.source = source
            report.origin = origin
            report.import_job_id = import_id
            report.reported_at = now
            report.reported_by = reported_by
            changed.append(report)
    WaitingTimeReport.objects.bulk_create(new_reports, batch_size=CHUNK_SIZE)
    WaitingTimeRevision.objects.bulk_create(revisions, batch_size=CHUNK_SIZE)
    WaitingTimeReport.objects.bulk_update(
        changed,
        [
            "days",
            "insufficient_observations",
            "source",
            "origin",
            "import_job_id",
            "reported_at",
            "reported_by",
        ],
        batch_size=CHUNK_SIZE,
    )
    return RecordResult(created=len(new_reports), updated=len(changed), unchanged=unchanged)


def _copy_text(value: str) -> str:
    """A value for PostgreSQL's COPY text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _copy_lines(resolved: list[ResolvedWaitingTimeRow]) -> list[str]:
    """series, peildatum, days, flag: the rows in PostgreSQL's COPY text format."""
    iso_dates = {day: day.isoformat() for day in {row.reference_date for row in resolved}}
    return [
        f"{row.subject.series_id}\t{iso_dates[row.reference_date]}\t"
        f"{NULL if row.days is None else row.days}\t"
        f"{'t' if row.insufficient_observations else 'f'}"
        for row in resolved
    ]


def _store_postgresql(
    *,
    chunks: Iterable[list[ResolvedWaitingTimeRow]],
    source: str,
    reported_by: str,
    all_new: bool,
    origin: str,
    import_id: int | None,
) -> RecordResult:
    """PostgreSQL: ``COPY``, a chunk at a time. When none of the submission's series has a report
    on any of its peildatums (``all_new``, the usual case: a new cycle), straight into the report
    table, like a plain load. Otherwise every chunk into one temporary staging table, followed by
    three set-based statements: revisions of the reports that change, their update, and the new
    reports.

    (The SQL names only our own tables, from the models' metadata; every value is a parameter or
    goes through COPY, hence the ``noqa: S608``.)"""
    report_table = WaitingTimeReport._meta.db_table
    revision_table = WaitingTimeRevision._meta.db_table
    now = timezone.now()
    total = 0
    with connection.cursor() as cursor:
        copy_cursor = cursor.cursor  # psycopg's own cursor, for COPY
        if all_new:
            import_text = NULL if import_id is None else str(import_id)
            suffix = (
                f"\t{source}\t{origin}\t{import_text}\t{now.isoformat()}\t"
                f"{_copy_text(reported_by)}\n"
            )
            for resolved in chunks:
                with copy_cursor.copy(
                    f"COPY {report_table} (series_id, reference_date, days, "
                    "insufficient_observations, source, origin, import_job_id, reported_at, "
                    "reported_by) FROM STDIN"
                ) as copy:
                    copy.write(suffix.join(_copy_lines(resolved)) + suffix)
                total += len(resolved)
            return RecordResult(created=total, updated=0, unchanged=0)

        staging = "waiting_time_report_staging"
        params: dict[str, Any] = {
            "source": source,
            "by": reported_by,
            "now": now,
            "origin": origin,
            "import_id": import_id,
        }
        # A national row never replaces a provider's report (nor is it counted as a change).
        changed = (
            "r.series_id = s.series_id AND r.reference_date = s.reference_date "
            "AND (r.days IS DISTINCT FROM s.days "
            "OR r.insufficient_observations <> s.insufficient_observations "
            "OR r.origin <> %(origin)s)"
            + (" AND r.origin <> 'provider'" if origin == ReportOrigin.NZA else "")
        )
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} (series_id integer NOT NULL, "
            "reference_date date NOT NULL, days integer, "
            "insufficient_observations boolean NOT NULL) ON COMMIT DROP"
        )
        for resolved in chunks:
            with copy_cursor.copy(f"COPY {staging} FROM STDIN") as copy:
                copy.write("\n".join(_copy_lines(resolved)) + "\n")
            total += len(resolved)
        cursor.execute(f"ANALYZE {staging}")
        cursor.execute(
            f"INSERT INTO {revision_table} (report_id, days, "  # noqa: S608
            "insufficient_observations, source, origin, reported_at, reported_by, replaced_at, "
            "replaced_by) "
            "SELECT r.id, r.days, r.insufficient_observations, r.source, r.origin, r.reported_at, "
            f"r.reported_by, %(now)s, %(by)s FROM {report_table} r JOIN {staging} s "
            f"ON {changed}",
            params,
        )
        cursor.execute(
            f"UPDATE {report_table} r SET days = s.days, "  # noqa: S608
            "insufficient_observations = s.insufficient_observations, source = %(source)s, "
            "origin = %(origin)s, import_job_id = %(import_id)s, "
            f"reported_at = %(now)s, reported_by = %(by)s FROM {staging} s WHERE {changed}",
            params,
        )
        updated = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {report_table} (series_id, reference_date, days, "  # noqa: S608
            "insufficient_observations, source, origin, import_job_id, reported_at, reported_by) "
            "SELECT series_id, reference_date, days, insufficient_observations, %(source)s, "
            f"%(origin)s, %(import_id)s, %(now)s, %(by)s FROM {staging} "
            "ON CONFLICT (series_id, reference_date) DO NOTHING",
            params,
        )
        created = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
    return RecordResult(created=created, updated=updated, unchanged=total - created - updated)
