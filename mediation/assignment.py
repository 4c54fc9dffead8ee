"""Global assignment of scarce capacity to the patients who need it most (DESIGN §3.7, issue 16).

A pure module like :mod:`mediation.matching` (no Django, no database): cases and supply in,
one proposal per case (or none) with its reasons out. The database side is
``mediation.selectors.assignment``; runs, proposals and applying them are
``mediation.services.assignment``.

Eligibility — one source of truth
    A case's options are :func:`mediation.matching.candidate_options` of every supply row of its
    subject: the published wait of a location (no capacity limit) and each usable capacity offer
    of that location that is sooner than its figure. The rules (subject, not the current location,
    current figure, urgency class, hospital setting, distance, meaningful gain, the class-3
    window) are the single-case matching rules, unchanged.

Objective (lexicographic, DESIGN §3.7), per case the vector of its proposal
    1. a class-3 patient placed inside the 6-week window (1, else 0);
    2. placed within the Treeknorm (the candidate's expected wait at most the norm's maximum);
    3. days gained (a known gain; 0 when the remaining wait is unknown, since no gain can be
       counted then — such patients are still placed within the norm by level 2);
    4. travel, in whole tenths of a kilometre (the distance as shown, ``matching.rounded_km``),
       as a negative value (less is better).
    The run maximises the sum of these vectors in lexicographic order; an unplaced case is
    ``(0, 0, 0, 0)``.

Exactness and the flow
    Published waits have no capacity limit, so each case's best published option (its
    *fallback*, or no proposal) does not depend on any other case; only capacity-offer slots are
    shared. A slot option that is not lexicographically better than the case's fallback is never
    needed (the fallback frees the slot at no loss; lexicographic order is compatible with
    addition), so the flow network holds only improving slot options, with the gain over the
    fallback as their value. Cases linked through shared capacity offers form independent
    components (the subject — specialism, treatment, kind — always separates them), each a
    min-cost flow (OR-Tools ``SimpleMinCostFlow``): every case sends one unit either to a
    capacity offer (capacity = its remaining slots) or straight to the sink (its fallback,
    cost 0).

    The levels are combined into int64 costs with weights where each level's weight exceeds the
    largest possible difference of the weighted total of all lower levels between two flows of
    the component (bounded from the instance: the number of units that can pass through slots
    times the largest per-arc value of each level). When all four levels do not fit into int64,
    they are solved in groups, level by level: after a group is optimal, node potentials (the
    shortest-path distances in the residual graph) certify it, and the arcs whose reduced cost
    is not zero are fixed (positive: no flow; negative: full) — complementary slackness, so the
    next group ranges exactly over the flows that are optimal for the groups before it. A single
    level that does not fit raises :class:`AssignmentOverflowError`: never a silent heuristic.

Determinism
    Cases are taken in the order given (the selector orders them by creation), capacity offers
    by id, options in :func:`candidate_options` order; the same input builds the same network
    and OR-Tools returns the same flow. Among equal fallbacks the single-case ranking decides
    (contract, then code).

Baseline (:func:`greedy`)
    First come, first served: the cases in order each take their best single-case candidate
    (:func:`mediation.matching.candidate_for` and the ranking of ``match``) among the slots that
    are still free.
"""

from __future__ import annotations

import bisect
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ortools.graph.python import min_cost_flow

from mediation.matching import (
    CLASS3,
    Candidate,
    CapacitySlotOffer,
    Need,
    RowOption,
    Supply,
    best_row_option,
    candidate_from,
    row_options,
)
from providers.geography.greatcircle import bounding_box

INT64_MAX = 2**63 - 1
# Room left for OR-Tools' own sums (its cost scaling multiplies costs by the node count).
_COST_LIMIT = 2**62

Value = tuple[int, int, int, int]
ZERO: Value = (0, 0, 0, 0)
LEVELS = ("class3_inside", "within_norm", "days_gained", "travel")


