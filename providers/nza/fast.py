"""The national NZa import's fast path on PostgreSQL (issue 14: a history of millions of lines
"with COPY-like speed"; docs/waiting-time-import.md).

The same rules and results as the line-by-line path of :mod:`providers.nza.services` (which
SQLite and JSON files keep), reached another way. A national file repeats a few ten thousand
*combinations* of who, where and what (provider, location, kind, specialism, treatment and their
names and address) with a few hundred distinct waits and a few dozen peildatums. So:

1. **Reading** (Python, the only per-line work): each line becomes four numbers — its line
   number, its combination, its (wait, flag) pair and its peildatum, each numbered as first met —
   streamed with ``COPY`` into a temporary table. Per combination the first line is kept (its
   values) and the newest valid peildatum with its first line (what updates a known provider or
   location).
2. **Mapping and checking** the distinct combinations (in the order of their first line: the
   providers, locations and treatments are created from the same lines, in the same order, as the
   line-by-line path does), values and dates, with the very same code
   (``_Catalogue.resolve``, ``WaitingTimeCheck``).
3. **Set-based SQL** for the lines: the skipped lines (errors by line number, in file order, the
   first :data:`MAX_REPORTED_ERRORS`), duplicates, the series, the reports (straight
   ``INSERT … SELECT`` into the report table when none of them exists yet, else revisions,
   update and insert; a provider's own report wins, counted ``kept_provider``), the series'
   current figures and the regional trend counts.

Where the outcome of a line would depend on the lines before it in a way the combinations do not
capture (a location, provider or treatment that one line fails to create and a later line
creates; a CSV error part-way), :class:`FastPathUnsafe` is raised before anything of the lines is
stored, and the caller runs the line-by-line path instead.
"""

from __future__ import annotations

import logging
import operator
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.services import audit_record
from providers.models import (
    ReportOrigin,
    ReportSource,
    WaitingTimeReport,
    WaitingTimeRevision,
    WaitingTimeSeries,
)
from providers.nza.reader import (
    _DAYS,
    _FIELDS,
    _INSUFFICIENT,
    _REFERENCE_DATE,
    NzaCsvError,
    NzaLine,
    NzaReading,
    _LineMaker,
    days_and_flag,
)
from providers.reports.trend_counts import TrendKey, region_trend_counts_apply
from providers.waiting_times.csv_reader import RowError, WaitingTimeRow
from providers.waiting_times.storage import (
    RecordResult,
    _lock_locations,
    _overruns_refresh,
    _reports_exist,
    _trend_groups,
)
from providers.waiting_times.validation import (
    FieldErrors,
    ProgressCallback,
    Subject,
    WaitingTimeCheck,
)

logger = logging.getLogger(__name__)

# The positions of a line's values that make its combination (all but wait, flag and peildatum).
_COMBINATION = tuple(
    index for index in range(len(_FIELDS)) if index not in (_DAYS, _INSUFFICIENT, _REFERENCE_DATE)
)
_COPY_LINES = 200_000  # lines sent to COPY at a time
_NULL = "\\N"  # NULL in COPY's text format
_TEMP_BUFFERS = "512MB"
_WORK_MEM = "256MB"

# (The SQL names only our own tables, from the models' metadata, and temporary tables of this
# module; every value is a parameter or goes through COPY, hence the ``noqa: S608``.)
_REPORTS = WaitingTimeReport._meta.db_table
_REVISIONS = WaitingTimeRevision._meta.db_table
_SERIES = WaitingTimeSeries._meta.db_table


_TEMPORARY_TABLES = (
    "nza_lines",
    "nza_combinations",
    "nza_values",
    "nza_dates",
    "nza_duplicate_keys",
    "nza_series",
    "nza_stage",
)


class FastPathUnsafe(Exception):
    """The file needs the line-by-line path (see the module docstring)."""


@dataclass
class _Combination:
    first_row: int
    values: list[str]
    best_day: str = ""  # the newest valid peildatum (ISO) of its lines
    best_row: int = 0  # the first line on that peildatum
    # After mapping: the one error that skips every line (reader or mapping), or the subject's
    # errors (each line also gets its value and date errors), or the subject.
    fatal: RowError | None = None
    subject_errors: FieldErrors | None = None
    subject: Subject | None = None


