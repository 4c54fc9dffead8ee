"""Matching a waiting patient with locations that can help sooner (DESIGN §3.3, issue 4).

A pure module: plain data in, plain data out, no Django and no database, so that the rules can be
tested exhaustively (hypothesis, against a brute-force oracle) and benchmarked on their own. The
database side (loading the supply of one case) is ``mediation.selectors.matching``.

Remaining wait (DESIGN §3.3, corrected in issue 13), :func:`remaining_wait_days`
    The days from today to the patient's expected moment of care where they wait now
    (:func:`expected_care_date`): their ``expected_date`` (an appointment they already have);
    without one, ``waiting_since`` + the current location's current (non-stale, numeric) wait of
    the case's kind for its specialism/treatment, or + the Treeknorm maximum when that location has
    no such figure. When that moment has already passed, the remaining wait is **unknown**
    (``None``): the patient is overdue without a date. It is never a made-up 0.

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
7. **meaningful gain** — with a known remaining wait: the *expected wait* is shorter than the
   remaining wait by at least the margin (insurer setting, default 14 days), and by at least one
   day whatever the setting: ``days_gained = remaining wait − expected wait ≥ max(margin, 1)``.
   With an unknown remaining wait: the expected wait is within the Treeknorm maximum **and**
   shorter than the current location's published wait (``Need.current_wait_days``, the
   Treeknorm maximum standing in when it has no current figure); ``days_gained`` is then unknown
   (``None``) until the mediator records the patient's appointment date.

Expected wait
    The figure's days, or fewer when a usable capacity offer starts sooner: an offer with slots
    remaining and accepting the urgency class; its date is the first Dutch working day of its week
    that is not before today (:func:`capacity_slot_date`; a week with no such day left is not
    usable), its expected wait the days until then. The earliest such offer is used (ties: the
    lower id) only when it is strictly sooner than the figure.

Total wait and the class-3 window
    The total wait is the days from ``waiting_since`` to the candidate's expected moment of care
    (today + expected wait); it is what the Treeknorm is about. A patient in urgency class 3 must
    be treated within 42 days of ``waiting_since`` (FMS framework): a candidate whose expected
    moment of care falls after that is flagged ``outside_class3_window`` (and says so in its
    reasons). It stays a candidate — the mediator may still need it — but is ranked after every
    candidate inside the window.

Ranking (deterministic, total)
    0. inside the class-3 window before outside it (only class-3 patients have one);
    1. contracted before not contracted — DESIGN §3.3/§3.5: matching *prefers* providers that the
       patient's insurer has contracted for the year; under a natura policy non-contracted care is
       only partly reimbursed, so a contracted alternative that already clears the margin is the
       one to offer first;
    2. more days gained first — for one patient, the same as the shorter expected wait first,
       which also orders candidates whose gain is unknown;
    3. nearer first (by the distance shown, rounded to 0.1 km);
    4. location code (unique) as the final tiebreak.
    Every candidate already gains at least the margin (or, with an unknown remaining wait, is
    within the Treeknorm and sooner than where the patient waits), so putting the contract first
    never proposes a wait that is not meaningfully shorter; the mediator still sees all
    candidates and their reasons, and may choose a non-contracted one that gains much more.

Reasons
    Every candidate explains itself with :class:`Reason` items — a stable ``code`` with JSON-safe
    ``params`` that the web layer renders translated, and an English ``text`` made from them on
    demand (for the API and logs):
    ``days_gained`` (or ``days_gained_unknown``), ``capacity_offer`` or ``published_wait``,
    ``within_norm`` / ``above_norm`` / ``norm_unknown``, ``distance``, ``data_age``, ``contracted``
    / ``not_contracted``, and for class 3 ``class3_window`` / ``outside_class3_window``.

Offer rules, :func:`offer_rule_check`
    The same rules, applied to an offer the mediator makes by hand (DESIGN §3.3): an offer that
    does not shorten the wait is refused; one that breaks another matching rule needs an explicit
    override reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from core.working_days import is_working_day
from providers.geography.greatcircle import distance_km

ZBC = "zbc"
_ONE_DECIMAL = Decimal("0.1")
# FMS framework: urgency class 3 is treated within 6 weeks of waiting_since (DESIGN §3.2/§3.3).
CLASS3 = 3
CLASS3_WINDOW_DAYS = 42


# --- Remaining wait ------------------------------------------------------------------------------
def expected_care_date(
    *,
    waiting_since: date,
    expected_date: date | None,
    current_wait_days: int | None,
    norm_max_days: int | None,
) -> date:
    """The patient's expected moment of care where they wait now (DESIGN §3.3).

    Their appointment (``expected_date``) if they have one; else ``waiting_since`` + the current
    location's current figure ``current_wait_days`` (``None`` when it has none that may be used:
    no series, insufficient observations, or stale), the Treeknorm maximum ``norm_max_days``
    standing in. With neither (no norm in the data, which the reference data prevents), the wait
    is taken to end on ``waiting_since``."""
    if expected_date is not None:
        return expected_date
    wait = current_wait_days if current_wait_days is not None else norm_max_days
    return waiting_since + timedelta(days=wait or 0)


def remaining_wait_days(
    *,
    today: date,
    waiting_since: date,
    expected_date: date | None,
    current_wait_days: int | None,
    norm_max_days: int | None,
) -> int | None:
    """The patient's remaining wait in days (DESIGN §3.3): from today to
    :func:`expected_care_date`; ``None`` (unknown) when that moment has already passed — the
    patient is overdue without a date, which is not the same as "no wait left"."""
    end = expected_care_date(
        waiting_since=waiting_since,
        expected_date=expected_date,
        current_wait_days=current_wait_days,
        norm_max_days=norm_max_days,
    )
    days = (end - today).days
    return None if days < 0 else days


def class3_window_end(waiting_since: date) -> date:
    """The last day on which a class-3 patient should be treated (42 days, FMS framework)."""
    return waiting_since + timedelta(days=CLASS3_WINDOW_DAYS)


def outside_class3_window(*, urgency_class: int, waiting_since: date, care_date: date) -> bool:
    """Whether care on ``care_date`` comes too late for a class-3 patient (never for 4 and 5)."""
    return urgency_class == CLASS3 and care_date > class3_window_end(waiting_since)


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
    # None: unknown (the expected moment of care where the patient waits has passed).
    remaining_wait_days: int | None
    margin_days: int
    today: date
    waiting_since: date
    # The current location's current figure, or the Treeknorm maximum standing in; what a
    # candidate must beat when the remaining wait is unknown.
    current_wait_days: int | None


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
    # Who the current figure comes from (DESIGN §3.8): ``provider`` or ``nza``.
    source: str = "provider"


# --- Output --------------------------------------------------------------------------------------
ReasonParam = int | str | None


# The English text of each reason code, from its parameters (the web layer translates by code).
_REASON_TEXTS: dict[str, str] = {
    "days_gained": "{days} days sooner: expected wait {expected_days} days instead of "
    "{remaining_days} days remaining.",
    "days_gained_unknown": "Days gained unknown: the patient has waited {waited_days} days, past "
    "the expected moment of care where they wait now ({current_wait_days} days), and has no "
    "appointment date; the expected wait here is {expected_days} days. Record the patient's "
    "appointment date to know the gain.",
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
    "class3_window": "Within the class-3 window: care expected {total_wait_days} days after the "
    "patient started waiting (at most 42, until {window_end}).",
    "outside_class3_window": "Outside the class-3 window: care expected {total_wait_days} days "
    "after the patient started waiting; class 3 is treated within 42 days (until {window_end}).",
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
    # None: unknown, because the patient's remaining wait is (see the module docstring).
    days_gained: int | None
    total_wait_days: int
    outside_class3_window: bool
    distance_km: Decimal
    within_norm: bool
    norm_max_days: int | None
    contracted: bool
    reference_date: date
    data_age_days: int
    capacity_offer_id: int | None
    capacity_week_start: date | None
    reasons: tuple[Reason, ...] = field(default=())
    # Who the figure behind expected_days comes from: ``provider`` or ``nza`` (DESIGN §3.8).
    source: str = "provider"

    @property
    def text(self) -> str:
        """The reasons as one English sentence per line."""
        return "\n".join(reason.text for reason in self.reasons)

    @property
    def rank_key(self) -> tuple[bool, bool, int, Decimal, str]:
        """The ranking of the module docstring: class-3 window, contracted, days gained (as the
        expected wait: the same order for one patient, and defined when the gain is unknown),
        distance, code."""
        return (
            self.outside_class3_window,
            not self.contracted,
            self.expected_days,
            self.distance_km,
            self.location_code,
        )


# --- Rules ---------------------------------------------------------------------------------------
def rounded_km(distance: float) -> Decimal:
    """A distance as shown and stored (``Offer.distance_km``): 0.1 km, halves up."""
    return Decimal(distance).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def minimum_gain_days(margin_days: int) -> int:
    """A candidate must gain at least the margin, and at least one day whatever the setting."""
    return max(margin_days, 1)


def capacity_slot_date(week_start: date, *, today: date) -> date | None:
    """The date a capacity offer's slot can be used: the first Dutch working day of its week
    (``week_start`` and the six days after) that is not before today; ``None`` when the week has
    no such day left (over, or only weekend and public holidays remain)."""
    day = max(week_start, today)
    week_end = week_start + timedelta(days=6)
    while day <= week_end:
        if is_working_day(day):
            return day
        day += timedelta(days=1)
    return None


def usable_capacity_offer(
    offers: Iterable[CapacitySlotOffer], *, urgency_class: int, today: date
) -> tuple[CapacitySlotOffer, int] | None:
    """The earliest capacity offer that can take the patient, with its expected wait in days.

    Usable: slots remaining, the urgency class accepted, and a working day of its week still to
    come (:func:`capacity_slot_date`). Expected wait: days until that day. Ties: the lower id."""
    best: tuple[int, date, int, CapacitySlotOffer] | None = None
    for offer in offers:
        if offer.remaining <= 0 or urgency_class not in offer.urgency_classes:
            continue
        slot_date = capacity_slot_date(offer.week_start, today=today)
        if slot_date is None:
            continue
        days = (slot_date - today).days
        key = (days, offer.week_start, offer.id, offer)
        if best is None or key[:3] < best[:3]:
            best = key
    return None if best is None else (best[3], best[0])


def gain_days(*, need: Need, expected_days: int) -> int | None:
    """Days gained by an expected wait: remaining wait − expected wait; unknown (``None``) when
    the remaining wait is."""
    if need.remaining_wait_days is None:
        return None
    return need.remaining_wait_days - expected_days


def sooner_than_current(*, need: Need, expected_days: int) -> bool:
    """Whether an expected wait is shorter than the current location's published wait (the
    Treeknorm maximum standing in): the test of a patient whose remaining wait is unknown."""
    return need.current_wait_days is not None and expected_days < need.current_wait_days


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


def _gain_reason(*, need: Need, expected_days: int, days_gained: int | None) -> Reason:
    if days_gained is None:
        return Reason(
            "days_gained_unknown",
            {
                "waited_days": (need.today - need.waiting_since).days,
                "current_wait_days": need.current_wait_days,
                "expected_days": expected_days,
            },
        )
    return Reason(
        "days_gained",
        {
            "days": days_gained,
            "remaining_days": need.remaining_wait_days,
            "expected_days": expected_days,
        },
    )


def _reasons(
    *,
    need: Need,
    row: Supply,
    expected_days: int,
    days_gained: int | None,
    total_wait_days: int,
    outside_window: bool,
    distance: Decimal,
    within_norm: bool,
    offer: CapacitySlotOffer | None,
    slot_date: date | None,
    data_age_days: int,
) -> tuple[Reason, ...]:
    assert row.reference_date is not None
    if offer is not None:
        assert slot_date is not None
        source = Reason(
            "capacity_offer",
            {
                "capacity_offer_id": offer.id,
                "week_start": offer.week_start.isoformat(),
                "slot_date": slot_date.isoformat(),
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
    reasons = [
        _gain_reason(need=need, expected_days=expected_days, days_gained=days_gained),
        source,
        norm,
        Reason("distance", {"km": str(distance), "max_km": _plain_number(need.max_distance_km)}),
        Reason(
            "data_age",
            {"days": data_age_days, "reference_date": row.reference_date.isoformat()},
        ),
        Reason("contracted" if row.contracted else "not_contracted", {}),
    ]
    if need.urgency_class == CLASS3:
        reasons.append(
            Reason(
                "outside_class3_window" if outside_window else "class3_window",
                {
                    "total_wait_days": total_wait_days,
                    "window_end": class3_window_end(need.waiting_since).isoformat(),
                },
            )
        )
    return tuple(reasons)


def _plain_number(value: float) -> str:
    """``50.0`` → ``"50"``, ``12.5`` → ``"12.5"`` (a distance limit as the patient gave it)."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _eligible_distance(
    need: Need, row: Supply, known_distance: float | None = None
) -> float | None:
    """The exact distance to the row's location when rules 1–6 hold (subject, not the current
    location, current figure, urgency class, clinical constraint, distance); else ``None``.
    ``known_distance``: that distance when the caller measured it already."""
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
    exact_distance = (
        known_distance
        if known_distance is not None
        else distance_km(need.latitude, need.longitude, row.latitude, row.longitude)
    )
    if exact_distance > need.max_distance_km:
        return None
    return exact_distance


