"""Waiting-time reports of providers (DESIGN §3.1 and §8; issue 3, "Reporting").

The rules kept here, for every way a figure comes in (API, CSV upload, web form):

* A provider reports only for its own locations. A foreign location code gets exactly the same
  answer as a code that does not exist ("unknown location"), so nothing about other providers leaks.
* ``first_visit`` and ``diagnostics`` are reported per location × specialism; ``treatment`` per
  location × treatment, and the series' specialism is then the treatment's.
* A wait is a whole number of calendar days from 0 up to ``MAX_PLAUSIBLE_WAIT_DAYS`` (three years),
  or no number with ``insufficient_observations`` (NZa: too few observations) — never both.
* The peildatum is a valid date and not in the future.
* One key (location, kind, specialism or treatment, peildatum) at most once per submission.
* **All or nothing**: one bad row and nothing is stored; every row error is reported at once.
* Re-reporting a key corrects it; the value it replaces is kept as a ``WaitingTimeRevision``.
* A series' *current* figure follows its newest peildatum: correcting an older peildatum leaves it
  alone, correcting the current one changes it.
* The regional trend's counts follow in the same transaction: one report more at each new value,
  one less at each value replaced (:mod:`providers.services.trend_counts`).

Speed: a submission is resolved with a handful of queries whatever its size, and stored with
set-based statements (PostgreSQL: ``COPY`` into a temporary staging table, then ``INSERT … ON
CONFLICT`` / ``UPDATE … FROM``; other databases: ORM bulk operations in chunks).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypedDict

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.actors import Actor
from accounts.models import AuditAction, Role
from accounts.services import audit_record
from core.errors import ApplicationError
from providers.models import (
    MAX_PLAUSIBLE_WAIT_DAYS,
    Location,
    ReportSource,
    Specialism,
    Treatment,
    WaitingTimeImport,
    WaitingTimeKind,
    WaitingTimeReport,
    WaitingTimeRevision,
    WaitingTimeSeries,
)
from providers.permissions import location_list_for_reporting
from providers.services.trend_counts import TrendKey, region_trend_counts_apply

# Chunk size for ``IN (...)`` lookups and bulk writes (well inside SQLite's variable limit).
CHUNK_SIZE = 500
# The largest CSV file that is imported (in bytes).
MAX_IMPORT_BYTES = 50 * 1024 * 1024
# At most this many row errors are handed back; the rest is summarised in one last entry.
MAX_REPORTED_ERRORS = 500

SPECIALISM_KINDS = frozenset({WaitingTimeKind.FIRST_VISIT.value, WaitingTimeKind.DIAGNOSTICS.value})
KINDS = frozenset(WaitingTimeKind.values)

# Messages shared with the API's input serializer, so both say the same thing.
DAYS_NEGATIVE_MESSAGE = gettext_lazy("A wait cannot be negative.")
DAYS_NOT_PLAUSIBLE_MESSAGE = gettext_lazy(
    "A wait of more than 3 years (%(max)s days) is not plausible."
)

_TRUE = frozenset({"1", "true", "yes", "y", "ja", "j", "t"})
_FALSE = frozenset({"", "0", "false", "no", "n", "nee", "f"})
_INTEGER = re.compile(r"^[+-]?\d+$")
NULL = "\\N"  # NULL in PostgreSQL's COPY text format


class RowError(TypedDict):
    """One problem of one row: the row (a file's line number, or the item's position counted from
    1), the field (``None``: the row as a whole) and a message for people."""

    row: int | None
    field: str | None
    message: str


@dataclass(slots=True)
class WaitingTimeRow:
    """One waiting-time figure as it came in, not yet checked (CSV cells are strings)."""

    row: int
    location: str
    kind: str
    specialism: str | None = None
    treatment: str | None = None
    days: int | str | None = None
    insufficient_observations: bool | str | None = False
    reference_date: date | str | None = None


@dataclass(slots=True)
class Subject:
    """What a series is about, resolved: shared by every row of the same series."""

    location_id: int
    kind: str
    specialism_id: int
    treatment_id: int | None
    location_code: str
    specialism_code: str
    treatment_code: str | None
    # The series' natural key: (location, kind, specialism or None, treatment or None).
    series_key: tuple[int, str, int | None, int | None]
    series_id: int = 0  # set when stored


@dataclass(slots=True)
class ResolvedWaitingTimeRow:
    """A checked row: codes resolved to ids (through its subject), values parsed."""

    row: int
    subject: Subject
    days: int | None
    insufficient_observations: bool
    reference_date: date

    @property
    def location_id(self) -> int:
        return self.subject.location_id

    @property
    def specialism_id(self) -> int:
        return self.subject.specialism_id

    @property
    def treatment_id(self) -> int | None:
        return self.subject.treatment_id

    @property
    def kind(self) -> str:
        return self.subject.kind

    @property
    def location_code(self) -> str:
        return self.subject.location_code

    @property
    def specialism_code(self) -> str:
        return self.subject.specialism_code

    @property
    def treatment_code(self) -> str | None:
        return self.subject.treatment_code

    @property
    def series_key(self) -> tuple[int, str, int | None, int | None]:
        return self.subject.series_key


@dataclass
class RecordResult:
    created: int
    updated: int
    unchanged: int
    rows: list[ResolvedWaitingTimeRow] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


class WaitingTimeReportErrors(ApplicationError):
    """A submission with row errors: nothing was stored. The API answers ``{"errors": [...]}``."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(
            _("Nothing was stored: %(count)s errors were found.") % {"count": len(errors)}
        )

    def as_dict(self) -> dict[str, Any]:
        return {"errors": row_errors_truncate(self.errors)}