@dataclass
class FastResult:
    stored: RecordResult
    skipped: int
    errors: list[RowError]
    omitted: int


class _Timed:
    """psycopg's cursor, each statement's time noted (logged at DEBUG level at the end, with the
    Python stages: what to look at when the import gets slow)."""

    def __init__(self, cursor: Any):
        self._cursor = cursor
        self.laps: list[tuple[str, float]] = []
        self._mark = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self._mark))
        self._mark = now

    def execute(self, query: str, params: Any = None) -> Any:
        self.lap("python")
        result = self._cursor.execute(query, params)
        self.lap(" ".join(query.split()[:6]))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def log(self) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "National import, fast path: %s",
                "; ".join(
                    f"{name} {seconds:.2f} s" for name, seconds in self.laps if seconds > 0.05
                ),
            )


def _copy(cursor: Any, table: str, lines: list[str]) -> None:
    if not lines:
        return
    with cursor.copy(f"COPY {table} FROM STDIN") as copy:
        copy.write("".join(lines))


def nza_import_fast(
    *,
    reading: NzaReading,
    catalogue: Any,
    check: WaitingTimeCheck,
    actor: Actor,
    error_limit: int,
    import_id: int | None,
    progress: ProgressCallback | None,
    size: int,
    tell: Callable[[], int],
    before_store: Callable[[], None],
) -> FastResult:
    """Import the lines of an opened CSV ``reading`` (see the module docstring) with the
    service's ``catalogue`` (``providers.nza.services._Catalogue``) and ``check``. Call inside
    a transaction (a savepoint of its own: :class:`FastPathUnsafe` leaves the lines unstored but
    may have created providers, locations or treatments, to be rolled back with it).
    ``before_store`` runs after the mapping, before any figure is stored (the updates of known
    providers and locations)."""
    maker = _LineMaker(reading.columns)
    indexes = reading.field_indexes
    combination_of = operator.itemgetter(*(indexes[i] for i in _COMBINATION))
    days_at, flag_at = indexes[_DAYS], indexes[_INSUFFICIENT]
    date_at = indexes[_REFERENCE_DATE]
    combinations: dict[tuple[str, ...], int] = {}
    found: list[_Combination] = []
    value_ids: dict[tuple[str, str], int] = {}
    date_ids: dict[str, int] = {}
    date_days: list[str] = []  # date id → the valid ISO peildatum ("" when not valid)
    lines_seen = 0
    with connection.cursor() as wrapper:
        cursor = _Timed(wrapper.cursor)
        # Room for the temporary tables in memory (PostgreSQL's default is 8 MB; settable only
        # before the session's first temporary table, else it stays as it is).
        try:
            with transaction.atomic():
                wrapper.execute("SELECT set_config('temp_buffers', %s, true)", [_TEMP_BUFFERS])
        except DatabaseError:
            pass
        # Sorts and groupings of millions of lines in memory, for this transaction only.
        cursor.execute("SELECT set_config('work_mem', %s, true)", [_WORK_MEM])
        # Left by an earlier import in the same transaction (they go at its end).
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(_TEMPORARY_TABLES)}")
        cursor.execute(
            "CREATE TEMPORARY TABLE nza_lines (line integer NOT NULL, combination integer NOT "
            "NULL, value integer NOT NULL, day integer NOT NULL) ON COMMIT DROP"
        )
        buffer: list[str] = []
        reported = 0.0
        try:
            with cursor.copy("COPY nza_lines FROM STDIN") as copy:
                for number, v in reading.cells():
                    # Raw cells: a combination or value written with other spaces is another
                    # key, mapped the same (its cells are stripped when first met).
                    key = combination_of(v)
                    combination = combinations.get(key)
                    if combination is None:
                        combination = combinations[key] = len(found)
                        found.append(_Combination(number, [v[i].strip() for i in indexes]))
                    value_key = (v[days_at], v[flag_at])
                    value = value_ids.get(value_key)
                    if value is None:
                        value = value_ids[value_key] = len(value_ids)
                    day_text = v[date_at]
                    day = date_ids.get(day_text)
                    if day is None:
                        day = date_ids[day_text] = len(date_days)
                        date_days.append(catalogue._day(maker.date(day_text.strip())))
                    valid = date_days[day]
                    if valid:
                        entry = found[combination]
                        if valid > entry.best_day:
                            entry.best_day, entry.best_row = valid, number
                    buffer.append(f"{number}\t{combination}\t{value}\t{day}\n")
                    if len(buffer) >= _COPY_LINES:
                        copy.write("".join(buffer))
                        lines_seen += len(buffer)
                        buffer = []
                        if progress is not None:
                            fraction = 0.5 * min(1.0, tell() / size)
                            if fraction - reported >= 0.01:
                                progress(fraction)
                                reported = fraction
                copy.write("".join(buffer))
                lines_seen += len(buffer)
        except NzaCsvError as exc:
            raise FastPathUnsafe(str(exc)) from exc
        if progress is not None:
            progress(0.5)

        cursor.lap(f"reading {lines_seen} lines into COPY")
        _map_combinations(found, maker=maker, catalogue=catalogue, check=check)
        cursor.lap(f"mapping {len(found)} combinations")
        values = _check_values(value_ids, check=check)
        dates = _check_dates(date_ids, maker=maker, check=check)
        before_store()
        cursor.lap("providers and locations updated")
        if progress is not None:
            progress(0.55)

        # The distinct parts, checked, as tables to join the lines with.
        cursor.execute(
            "CREATE TEMPORARY TABLE nza_combinations (id integer PRIMARY KEY, fatal boolean NOT "
            "NULL, errors integer NOT NULL, series_index integer) ON COMMIT DROP"
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE nza_values (id integer PRIMARY KEY, errors integer NOT NULL, "
            "days integer, insufficient boolean) ON COMMIT DROP"
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE nza_dates (id integer PRIMARY KEY, errors integer NOT NULL, "
            "day date) ON COMMIT DROP"
        )
        _copy(
            cursor,
            "nza_combinations",
            [
                f"{index}\t{'t' if c.fatal else 'f'}\t{len(c.subject_errors or ())}\t"
                f"{c.subject.index if c.subject is not None else _NULL}\n"
                for index, c in enumerate(found)
            ],
        )
        _copy(
            cursor,
            "nza_values",
            [
                f"{index}\t{len(errors)}\t"
                f"{_NULL if checked is None or checked[0] is None else checked[0]}\t"
                f"{_NULL if checked is None else ('t' if checked[1] else 'f')}\n"
                for index, (checked, errors) in enumerate(values)
            ],
        )
        _copy(
            cursor,
            "nza_dates",
            [
                f"{index}\t{len(errors)}\t{_NULL if day is None else day.isoformat()}\n"
                for index, (day, errors) in enumerate(dates)
            ],
        )
        cursor.execute("ANALYZE nza_combinations, nza_values, nza_dates")

        valid = (
            "FROM nza_lines l JOIN nza_combinations c ON c.id = l.combination "
            "JOIN nza_values v ON v.id = l.value JOIN nza_dates d ON d.id = l.day "
            "WHERE NOT c.fatal AND c.errors = 0 AND v.errors = 0 AND d.errors = 0"
        )
        cursor.execute(f"SELECT EXISTS (SELECT 1 {valid})")
        any_valid = cursor.fetchone()[0]
        if any_valid:
            # As the storing service does: the locations locked, the series found or created
            # (those of every subject met, also of one whose lines all failed a check).
            _lock_locations(sorted({subject.location_id for subject in check.series}))
            cursor.lap("locations locked")
            trend_groups = _series_resolve(cursor, check.series)
            # The lines that pass every check, with their series.
            cursor.execute(
                "CREATE TEMPORARY TABLE nza_stage ON COMMIT DROP AS "
                "SELECT l.line, g.series_id, d.day, v.days, v.insufficient, g.trend_group "
                + valid.replace(
                    "WHERE", "JOIN nza_series g ON g.series_index = c.series_index WHERE"
                )
            )
            row_count = cursor.rowcount
        else:
            row_count, trend_groups = 0, []
        duplicates = _duplicates(cursor) if row_count else {}
        errors, omitted, skipped = _line_errors(
            cursor,
            found=found,
            values=values,
            dates=dates,
            duplicates=duplicates,
            error_limit=error_limit,
            check_for_bad=any(c.fatal or c.subject_errors for c in found)
            or any(errors for _checked, errors in values)
            or any(errors for _day, errors in dates),
        )
        for error in errors:
            if error["field"] in reading.columns:
                error["field"] = reading.columns[error["field"]]
        if progress is not None:
            progress(0.6)
        total = row_count - sum(len(lines) - 1 for lines in duplicates.values())
        if total:
            stored = _store(
                cursor,
                subjects=check.series,
                trend_groups=trend_groups,
                actor=actor,
                import_id=import_id,
                total=total,
                progress=progress,
            )
        else:
            stored = RecordResult(created=0, updated=0, unchanged=0)
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(_TEMPORARY_TABLES)}")
        cursor.log()
    if progress is not None:
        progress(1.0)
    return FastResult(stored=stored, skipped=skipped, errors=errors, omitted=omitted)


def _map_combinations(
    found: list[_Combination], *, maker: _LineMaker, catalogue: Any, check: WaitingTimeCheck
) -> None:
    """Map every combination at its first line, in file order, with the line-by-line path's
    own code; then let its newest valid line update the known provider or location as that
    line would have. Raise :class:`FastPathUnsafe` where the lines of a combination would not all
    get the same answer."""
    unsafe_codes: set[str] = set()
    unsafe_treatments: set[str] = set()
    unsafe_providers: set[str] = set()
    latest_row_location: dict[str, int] = {}
    latest_row_provider: dict[str, int] = {}
    for c in found:
        line = maker.line(c.first_row, c.values)
        if not isinstance(line, NzaLine):
            c.fatal = line
            continue
        error = catalogue.resolve(line, check)
        code = str(line.figure.location)
        if code not in catalogue.locations:  # the location part failed: every line of it does
            c.fatal = error
            unsafe_codes.add(code)
            continue
        if c.best_day:
            _latest_update(catalogue.latest_location, latest_row_location, code, c, line)
            agb = catalogue.agb_codes.get(line.provider_agb) or _agb(line.provider_agb)
            if agb in catalogue.providers:
                _latest_update(catalogue.latest_provider, latest_row_provider, agb, c, line)
            else:
                unsafe_providers.add(agb)
        if error is not None:  # the treatment part failed
            c.fatal = error
            unsafe_treatments.add(str(line.figure.treatment).strip().casefold())
            continue
        c.subject, c.subject_errors = check.subject_check(line.figure)
    if (
        unsafe_codes & set(catalogue.locations)
        or unsafe_treatments & set(catalogue.treatments)
        or unsafe_providers & set(catalogue.providers)
    ):
        raise FastPathUnsafe("a line's mapping depends on the lines before it")


def _agb(value: str) -> str:
    value = value.strip()
    return value.zfill(8) if value.isdigit() and len(value) < 8 else value


def _latest_update(
    latest: dict[str, Any], rows: dict[str, int], key: str, c: _Combination, line: NzaLine
) -> None:
    """The newest peildatum wins, on a tie the earlier line (as line by line: ``day >``)."""
    from providers.nza.services import _Latest

    current = latest.get(key)
    if current is not None:
        # ``resolve`` may just have put this combination's first line there.
        row = c.first_row if current.line is line else rows.get(key, current.line.figure.row)
        if (c.best_day, -c.best_row) < (current.day, -row):
            return
    latest[key] = _Latest(c.best_day, line)
    rows[key] = c.best_row


def _check_values(
    value_ids: dict[tuple[str, str], int], *, check: WaitingTimeCheck
) -> list[tuple[tuple[int | None, bool] | None, FieldErrors]]:
    results = []
    for days_cell, flag_cell in value_ids:  # in id order (dicts keep their order)
        days, insufficient = days_and_flag(days_cell.strip(), flag_cell.strip())
        raw = WaitingTimeRow(0, "", "", None, None, days, insufficient)
        results.append(check.values_check(raw))
    return results


def _check_dates(
    date_ids: dict[str, int], *, maker: _LineMaker, check: WaitingTimeCheck
) -> list[tuple[date | None, FieldErrors]]:
    return [
        check.date_check(WaitingTimeRow(0, "", "", reference_date=maker.date(text.strip())))
        for text in date_ids
    ]


def _duplicates(cursor: Any) -> dict[tuple[int, date], list[int]]:
    """(series, peildatum) → its lines, in order, where there is more than one; the later ones
    are removed from ``nza_stage`` (the line-by-line check skips them)."""
    cursor.execute(
        "SELECT series_id, day FROM nza_stage GROUP BY series_id, day HAVING count(*) > 1"
    )
    keys = cursor.fetchall()
    if not keys:
        return {}
    cursor.execute(
        "CREATE TEMPORARY TABLE nza_duplicate_keys (series_id integer, day date) ON COMMIT DROP"
    )
    _copy(cursor, "nza_duplicate_keys", [f"{series}\t{day.isoformat()}\n" for series, day in keys])
    cursor.execute(
        "SELECT r.series_id, r.day, array_agg(r.line ORDER BY r.line) FROM nza_stage r "
        "JOIN nza_duplicate_keys k ON k.series_id = r.series_id AND k.day = r.day "
        "GROUP BY r.series_id, r.day"
    )
    duplicates = {(series, day): lines for series, day, lines in cursor.fetchall()}
    cursor.execute(
        "DELETE FROM nza_stage r USING nza_duplicate_keys k WHERE k.series_id = r.series_id "
        "AND k.day = r.day AND r.line > (SELECT min(line) FROM nza_stage m "
        "WHERE m.series_id = r.series_id AND m.day = r.day)"
    )
    return duplicates


def _series_resolve(cursor: Any, subjects: list[Subject]) -> list[tuple[int, str, str]]:
    """Every subject's series (``nza_series``: position, series id, and what the regional trend
    counts need: its active location's region and its treatment's setting), the missing series
    created (one statement; ``ON CONFLICT``: one created meanwhile by someone else is found)."""
    groups = _trend_groups(subjects)
    cursor.execute(
        "CREATE TEMPORARY TABLE nza_series (series_index integer PRIMARY KEY, location_id "
        "integer NOT NULL, kind text NOT NULL, specialism_id integer NOT NULL, treatment_id "
        "integer, series_id integer, trend_group integer) ON COMMIT DROP"
    )
    # The trend's group of a series (region, kind, setting) as a number: counted per number.
    trend_groups: dict[tuple[int, str, str], int] = {}
    lines = []
    for s in subjects:
        region_id = groups.region_of.get(s.location_id)
        group: int | str = _NULL
        if region_id is not None:  # an active location
            setting = "" if s.treatment_id is None else groups.setting_of[s.treatment_id]
            group = trend_groups.setdefault((region_id, s.kind, setting), len(trend_groups))
        lines.append(
            f"{s.index}\t{s.location_id}\t{s.kind}\t{s.specialism_id}\t"
            f"{_NULL if s.treatment_id is None else s.treatment_id}\t{_NULL}\t{group}\n"
        )
    _copy(cursor, "nza_series", lines)
    cursor.execute("ANALYZE nza_series")
    match = (
        "t.location_id = g.location_id AND t.kind = g.kind AND ((g.treatment_id IS NULL AND "
        "t.treatment_id IS NULL AND t.specialism_id = g.specialism_id) OR "
        "t.treatment_id = g.treatment_id)"
    )
    cursor.execute(
        f"UPDATE nza_series g SET series_id = t.id FROM {_SERIES} t WHERE {match}"  # noqa: S608
    )
    cursor.execute(
        f"INSERT INTO {_SERIES} (location_id, kind, specialism_id, treatment_id, "  # noqa: S608
        "current_insufficient_observations, current_origin) "
        "SELECT location_id, kind, specialism_id, treatment_id, false, %s FROM nza_series "
        "WHERE series_id IS NULL ORDER BY series_index ON CONFLICT DO NOTHING",
        [ReportOrigin.PROVIDER],
    )
    cursor.execute(
        f"UPDATE nza_series g SET series_id = t.id FROM {_SERIES} t "  # noqa: S608
        f"WHERE g.series_id IS NULL AND {match}"
    )
    cursor.execute("SELECT series_index, series_id FROM nza_series")
    ids = dict(cursor.fetchall())
    for subject in subjects:
        subject.series_id = ids[subject.index]
    return list(trend_groups)


def _line_errors(
    cursor: Any,
    *,
    found: list[_Combination],
    values: list[tuple[Any, FieldErrors]],
    dates: list[tuple[Any, FieldErrors]],
    duplicates: dict[tuple[int, date], list[int]],
    error_limit: int,
    check_for_bad: bool,
) -> tuple[list[RowError], int, int]:
    """The errors of the skipped lines in file order (the first ``error_limit``), the number
    left out, and the number of skipped lines — as ``WaitingTimeCheck`` reports them."""
    bad: list[tuple[int, int, int, int]] = []
    bad_lines = bad_errors = 0
    if check_for_bad:
        bad_where = (
            "FROM nza_lines l JOIN nza_combinations c ON c.id = l.combination "
            "JOIN nza_values v ON v.id = l.value JOIN nza_dates d ON d.id = l.day "
            "WHERE c.fatal OR c.errors + v.errors + d.errors > 0"
        )
        cursor.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN c.fatal THEN 1 "
            f"ELSE c.errors + v.errors + d.errors END), 0) {bad_where}"
        )
        bad_lines, bad_errors = cursor.fetchone()
        cursor.execute(
            f"SELECT l.line, l.combination, l.value, l.day {bad_where} ORDER BY l.line LIMIT %s",
            [error_limit],
        )
        bad = cursor.fetchall()
    duplicate_lines = sorted(
        (line, lines[0]) for lines in duplicates.values() for line in lines[1:]
    )
    events: list[tuple[int, Any]] = [(line, ("bad", rest)) for line, *rest in bad]
    events += [(line, ("duplicate", first)) for line, first in duplicate_lines[:error_limit]]
    events.sort(key=lambda event: event[0])
    errors: list[RowError] = []
    for line, (what, detail) in events:
        if what == "duplicate":
            parts: list[tuple[str | None, str]] = [
                (
                    None,
                    _(
                        "Row %(row)s already has this location, kind, specialism or treatment "
                        "and reference date."
                    )
                    % {"row": detail},
                )
            ]
        else:
            combination, value, day = detail
            c = found[combination]
            if c.fatal is not None:
                errors.append(
                    {"row": line, "field": c.fatal["field"], "message": c.fatal["message"]}
                )
                continue
            parts = [*(c.subject_errors or ()), *values[value][1], *dates[day][1]]
        for field_name, message in parts:
            errors.append({"row": line, "field": field_name, "message": message})
    total_errors = bad_errors + len(duplicate_lines)
    kept = errors[:error_limit]
    return kept, total_errors - len(kept), bad_lines + len(duplicate_lines)