@dataclass(frozen=True, slots=True)
class RowOption:
    """One way a supply row can serve a need, with the figures the rules and the ranking use —
    what a :class:`Candidate` is made from (:func:`candidate_from`), without its reasons and
    texts, so that global assignment can weigh many options cheaply."""

    offer: CapacitySlotOffer | None
    expected_days: int
    days_gained: int | None
    within_norm: bool
    outside_class3_window: bool
    exact_distance: float
    distance: Decimal

    @property
    def capacity_offer_id(self) -> int | None:
        return None if self.offer is None else self.offer.id


def _option_at(
    need: Need,
    row: Supply,
    *,
    exact_distance: float,
    offer: CapacitySlotOffer | None,
    expected_days: int,
) -> RowOption | None:
    """The option of ``row`` at an expected wait (the figure's, or a capacity offer's), or
    ``None`` when rule 7 (meaningful gain) excludes it."""
    within_norm = row.norm_max_days is not None and expected_days <= row.norm_max_days
    days_gained = gain_days(need=need, expected_days=expected_days)
    if need.remaining_wait_days is None:
        # Overdue without a date: within the Treeknorm and sooner than where the patient waits.
        if not within_norm or not sooner_than_current(need=need, expected_days=expected_days):
            return None
    elif days_gained is None or days_gained < minimum_gain_days(need.margin_days):
        return None
    outside_window = need.urgency_class == CLASS3 and (
        expected_days + (need.today - need.waiting_since).days > CLASS3_WINDOW_DAYS
    )
    return RowOption(
        offer=offer,
        expected_days=expected_days,
        days_gained=days_gained,
        within_norm=within_norm,
        outside_class3_window=outside_window,
        exact_distance=exact_distance,
        distance=rounded_km(exact_distance),
    )