class AssignmentOverflowError(ValueError):
    """One level of the objective does not fit into int64 costs for a component."""


@dataclass(frozen=True, slots=True)
class AssignmentCase:
    """A case taking part in a run: its id and what it needs (``matching.Need``)."""

    case_id: int
    need: Need


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the run proposes for one case: a candidate (a published wait or a capacity slot)
    or ``None``; ``reasons``: JSON-safe dicts (``code``, English ``text``, ``params``) — the
    assignment's own reason first, then the candidate's (``matching.Reason``)."""

    case_id: int
    candidate: Candidate | None
    reasons: tuple[dict[str, object], ...] = field(default=())

    @property
    def capacity_offer_id(self) -> int | None:
        return None if self.candidate is None else self.candidate.capacity_offer_id


# --- Values --------------------------------------------------------------------------------------
def travel_units(candidate: Candidate) -> int:
    """Travel in whole tenths of a kilometre (the distance as shown, already 0.1 km)."""
    return int(candidate.distance_km * 10)


def value_of(need: Need, candidate: Candidate | RowOption | None) -> Value:
    """The case's objective vector for a proposal (module docstring); bigger is better."""
    if candidate is None:
        return ZERO
    distance = candidate.distance_km if isinstance(candidate, Candidate) else candidate.distance
    return (
        1 if need.urgency_class == CLASS3 and not candidate.outside_class3_window else 0,
        1 if candidate.within_norm else 0,
        candidate.days_gained or 0,
        -int(distance * 10),
    )


def objective(cases: Sequence[AssignmentCase], proposals: Sequence[Proposal]) -> Value:
    """The summed objective vector of a set of proposals (compared as a tuple)."""
    needs = {case.case_id: case.need for case in cases}
    totals = [0, 0, 0, 0]
    for proposal in proposals:
        for level, amount in enumerate(value_of(needs[proposal.case_id], proposal.candidate)):
            totals[level] += amount
    return (totals[0], totals[1], totals[2], totals[3])


def _rank_key(row: Supply, option: RowOption) -> tuple[bool, bool, int, object, str]:
    """``matching.Candidate.rank_key`` of the candidate the option makes."""
    return (
        option.outside_class3_window,
        not row.contracted,
        option.expected_days,
        option.distance,
        row.location_code,
    )


def _fallback_key(need: Need, row: Supply, option: RowOption) -> tuple[object, ...]:
    """Best published option first: the value, then the single-case ranking."""
    value = value_of(need, option)
    return (tuple(-level for level in value), _rank_key(row, option))


# --- Supply index --------------------------------------------------------------------------------
SubjectKey = tuple[str, str | None, str]


class SupplyIndex:
    """The supply rows per subject, sorted by latitude, to find those near a patient quickly
    (the box of ``providers.geography.greatcircle.bounding_box``; the exact distance is the
    matching rule)."""

    def __init__(self, supply: Iterable[Supply]) -> None:
        by_subject: dict[SubjectKey, list[Supply]] = defaultdict(list)
        for row in supply:
            by_subject[(row.specialism_code, row.treatment_code, row.kind)].append(row)
        self.rows: dict[SubjectKey, list[Supply]] = {}
        self.latitudes: dict[SubjectKey, list[float]] = {}
        for key, rows in by_subject.items():
            rows.sort(key=lambda row: (row.latitude, row.location_id))
            self.rows[key] = rows
            self.latitudes[key] = [row.latitude for row in rows]

    def near(self, need: Need) -> list[int]:
        """Positions (in ``rows[subject]``) of the rows in the box around the patient."""
        key = (need.specialism_code, need.treatment_code, need.kind)
        latitudes = self.latitudes.get(key)
        if not latitudes:
            return []
        lat_min, lat_max, lon_min, lon_max = (
            float(edge)
            for edge in bounding_box(
                latitude=need.latitude, longitude=need.longitude, radius_km=need.max_distance_km
            )
        )
        rows = self.rows[key]
        start = bisect.bisect_left(latitudes, lat_min)
        end = bisect.bisect_right(latitudes, lat_max)
        return [
            position
            for position in range(start, end)
            if lon_min <= rows[position].longitude <= lon_max
        ]


