"""Property tests of the pure matching module (hypothesis), against a brute-force oracle.

The oracle below checks every rule of DESIGN §3.3 / issue 4 on its own, row by row, with plain
loops and its own distance formula (the spherical law of cosines via ``atan2``, not the haversine
of the module), so that a shared mistake is unlikely. The properties: every returned candidate
satisfies every rule and carries the oracle's figures; no eligible location is missing; the order
respects the documented ranking pair by pair; the result does not depend on the order of the
supply; a larger margin or a shorter distance only removes candidates.

Issue 13 adds: an unknown remaining wait (``None``, overdue without a date) with its own
eligibility (within the Treeknorm, shorter than the current published wait) and unknown gains;
the class-3 window (marked, ranked last); capacity slots dated on the first Dutch working day of
their week not before today (the oracle reads the holiday calendar itself, day by day).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

import holidays
from hypothesis import assume, given, settings, target
from hypothesis import strategies as st

from mediation.matching import (
    Candidate,
    CapacitySlotOffer,
    Need,
    Supply,
    capacity_slot_date,
    match,
    offer_rule_check,
    remaining_wait_days,
    top_candidates,
)
from providers.geography.greatcircle import distance_km

SUBJECTS = [
    ("0305", None, "first_visit"),
    ("0305", None, "diagnostics"),
    ("0305", "knee", "treatment"),
    ("0301", None, "first_visit"),
]
KINDS = ["umc", "hospital", "zbc"]
BASE_DAY = date(2026, 1, 5)
RADIUS_KM = 6371.0088  # the mean Earth radius (IUGG) of providers/geography/greatcircle.py

# --- Strategies ----------------------------------------------------------------------------------
# Biased towards eligible rows, so that most worlds have several candidates (and ties to rank),
# while every rule still excludes a share of the rows.
days_ahead = st.integers(min_value=0, max_value=360)
today_strategy = st.builds(lambda n: BASE_DAY + timedelta(days=n), days_ahead)
rarely = st.sampled_from([False] * 11 + [True])
classes = st.one_of(
    st.just((1, 2, 3, 4, 5)),
    st.just((3, 4, 5)),
    st.frozensets(st.integers(min_value=1, max_value=5)).map(lambda s: tuple(sorted(s))),
)
# Round waits make equal days gained; any wait up to 200 days otherwise.
waits = st.one_of(st.sampled_from([0, 5, 10, 20, 28, 40]), st.integers(min_value=0, max_value=200))
# A few fixed offsets (shared positions give equal distances) or anywhere around the patient.
GRID = [(0.0, 0.0), (0.1, 0.1), (-0.2, 0.15), (0.3, -0.4), (-0.1, -0.1)]
offsets = st.one_of(
    st.sampled_from(GRID),
    st.tuples(st.floats(min_value=-0.6, max_value=0.6), st.floats(min_value=-0.9, max_value=0.9)),
)


@st.composite
def needs(draw) -> Need:
    specialism, treatment, kind = draw(st.sampled_from(SUBJECTS))
    today = draw(today_strategy)
    return Need(
        specialism_code=specialism,
        treatment_code=treatment,
        kind=kind,
        urgency_class=draw(st.integers(min_value=3, max_value=5)),
        latitude=draw(st.floats(min_value=50.75, max_value=53.5)),
        longitude=draw(st.floats(min_value=3.4, max_value=7.2)),
        max_distance_km=draw(
            st.one_of(
                st.sampled_from([25.0, 50.0, 100.0]),
                st.integers(min_value=1, max_value=150).map(float),
                st.floats(min_value=0.5, max_value=150.0),
            )
        ),
        hospital_setting_required=draw(st.booleans()),
        current_location_id=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=20))),
        insurer_id=1,
        remaining_wait_days=draw(
            st.one_of(
                st.sampled_from([20, 28, 40, 60, 90, 120]),
                st.integers(min_value=0, max_value=200),
                st.none(),  # overdue without a date
            )
        ),
        margin_days=draw(st.sampled_from([0, 1, 7, 14, 14, 14, 21, 30])),
        today=today,
        waiting_since=today - timedelta(days=draw(st.integers(min_value=0, max_value=400))),
        current_wait_days=draw(
            st.one_of(st.sampled_from([28, 42, 57, 90]), st.integers(0, 200), st.none())
        ),
    )


@st.composite
def supplies(draw, need: Need) -> list[Supply]:
    ids = draw(st.lists(st.integers(min_value=1, max_value=20), unique=True, max_size=16))
    monday = need.today - timedelta(days=need.today.weekday())
    rows = []
    for location_id in ids:
        # Most rows are of the need's subject, the others of any subject.
        subject = (
            draw(st.sampled_from(SUBJECTS))
            if draw(rarely)
            else (need.specialism_code, need.treatment_code, need.kind)
        )
        offers = tuple(
            CapacitySlotOffer(
                id=location_id * 10 + n,
                # A Monday, as in the data, or any day (to hit the end of a week exactly).
                week_start=draw(
                    st.one_of(
                        st.integers(min_value=-2, max_value=8).map(
                            lambda w: monday + timedelta(weeks=w)
                        ),
                        st.integers(min_value=-9, max_value=40).map(
                            lambda d: need.today + timedelta(days=d)
                        ),
                    )
                ),
                remaining=draw(st.integers(min_value=0, max_value=3)),
                urgency_classes=draw(classes),
            )
            for n in range(draw(st.integers(min_value=0, max_value=3)))
        )
        reference_date = (
            None
            if draw(rarely)
            else need.today - timedelta(days=draw(st.integers(min_value=0, max_value=40)))
        )
        d_lat, d_lon = draw(offsets)
        rows.append(
            Supply(
                location_id=location_id,
                # Codes not in the order of the ids, so the tiebreak is not the input order.
                location_code=f"{70_000_000 + (location_id * 7919) % 1000:08d}{location_id:02d}",
                location_name=f"Locatie {location_id}",
                city="Ergens",
                provider_agb_code=f"{60_000_000 + location_id:08d}",
                provider_name=f"Aanbieder {location_id}",
                provider_kind=draw(st.sampled_from(KINDS)),
                latitude=need.latitude + d_lat,
                longitude=need.longitude + d_lon,
                accepted_urgency_classes=draw(classes),
                specialism_code=subject[0],
                treatment_code=subject[1],
                kind=subject[2],
                current_days=None if draw(rarely) else draw(waits),
                insufficient_observations=draw(rarely),
                reference_date=reference_date,
                stale=reference_date is None or draw(rarely),
                norm_max_days=None if draw(rarely) else draw(st.sampled_from([28, 42, 49])),
                contracted=draw(st.booleans()),
                capacity_offers=offers,
            )
        )
    return rows


@st.composite
def worlds(draw) -> tuple[Need, list[Supply]]:
    need = draw(needs())
    supply = draw(supplies(need))
    if supply and draw(st.booleans()):
        # Put the distance limit within a kilometre of some location: the edge is tested.
        row = draw(st.sampled_from(supply))
        limit = oracle_distance(need, row) + draw(st.floats(min_value=-0.9, max_value=0.9))
        need = dataclasses.replace(need, max_distance_km=max(0.5, limit))
    return need, supply


# --- The oracle ----------------------------------------------------------------------------------
def oracle_distance(need: Need, row: Supply) -> float:
    return oracle_distance_between(need.latitude, need.longitude, row.latitude, row.longitude)


def oracle_distance_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Spherical law of cosines, written with atan2 (well-conditioned at short distances)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    east = math.cos(p2) * math.sin(dl)
    north = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    y = math.hypot(east, north)
    x = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return RADIUS_KM * math.atan2(y, x)


def oracle_working_day(day: date) -> bool:
    return day.weekday() not in (5, 6) and day not in holidays.Netherlands(years=day.year)


def oracle_slot_date(week_start: date, today: date) -> date | None:
    """The seven days of the week, one by one: the first working day that is today or later."""
    for offset in range(7):
        day = week_start + timedelta(days=offset)
        if day >= today and oracle_working_day(day):
            return day
    return None


def oracle_expected(need: Need, row: Supply) -> tuple[int, int | None]:
    """(expected days, capacity offer id used or None)."""
    best_days, best_offer = row.current_days, None
    usable = []
    for offer in row.capacity_offers:
        slot = oracle_slot_date(offer.week_start, need.today)
        if offer.remaining >= 1 and need.urgency_class in offer.urgency_classes and slot:
            usable.append(((slot - need.today).days, offer.week_start, offer.id))
    if usable:
        usable.sort()
        days, _week, offer_id = usable[0]
        assert best_days is not None
        if days < best_days:
            best_days, best_offer = days, offer_id
    assert best_days is not None
    return best_days, best_offer


def oracle_eligible(need: Need, row: Supply) -> bool:
    if (row.specialism_code, row.treatment_code, row.kind) != (
        need.specialism_code,
        need.treatment_code,
        need.kind,
    ):
        return False
    if row.location_id == need.current_location_id:
        return False
    if row.current_days is None or row.insufficient_observations or row.stale:
        return False
    if row.reference_date is None:
        return False
    if need.urgency_class not in row.accepted_urgency_classes:
        return False
    if need.hospital_setting_required and row.provider_kind == "zbc":
        return False
    if oracle_distance(need, row) > need.max_distance_km:
        return False
    expected, _offer = oracle_expected(need, row)
    if need.remaining_wait_days is None:
        return (
            row.norm_max_days is not None
            and expected <= row.norm_max_days
            and need.current_wait_days is not None
            and expected < need.current_wait_days
        )
    gain = need.remaining_wait_days - expected
    return gain > 0 and gain >= need.margin_days


def oracle_outside_window(need: Need, expected_days: int) -> bool:
    """Class 3: care later than 6 weeks (42 days) after waiting_since."""
    care = need.today + timedelta(days=expected_days)
    return need.urgency_class == 3 and (care - need.waiting_since).days > 6 * 7


def near_a_boundary(need: Need, supply: list[Supply]) -> bool:
    """Whether a row's distance is within floating-point noise of the limit, where two correct
    formulas may disagree."""
    return any(abs(oracle_distance(need, row) - need.max_distance_km) < 1e-6 for row in supply)


def ranked_before(a: Candidate, b: Candidate) -> bool:
    """Whether ``a`` may come before ``b`` (documented ranking, spelled out)."""
    if a.outside_class3_window != b.outside_class3_window:
        return not a.outside_class3_window
    if a.contracted != b.contracted:
        return a.contracted
    if a.days_gained is not None and b.days_gained is not None:
        if a.days_gained != b.days_gained:
            return a.days_gained > b.days_gained
    elif a.expected_days != b.expected_days:  # both unknown (one need): the shorter wait
        return a.expected_days < b.expected_days
    if a.distance_km != b.distance_km:
        return a.distance_km < b.distance_km
    return a.location_code < b.location_code


# --- Properties ----------------------------------------------------------------------------------
@settings(max_examples=200)
@given(worlds())
def test_exactly_the_eligible_locations_with_the_oracles_figures(world):
    need, supply = world
    assume(not near_a_boundary(need, supply))
    candidates = match(need, supply)
    by_id = {row.location_id: row for row in supply}

    expected_ids = {row.location_id for row in supply if oracle_eligible(need, row)}
    assert {c.location_id for c in candidates} == expected_ids  # sound and complete
    assert len(candidates) == len(expected_ids)  # each location once

    for candidate in candidates:
        row = by_id[candidate.location_id]
        expected_days, offer_id = oracle_expected(need, row)
        assert candidate.expected_days == expected_days
        assert candidate.capacity_offer_id == offer_id
        assert candidate.expected_date == need.today + timedelta(days=expected_days)
        if need.remaining_wait_days is None:
            assert candidate.days_gained is None  # never made up
        else:
            assert candidate.days_gained == need.remaining_wait_days - expected_days
            assert candidate.days_gained >= max(1, need.margin_days)
        assert candidate.total_wait_days == (candidate.expected_date - need.waiting_since).days
        assert candidate.outside_class3_window is oracle_outside_window(need, expected_days)
        assert candidate.contracted is row.contracted
        assert candidate.within_norm is (
            row.norm_max_days is not None and expected_days <= row.norm_max_days
        )
        assert row.reference_date is not None
        assert candidate.data_age_days == (need.today - row.reference_date).days
        exact = oracle_distance(need, row)
        assert abs(float(candidate.distance_km) - exact) <= 0.05 + 1e-9
        assert candidate.distance_km.as_tuple().exponent == -1  # shown to one decimal
        if abs(exact * 10 % 1 - 0.5) > 1e-6:  # not on a half tenth, where formulas may differ
            assert candidate.distance_km == Decimal(exact).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
        assert len(candidate.text.splitlines()) == len(candidate.reasons)
        assert len(candidate.reasons) == (7 if need.urgency_class == 3 else 6)
        codes = [reason.code for reason in candidate.reasons]
        assert codes[0] == (
            "days_gained_unknown" if need.remaining_wait_days is None else "days_gained"
        )
        if need.urgency_class == 3:
            assert codes[-1] == (
                "outside_class3_window" if candidate.outside_class3_window else "class3_window"
            )
        assert ("capacity_offer" in codes) is (offer_id is not None)
        assert ("contracted" in codes) is row.contracted


@settings(max_examples=150)
@given(worlds())
def test_the_order_respects_the_ranking(world):
    need, supply = world
    candidates = match(need, supply)
    target(float(len(candidates)))  # steer towards worlds with many candidates to order
    for earlier, later in pairwise(candidates):
        assert ranked_before(earlier, later), (earlier, later)


@settings(max_examples=100)
@given(worlds(), st.randoms(use_true_random=False))
def test_the_order_of_the_supply_does_not_matter(world, random):
    need, supply = world
    shuffled = list(supply)
    random.shuffle(shuffled)
    assert match(need, shuffled) == match(need, supply)


@settings(max_examples=100)
@given(worlds(), st.integers(min_value=0, max_value=60))
def test_a_larger_margin_only_removes_candidates(world, extra):
    need, supply = world
    stricter = dataclasses.replace(need, margin_days=need.margin_days + extra)
    loose = match(need, supply)
    strict = match(stricter, supply)
    assert [c for c in loose if c.location_id in {s.location_id for s in strict}] == strict


@settings(max_examples=100)
@given(worlds(), st.floats(min_value=0.0, max_value=1.0))
def test_a_shorter_distance_only_removes_candidates(world, share):
    need, supply = world
    nearer = dataclasses.replace(need, max_distance_km=need.max_distance_km * share)
    far = [c.location_id for c in match(need, supply)]
    near = [c.location_id for c in match(nearer, supply)]
    assert [pk for pk in far if pk in set(near)] == near


@given(
    today=today_strategy,
    since=st.integers(min_value=0, max_value=400),
    expected_in=st.one_of(st.none(), st.integers(min_value=-30, max_value=400)),
    current=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    norm=st.one_of(st.none(), st.sampled_from([28, 42, 49])),
)
def test_remaining_wait(today, since, expected_in, current, norm):
    waiting_since = today - timedelta(days=since)
    expected_date = None if expected_in is None else today + timedelta(days=expected_in)
    days = remaining_wait_days(
        today=today,
        waiting_since=waiting_since,
        expected_date=expected_date,
        current_wait_days=current,
        norm_max_days=norm,
    )
    # Never a made-up 0: a moment that has passed is unknown.
    assert days is None or days >= 0
    if expected_date is not None:
        # The patient's own appointment decides; the figures do not matter.
        assert days == (expected_in if expected_in >= 0 else None)
    else:
        wait = current if current is not None else (norm or 0)
        assert days == (wait - since if wait >= since else None)
        # A longer current wait never shortens the remaining wait.
        if current is not None and days is not None:
            assert (
                remaining_wait_days(
                    today=today,
                    waiting_since=waiting_since,
                    expected_date=None,
                    current_wait_days=current + 1,
                    norm_max_days=norm,
                )
                >= days
            )


@settings(max_examples=100)
@given(worlds())
def test_the_class3_window_only_reorders(world):
    """The window marks and ranks; it never removes a candidate: a class-3 patient gets the same
    locations as a class-4 patient would at locations accepting both (and capacity for both)."""
    need, supply = world
    both = [
        dataclasses.replace(
            row,
            accepted_urgency_classes=(3, 4),
            capacity_offers=tuple(
                dataclasses.replace(offer, urgency_classes=(3, 4)) for offer in row.capacity_offers
            ),
        )
        for row in supply
    ]
    as3 = match(dataclasses.replace(need, urgency_class=3), both)
    as4 = match(dataclasses.replace(need, urgency_class=4), both)
    assert {c.location_id for c in as3} == {c.location_id for c in as4}
    assert not any(c.outside_class3_window for c in as4)
    flags = [c.outside_class3_window for c in as3]
    assert flags == sorted(flags)  # every inside one before every outside one


@settings(max_examples=100)
@given(worlds())
def test_every_candidate_passes_the_offer_rules(world):
    """The offer rules are the matching rules: offering a candidate as proposed is never refused
    and needs an override only for the class-3 window (which matching marks, not excludes)."""
    need, supply = world
    by_id = {row.location_id: row for row in supply}
    for candidate in match(need, supply):
        result = offer_rule_check(
            today=need.today,
            waiting_since=need.waiting_since,
            urgency_class=need.urgency_class,
            remaining_wait_days=need.remaining_wait_days,
            current_wait_days=need.current_wait_days,
            margin_days=need.margin_days,
            max_distance_km=need.max_distance_km,
            expected_days=candidate.expected_days,
            distance=oracle_distance(need, by_id[candidate.location_id]) - 1e-9,
            has_current_figure=True,
            norm_max_days=candidate.norm_max_days,
        )
        assert result.longer_wait is False
        assert result.days_gained == candidate.days_gained
        assert result.broken == (
            ("outside_class3_window",) if candidate.outside_class3_window else ()
        )


@given(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2031, 12, 31)),
    st.integers(min_value=-10, max_value=10),
)
def test_the_capacity_slot_date_is_the_oracles(week_start, today_offset):
    today = week_start + timedelta(days=today_offset)
    found = capacity_slot_date(week_start, today=today)
    assert found == oracle_slot_date(week_start, today)
    if found is not None:
        assert week_start <= found <= week_start + timedelta(days=6)
        assert found >= today
        assert oracle_working_day(found)


@given(
    st.floats(min_value=50.75, max_value=53.5),
    st.floats(min_value=3.4, max_value=7.2),
    st.floats(min_value=50.75, max_value=53.5),
    st.floats(min_value=3.4, max_value=7.2),
)
def test_the_distance_is_the_oracles_great_circle(lat1, lon1, lat2, lon2):
    from mediation.matching import distance_km

    expected = oracle_distance_between(lat1, lon1, lat2, lon2)
    assert abs(distance_km(lat1, lon1, lat2, lon2) - expected) <= 1e-6  # a millimetre
    assert abs(distance_km(lat2, lon2, lat1, lon1) - expected) <= 1e-6


@given(worlds(), st.integers(min_value=0, max_value=5), st.booleans())
def test_the_top_candidates_are_the_first_of_the_full_match(world, limit, measured):
    """The proactive scan's shortcut (reasons only for the candidates kept, distances measured
    once per PC4 area) proposes exactly what single-case matching ranks first."""
    need, supply = world
    distances = (
        {
            row.location_id: distance_km(need.latitude, need.longitude, row.latitude, row.longitude)
            for row in supply
        }
        if measured
        else None
    )
    found = top_candidates(need, supply, limit=limit, distances=distances)
    assert found == match(need, supply)[:limit]
    assert [c.reasons for c in found] == [c.reasons for c in match(need, supply)[:limit]]