def _store(
    cursor: Any,
    *,
    subjects: list[Subject],
    trend_groups: list[tuple[int, str, str]],
    actor: Actor,
    import_id: int | None,
    total: int,
    progress: ProgressCallback | None,
) -> RecordResult:
    """``waiting_time_reports_store`` for the rows of ``nza_stage``, set-based (see
    ``providers.waiting_times.storage`` for the rules, kept here one for one)."""
    origin, source = ReportOrigin.NZA, ReportSource.CSV
    now = timezone.now()
    reported_by = actor.label
    cursor.execute("SELECT DISTINCT day FROM nza_stage")
    days = sorted(day for (day,) in cursor.fetchall())
    all_new = not _reports_exist(
        series_ids=sorted({subject.series_id for subject in subjects}), dates=days
    )
    if progress is not None:
        progress(0.65)
    kept_provider = 0
    changes: Counter[TrendKey] = Counter()
    trend = (
        "SELECT r.trend_group, r.day, {days}, {sign} count(*) FROM nza_stage r {join} "
        "WHERE r.trend_group IS NOT NULL AND {days} IS NOT NULL GROUP BY 1, 2, 3"
    )
    params: dict[str, Any] = {
        "source": source,
        "by": reported_by,
        "now": now,
        "origin": origin,
        "import_id": import_id,
    }
    if not all_new:
        cursor.execute("CREATE INDEX ON nza_stage (series_id, day)")
        cursor.execute("ANALYZE nza_stage")
        # A provider's own report of the same series and peildatum wins.
        cursor.execute(
            f"DELETE FROM nza_stage s USING {_REPORTS} r WHERE r.series_id = s.series_id "  # noqa: S608
            "AND r.reference_date = s.day AND r.origin = 'provider'"
        )
        kept_provider = cursor.rowcount
        cursor.execute(
            trend.format(
                days="p.days",
                sign="-",
                join=f"JOIN {_REPORTS} p ON p.series_id = r.series_id AND p.reference_date = r.day",
            )
        )
        for group, day, days, n in cursor.fetchall():
            region_id, kind, setting = trend_groups[group]
            changes[(region_id, day, kind, setting, days)] += n
    cursor.execute(trend.format(days="r.days", sign="", join=""))
    for group, day, days, n in cursor.fetchall():
        region_id, kind, setting = trend_groups[group]
        changes[(region_id, day, kind, setting, days)] += n
    if progress is not None:
        progress(0.7)
    columns = (
        "series_id, reference_date, days, insufficient_observations, source, origin, "
        "import_job_id, reported_at, reported_by"
    )
    select = (
        "SELECT series_id, day, days, insufficient, %(source)s, %(origin)s, %(import_id)s, "
        "%(now)s, %(by)s FROM nza_stage"
    )
    if all_new:
        # In the order of the (series, peildatum) indexes: each index page is written once, not
        # once per peildatum of a history.
        cursor.execute(
            f"INSERT INTO {_REPORTS} ({columns}) {select} ORDER BY series_id, day", params
        )
        created, updated = cursor.rowcount, 0
    else:
        changed = (
            "r.series_id = s.series_id AND r.reference_date = s.day "
            "AND (r.days IS DISTINCT FROM s.days "
            "OR r.insufficient_observations <> s.insufficient "
            "OR r.origin <> %(origin)s) AND r.origin <> 'provider'"
        )
        cursor.execute(
            f"INSERT INTO {_REVISIONS} (report_id, days, "  # noqa: S608
            "insufficient_observations, source, origin, reported_at, reported_by, replaced_at, "
            "replaced_by) "
            "SELECT r.id, r.days, r.insufficient_observations, r.source, r.origin, r.reported_at, "
            f"r.reported_by, %(now)s, %(by)s FROM {_REPORTS} r JOIN nza_stage s ON {changed}",
            params,
        )
        cursor.execute(
            f"UPDATE {_REPORTS} r SET days = s.days, "  # noqa: S608
            "insufficient_observations = s.insufficient, source = %(source)s, "
            "origin = %(origin)s, import_job_id = %(import_id)s, "
            f"reported_at = %(now)s, reported_by = %(by)s FROM nza_stage s WHERE {changed}",
            params,
        )
        updated = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {_REPORTS} ({columns}) {select} "
            "ON CONFLICT (series_id, reference_date) DO NOTHING",
            params,
        )
        created = cursor.rowcount
    if progress is not None:
        progress(0.9)
    # A series' current figure: its newest row, unless its current peildatum is newer.
    cursor.execute(
        f"UPDATE {_SERIES} t SET current_reference_date = n.day, "  # noqa: S608
        "current_days = n.days, current_insufficient_observations = n.insufficient, "
        "current_origin = %(origin)s "
        "FROM (SELECT s.series_id, s.day, s.days, s.insufficient FROM nza_stage s "
        "JOIN (SELECT series_id, max(day) AS day FROM nza_stage GROUP BY series_id) m "
        "ON m.series_id = s.series_id AND m.day = s.day) n "
        "WHERE t.id = n.series_id AND (t.current_reference_date IS NULL "
        "OR n.day >= t.current_reference_date) "
        # Only what changes (the same file again rewrites no series).
        "AND (t.current_reference_date, t.current_days, t.current_insufficient_observations, "
        "t.current_origin) IS DISTINCT FROM (n.day, n.days, n.insufficient, %(origin)s)",
        params,
    )
    cursor.lap("python")
    region_trend_counts_apply(changes=changes)
    cursor.lap(f"trend counts applied ({len(changes)} groups)")
    touched = sorted({subject.series_id for subject in subjects})
    transaction.on_commit(lambda: _overruns_refresh(touched))
    result = RecordResult(
        created=created,
        updated=updated,
        unchanged=total - kept_provider - created - updated,
        kept_provider=kept_provider,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="providers.waitingtimereport",
        detail={
            "source": source,
            "rows": total,
            **result.counts,
            "origin": origin,
            "kept_provider": kept_provider,
        },
    )
    return result