# --- Reasons -------------------------------------------------------------------------------------
_ASSIGNMENT_TEXTS = {
    "assigned_slot": "Given a capacity-offer slot (week of {week_start}) by the assignment run.",
    "assigned_published": "Proposed at the published wait: no capacity-offer slot serves this "
    "patient better.",
    "slot_to_others": "Capacity-offer slots that would have been sooner ({slots} offers) went to "
    "patients with a greater need (class-3 window, Treeknorm, days gained).",
    "no_candidate": "No location meets the matching rules for this patient.",
    "slots_only": "Only capacity-offer slots would help this patient, and they went to patients "
    "with a greater need.",
}


def assignment_reason(code: str, **params: object) -> dict[str, object]:
    """A reason of the run itself, in the shape of the matches API: code, English text,
    parameters."""
    return {"code": code, "text": _ASSIGNMENT_TEXTS[code].format(**params), "params": params}


def _candidate_reasons(candidate: Candidate) -> list[dict[str, object]]:
    return [
        {"code": reason.code, "text": reason.text, "params": dict(reason.params)}
        for reason in candidate.reasons
    ]


# --- Options per case ----------------------------------------------------------------------------
@dataclass(slots=True)
class _CaseOptions:
    fallback: tuple[Supply, RowOption] | None
    fallback_value: Value
    # capacity offer id -> (row, option, value gained over the fallback); improving options only
    slots: dict[int, tuple[Supply, RowOption, Value]]
    had_slot_options: int


def case_options(need: Need, index: SupplyIndex) -> _CaseOptions:
    """The case's fallback (best published option, or none) and its improving slot options."""
    key = (need.specialism_code, need.treatment_code, need.kind)
    rows = index.rows.get(key, [])
    fallback: tuple[Supply, RowOption] | None = None
    fallback_key: tuple[object, ...] | None = None
    slot_options: list[tuple[Supply, RowOption]] = []
    for position in index.near(need):
        row = rows[position]
        for option in row_options(need, row):
            if option.offer is None:
                option_key = _fallback_key(need, row, option)
                if fallback_key is None or option_key < fallback_key:
                    fallback, fallback_key = (row, option), option_key
            else:
                slot_options.append((row, option))
    base = value_of(need, None if fallback is None else fallback[1])
    slots: dict[int, tuple[Supply, RowOption, Value]] = {}
    for row, option in slot_options:
        value = value_of(need, option)
        if value > base:
            assert option.offer is not None
            gain = (
                value[0] - base[0],
                value[1] - base[1],
                value[2] - base[2],
                value[3] - base[3],
            )
            slots[option.offer.id] = (row, option, gain)
    return _CaseOptions(fallback, base, slots, len(slot_options))


# --- Lexicographic min-cost flow -----------------------------------------------------------------
@dataclass(slots=True)
class _Network:
    node_count: int
    supplies: list[int]
    tails: list[int]
    heads: list[int]
    capacities: list[int]
    # per arc, the value vector to maximise (per unit of flow)
    values: list[Value]


def _weights(
    values: Sequence[Value], levels: Sequence[int], *, units: int, nodes: int
) -> list[int] | None:
    """Weights for ``levels`` (highest first) so that the weighted sum orders flows exactly as
    the lexicographic order of those levels; ``None`` when the costs would not fit into int64.

    ``units``: the most flow that can pass through value-bearing arcs. The weight of a level
    exceeds the largest difference of the weighted total of the levels below it between any two
    flows (2 × units × the largest per-arc amount of each). OR-Tools scales costs by the node
    count in its cost-scaling, so the largest arc cost times the nodes must fit too."""
    weights: list[int] = []
    spread = 0  # largest difference of the weighted total of the lower levels
    largest_cost = 0
    for level in reversed(levels):
        weight = spread + 1
        amount = max((abs(value[level]) for value in values), default=0)
        spread += 2 * units * weight * amount
        largest_cost += weight * amount
        weights.append(weight)
    if largest_cost * max(units, nodes + 1) >= _COST_LIMIT or spread >= _COST_LIMIT:
        return None
    weights.reverse()
    return weights