def candidate_from(need: Need, row: Supply, option: RowOption) -> Candidate:
    """The candidate (with its reasons) of an option of ``row`` for ``need``."""
    assert row.reference_date is not None
    offer = option.offer
    expected_days = option.expected_days
    data_age_days = (need.today - row.reference_date).days
    expected_date = need.today + timedelta(days=expected_days)
    total_wait_days = (expected_date - need.waiting_since).days
    return Candidate(
        location_id=row.location_id,
        location_code=row.location_code,
        location_name=row.location_name,
        city=row.city,
        provider_agb_code=row.provider_agb_code,
        provider_name=row.provider_name,
        provider_kind=row.provider_kind,
        expected_days=expected_days,
        expected_date=expected_date,
        days_gained=option.days_gained,
        total_wait_days=total_wait_days,
        outside_class3_window=option.outside_class3_window,
        distance_km=option.distance,
        within_norm=option.within_norm,
        norm_max_days=row.norm_max_days,
        contracted=row.contracted,
        reference_date=row.reference_date,
        data_age_days=data_age_days,
        capacity_offer_id=offer.id if offer else None,
        capacity_week_start=offer.week_start if offer else None,
        source=row.source,
        reasons=_reasons(
            need=need,
            row=row,
            expected_days=expected_days,
            days_gained=option.days_gained,
            total_wait_days=total_wait_days,
            outside_window=option.outside_class3_window,
            distance=option.distance,
            within_norm=option.within_norm,
            offer=offer,
            slot_date=expected_date if offer is not None else None,
            data_age_days=data_age_days,
        ),
    )


