"""Checking the lines of a plan, from the API, the lines editor or an Excel upload alike: one
line per specialism × urgency class (3, 4 or 5), a known specialism, whole volumes from 0 to
``MAX_VOLUME``, planned months inside the period. Every line is checked and every problem named
(:class:`PlanLinesError`); nothing is stored on error. Progress lines are named the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.months import month_format
from plans.inputs import LineInput, ProgressLineInput
from plans.models import MAX_VOLUME
from providers.models import MEDIATED_URGENCY_CLASSES, Specialism

MAX_LINES = 500
_SPECIALISM_CODE = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class LineError:
    """One problem of one line: its position (from 0; ``None`` for the lines as a whole), the
    field it concerns (``None``: the line as a whole) and a message naming the line."""

    index: int | None
    field: str | None
    message: str


class PlanLinesError(ValidationError):
    """The lines have errors: nothing was stored. A field error of ``lines`` for the API; the
    web editor puts :attr:`line_errors` next to the rows they belong to."""

    def __init__(self, errors: list[LineError]):
        self.line_errors = errors
        super().__init__({"lines": [error.message for error in errors]})


def line_label(line: LineInput | ProgressLineInput, index: int) -> str:
    """How messages name a line: where it came from (e.g. "Regels, row 7"), or its number,
    specialism and class."""
    if line.label:
        return line.label
    return _("Line %(number)d (%(specialism)s, class %(class)s)") % {
        "number": index + 1,
        "specialism": line.specialism,
        "class": line.urgency_class,
    }


def is_whole_number(value: Any) -> bool:
    """An ``int`` and not a ``bool`` (``True`` is 1 to Python, never a volume)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class CleanLine:
    specialism: Specialism
    urgency_class: int
    backlog: int
    planned: dict[str, int]


def lines_clean(
    lines: Sequence[LineInput], *, period_start: date, period_end: date
) -> list[CleanLine]:
    """Check every line (see the module docstring); raise :class:`PlanLinesError` naming each
    problem, or return the lines with their specialisms and ``{"YYYY-MM": volume}`` (months with
    a planned volume of 0 are left out)."""
    if len(lines) > MAX_LINES:
        raise PlanLinesError(
            [LineError(None, None, _("A plan has at most %(max)d lines.") % {"max": MAX_LINES})]
        )
    codes = {line.specialism for line in lines if _SPECIALISM_CODE.match(str(line.specialism))}
    specialisms = {s.code: s for s in Specialism.objects.filter(code__in=codes, is_active=True)}
    errors: list[LineError] = []
    seen: dict[tuple[str, int], int] = {}
    cleaned: list[CleanLine] = []
    period = _("%(start)s – %(end)s") % {
        "start": month_format(period_start),
        "end": month_format(period_end),
    }

    for index, line in enumerate(lines):
        label = line_label(line, index)

        def error(field: str | None, message: str, *, index: int = index, label: str = label):
            errors.append(LineError(index, field, f"{label}: {message}"))

        specialism = specialisms.get(str(line.specialism))
        if specialism is None:
            error(
                "specialism",
                _("unknown specialism “%(code)s” (give a Vektis code such as 0305).")
                % {"code": str(line.specialism)[:20]},
            )
        if not is_whole_number(line.urgency_class) or line.urgency_class not in (
            MEDIATED_URGENCY_CLASSES
        ):
            error(
                "urgency_class",
                _("the urgency class is 3, 4 or 5 (classes 1 and 2 are acute care)."),
            )
        if not is_whole_number(line.backlog) or not 0 <= line.backlog <= MAX_VOLUME:
            error(
                "backlog",
                _("the backlog is a whole number from 0 to %(max)d.") % {"max": MAX_VOLUME},
            )
        planned: dict[str, int] = {}
        outside: list[str] = []
        for month, volume in line.planned:
            key = month_format(month)
            if month < period_start or month > period_end:
                outside.append(key)
            elif key in planned:
                error("planned", _("%(month)s is given twice.") % {"month": key})
            elif not is_whole_number(volume) or not 0 <= volume <= MAX_VOLUME:
                error(
                    "planned",
                    _("the planned volume of %(month)s is a whole number from 0 to %(max)d.")
                    % {"month": key, "max": MAX_VOLUME},
                )
            else:
                planned[key] = volume
        if outside:
            error(
                "planned",
                ngettext(
                    "%(months)s is outside the period of the plan (%(period)s).",
                    "%(months)s are outside the period of the plan (%(period)s).",
                    len(outside),
                )
                % {"months": ", ".join(sorted(outside)), "period": period},
            )
        if specialism is not None and is_whole_number(line.urgency_class):
            key_ = (specialism.code, line.urgency_class)
            if key_ in seen:
                error(
                    None,
                    _(
                        "specialism %(specialism)s, urgency class %(class)s is already planned "
                        "in %(other)s; give each specialism and class one line."
                    )
                    % {
                        "specialism": specialism.code,
                        "class": line.urgency_class,
                        "other": line_label(lines[seen[key_]], seen[key_]),
                    },
                )
            else:
                seen[key_] = index
        if specialism is not None and not errors:
            cleaned.append(
                CleanLine(
                    specialism=specialism,
                    urgency_class=line.urgency_class,
                    backlog=line.backlog,
                    planned={key: planned[key] for key in sorted(planned) if planned[key]},
                )
            )
    if errors:
        raise PlanLinesError(errors)
    return cleaned
