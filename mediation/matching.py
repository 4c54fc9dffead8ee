"""Matching a waiting patient with locations that can help sooner (DESIGN §3.3, issue 4).

A pure module: plain data in, plain data out, no Django and no database, so that the rules can be
tested exhaustively (hypothesis, against a brute-force oracle) and benchmarked on their own. The
database side (loading the supply of one case) is ``mediation.selectors.matching``.

Remaining wait (DESIGN §3.3), :func:`remaining_wait_days`
    The days from today to the patient's ``expected_date`` (an appointment they already have);
    without one, to ``waiting_since`` + the current location's current (non-stale, numeric) wait of
    the case's kind for its specialism/treatment, or + the Treeknorm maximum when that location has
    no such figure. Never below 0.

Eligibility, :func:`match` — a supply row (one location's current figure for the need's
specialism/treatment and kind) becomes a candidate only when every rule holds:

1. **subject** — the row is for the need's specialism, treatment (``None`` for first visits and
   diagnostics) and kind;
2. **not the current location** — the patient already waits there;
3. **current figure** — the row has a number (not *insufficient observations*) and is not stale
   (peildatum more than 28 days old, ``providers.waiting_times.rules.is_stale``); a stale figure
   is never used as if it were current, and a capacity offer does not stand in for a missing
   figure;
4. **urgency class** — the location currently accepts the patient's urgency class (scale-down,
   DESIGN §3.2);
5. **clinical constraint** — ``hospital_setting_required`` excludes ZBCs (independent treatment
   centres); UMCs and hospitals remain;
6. **distance** — the great-circle distance from the patient's PC4 point is at most
   ``max_distance_km`` (exact, before rounding; ``providers.geography.greatcircle.distance_km``,
   the function the waiting-time search measures with, pure Python like this module);
7. **meaningful gain** — the *expected wait* is shorter than the remaining wait by at least the
   margin (insurer setting, default 14 days), and by at least one day whatever the setting:
   ``days_gained = remaining wait − expected wait ≥ max(margin, 1)``.

Expected wait
    The figure's days, or fewer when a usable capacity offer starts sooner: an offer with slots
    remaining, accepting the urgency class, for a week not yet over; its expected wait is the days
    until that week's Monday, not before today (0 for the current week). The earliest such offer
    is used (ties: the lower id) only when it is strictly sooner than the figure.

Ranking (deterministic, total)
    1. contracted before not contracted — DESIGN §3.3/§3.5: matching *prefers* providers that the
       patient's insurer has contracted for the year; under a natura policy non-contracted care is
       only partly reimbursed, so a contracted alternative that already clears the margin is the
       one to offer first;
    2. more days gained first;
    3. nearer first (by the distance shown, rounded to 0.1 km);
    4. location code (unique) as the final tiebreak.
    Every candidate already gains at least the margin, so putting the contract first never proposes
    a wait that is not meaningfully shorter; the mediator still sees all candidates and their
    reasons, and may choose a non-contracted one that gains much more.

Reasons
    Every candidate explains itself with :class:`Reason` items — a stable ``code`` with JSON-safe
    ``params`` that the web layer renders translated, and an English ``text`` made from them on
    demand (for the API and logs):
    ``days_gained``, ``capacity_offer`` or ``published_wait``, ``within_norm`` / ``above_norm`` /
    ``norm_unknown``, ``distance``, ``data_age``, ``contracted`` / ``not_contracted``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from providers.geography.greatcircle import distance_km

ZBC = "zbc"
_ONE_DECIMAL = Decimal("0.1")


# --- Remaining wait ------------------------------------------------------------------------------
def remaining_wait_days(
    *,
    today: date,
    waiting_since: date,
    expected_date: date | None,
    current_wait_days: int | None,
    norm_max_days: int | None,
) -> int:
    """The patient's remaining wait in days (DESIGN §3.3), never below 0.

    ``current_wait_days`` is the current location's current figure for the case's subject and
    kind, or ``None`` when it has none that may be used (no series, insufficient observations, or
    stale); then the Treeknorm maximum ``norm_max_days`` stands in. With neither (no norm in the
    data, which the reference data prevents), the wait is taken to end on ``waiting_since``.
    """
    if expected_date is not None:
        end = expected_date
    else:
        wait = current_wait_days if current_wait_days is not None else norm_max_days
        end = waiting_since + timedelta(days=wait or 0)
    return max(0, (end - today).days)


# --- Input ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Need:
    """What the patient waits for, and where and how far they can go."""

    specialism_code: str
    treatment_code: str | None
    kind: str
    urgency_class: int
    latitude: float
    longitude: float
    max_distance_km: float
    hospital_setting_required: bool
    current_location_id: int | None
    insurer_id: int
    remaining_wait_days: int
    margin_days: int
    today: date


@dataclass(frozen=True, slots=True)
class CapacitySlotOffer:
    """A provider's capacity offer for one week (``providers.CapacityOffer``) as matching sees
    it: ``remaining`` = slots not yet reserved."""

    id: int
    week_start: date
    remaining: int
    urgency_classes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Supply:
    """One location's current figure for one specialism/treatment and kind, with what matching
    needs to know about the location, its provider, the norm and the patient's insurer."""

    location_id: int
    location_code: str
    location_name: str
    city: str
    provider_agb_code: str
    provider_name: str
    provider_kind: str
    latitude: float
    longitude: float
    accepted_urgency_classes: tuple[int, ...]
    specialism_code: str
    treatment_code: str | None
    kind: str
    current_days: int | None
    insufficient_observations: bool
    reference_date: date | None
    stale: bool
    norm_max_days: int | None
    contracted: bool
    capacity_offers: tuple[CapacitySlotOffer, ...] = ()