def best_row_option(
    need: Need, row: Supply, *, known_distance: float | None = None
) -> RowOption | None:
    """The option single-case matching shows for ``row``: the earliest usable capacity offer
    when it is strictly sooner than the figure, else the figure; ``None`` when a rule
    excludes it. ``known_distance``: the exact distance from the need's point to the row's
    location (``distance_km`` of the same points) when the caller measured it already."""
    exact_distance = _eligible_distance(need, row, known_distance)
    if exact_distance is None:
        return None
    assert row.current_days is not None
    expected_days = row.current_days
    offer: CapacitySlotOffer | None = None
    usable = usable_capacity_offer(
        row.capacity_offers, urgency_class=need.urgency_class, today=need.today
    )
    if usable is not None and usable[1] < expected_days:
        offer, expected_days = usable
    return _option_at(
        need, row, exact_distance=exact_distance, offer=offer, expected_days=expected_days
    )


def candidate_for(need: Need, row: Supply) -> Candidate | None:
    """The candidate that ``row`` makes for ``need``, or ``None`` when a rule excludes it."""
    option = best_row_option(need, row)
    return None if option is None else candidate_from(need, row, option)


def row_options(need: Need, row: Supply) -> list[RowOption]:
    """Every way ``row`` can serve ``need`` when slots are allocated globally (issue 16,
    ``mediation.assignment``): the published wait (no capacity limit), and each capacity offer
    that :func:`usable_capacity_offer` would accept (slots left, the urgency class, a working
    day of its week to come) and that is strictly sooner than the figure — the same rules as
    :func:`candidate_for`, whose option is the first usable offer of this list or else the
    published wait. Each option passes the gain rule on its own expected wait. Order: the
    published wait first, then the offers by (expected wait, week, id)."""
    exact_distance = _eligible_distance(need, row)
    if exact_distance is None:
        return []
    assert row.current_days is not None
    options: list[RowOption] = []
    published = _option_at(
        need, row, exact_distance=exact_distance, offer=None, expected_days=row.current_days
    )
    if published is not None:
        options.append(published)
    if not row.capacity_offers:
        return options
    usable: list[tuple[int, date, int, CapacitySlotOffer]] = []
    for offer in row.capacity_offers:
        if offer.remaining <= 0 or need.urgency_class not in offer.urgency_classes:
            continue
        slot_date = capacity_slot_date(offer.week_start, today=need.today)
        if slot_date is None:
            continue
        days = (slot_date - need.today).days
        if days < row.current_days:
            usable.append((days, offer.week_start, offer.id, offer))
    usable.sort(key=lambda item: item[:3])
    for days, _week, _id, offer in usable:
        option = _option_at(
            need, row, exact_distance=exact_distance, offer=offer, expected_days=days
        )
        if option is not None:
            options.append(option)
    return options


