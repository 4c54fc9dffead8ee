"""Checking a waiting-time submission (DESIGN §3.1 and §8; issue 3, "Reporting"), before anything
is stored, for every way a figure comes in (API, CSV upload, web form).

The rules kept here:

* A provider reports only for its own locations. A foreign location code gets exactly the same
  answer as a code that does not exist ("unknown location"), so nothing about other providers leaks.
* ``first_visit`` and ``diagnostics`` are reported per location × specialism; ``treatment`` per
  location × treatment, and the series' specialism is then the treatment's.
* A wait is a whole number of calendar days from 0 up to ``MAX_PLAUSIBLE_WAIT_DAYS`` (three years),
  or no number with ``insufficient_observations`` (NZa: too few observations) — never both.
* The peildatum is a valid date, not in the future and not before 1900 (``core.dates``).
* One key (location, kind, specialism or treatment, peildatum) at most once per submission.
* Every row error is reported at once, in row order (:class:`WaitingTimeReportErrors`); storing
  (:mod:`providers.waiting_times.storage`) refuses a submission with any error, all or nothing.

Speed and memory: a submission is resolved with a handful of queries whatever its size, and every
distinct location, subject, value and date is checked once. Rows are checked one at a time
(:class:`WaitingTimeCheck`), so a file is checked as it is read; what later rows need is kept
compactly (:class:`CheckedRows`: about 20 bytes per checked row, one number per key for the
duplicate check), never the rows themselves.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.actors import Actor
from core.dates import date_display, plausible_date_errors
from core.errors import ApplicationError
from providers.models import (
    MAX_PLAUSIBLE_WAIT_DAYS,
    Specialism,
    Treatment,
    WaitingTimeKind,
)
from providers.permissions import location_list_for_reporting
from providers.waiting_times.csv_reader import RowError, WaitingTimeRow

# Chunk size for ``IN (...)`` lookups and bulk writes (well inside SQLite's variable limit).
CHUNK_SIZE = 500
# At most this many row errors are handed back; the rest is summarised in one last entry.
MAX_REPORTED_ERRORS = 500
# Each cache of checked inputs stops growing at this many entries (a file of distinct bad values
# must not fill the memory); valid files repeat far fewer locations, subjects, values and dates.
CACHE_LIMIT = 20_000

SPECIALISM_KINDS = frozenset({WaitingTimeKind.FIRST_VISIT.value, WaitingTimeKind.DIAGNOSTICS.value})
KINDS = frozenset(WaitingTimeKind.values)

# Messages of the checks every way in shares (API, CSV upload, web form), so all say the same thing.
DAYS_NEGATIVE_MESSAGE = gettext_lazy("A wait cannot be negative.")
DAYS_NOT_PLAUSIBLE_MESSAGE = gettext_lazy(
    "A wait of more than 3 years (%(max)s days) is not plausible."
)

_TRUE = frozenset({"1", "true", "yes", "y", "ja", "j", "t"})
_FALSE = frozenset({"", "0", "false", "no", "n", "nee", "f"})
_INTEGER = re.compile(r"^([+-]?)(\d+)$")
# A key is one number: series index × this + the peildatum's ordinal (date.max's is 3,652,059).
_DATE_STRIDE = 4_000_000
_NO_DAYS = -1  # "no number" in the compact days column


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
    # The series' position in the submission (subjects of the same series share it).
    index: int = -1
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


class WaitingTimeReportErrors(ApplicationError):
    """A submission with row errors: nothing was stored. The API answers ``{"errors": [...]}``.

    ``errors`` are the errors kept, ``omitted`` the number of further errors only counted (a
    large file keeps the first :data:`MAX_REPORTED_ERRORS`)."""

    def __init__(self, errors: list[RowError], *, omitted: int = 0):
        self.errors = errors
        self.omitted = omitted
        super().__init__(
            _("Nothing was stored: %(count)s errors were found.") % {"count": len(errors) + omitted}
        )

    def reported(self) -> list[RowError]:
        """The errors as answered: at most :data:`MAX_REPORTED_ERRORS`, then how many more."""
        return row_errors_truncate(self.errors, omitted=self.omitted)

    def as_dict(self) -> dict[str, Any]:
        return {"errors": self.reported()}


ProgressCallback = Callable[[float], None]


# --- Helpers -------------------------------------------------------------------------------------
def chunked(items: Sequence[Any], size: int = CHUNK_SIZE) -> Iterator[Sequence[Any]]:
    """``items`` in slices of at most ``size`` (for ``IN (...)`` lookups and bulk writes)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _code(value: str, width: int) -> str:
    """Spreadsheets drop leading zeros ("305" for "0305"); put them back on all-digit codes."""
    return value.zfill(width) if value.isdigit() and len(value) < width else value