ProgressCallback = Callable[[float], None]


# --- Helpers -------------------------------------------------------------------------------------
def _chunks(items: Sequence[Any], size: int = CHUNK_SIZE) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _code(value: str, width: int) -> str:
    """Spreadsheets drop leading zeros ("305" for "0305"); put them back on all-digit codes."""
    return value.zfill(width) if value.isdigit() and len(value) < width else value


def row_errors_truncate(errors: list[RowError], limit: int = MAX_REPORTED_ERRORS) -> list[RowError]:
    """The first ``limit`` errors, and one entry saying how many more there are."""
    if len(errors) <= limit:
        return errors
    more = len(errors) - limit
    return [
        *errors[:limit],
        {
            "row": None,
            "field": None,
            "message": _("… and %(count)s more errors.") % {"count": more},
        },
    ]


# --- Validation ----------------------------------------------------------------------------------
def _reporting_locations(*, actor: Actor, codes: set[str]) -> dict[str, tuple[int, bool]]:
    """code → (id, active) for the codes among the actor's own locations."""
    found: dict[str, tuple[int, bool]] = {}
    scoped = location_list_for_reporting(actor=actor)
    # A code no location can have is not looked up (PostgreSQL refuses NUL characters).
    codes = {code for code in codes if "\x00" not in code and len(code) <= 8}
    for chunk in _chunks(sorted(codes)):
        for location_id, code, active in scoped.filter(code__in=chunk).values_list(
            "id", "code", "is_active"
        ):
            found[code] = (location_id, active)
    return found


FieldErrors = list[tuple[str | None, str]]