def candidate_options(need: Need, row: Supply) -> list[Candidate]:
    """The candidates of :func:`row_options`, with their reasons."""
    return [candidate_from(need, row, option) for option in row_options(need, row)]


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


def top_candidates(
    need: Need,
    supply: Iterable[Supply],
    *,
    limit: int,
    distances: Mapping[int, float] | None = None,
) -> list[Candidate]:
    """``match(need, supply)[:limit]`` — the same candidates in the same order — with the
    reasons built only for the candidates kept: the rules and the ranking run on the cheap
    :class:`RowOption` figures first (the proactive scan keeps 3 of often dozens).

    ``distances``: the exact distance (``distance_km`` from the need's point) to locations by
    id that the caller measured already (a location missing from it is measured here)."""
    seen: set[tuple[int, str, str | None, str]] = set()
    ranked: list[tuple[tuple[bool, bool, int, Decimal, str], Supply, RowOption]] = []
    for row in supply:
        key = (row.location_id, row.specialism_code, row.treatment_code, row.kind)
        if key in seen:
            raise ValueError(f"location {row.location_id} has two figures for one subject")
        seen.add(key)
        option = best_row_option(
            need,
            row,
            known_distance=None if distances is None else distances.get(row.location_id),
        )
        if option is not None:
            # Candidate.rank_key, from the figures the candidate is made of.
            rank = (
                option.outside_class3_window,
                not row.contracted,
                option.expected_days,
                option.distance,
                row.location_code,
            )
            ranked.append((rank, row, option))
    ranked.sort(key=lambda item: item[0])
    return [candidate_from(need, row, option) for _rank, row, option in ranked[:limit]]