# --- Output --------------------------------------------------------------------------------------
ReasonParam = int | str | None


# The English text of each reason code, from its parameters (the web layer translates by code).
_REASON_TEXTS: dict[str, str] = {
    "days_gained": "{days} days sooner: expected wait {expected_days} days instead of "
    "{remaining_days} days remaining.",
    "capacity_offer": "Free capacity in the week of {week_start} ({remaining} slots left); "
    "the published wait is {published_days} days.",
    "published_wait": "Published wait {days} days.",
    "within_norm": "Expected wait {days} days is within the Treeknorm maximum of "
    "{norm_max_days} days.",
    "above_norm": "Expected wait {days} days is above the Treeknorm maximum of "
    "{norm_max_days} days.",
    "norm_unknown": "No Treeknorm is known for this wait.",
    "distance": "{km} km away (the patient travels up to {max_km} km).",
    "data_age": "Figure of {reference_date}, {days} days old.",
    "contracted": "Contracted by the insurer this year.",
    "not_contracted": "Not contracted by the insurer this year.",
}
REASON_CODES = tuple(_REASON_TEXTS)


@dataclass(frozen=True, slots=True)
class Reason:
    """One line of a candidate's explanation: a stable ``code`` (one of :data:`REASON_CODES`)
    with JSON-safe ``params``, and its English ``text``."""

    code: str
    params: Mapping[str, ReasonParam]

    @property
    def text(self) -> str:
        return _REASON_TEXTS[self.code].format(**self.params)

    def as_dict(self) -> dict[str, ReasonParam]:
        """``{"code": …, **params}``, e.g. ``{"code": "days_gained", "days": 41, …}``."""
        return {"code": self.code, **self.params}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A location proposed for the patient, with its expected wait and its reasons."""

    location_id: int
    location_code: str
    location_name: str
    city: str
    provider_agb_code: str
    provider_name: str
    provider_kind: str
    expected_days: int
    expected_date: date
    days_gained: int
    distance_km: Decimal
    within_norm: bool
    norm_max_days: int | None
    contracted: bool
    reference_date: date
    data_age_days: int
    capacity_offer_id: int | None
    capacity_week_start: date | None
    reasons: tuple[Reason, ...] = field(default=())

    @property
    def text(self) -> str:
        """The reasons as one English sentence per line."""
        return "\n".join(reason.text for reason in self.reasons)

    @property
    def rank_key(self) -> tuple[bool, int, Decimal, str]:
        """The ranking of the module docstring: contracted, days gained, distance, code."""
        return (not self.contracted, -self.days_gained, self.distance_km, self.location_code)


# --- Rules ---------------------------------------------------------------------------------------
def rounded_km(distance: float) -> Decimal:
    """A distance as shown and stored (``Offer.distance_km``): 0.1 km, halves up."""
    return Decimal(distance).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def minimum_gain_days(margin_days: int) -> int:
    """A candidate must gain at least the margin, and at least one day whatever the setting."""
    return max(margin_days, 1)


def usable_capacity_offer(
    offers: Iterable[CapacitySlotOffer], *, urgency_class: int, today: date
) -> tuple[CapacitySlotOffer, int] | None:
    """The earliest capacity offer that can take the patient, with its expected wait in days.

    Usable: slots remaining, the urgency class accepted, and the week not over yet (an offer for
    the current week still has days to come). Expected wait: days until the week's Monday, not
    before today. Ties: the lower id."""
    best: tuple[int, date, int, CapacitySlotOffer] | None = None
    for offer in offers:
        if offer.remaining <= 0 or urgency_class not in offer.urgency_classes:
            continue
        if offer.week_start + timedelta(days=7) <= today:
            continue
        days = max(0, (offer.week_start - today).days)
        key = (days, offer.week_start, offer.id, offer)
        if best is None or key[:3] < best[:3]:
            best = key
    return None if best is None else (best[3], best[0])


def _is_subject(row: Supply, need: Need) -> bool:
    return (
        row.specialism_code == need.specialism_code
        and row.treatment_code == need.treatment_code
        and row.kind == need.kind
    )


def _has_current_figure(row: Supply) -> bool:
    return (
        row.current_days is not None
        and not row.insufficient_observations
        and not row.stale
        and row.reference_date is not None
    )


def _reasons(
    *,
    need: Need,
    row: Supply,
    expected_days: int,
    days_gained: int,
    distance: Decimal,
    within_norm: bool,
    offer: CapacitySlotOffer | None,
    data_age_days: int,
) -> tuple[Reason, ...]:
    assert row.reference_date is not None
    if offer is not None:
        source = Reason(
            "capacity_offer",
            {
                "capacity_offer_id": offer.id,
                "week_start": offer.week_start.isoformat(),
                "remaining": offer.remaining,
                "published_days": row.current_days,
            },
        )
    else:
        source = Reason("published_wait", {"days": row.current_days})
    if row.norm_max_days is None:
        norm = Reason("norm_unknown", {})
    else:
        norm = Reason(
            "within_norm" if within_norm else "above_norm",
            {"days": expected_days, "norm_max_days": row.norm_max_days},
        )
    return (
        Reason(
            "days_gained",
            {
                "days": days_gained,
                "remaining_days": need.remaining_wait_days,
                "expected_days": expected_days,
            },
        ),
        source,
        norm,
        Reason("distance", {"km": str(distance), "max_km": _plain_number(need.max_distance_km)}),
        Reason(
            "data_age",
            {"days": data_age_days, "reference_date": row.reference_date.isoformat()},
        ),
        Reason("contracted" if row.contracted else "not_contracted", {}),
    )


def _plain_number(value: float) -> str:
    """``50.0`` → ``"50"``, ``12.5`` → ``"12.5"`` (a distance limit as the patient gave it)."""
    return str(int(value)) if float(value).is_integer() else str(value)


def candidate_for(need: Need, row: Supply) -> Candidate | None:
    """The candidate that ``row`` makes for ``need``, or ``None`` when a rule excludes it."""
    if not _is_subject(row, need):
        return None
    if need.current_location_id is not None and row.location_id == need.current_location_id:
        return None
    if not _has_current_figure(row):
        return None
    if need.urgency_class not in row.accepted_urgency_classes:
        return None
    if need.hospital_setting_required and row.provider_kind == ZBC:
        return None
    exact_distance = distance_km(need.latitude, need.longitude, row.latitude, row.longitude)
    if exact_distance > need.max_distance_km:
        return None

    assert row.current_days is not None and row.reference_date is not None
    expected_days = row.current_days
    offer: CapacitySlotOffer | None = None
    usable = usable_capacity_offer(
        row.capacity_offers, urgency_class=need.urgency_class, today=need.today
    )
    if usable is not None and usable[1] < expected_days:
        offer, expected_days = usable
    days_gained = need.remaining_wait_days - expected_days
    if days_gained < minimum_gain_days(need.margin_days):
        return None

    distance = rounded_km(exact_distance)
    within_norm = row.norm_max_days is not None and expected_days <= row.norm_max_days
    data_age_days = (need.today - row.reference_date).days
    return Candidate(
        location_id=row.location_id,
        location_code=row.location_code,
        location_name=row.location_name,
        city=row.city,
        provider_agb_code=row.provider_agb_code,
        provider_name=row.provider_name,
        provider_kind=row.provider_kind,
        expected_days=expected_days,
        expected_date=need.today + timedelta(days=expected_days),
        days_gained=days_gained,
        distance_km=distance,
        within_norm=within_norm,
        norm_max_days=row.norm_max_days,
        contracted=row.contracted,
        reference_date=row.reference_date,
        data_age_days=data_age_days,
        capacity_offer_id=offer.id if offer else None,
        capacity_week_start=offer.week_start if offer else None,
        reasons=_reasons(
            need=need,
            row=row,
            expected_days=expected_days,
            days_gained=days_gained,
            distance=distance,
            within_norm=within_norm,
            offer=offer,
            data_age_days=data_age_days,
        ),
    )


def match(need: Need, supply: Iterable[Supply]) -> list[Candidate]:
    """The ranked candidates for ``need`` among ``supply`` (see the module docstring).

    The result depends only on the set of rows, not on their order. A location has one figure
    per subject and kind, so a repeated (location, specialism, treatment, kind) is a
    ``ValueError``.
    """
    seen: set[tuple[int, str, str | None, str]] = set()
    candidates: list[Candidate] = []
    for row in supply:
        key = (row.location_id, row.specialism_code, row.treatment_code, row.kind)
        if key in seen:
            raise ValueError(f"location {row.location_id} has two figures for one subject")
        seen.add(key)
        candidate = candidate_for(need, row)
        if candidate is not None:
            candidates.append(candidate)
    candidates.sort(key=lambda candidate: candidate.rank_key)
    return candidates