def row_errors_truncate(
    errors: list[RowError], limit: int = MAX_REPORTED_ERRORS, *, omitted: int = 0
) -> list[RowError]:
    """The first ``limit`` errors, and one entry saying how many more there are (``omitted``:
    errors beyond ``errors`` that were only counted)."""
    more = max(0, len(errors) - limit) + omitted
    if not more:
        return errors
    return [
        *errors[:limit],
        {
            "row": None,
            "field": None,
            "message": _("… and %(count)s more errors.") % {"count": more},
        },
    ]


# --- Validation ----------------------------------------------------------------------------------
def _reporting_locations(*, actor: Actor) -> dict[str, tuple[int, bool]]:
    """code → (id, active) for every location the actor reports for (a provider's own: at most
    some hundreds), so that rows can be checked as they come, without a query per code."""
    return {
        code: (location_id, active)
        for location_id, code, active in location_list_for_reporting(actor=actor).values_list(
            "id", "code", "is_active"
        )
    }


FieldErrors = list[tuple[str | None, str]]


class _Resolver:
    """Checks the parts of a row. Every distinct input is checked once and remembered: a large
    file repeats the same locations, subjects, values and dates over and over."""

    def __init__(
        self,
        *,
        actor: Actor,
        today: date,
        locations: dict[str, tuple[int, bool]] | None = None,
        cache_limit: int = CACHE_LIMIT,
    ):
        self.today = today
        self.cache_limit = cache_limit
        self.locations = _reporting_locations(actor=actor) if locations is None else locations
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
        # The first subject of each series stands for it; its index is its position here.
        self.series: list[Subject] = []
        self.series_index: dict[tuple, int] = {}

    # -- subject: location, kind, specialism, treatment --
    def subject(self, raw: WaitingTimeRow) -> tuple[Subject | None, FieldErrors]:
        key = (raw.location, raw.kind, raw.specialism, raw.treatment)
        try:
            return self.subject_cache[key]
        except KeyError:
            result = self._subject(*key)
            if len(self.subject_cache) < self.cache_limit:
                self.subject_cache[key] = result
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
        series_key = (
            (location_id, kind, None, treatment_id)
            if treatment_id is not None
            else (location_id, kind, specialism_id, None)
        )
        subject = Subject(
            location_id=location_id,
            kind=kind,
            specialism_id=specialism_id,
            treatment_id=treatment_id,
            location_code=location_code,
            specialism_code=self.specialism_codes[specialism_id],
            treatment_code=treatment[2] if treatment else None,
            series_key=series_key,
            index=self.series_index.setdefault(series_key, len(self.series)),
        )
        if subject.index == len(self.series):
            self.series.append(subject)
        return subject, []

    # -- days or insufficient observations --
    def values(self, raw: WaitingTimeRow) -> tuple[tuple[int | None, bool] | None, FieldErrors]:
        days, insufficient = raw.days, raw.insufficient_observations
        # The type is part of the key: 1, True and "1" are different inputs.
        key = (type(days), days, type(insufficient), insufficient)
        try:
            return self.value_cache[key]
        except KeyError:
            result = self._values(days, insufficient)
            if len(self.value_cache) < self.cache_limit:
                self.value_cache[key] = result
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
            match = _INTEGER.match(text)
            if match:
                sign, digits = match.groups()
                digits = digits.lstrip("0") or "0"
                # Never converted when longer than any plausible wait: int() refuses more than
                # 4,300 digits (ValueError), and such a number is out of range whatever it is.
                if len(digits) > len(str(MAX_PLAUSIBLE_WAIT_DAYS)):
                    digits = str(MAX_PLAUSIBLE_WAIT_DAYS + 1)
                days = int(sign + digits)
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
            result = self._reference_date(value)
            if len(self.date_cache) < self.cache_limit:
                self.date_cache[key] = result
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
                    % {"date": date_display(value)},
                )
            ]
        implausible = plausible_date_errors(value, today=self.today)
        if implausible:
            return None, [("reference_date", implausible[0])]
        return value, []