class _Resolver:
    """Checks the parts of a row. Every distinct input is checked once and remembered: a large
    file repeats the same locations, subjects, values and dates over and over."""

    def __init__(self, *, actor: Actor, location_codes: set[str], today: date):
        self.today = today
        self.locations = _reporting_locations(actor=actor, codes=location_codes - {""})
        self.specialisms = dict(Specialism.objects.values_list("code", "id"))
        self.specialism_codes = {pk: code for code, pk in self.specialisms.items()}
        self.treatments: dict[str, tuple[int, int, str]] = {}
        self.treatments_by_name: dict[str, tuple[int, int, str]] = {}
        # A treatment is named by our code, our name or the NZa's name (in NZa files), the
        # names without regard to case; our own names go first.
        nza_names: list[tuple[str, tuple[int, int, str]]] = []
        for pk, code, name, nza_name, specialism_id in Treatment.objects.values_list(
            "id", "code", "name", "nza_name", "specialism_id"
        ):
            treatment = (pk, specialism_id, code)
            self.treatments[code] = self.treatments_by_name[name.casefold()] = treatment
            if nza_name:
                nza_names.append((nza_name.casefold(), treatment))
        for nza_name, treatment in nza_names:
            self.treatments_by_name.setdefault(nza_name, treatment)
        self.subject_cache: dict[tuple, tuple[Subject | None, FieldErrors]] = {}
        self.value_cache: dict[tuple, tuple[tuple[int | None, bool] | None, FieldErrors]] = {}
        self.date_cache: dict[tuple, tuple[date | None, FieldErrors]] = {}

    # -- subject: location, kind, specialism, treatment --
    def subject(self, raw: WaitingTimeRow) -> tuple[Subject | None, FieldErrors]:
        key = (raw.location, raw.kind, raw.specialism, raw.treatment)
        try:
            return self.subject_cache[key]
        except KeyError:
            result = self.subject_cache[key] = self._subject(*key)
            return result
        except TypeError:  # an unhashable value: check it without remembering
            return self._subject(*key)

    def _subject(
        self, location_raw: Any, kind_raw: Any, specialism_raw: Any, treatment_raw: Any
    ) -> tuple[Subject | None, FieldErrors]:
        errors: FieldErrors = []
        # Location: a foreign code gets the same answer as one that does not exist.
        location_code = _code(_text(location_raw), 8)
        location_id = 0
        if not location_code:
            errors.append(("location", _("A location code is required.")))
        else:
            location = self.locations.get(location_code)
            if location is None:
                errors.append(
                    (
                        "location",
                        _("Unknown location “%(code)s”: use the code of one of your own locations.")
                        % {"code": location_code},
                    )
                )
            elif not location[1]:
                errors.append(
                    (
                        "location",
                        _("The location “%(code)s” is no longer active.") % {"code": location_code},
                    )
                )
            else:
                location_id = location[0]

        kind = _text(kind_raw)
        specialism_code = _code(_text(specialism_raw), 4)
        treatment_value = _text(treatment_raw)
        specialism_id = 0
        treatment: tuple[int, int, str] | None = None
        if not kind:
            errors.append(("kind", _("A kind is required: first_visit, diagnostics or treatment.")))
        elif kind not in KINDS:
            errors.append(
                (
                    "kind",
                    _("Unknown kind “%(kind)s”: use first_visit, diagnostics or treatment.")
                    % {"kind": kind},
                )
            )
        elif kind in SPECIALISM_KINDS:
            if treatment_value:
                errors.append(
                    (
                        "treatment",
                        _(
                            "A treatment belongs only on a row of kind treatment: first visits "
                            "and diagnostics are reported per specialism."
                        ),
                    )
                )
            if not specialism_code:
                errors.append(("specialism", _("A specialism is required for this kind.")))
            elif specialism_code not in self.specialisms:
                errors.append(
                    ("specialism", _("Unknown specialism “%(code)s”.") % {"code": specialism_code})
                )
            else:
                specialism_id = self.specialisms[specialism_code]
        else:
            if not treatment_value:
                errors.append(
                    ("treatment", _("A treatment is required on a row of kind treatment."))
                )
            else:
                treatment = self.treatments.get(treatment_value) or self.treatments_by_name.get(
                    treatment_value.casefold()
                )
                if treatment is None:
                    errors.append(
                        (
                            "treatment",
                            _("Unknown treatment “%(code)s”.") % {"code": treatment_value},
                        )
                    )
            if specialism_code and specialism_code not in self.specialisms:
                errors.append(
                    ("specialism", _("Unknown specialism “%(code)s”.") % {"code": specialism_code})
                )
            elif treatment is not None:
                specialism_id = treatment[1]
                if specialism_code and self.specialisms[specialism_code] != specialism_id:
                    errors.append(
                        (
                            "specialism",
                            _(
                                "The treatment “%(treatment)s” belongs to specialism "
                                "%(expected)s, not %(given)s."
                            )
                            % {
                                "treatment": treatment[2],
                                "expected": self.specialism_codes[specialism_id],
                                "given": specialism_code,
                            },
                        )
                    )
        if errors:
            return None, errors
        treatment_id = treatment[0] if treatment else None
        return (
            Subject(
                location_id=location_id,
                kind=kind,
                specialism_id=specialism_id,
                treatment_id=treatment_id,
                location_code=location_code,
                specialism_code=self.specialism_codes[specialism_id],
                treatment_code=treatment[2] if treatment else None,
                series_key=(
                    (location_id, kind, None, treatment_id)
                    if treatment_id is not None
                    else (location_id, kind, specialism_id, None)
                ),
            ),
            [],
        )

    # -- days or insufficient observations --
    def values(self, raw: WaitingTimeRow) -> tuple[tuple[int | None, bool] | None, FieldErrors]:
        days, insufficient = raw.days, raw.insufficient_observations
        # The type is part of the key: 1, True and "1" are different inputs.
        key = (type(days), days, type(insufficient), insufficient)
        try:
            return self.value_cache[key]
        except KeyError:
            result = self.value_cache[key] = self._values(days, insufficient)
            return result
        except TypeError:
            return self._values(days, insufficient)

    def _values(
        self, days_raw: Any, insufficient_raw: Any
    ) -> tuple[tuple[int | None, bool] | None, FieldErrors]:
        errors: FieldErrors = []
        insufficient = False
        if isinstance(insufficient_raw, bool):
            insufficient = insufficient_raw
        elif insufficient_raw is not None:
            flag = str(insufficient_raw).strip().lower()
            if flag in _TRUE:
                insufficient = True
            elif flag not in _FALSE:
                errors.append(
                    (
                        "insufficient_observations",
                        _("Use true or false for insufficient observations."),
                    )
                )
        days: int | None = None
        malformed = False
        if isinstance(days_raw, bool | float):
            malformed = True
        elif isinstance(days_raw, int):
            days = days_raw
        elif days_raw is not None:
            text = str(days_raw).strip()
            if _INTEGER.match(text):
                days = int(text)
            elif text:
                malformed = True
        if malformed:
            errors.append(("days", _("The wait must be a whole number of days.")))
        elif days is not None:
            if days < 0:
                errors.append(("days", str(DAYS_NEGATIVE_MESSAGE)))
            elif days > MAX_PLAUSIBLE_WAIT_DAYS:
                errors.append(
                    ("days", str(DAYS_NOT_PLAUSIBLE_MESSAGE) % {"max": MAX_PLAUSIBLE_WAIT_DAYS})
                )
            elif insufficient:
                errors.append(
                    (
                        "days",
                        _("Give either a number of days or insufficient observations, not both."),
                    )
                )
        elif not insufficient and not errors:
            errors.append(
                ("days", _("A number of days is required (or mark insufficient observations)."))
            )
        if errors:
            return None, errors
        return (days, insufficient), []

    # -- peildatum --
    def reference_date(self, raw: WaitingTimeRow) -> tuple[date | None, FieldErrors]:
        value = raw.reference_date
        key = (type(value), value)
        try:
            return self.date_cache[key]
        except KeyError:
            result = self.date_cache[key] = self._reference_date(value)
            return result
        except TypeError:
            return self._reference_date(value)

    def _reference_date(self, value: Any) -> tuple[date | None, FieldErrors]:
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            text = _text(value)
            if not text:
                return None, [("reference_date", _("A reference date (peildatum) is required."))]
            try:
                # Only the extended form YYYY-MM-DD (fromisoformat also takes 20261117 etc.).
                value = date.fromisoformat(text) if len(text) == 10 else None
            except ValueError:
                value = None
            if value is None:
                return None, [
                    (
                        "reference_date",
                        _("“%(value)s” is not a valid date: use YYYY-MM-DD.") % {"value": text},
                    )
                ]
        if value > self.today:
            return None, [
                (
                    "reference_date",
                    _("The reference date %(date)s is in the future.")
                    % {"date": value.isoformat()},
                )
            ]
        return value, []