def _potentials(network: _Network, costs: Sequence[int], flows: Sequence[int]) -> list[int]:
    """Shortest-path distances in the residual graph of an optimal flow (no negative cycle),
    from a virtual root joined to every node: reduced costs are then ≥ 0 on residual arcs."""
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(network.node_count)]
    for arc, (tail, head) in enumerate(zip(network.tails, network.heads, strict=True)):
        if flows[arc] < network.capacities[arc]:
            adjacency[tail].append((head, costs[arc]))
        if flows[arc] > 0:
            adjacency[head].append((tail, -costs[arc]))
    distance = [0] * network.node_count
    queued = [True] * network.node_count
    queue = deque(range(network.node_count))
    relaxations = 0
    limit = network.node_count * (len(network.tails) + network.node_count) + 1
    while queue:
        node = queue.popleft()
        queued[node] = False
        base = distance[node]
        for head, cost in adjacency[node]:
            if base + cost < distance[head]:
                distance[head] = base + cost
                relaxations += 1
                if relaxations > limit:  # pragma: no cover - an optimal flow has no such cycle
                    raise RuntimeError("negative cycle in the residual graph of an optimal flow")
                if not queued[head]:
                    queued[head] = True
                    queue.append(head)
    return distance


class _CostRangeError(RuntimeError):
    """OR-Tools refused the costs (``BAD_COST_RANGE``): its own bound is stricter than ours."""


def _solve_once(network: _Network, costs: Sequence[int]) -> tuple[list[int], int]:
    solver = min_cost_flow.SimpleMinCostFlow()
    for tail, head, capacity, cost in zip(
        network.tails, network.heads, network.capacities, costs, strict=True
    ):
        solver.add_arc_with_capacity_and_unit_cost(tail, head, capacity, cost)
    for node, supply in enumerate(network.supplies):
        solver.set_node_supply(node, supply)
    status = solver.solve()
    if status == solver.BAD_COST_RANGE:
        raise _CostRangeError("min-cost flow: costs out of OR-Tools' range")
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow not optimal: status {status}")
    return [solver.flow(arc) for arc in range(len(network.tails))], solver.optimal_cost()


def lexicographic_flow(network: _Network, *, units: int) -> list[int]:
    """A flow of ``network`` that maximises its arcs' value vectors lexicographically (exact,
    see the module docstring). Returns the flow per arc."""
    arc_count = len(network.tails)
    active = list(range(arc_count))
    supplies = list(network.supplies)
    remaining_levels = list(range(len(LEVELS)))
    flows = [0] * arc_count
    while True:
        if not active:
            break
        values = [network.values[arc] for arc in active]
        sub = _Network(
            node_count=network.node_count,
            supplies=supplies,
            tails=[network.tails[arc] for arc in active],
            heads=[network.heads[arc] for arc in active],
            capacities=[network.capacities[arc] for arc in active],
            values=values,
        )
        # The largest group of the next levels whose weights fit into int64 — and that OR-Tools
        # accepts (its own cost-range check may be stricter than our bound: then fewer levels).
        group: list[int] = []
        solved: tuple[list[int], int] | None = None
        costs: list[int] = []
        for size in range(len(remaining_levels), 0, -1):
            weights = _weights(
                values, remaining_levels[:size], units=units, nodes=network.node_count
            )
            if weights is None:
                continue
            group = remaining_levels[:size]
            costs = [
                -sum(weight * value[level] for weight, level in zip(weights, group, strict=True))
                for value in values
            ]
            try:
                solved = _solve_once(sub, costs)
            except _CostRangeError:
                continue
            break
        if solved is None:
            raise AssignmentOverflowError(
                f"level {LEVELS[remaining_levels[0]]} does not fit into int64 costs ({units} units)"
            )
        sub_flows = solved[0]
        remaining_levels = remaining_levels[len(group) :]
        if not remaining_levels:
            for position, arc in enumerate(active):
                flows[arc] = sub_flows[position]
            break
        distance = _potentials(sub, costs, sub_flows)
        kept: list[int] = []
        supplies = list(supplies)
        for position, arc in enumerate(active):
            tail, head = network.tails[arc], network.heads[arc]
            reduced = costs[position] + distance[tail] - distance[head]
            if reduced > 0:
                continue  # no flow in any optimal solution
            if reduced < 0:  # full in every optimal solution
                supplies[tail] -= network.capacities[arc]
                supplies[head] += network.capacities[arc]
                flows[arc] = network.capacities[arc]
                continue
            kept.append(arc)
        active = kept
    return flows


