"""What the services of the plans app accept, however it came in (API, web form, Excel file).

Plain values, not yet checked: the services hold the rules and name what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class LineInput:
    """One line of a plan: a specialism (Vektis code) × urgency class, the backlog at the start
    and the planned volume per month, as ``(month, volume)`` pairs (a month given twice is an
    error). ``label`` says where the line came from, for messages (e.g. "Regels, row 7")."""

    specialism: str
    urgency_class: int
    backlog: int
    planned: tuple[tuple[date, int], ...] = ()
    label: str = ""


@dataclass(frozen=True)
class ProgressLineInput:
    """The volume realised in one month for one specialism × urgency class of a plan."""

    specialism: str
    urgency_class: int
    realised: int
    label: str = ""
