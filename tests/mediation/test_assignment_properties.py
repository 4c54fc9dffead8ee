"""Property tests of the pure assignment solver (issue 16), against a brute-force oracle.

The oracle enumerates every assignment of a tiny instance (≤ 6 cases, ≤ 4 supply rows): each
case takes nothing, or one of its options (``matching.candidate_options`` of every row — the
single-case rules), subject to the slots left on each capacity offer; it scores each assignment
with its own code for the lexicographic objective of DESIGN §3.7 as a tuple, and keeps the best.
The exhaustive search memoises on (case, slots left), which enumerates the same set of
assignments. The solver must reach the same optimum. On larger random instances: no capacity
offer over its slots, every proposal is an option that the rules allow, the solver never does
worse than the greedy baseline, and two solves give the same proposals.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediation import assignment
from mediation.assignment import AssignmentCase, greedy, objective, solve
from mediation.matching import CapacitySlotOffer, Need, Supply, candidate_for, candidate_options

TODAY = date(2026, 3, 2)  # a Monday
SUBJECTS = [("0305", None, "first_visit"), ("0301", None, "first_visit")]


@st.composite
def supply_rows(draw, *, count: int, offer_ids: list[int]) -> list[Supply]:
    rows = []
    for number in range(count):
        subject = SUBJECTS[0] if number or draw(st.booleans()) else SUBJECTS[1]
        offers = []
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            offer_ids.append(len(offer_ids) + 1)
            offers.append(
                CapacitySlotOffer(
                    id=offer_ids[-1],
                    week_start=TODAY + timedelta(weeks=draw(st.integers(0, 4))),
                    remaining=draw(st.integers(0, 2)),
                    urgency_classes=draw(st.sampled_from([(3, 4, 5), (3,), (4, 5)])),
                )
            )
        rows.append(
            Supply(
                location_id=100 + number,
                location_code=f"L{number}",
                location_name=f"Location {number}",
                city="Utrecht",
                provider_agb_code=f"0{number}",
                provider_name=f"Provider {number}",
                provider_kind=draw(st.sampled_from(["hospital", "hospital", "zbc"])),
                latitude=52.0 + draw(st.floats(-0.3, 0.3)),
                longitude=5.0 + draw(st.floats(-0.4, 0.4)),
                accepted_urgency_classes=draw(
                    st.sampled_from([(3, 4, 5), (1, 2, 3, 4, 5), (4, 5)])
                ),
                specialism_code=subject[0],
                treatment_code=subject[1],
                kind=subject[2],
                current_days=draw(st.integers(10, 120)),
                insufficient_observations=False,
                reference_date=TODAY - timedelta(days=draw(st.integers(0, 35))),
                stale=False,
                norm_max_days=28,
                contracted=draw(st.booleans()),
                capacity_offers=tuple(offers),
            )
        )
    # A figure older than 28 days is marked stale, as the selector marks it: the rules must
    # exclude it.
    return [
        replace(
            row, stale=row.reference_date is not None and (TODAY - row.reference_date).days > 28
        )
        for row in rows
    ]


@st.composite
def case_needs(draw, *, count: int) -> list[AssignmentCase]:
    cases = []
    for number in range(count):
        subject = SUBJECTS[0] if draw(st.integers(0, 5)) else SUBJECTS[1]
        waiting = draw(st.integers(0, 150))
        remaining = draw(st.one_of(st.none(), st.integers(0, 150)))
        cases.append(
            AssignmentCase(
                case_id=number + 1,
                need=Need(
                    specialism_code=subject[0],
                    treatment_code=subject[1],
                    kind=subject[2],
                    urgency_class=draw(st.integers(3, 5)),
                    latitude=52.0 + draw(st.floats(-0.3, 0.3)),
                    longitude=5.0 + draw(st.floats(-0.4, 0.4)),
                    max_distance_km=draw(st.sampled_from([10.0, 25.0, 50.0, 75.0])),
                    hospital_setting_required=draw(st.booleans()),
                    current_location_id=draw(st.sampled_from([None, 100, 101])),
                    insurer_id=1,
                    remaining_wait_days=remaining,
                    margin_days=draw(st.sampled_from([1, 7, 14])),
                    today=TODAY,
                    waiting_since=TODAY - timedelta(days=waiting),
                    current_wait_days=draw(st.integers(20, 150)),
                ),
            )
        )
    return cases


@st.composite
def instances(draw, *, max_cases: int, max_rows: int):
    offer_ids: list[int] = []
    rows = draw(supply_rows(count=draw(st.integers(1, max_rows)), offer_ids=offer_ids))
    cases = draw(case_needs(count=draw(st.integers(1, max_cases))))
    return cases, rows


# --- The oracle ----------------------------------------------------------------------------------
def oracle_value(need: Need, candidate) -> tuple[int, int, int, int]:
    """DESIGN §3.7, written again: class 3 inside the window, within the Treeknorm, days
    gained (known), minus travel in tenths of a km."""
    if candidate is None:
        return (0, 0, 0, 0)
    care = TODAY + timedelta(days=candidate.expected_days)
    inside = need.urgency_class == 3 and care <= need.waiting_since + timedelta(days=42)
    within = candidate.norm_max_days is not None and candidate.expected_days <= (
        candidate.norm_max_days
    )
    gain = (
        0
        if need.remaining_wait_days is None
        else need.remaining_wait_days - (candidate.expected_days)
    )
    return (int(inside), int(within), gain, -round(float(candidate.distance_km) * 10))


def oracle_optimum(cases: list[AssignmentCase], rows: list[Supply]) -> tuple[int, ...]:
    options = [
        [None] + [option for row in rows for option in candidate_options(case.need, row)]
        for case in cases
    ]
    offer_ids = sorted({offer.id for row in rows for offer in row.capacity_offers})
    start = tuple(
        next(offer.remaining for row in rows for offer in row.capacity_offers if offer.id == oid)
        for oid in offer_ids
    )

    @functools.cache
    def best(position: int, left: tuple[int, ...]) -> tuple[int, ...]:
        if position == len(cases):
            return (0, 0, 0, 0)
        found: tuple[int, ...] | None = None
        for option in options[position]:
            slots = left
            if option is not None and option.capacity_offer_id is not None:
                slot = offer_ids.index(option.capacity_offer_id)
                if left[slot] <= 0:
                    continue
                slots = (*left[:slot], left[slot] - 1, *left[slot + 1 :])
            own = oracle_value(cases[position].need, option)
            rest = best(position + 1, slots)
            total = tuple(a + b for a, b in zip(own, rest, strict=True))
            if found is None or total > found:
                found = total
        assert found is not None
        return found

    return best(0, start)


# --- Properties ----------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=6, max_rows=4))
def test_solver_reaches_the_brute_force_optimum(instance):
    cases, rows = instance
    proposals = solve(cases, rows)
    assert objective(cases, proposals) == oracle_optimum(cases, rows)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=6, max_rows=4))
def test_solver_is_never_worse_than_greedy(instance):
    cases, rows = instance
    assert objective(cases, solve(cases, rows)) >= objective(cases, greedy(cases, rows))


def _check_invariants(cases, rows, proposals):
    assert [p.case_id for p in proposals] == [c.case_id for c in cases]
    remaining = {offer.id: offer.remaining for row in rows for offer in row.capacity_offers}
    used: dict[int, int] = {}
    needs = {case.case_id: case.need for case in cases}
    by_location = {row.location_id: row for row in rows}
    for proposal in proposals:
        if proposal.candidate is None:
            continue
        row = by_location[proposal.candidate.location_id]
        # Eligible per the single-case rules: one of the row's options (the greedy baseline's
        # reasons count the slots left at its turn, so compare what is proposed, not the text).
        allowed = {
            (option.capacity_offer_id, option.expected_days, option.days_gained)
            for option in candidate_options(needs[proposal.case_id], row)
        }
        candidate = proposal.candidate
        assert (candidate.capacity_offer_id, candidate.expected_days, candidate.days_gained) in (
            allowed
        )
        assert candidate_for(needs[proposal.case_id], row) is not None
        if proposal.candidate.capacity_offer_id is not None:
            offer_id = proposal.candidate.capacity_offer_id
            used[offer_id] = used.get(offer_id, 0) + 1
    for offer_id, count in used.items():
        assert count <= remaining[offer_id]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=60, max_rows=15))
def test_invariants_on_larger_instances(instance):
    cases, rows = instance
    proposals = solve(cases, rows)
    _check_invariants(cases, rows, proposals)
    assert solve(cases, rows) == proposals
    _check_invariants(cases, rows, greedy(cases, rows))


def _scarce_world():
    """Two patients, one slot: the first (FCFS) has a good published alternative, the second
    (class 3) only the slot gets inside the window."""
    row = Supply(
        location_id=100,
        location_code="L0",
        location_name="L0",
        city="Utrecht",
        provider_agb_code="01",
        provider_name="P",
        provider_kind="hospital",
        latitude=52.0,
        longitude=5.0,
        accepted_urgency_classes=(3, 4, 5),
        specialism_code="0305",
        treatment_code=None,
        kind="first_visit",
        current_days=60,
        insufficient_observations=False,
        reference_date=TODAY,
        stale=False,
        norm_max_days=28,
        contracted=True,
        capacity_offers=(CapacitySlotOffer(7, TODAY + timedelta(weeks=1), 1, (3, 4, 5)),),
    )
    other = replace(
        row,
        location_id=101,
        location_code="L1",
        current_days=20,
        capacity_offers=(),
        latitude=52.1,
    )

    def need(urgency: int, waited: int) -> Need:
        return Need(
            "0305",
            None,
            "first_visit",
            urgency,
            52.0,
            5.0,
            50.0,
            False,
            None,
            1,
            150,
            14,
            TODAY,
            TODAY - timedelta(days=waited),
            150,
        )

    return [AssignmentCase(1, need(5, 10)), AssignmentCase(2, need(3, 30))], [row, other]


def test_scarce_slot_goes_to_the_class3_patient_not_first_come():
    cases, rows = _scarce_world()
    fcfs = greedy(cases, rows)
    assert fcfs[0].capacity_offer_id == 7  # the first comer takes the slot (7 days < 20)
    assert fcfs[1].capacity_offer_id is None
    proposals = solve(cases, rows)
    assert proposals[1].capacity_offer_id == 7
    assert proposals[1].reasons[0]["code"] == "assigned_slot"
    assert proposals[0].candidate is not None and proposals[0].candidate.location_code == "L1"
    assert proposals[0].reasons[1]["code"] == "slot_to_others"
    assert assignment.figures(cases, proposals)["class3_inside_window"] == 1
    assert assignment.figures(cases, fcfs)["class3_inside_window"] == 0


def test_level_by_level_when_weights_do_not_fit(monkeypatch):
    """With a tiny cost limit each level is solved on its own with potentials; same optimum."""
    cases, rows = _scarce_world()
    expected = objective(cases, solve(cases, rows))
    calls = []
    potentials = assignment._potentials

    def counted(*args):
        calls.append(1)
        return potentials(*args)

    monkeypatch.setattr(assignment, "_potentials", counted)
    monkeypatch.setattr(assignment, "_COST_LIMIT", 1000)
    assert objective(cases, solve(cases, rows)) == expected
    assert calls  # solved in groups of levels, each certified by potentials


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=6, max_rows=4))
def test_level_by_level_reaches_the_optimum(instance):
    cases, rows = instance
    with pytest.MonkeyPatch.context() as patch:
        # Small enough that the four levels never fit together, large enough for one level.
        patch.setattr(assignment, "_COST_LIMIT", 5_000_000)
        proposals = solve(cases, rows)
    assert objective(cases, proposals) == oracle_optimum(cases, rows)


def test_a_level_that_does_not_fit_fails_loudly(monkeypatch):
    cases, rows = _scarce_world()
    monkeypatch.setattr(assignment, "_COST_LIMIT", 2)
    with pytest.raises(assignment.AssignmentOverflowError):
        solve(cases, rows)


def test_fewer_levels_at_once_when_or_tools_refuses_the_costs(monkeypatch):
    """OR-Tools' own cost-range check may be stricter than the bound: the solver then solves
    fewer levels at a time (certified by potentials) and reaches the same optimum."""
    cases, rows = _scarce_world()
    expected = objective(cases, solve(cases, rows))
    solve_once = assignment._solve_once
    refused = []

    def strict(network, costs):
        if not refused:  # the first try: all four levels at once
            refused.append(1)
            raise assignment._CostRangeError("refused for this test")
        return solve_once(network, costs)

    monkeypatch.setattr(assignment, "_solve_once", strict)
    assert objective(cases, solve(cases, rows)) == expected
    assert refused