@dataclass
class CheckedRows:
    """The rows of a submission that passed every check, in their order, held as columns of
    machine numbers (about 20 bytes a row) rather than as objects; :meth:`rows` and
    :meth:`chunks` give them back as :class:`ResolvedWaitingTimeRow` values.

    ``series`` holds one subject per series of the submission (the first one met); a row's series
    is its position there."""

    series: list[Subject]
    series_index: array = field(default_factory=lambda: array("i"))
    ordinals: array = field(default_factory=lambda: array("i"))
    days: array = field(default_factory=lambda: array("h"))  # _NO_DAYS: no number
    insufficient: array = field(default_factory=lambda: array("b"))
    row_numbers: array = field(default_factory=lambda: array("q"))

    def __len__(self) -> int:
        return len(self.row_numbers)

    def append(
        self, row: int, subject: Subject, days: int | None, insufficient: bool, day: date
    ) -> None:
        self.series_index.append(subject.index)
        self.ordinals.append(day.toordinal())
        self.days.append(_NO_DAYS if days is None else days)
        self.insufficient.append(insufficient)
        self.row_numbers.append(row)

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[ResolvedWaitingTimeRow]:
        series, dates = self.series, _OrdinalDates()
        columns = (self.row_numbers, self.series_index, self.days, self.insufficient, self.ordinals)
        for row, index, days, insufficient, ordinal in zip(
            *(column[start:stop] for column in columns), strict=True
        ):
            yield ResolvedWaitingTimeRow(
                row,
                series[index],
                None if days == _NO_DAYS else days,
                bool(insufficient),
                dates[ordinal],
            )

    def dates(self) -> list[date]:
        """The distinct peildatums, in order."""
        return [date.fromordinal(ordinal) for ordinal in sorted(set(self.ordinals))]

    def chunks(self, size: int) -> Iterator[list[ResolvedWaitingTimeRow]]:
        """The rows in lists of at most ``size`` (storing a large file a piece at a time)."""
        for start in range(0, len(self), size):
            yield list(self.rows(start, start + size))

    def row_of(self, keys: set[int]) -> dict[int, int]:
        """key → the row number of the checked row with that key (for the duplicate message)."""
        found: dict[int, int] = {}
        for index, ordinal, row in zip(
            self.series_index, self.ordinals, self.row_numbers, strict=True
        ):
            key = index * _DATE_STRIDE + ordinal
            if key in keys:
                found[key] = row
        return found


class _OrdinalDates(dict[int, date]):
    """ordinal → date, each made once."""

    def __missing__(self, ordinal: int) -> date:
        day = self[ordinal] = date.fromordinal(ordinal)
        return day