def waiting_time_reports_validate(
    *,
    rows: Sequence[WaitingTimeRow],
    actor: Actor,
    today: date,
    progress: ProgressCallback | None = None,
) -> tuple[list[ResolvedWaitingTimeRow], list[RowError]]:
    """Check every row; return the resolved rows and the row errors (in row order).

    Three queries whatever the number of rows (more only for many distinct location codes).
    """
    resolver = _Resolver(
        actor=actor,
        location_codes={_code(_text(code), 8) for code in {r.location for r in rows}},
        today=today,
    )
    errors: list[RowError] = []
    seen: dict[tuple, int] = {}
    resolved: list[ResolvedWaitingTimeRow] = []
    append = resolved.append
    total = len(rows)
    for index, raw in enumerate(rows):
        if progress is not None and index and index % 10_000 == 0:
            progress(index / total)
        subject, subject_errors = resolver.subject(raw)
        values, value_errors = resolver.values(raw)
        reference_date, date_errors = resolver.reference_date(raw)
        if subject is None or values is None or reference_date is None:
            for field_name, message in (*subject_errors, *value_errors, *date_errors):
                errors.append({"row": raw.row, "field": field_name, "message": message})
            continue
        key = (subject.series_key, reference_date)
        earlier = seen.setdefault(key, raw.row)
        if earlier != raw.row:
            errors.append(
                {
                    "row": raw.row,
                    "field": None,
                    "message": _(
                        "Row %(row)s already has this location, kind, specialism or treatment "
                        "and reference date."
                    )
                    % {"row": earlier},
                }
            )
            continue
        append(ResolvedWaitingTimeRow(raw.row, subject, values[0], values[1], reference_date))
    errors.sort(key=lambda e: (e["row"] is None, e["row"] or 0))
    return resolved, errors