def _components(options: Sequence[_CaseOptions]) -> list[list[int]]:
    """Cases (positions) linked through shared capacity offers, in order of their first case."""
    parent = list(range(len(options)))

    def find(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    first_case: dict[int, int] = {}
    for position, option in enumerate(options):
        for offer_id in option.slots:
            other = first_case.setdefault(offer_id, position)
            if other != position:
                a, b = find(position), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = defaultdict(list)
    for position, option in enumerate(options):
        if option.slots:
            groups[find(position)].append(position)
    return [groups[root] for root in sorted(groups)]


def _solve_component(
    positions: Sequence[int], options: Sequence[_CaseOptions], remaining: Mapping[int, int]
) -> dict[int, int]:
    """Which capacity offer each case of the component gets (position → offer id)."""
    offer_ids = sorted({offer_id for p in positions for offer_id in options[p].slots})
    offer_node = {offer_id: len(positions) + i for i, offer_id in enumerate(offer_ids)}
    sink = len(positions) + len(offer_ids)
    tails: list[int] = []
    heads: list[int] = []
    capacities: list[int] = []
    values: list[Value] = []
    arc_case_offer: list[tuple[int, int] | None] = []
    for node, position in enumerate(positions):
        tails.append(node)
        heads.append(sink)
        capacities.append(1)
        values.append(ZERO)
        arc_case_offer.append(None)
        for offer_id in sorted(options[position].slots):
            tails.append(node)
            heads.append(offer_node[offer_id])
            capacities.append(1)
            values.append(options[position].slots[offer_id][2])
            arc_case_offer.append((position, offer_id))
    for offer_id in offer_ids:
        tails.append(offer_node[offer_id])
        heads.append(sink)
        capacities.append(min(remaining[offer_id], len(positions)))
        values.append(ZERO)
        arc_case_offer.append(None)
    supplies = [1] * len(positions) + [0] * len(offer_ids) + [-len(positions)]
    units = min(len(positions), sum(remaining[offer_id] for offer_id in offer_ids))
    network = _Network(sink + 1, supplies, tails, heads, capacities, values)
    flows = lexicographic_flow(network, units=units)
    chosen: dict[int, int] = {}
    for arc, flow in enumerate(flows):
        link = arc_case_offer[arc]
        if flow and link is not None:
            chosen[link[0]] = link[1]
    return chosen


def _offer_remaining(supply: Iterable[Supply]) -> dict[int, int]:
    return {offer.id: offer.remaining for row in supply for offer in row.capacity_offers}


def solve(cases: Sequence[AssignmentCase], supply: Sequence[Supply]) -> list[Proposal]:
    """The optimal proposals (module docstring), one per case in the order given."""
    index = SupplyIndex(supply)
    remaining = _offer_remaining(supply)
    options = [case_options(case.need, index) for case in cases]
    chosen: dict[int, int] = {}
    for component in _components(options):
        chosen.update(_solve_component(component, options, remaining))
    proposals: list[Proposal] = []
    for position, case in enumerate(cases):
        option = options[position]
        offer_id = chosen.get(position)
        if offer_id is not None:
            row, slot_option, _gain = option.slots[offer_id]
            candidate = candidate_from(case.need, row, slot_option)
            assert candidate.capacity_week_start is not None
            reason = assignment_reason(
                "assigned_slot", week_start=candidate.capacity_week_start.isoformat()
            )
            proposals.append(
                Proposal(case.case_id, candidate, (reason, *_candidate_reasons(candidate)))
            )
        elif option.fallback is not None:
            candidate = candidate_from(case.need, *option.fallback)
            own = [assignment_reason("assigned_published")]
            if option.slots:
                own.append(assignment_reason("slot_to_others", slots=len(option.slots)))
            proposals.append(
                Proposal(case.case_id, candidate, (*own, *_candidate_reasons(candidate)))
            )
        else:
            code = "slots_only" if option.had_slot_options else "no_candidate"
            proposals.append(Proposal(case.case_id, None, (assignment_reason(code),)))
    return proposals


# --- Baseline ------------------------------------------------------------------------------------
def greedy(cases: Sequence[AssignmentCase], supply: Sequence[Supply]) -> list[Proposal]:
    """First come, first served (the baseline): the cases in the order given each take their
    best single-case candidate (``matching.candidate_for``, ranked as ``matching.match`` does)
    among what is still free; a taken slot lowers its capacity offer's remaining slots."""
    index = SupplyIndex(supply)
    proposals: list[Proposal] = []
    for case in cases:
        need = case.need
        key = (need.specialism_code, need.treatment_code, need.kind)
        rows = index.rows.get(key, [])
        best: tuple[tuple[object, ...], int, RowOption] | None = None
        for position in index.near(need):
            option = best_row_option(need, rows[position])
            if option is None:
                continue
            rank = _rank_key(rows[position], option)
            if best is None or rank < best[0]:
                best = (rank, position, option)
        if best is None:
            proposals.append(Proposal(case.case_id, None, (assignment_reason("no_candidate"),)))
            continue
        _rank, position, option = best
        candidate = candidate_from(need, rows[position], option)
        if option.offer is not None:
            row = rows[position]
            rows[position] = replace(row, capacity_offers=_taken(row, option.offer.id))
        proposals.append(Proposal(case.case_id, candidate, tuple(_candidate_reasons(candidate))))
    return proposals


def _taken(row: Supply, offer_id: int) -> tuple[CapacitySlotOffer, ...]:
    return tuple(
        replace(offer, remaining=offer.remaining - 1) if offer.id == offer_id else offer
        for offer in row.capacity_offers
    )


# --- Figures -------------------------------------------------------------------------------------
def figures(cases: Sequence[AssignmentCase], proposals: Sequence[Proposal]) -> dict[str, int]:
    """The figures of a run (DESIGN §8): cases, placed, placed within the norm, unassigned,
    days gained (sum of known gains), and the class-3 patients placed inside their window."""
    needs = {case.case_id: case.need for case in cases}
    result = {
        "cases": len(proposals),
        "placed": 0,
        "placed_within_norm": 0,
        "unassigned": 0,
        "days_gained": 0,
        "capacity_slots": 0,
        "class3_cases": 0,
        "class3_inside_window": 0,
    }
    for proposal in proposals:
        need = needs[proposal.case_id]
        candidate = proposal.candidate
        if need.urgency_class == CLASS3:
            result["class3_cases"] += 1
        if candidate is None:
            result["unassigned"] += 1
            continue
        result["placed"] += 1
        result["placed_within_norm"] += int(candidate.within_norm)
        result["days_gained"] += candidate.days_gained or 0
        result["capacity_slots"] += int(candidate.capacity_offer_id is not None)
        if need.urgency_class == CLASS3 and not candidate.outside_class3_window:
            result["class3_inside_window"] += 1
    return result
