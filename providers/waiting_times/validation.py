"""Checking a waiting-time submission (DESIGN §3.1 and §8; issue 3, "Reporting"), before anything
is stored, for every way a figure comes in (API, CSV upload, web form).

The rules kept here:

* A provider reports only for its own locations. A foreign location code gets exactly the same
  answer as a code that does not exist ("unknown location"), so nothing about other providers leaks.
* ``first_visit`` and ``diagnostics`` are reported per location × specialism; ``treatment`` per
  location × treatment, and the series' specialism is then the treatment's.
* A wait is a whole number of calendar days from 0 up to ``MAX_PLAUSIBLE_WAIT_DAYS`` (three years),
  or no number with ``insufficient_observations`` (NZa: too few observations) — never both.
* The peildatum is a valid date and not in the future.
* One key (location, kind, specialism or treatment, peildatum) at most once per submission.
* Every row error is reported at once, in row order (:class:`WaitingTimeReportErrors`); storing
  (:mod:`providers.waiting_times.storage`) refuses a submission with any error, all or nothing.

Speed: a submission is resolved with a handful of queries whatever its size, and every distinct
location, subject, value and date is checked once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.actors import Actor
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
def chunked(items: Sequence[Any], size: int = CHUNK_SIZE) -> Iterator[Sequence[Any]]:
    """``items`` in slices of at most ``size`` (for ``IN (...)`` lookups and bulk writes)."""
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
    for chunk in chunked(sorted(codes)):
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