# --- Storing -------------------------------------------------------------------------------------
def waiting_time_reports_record(
    *,
    rows: Sequence[WaitingTimeRow],
    actor: Actor,
    source: str,
    today: date | None = None,
    progress: ProgressCallback | None = None,
) -> RecordResult:
    """Store a submission, all or nothing; raise :class:`WaitingTimeReportErrors` on any error.

    Counts: ``created`` new peildatums, ``updated`` corrections (the old value kept as a revision),
    ``unchanged`` re-reports of the same value. One audit event per submission.
    """
    if source not in ReportSource.values:
        raise ValueError(f"unknown source {source!r}")
    today = today or timezone.localdate()
    resolved, errors = waiting_time_reports_validate(
        rows=rows, actor=actor, today=today, progress=_scaled(progress, 0.0, 0.5)
    )
    if errors:
        raise WaitingTimeReportErrors(errors)
    if not resolved:
        raise WaitingTimeReportErrors(
            [{"row": None, "field": None, "message": _("There are no waiting times to store.")}]
        )
    with transaction.atomic():
        subjects = list({id(row.subject): row.subject for row in resolved}.values())
        _lock_locations(sorted({subject.location_id for subject in subjects}))
        current_dates = _series_for(subjects)
        if progress is not None:
            progress(0.6)
        before = _stored_days(resolved)
        store = _store_postgresql if connection.vendor == "postgresql" else _store_orm
        result = store(resolved=resolved, source=source, reported_by=actor.label)
        _current_figures_refresh(resolved=resolved, current_dates=current_dates)
        region_trend_counts_apply(
            changes=_trend_changes(resolved=resolved, subjects=subjects, before=before)
        )
        result.rows = resolved
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="providers.waitingtimereport",
            detail={"source": source, "rows": len(resolved), **result.counts},
        )
    if progress is not None:
        progress(1.0)
    return result


def _scaled(progress: ProgressCallback | None, start: float, end: float) -> ProgressCallback | None:
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
        for chunk in _chunks(location_ids):
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