class WaitingTimeCheck:
    """Checks a submission one row at a time, in its order (:meth:`add`; a row the reader could
    not read is reported with :meth:`add_error`), so that a file is checked as it is read.

    It keeps what later rows and storing need: the checked rows (:class:`CheckedRows`), one number
    per key for the duplicate check, and the errors — all of them, or with ``error_limit`` the
    first so many (the rest is counted in ``omitted``). :meth:`finish` ends the check.

    ``locations`` (code → (id, active)) replaces the actor's own locations: the national NZa
    import (``providers.nza``) checks every provider's lines, and adds the locations and
    treatments it creates while it reads (the dict is shared; :meth:`treatment_add`)."""

    def __init__(
        self,
        *,
        actor: Actor,
        today: date,
        error_limit: int | None = None,
        locations: dict[str, tuple[int, bool]] | None = None,
        cache_limit: int = CACHE_LIMIT,
    ):
        self._resolver = _Resolver(
            actor=actor, today=today, locations=locations, cache_limit=cache_limit
        )
        self.checked = CheckedRows(series=self._resolver.series)
        self.errors: list[RowError] = []
        self.omitted = 0
        self._error_limit = error_limit
        self._keys: set[int] = set()
        # Duplicates name the earlier row, looked up once the check ends (see finish).
        self._duplicates: list[tuple[int, RowError]] = []

    def treatment_add(self, *, pk: int, specialism_id: int, code: str) -> None:
        """Make a treatment created during the check known to it (by its code)."""
        self._resolver.treatments[code] = (pk, specialism_id, code)

    # The three parts of :meth:`add`, each checked once per distinct input (the national fast
    # path, ``providers.nza.fast``, checks the distinct subjects, values and dates of a file).
    def subject_check(self, raw: WaitingTimeRow) -> tuple[Subject | None, FieldErrors]:
        return self._resolver.subject(raw)

    def values_check(
        self, raw: WaitingTimeRow
    ) -> tuple[tuple[int | None, bool] | None, FieldErrors]:
        return self._resolver.values(raw)

    def date_check(self, raw: WaitingTimeRow) -> tuple[date | None, FieldErrors]:
        return self._resolver.reference_date(raw)

    @property
    def series(self) -> list[Subject]:
        """One subject per series met so far (the first one of each)."""
        return self._resolver.series

    @property
    def error_count(self) -> int:
        """Errors recorded and only counted so far."""
        return len(self.errors) + self.omitted

    def add_error(self, error: RowError) -> bool:
        """Record an error; ``False`` when it was only counted (beyond the limit)."""
        if self._error_limit is not None and len(self.errors) >= self._error_limit:
            self.omitted += 1
            return False
        self.errors.append(error)
        return True

    def add(self, raw: WaitingTimeRow) -> None:
        resolver = self._resolver
        subject, subject_errors = resolver.subject(raw)
        values, value_errors = resolver.values(raw)
        reference_date, date_errors = resolver.reference_date(raw)
        if subject is None or values is None or reference_date is None:
            for field_name, message in (*subject_errors, *value_errors, *date_errors):
                self.add_error({"row": raw.row, "field": field_name, "message": message})
            return
        key = subject.index * _DATE_STRIDE + reference_date.toordinal()
        if key in self._keys:
            error: RowError = {"row": raw.row, "field": None, "message": ""}
            if self.add_error(error):
                self._duplicates.append((key, error))
            return
        self._keys.add(key)
        self.checked.append(raw.row, subject, values[0], values[1], reference_date)

    def finish(self) -> CheckedRows:
        """The checked rows (store them only when there are no ``errors``)."""
        self._keys = set()
        if self._duplicates:
            earlier = self.checked.row_of({key for key, _error in self._duplicates})
            for key, error in self._duplicates:
                error["message"] = _(
                    "Row %(row)s already has this location, kind, specialism or treatment "
                    "and reference date."
                ) % {"row": earlier[key]}
            self._duplicates = []
        return self.checked


def _in_row_order(errors: list[RowError]) -> list[RowError]:
    return sorted(errors, key=lambda e: (e["row"] is None, e["row"] or 0))


def waiting_time_reports_check(
    *,
    rows: Sequence[WaitingTimeRow],
    actor: Actor,
    today: date,
    progress: ProgressCallback | None = None,
) -> tuple[CheckedRows, list[RowError]]:
    """Check a submission held in memory (the API's list, the web form); return the checked rows
    and every row error, in row order. Three queries whatever the number of rows."""
    check = WaitingTimeCheck(actor=actor, today=today)
    total = len(rows)
    for index, raw in enumerate(rows):
        if progress is not None and index and index % 10_000 == 0:
            progress(index / total)
        check.add(raw)
    checked = check.finish()
    return checked, _in_row_order(check.errors)


def waiting_time_reports_validate(
    *,
    rows: Sequence[WaitingTimeRow],
    actor: Actor,
    today: date,
    progress: ProgressCallback | None = None,
) -> tuple[list[ResolvedWaitingTimeRow], list[RowError]]:
    """Check every row; return the resolved rows and the row errors (in row order)."""
    checked, errors = waiting_time_reports_check(
        rows=rows, actor=actor, today=today, progress=progress
    )
    return list(checked.rows()), errors