# --- Offer rules ---------------------------------------------------------------------------------
# The matching rules an offer made by hand can break, each needing the mediator's override reason
# (DESIGN §3.3): in the order they are reported.
GAIN_BELOW_MARGIN = "gain_below_margin"
ABOVE_NORM = "above_norm"
BEYOND_DISTANCE = "beyond_distance"
NO_CURRENT_FIGURE = "no_current_figure"
OUTSIDE_CLASS3_WINDOW = "outside_class3_window"
OFFER_RULES = (
    GAIN_BELOW_MARGIN,
    ABOVE_NORM,
    BEYOND_DISTANCE,
    NO_CURRENT_FIGURE,
    OUTSIDE_CLASS3_WINDOW,
)


@dataclass(frozen=True, slots=True)
class OfferRuleCheck:
    """How an offer (an expected wait at a location) stands against the matching rules.

    ``longer_wait``: the offer does not shorten the patient's wait — refused, whatever the
    reason. ``broken``: the other rules it breaks (codes of :data:`OFFER_RULES`), each allowed
    only with an override reason. ``days_gained``: as on a candidate (``None`` when unknown)."""

    longer_wait: bool
    broken: tuple[str, ...]
    days_gained: int | None
    outside_class3_window: bool
    # The figures the rules were checked with, for the messages.
    remaining_wait_days: int | None
    current_wait_days: int | None
    margin_days: int
    norm_max_days: int | None


def offer_rule_check(
    *,
    today: date,
    waiting_since: date,
    urgency_class: int,
    remaining_wait_days: int | None,
    current_wait_days: int | None,
    margin_days: int,
    max_distance_km: float,
    expected_days: int,
    distance: float | None,
    has_current_figure: bool,
    norm_max_days: int | None,
) -> OfferRuleCheck:
    """The matching rules of :func:`candidate_for` applied to an offer made by hand.

    Refused (``longer_wait``): with a known remaining wait, an expected wait of at least the
    remaining wait; with an unknown one, an expected wait not shorter than the current location's
    published wait (the Treeknorm maximum standing in). Broken, needing an override: a gain below
    the margin; above the Treeknorm maximum while the gain is unknown; beyond the patient's
    distance (exact; not checked when the postcode's area is unknown, ``distance=None``); no
    current figure at the location (none, insufficient observations, or stale); care outside
    the class-3 window. The urgency class and the hospital setting are not here: offering a
    location that does not accept the class, or a ZBC to a patient who needs a hospital, is
    refused outright (``mediation.services.offers``)."""
    if remaining_wait_days is None:
        days_gained = None
        longer = current_wait_days is None or expected_days >= current_wait_days
    else:
        days_gained = remaining_wait_days - expected_days
        longer = days_gained <= 0
    outside_window = outside_class3_window(
        urgency_class=urgency_class,
        waiting_since=waiting_since,
        care_date=today + timedelta(days=expected_days),
    )
    broken: list[str] = []
    if days_gained is not None and 0 < days_gained < minimum_gain_days(margin_days):
        broken.append(GAIN_BELOW_MARGIN)
    if remaining_wait_days is None and (norm_max_days is None or expected_days > norm_max_days):
        broken.append(ABOVE_NORM)
    if distance is not None and distance > max_distance_km:
        broken.append(BEYOND_DISTANCE)
    if not has_current_figure:
        broken.append(NO_CURRENT_FIGURE)
    if outside_window:
        broken.append(OUTSIDE_CLASS3_WINDOW)
    return OfferRuleCheck(
        longer_wait=longer,
        broken=tuple(broken),
        days_gained=days_gained,
        outside_class3_window=outside_window,
        remaining_wait_days=remaining_wait_days,
        current_wait_days=current_wait_days,
        margin_days=margin_days,
        norm_max_days=norm_max_days,
    )