def _stored_days(resolved: list[ResolvedWaitingTimeRow]) -> dict[tuple[int, date], int | None]:
    """The days already stored for the submission's (series, peildatum) keys, if any."""
    keys = {(row.subject.series_id, row.reference_date) for row in resolved}
    dates = sorted({day for _series, day in keys})
    stored: dict[tuple[int, date], int | None] = {}
    for chunk in _chunks(sorted({series for series, _day in keys})):
        for series_id, reference_date, days in WaitingTimeReport.objects.filter(
            series_id__in=chunk, reference_date__in=dates
        ).values_list("series_id", "reference_date", "days"):
            if (series_id, reference_date) in keys:
                stored[(series_id, reference_date)] = days
    return stored


def _trend_changes(
    *,
    resolved: list[ResolvedWaitingTimeRow],
    subjects: list[Subject],
    before: dict[tuple[int, date], int | None],
) -> Counter[TrendKey]:
    """What the submission changes in the regional trend's counts: one report more at each new
    value, one less at each value it replaced (only numbers of active locations count)."""
    region_of = dict(
        Location.objects.filter(
            pk__in={subject.location_id for subject in subjects}, is_active=True
        ).values_list("pk", "provider__region_id")
    )
    setting_of = dict(
        Treatment.objects.filter(
            pk__in={s.treatment_id for s in subjects if s.treatment_id is not None}
        ).values_list("pk", "setting")
    )
    changes: Counter[TrendKey] = Counter()
    for row in resolved:
        subject = row.subject
        region_id = region_of.get(subject.location_id)
        if region_id is None:
            continue
        group = (
            region_id,
            row.reference_date,
            subject.kind,
            "" if subject.treatment_id is None else setting_of[subject.treatment_id],
        )
        previous = before.get((subject.series_id, row.reference_date))
        if previous is not None:
            changes[(*group, previous)] -= 1
        if row.days is not None:
            changes[(*group, row.days)] += 1
    return changes


def _current_figures_refresh(
    *, resolved: list[ResolvedWaitingTimeRow], current_dates: dict[int, date | None]
) -> None:
    """A series' current figure becomes its newest row when that row's peildatum is not older
    than the current one (so correcting an older peildatum leaves the current figure alone)."""
    newest: dict[int, ResolvedWaitingTimeRow] = {}
    for row in resolved:
        series_id = row.subject.series_id
        latest = newest.get(series_id)
        if latest is None or row.reference_date > latest.reference_date:
            newest[series_id] = row
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
                "current_insufficient_observations = n.insufficient "
                "FROM unnest(%s::int[], %s::date[], %s::int[], %s::boolean[]) "
                "AS n (id, reference_date, days, insufficient) WHERE t.id = n.id",
                [
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
            )
            for series_id, row in refreshed
        ],
        ["current_reference_date", "current_days", "current_insufficient_observations"],
        batch_size=CHUNK_SIZE,
    )


def _store_orm(
    *, resolved: list[ResolvedWaitingTimeRow], source: str, reported_by: str
) -> RecordResult:
    """Any database: look up the existing reports in chunks, then bulk create and update."""
    now = timezone.now()
    series_ids = sorted({row.subject.series_id for row in resolved})
    dates = sorted({row.reference_date for row in resolved})
    existing: dict[tuple[int, date], WaitingTimeReport] = {}
    for chunk in _chunks(series_ids):
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
                    reported_at=now,
                    reported_by=reported_by,
                )
            )
        elif (
            report.days == row.days
            and report.insufficient_observations == row.insufficient_observations
        ):
            unchanged += 1
        else:
            revisions.append(
                WaitingTimeRevision(
                    report=report,
                    days=report.days,
                    insufficient_observations=report.insufficient_observations,
                    source=report.source,
                    reported_at=report.reported_at,
                    reported_by=report.reported_by,
                    replaced_by=reported_by,
                )
            )
            report.days = row.days
            report.insufficient_observations = row.insufficient_observations
            report.source = source
            report.reported_at = now
            report.reported_by = reported_by
            changed.append(report)
    WaitingTimeReport.objects.bulk_create(new_reports, batch_size=CHUNK_SIZE)
    WaitingTimeRevision.objects.bulk_create(revisions, batch_size=CHUNK_SIZE)
    WaitingTimeReport.objects.bulk_update(
        changed,
        ["days", "insufficient_observations", "source", "reported_at", "reported_by"],
        batch_size=CHUNK_SIZE,
    )
    return RecordResult(created=len(new_reports), updated=len(changed), unchanged=unchanged)


