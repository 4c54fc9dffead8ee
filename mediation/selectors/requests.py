"""Reads for the patient's request form (issue 13): whether the wait the patient describes is
within the Treeknorm, and the locations to choose "where do you wait now?" from.

* **Within the norm** (DESIGN §3.1, §3.3): the patient's expected total wait runs from
  ``waiting_since`` to the appointment they have (``expected_date``), else to ``waiting_since`` +
  the current location's current (non-stale, numeric) figure; a moment already passed counts as
  today (the patient still waits). It is within the norm when it is at most the Treeknorm maximum
  of its kind. Without an appointment and without a usable figure the wait is unknown: no notice.
  The patient is told before sending and may still send (the insurer may help all the same).
* **Locations**: the active ones; those that publish a figure for the chosen specialism first,
  then by distance from the patient's postcode (when known), then by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q

from providers.geography.greatcircle import distance_km
from providers.geography.points import postcode_point
from providers.models import (
    Location,
    Norm,
    Specialism,
    Treatment,
    WaitingTimeKind,
    WaitingTimeSeries,
)
from providers.search.snapshot import search_reference
from providers.waiting_times import rules


@dataclass(frozen=True, slots=True)
class WaitWithinNorm:
    """The patient's expected total wait and the maximum it stays within."""

    total_days: int
    max_days: int
    appointment: date | None  # the patient's own appointment, when the wait is counted to it


def request_wait_within_norm(
    *,
    specialism: Specialism,
    treatment: Treatment | None,
    kind: str,
    current_location: Location,
    waiting_since: date,
    expected_date: date | None,
    today: date,
) -> WaitWithinNorm | None:
    """The wait and its norm when the expected total wait is within the Treeknorm maximum;
    ``None`` when it exceeds it or cannot be known (see the module docstring)."""
    setting = treatment.setting if kind == WaitingTimeKind.TREATMENT and treatment else None
    norm_kind, norm_setting = rules.norm_key(kind=kind, treatment_setting=setting)
    max_days = (
        Norm.objects.filter(kind=norm_kind, setting=norm_setting)
        .values_list("max_days", flat=True)
        .first()
    )
    if max_days is None:
        return None
    if expected_date is not None:
        end = expected_date
    else:
        if kind == WaitingTimeKind.TREATMENT:
            if treatment is None:
                return None
            subject = Q(treatment=treatment)
        else:
            subject = Q(specialism=specialism, treatment__isnull=True)
        figure = (
            WaitingTimeSeries.objects.filter(subject, kind=kind, location=current_location)
            .values_list(
                "current_days", "current_insufficient_observations", "current_reference_date"
            )
            .first()
        )
        if figure is None:
            return None
        days, insufficient, reference_date = figure
        if (
            days is None
            or insufficient
            or rules.is_stale(reference_date=reference_date, today=today)
        ):
            return None
        end = waiting_since + timedelta(days=days)
    total = (max(end, today) - waiting_since).days
    if total > max_days:
        return None
    return WaitWithinNorm(total_days=total, max_days=max_days, appointment=expected_date)


_PC4_START = re.compile(r"\s*([1-9][0-9]{3})")


@dataclass(frozen=True, slots=True)
class LocationChoice:
    code: str
    name: str
    city: str
    provider: str
    offers_specialism: bool
    distance_km: float | None


def request_location_choices(
    *, specialism_code: str = "", postcode: str = ""
) -> list[LocationChoice]:
    """Every active location, for "where do you wait now?": those with a figure for the
    specialism first, then nearest to the postcode (when it is a known one), then by name."""
    # The four digits are enough for a distance: the patient may not have typed the letters yet.
    digits = _PC4_START.match(postcode)
    point = postcode_point(digits.group(1)) if digits else None
    offering: set[int] = set()
    if specialism_code:
        offering = set(
            WaitingTimeSeries.objects.filter(specialism__code=specialism_code)
            .values_list("location_id", flat=True)
            .distinct()
        )
    choices = []
    # The active locations as the search holds them in memory (no query per keystroke).
    for active in search_reference().locations:
        location = active.summary
        distance = None
        if point is not None:
            distance = round(distance_km(*point, location.latitude, location.longitude), 1)
        choices.append(
            LocationChoice(
                code=location.code,
                name=location.name,
                city=location.city,
                provider=location.provider.name,
                offers_specialism=active.pk in offering,
                distance_km=distance,
            )
        )
    choices.sort(
        key=lambda c: (
            not c.offers_specialism if offering else False,
            c.distance_km if c.distance_km is not None else float("inf"),
            c.name.casefold(),
            c.code,
        )
    )
    return choices