def _copy_text(value: str) -> str:
    """A value for PostgreSQL's COPY text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _store_postgresql(
    *, resolved: list[ResolvedWaitingTimeRow], source: str, reported_by: str
) -> RecordResult:
    """PostgreSQL: ``COPY``. When none of the touched series has a report on any of the touched
    peildatums (the usual case: a new cycle), straight into the report table, like a plain load.
    Otherwise into a temporary staging table, followed by three set-based statements: revisions
    of the reports that change, their update, and the new reports.

    (The SQL names only our own tables, from the models' metadata; every value is a parameter or
    goes through COPY, hence the ``noqa: S608``.)"""
    report_table = WaitingTimeReport._meta.db_table
    revision_table = WaitingTimeRevision._meta.db_table
    now = timezone.now()
    series_ids = sorted({row.subject.series_id for row in resolved})
    dates = sorted({row.reference_date for row in resolved})
    iso_dates = {day: day.isoformat() for day in dates}
    lines = [
        f"{row.subject.series_id}\t{iso_dates[row.reference_date]}\t"
        f"{NULL if row.days is None else row.days}\t"
        f"{'t' if row.insufficient_observations else 'f'}"
        for row in resolved
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {report_table} "  # noqa: S608
            "WHERE series_id = ANY(%s) AND reference_date = ANY(%s))",
            [series_ids, dates],
        )
        overlap = cursor.fetchone()[0]
        copy_cursor = cursor.cursor  # psycopg's own cursor, for COPY
        if not overlap:
            suffix = f"\t{source}\t{now.isoformat()}\t{_copy_text(reported_by)}\n"
            with copy_cursor.copy(
                f"COPY {report_table} (series_id, reference_date, days, "
                "insufficient_observations, source, reported_at, reported_by) FROM STDIN"
            ) as copy:
                copy.write(suffix.join(lines) + suffix)
            return RecordResult(created=len(lines), updated=0, unchanged=0)

        staging = "waiting_time_report_staging"
        params: dict[str, Any] = {"source": source, "by": reported_by, "now": now}
        changed = (
            "r.series_id = s.series_id AND r.reference_date = s.reference_date "
            "AND (r.days IS DISTINCT FROM s.days "
            "OR r.insufficient_observations <> s.insufficient_observations)"
        )
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} (series_id integer NOT NULL, "
            "reference_date date NOT NULL, days integer, "
            "insufficient_observations boolean NOT NULL) ON COMMIT DROP"
        )
        with copy_cursor.copy(f"COPY {staging} FROM STDIN") as copy:
            copy.write("\n".join(lines) + "\n")
        cursor.execute(f"ANALYZE {staging}")
        cursor.execute(
            f"INSERT INTO {revision_table} (report_id, days, "  # noqa: S608
            "insufficient_observations, source, reported_at, reported_by, replaced_at, "
            "replaced_by) "
            "SELECT r.id, r.days, r.insufficient_observations, r.source, r.reported_at, "
            f"r.reported_by, %(now)s, %(by)s FROM {report_table} r JOIN {staging} s "
            f"ON {changed}",
            params,
        )
        cursor.execute(
            f"UPDATE {report_table} r SET days = s.days, "  # noqa: S608
            "insufficient_observations = s.insufficient_observations, source = %(source)s, "
            f"reported_at = %(now)s, reported_by = %(by)s FROM {staging} s WHERE {changed}",
            params,
        )
        updated = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {report_table} (series_id, reference_date, days, "  # noqa: S608
            "insufficient_observations, source, reported_at, reported_by) "
            "SELECT series_id, reference_date, days, insufficient_observations, %(source)s, "
            f"%(now)s, %(by)s FROM {staging} ON CONFLICT (series_id, reference_date) DO NOTHING",
            params,
        )
        created = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
    return RecordResult(
        created=created, updated=updated, unchanged=len(resolved) - created - updated
    )


# --- CSV files -----------------------------------------------------------------------------------
def waiting_time_reports_import(
    *,
    data: bytes,
    actor: Actor,
    today: date | None = None,
    progress: ProgressCallback | None = None,
) -> RecordResult:
    """Import a CSV file (our layout or the NZa open-data layout), all or nothing.

    Errors name the file's line (the header is line 1) and the file's own column name.
    """
    from providers.waiting_time_csv import waiting_time_csv_parse

    parsed = waiting_time_csv_parse(data)
    if progress is not None:
        progress(0.1)
    try:
        if parsed.errors:
            # Rows the parser could not read are left out; every other row is still checked, so
            # that one round trip shows all the problems of the file.
            errors = list(parsed.errors)
            if parsed.rows:
                _resolved, more = waiting_time_reports_validate(
                    rows=parsed.rows, actor=actor, today=today or timezone.localdate()
                )
                errors.extend(more)
            errors.sort(key=lambda e: (e["row"] is None, e["row"] or 0))
            raise WaitingTimeReportErrors(errors)
        return waiting_time_reports_record(
            rows=parsed.rows,
            actor=actor,
            source=ReportSource.CSV,
            today=today,
            progress=_scaled(progress, 0.1, 1.0),
        )
    except WaitingTimeReportErrors as exc:
        for item in exc.errors:
            if item["field"] in parsed.columns:
                item["field"] = parsed.columns[item["field"]]
        raise


def waiting_time_import_start(
    *, actor: Actor, file_name: str, data: bytes, language: str = ""
) -> WaitingTimeImport:
    """Keep an uploaded file and start its import in a Celery task once this transaction commits
    (run inline when tasks are eager, the embedded default)."""
    from providers.tasks import waiting_time_import_run

    if not actor.has_role(Role.PLANNER) or actor.provider_id is None:
        raise ApplicationError(_("Only a provider's planners import waiting times."))
    job = WaitingTimeImport.objects.create(
        provider_id=actor.provider_id,
        created_by=actor.user,
        file_name=file_name.replace("\x00", "")[:255],
        content=data,
        language=language,
    )

    def start() -> None:
        result = waiting_time_import_run.delay(job.pk)
        WaitingTimeImport.objects.filter(pk=job.pk, task_id="").update(task_id=result.id or "")

    transaction.on_commit(start)
    return job


# --- Series --------------------------------------------------------------------------------------
@transaction.atomic
def waiting_time_series_create(
    *,
    actor: Actor,
    location: Location,
    kind: str,
    specialism: Specialism | None,
    treatment: Treatment | None,
) -> WaitingTimeSeries:
    """A new (still empty) series for one of the actor's own locations; an existing one is
    refused. ``location`` must come from ``location_list_for_reporting``."""
    if not location_list_for_reporting(actor=actor).filter(pk=location.pk).exists():
        raise ApplicationError(_("Unknown location."), field="location")
    if kind not in KINDS:
        raise ApplicationError(_("Choose a kind."), field="kind")
    if kind == WaitingTimeKind.TREATMENT:
        if treatment is None:
            raise ApplicationError(
                _("A treatment is required on a row of kind treatment."), field="treatment"
            )
        if specialism is not None and specialism.pk != treatment.specialism_id:
            raise ApplicationError(
                _("This treatment belongs to another specialism."), field="specialism"
            )
        specialism = treatment.specialism
        lookup: dict[str, Any] = {"location": location, "kind": kind, "treatment": treatment}
    else:
        if treatment is not None:
            raise ApplicationError(
                _(
                    "A treatment belongs only on a row of kind treatment: first visits and "
                    "diagnostics are reported per specialism."
                ),
                field="treatment",
            )
        if specialism is None:
            raise ApplicationError(_("A specialism is required for this kind."), field="specialism")
        lookup = {"location": location, "kind": kind, "specialism": specialism, "treatment": None}
    if WaitingTimeSeries.objects.filter(**lookup).exists():
        raise ApplicationError(_("This series already exists."))
    series = WaitingTimeSeries.objects.create(
        location=location, kind=kind, specialism=specialism, treatment=treatment
    )
    audit_record(actor=actor, action=AuditAction.CREATE, obj=series)
    return series
