"""The money rules of DESIGN §3.5, as pure functions of Decimal amounts (no Django).

What is *due* to a provider under an arrangement depends on its kind:

* ``continuity_contribution``: max(0, contract_value − realised_production) × coverage / 100
* ``additional_costs`` (meerkosten): the sum of the approved cost claims
* ``catch_up_care``: min(realised catch-up production, budget)
* ``supplementary_agreement`` (ZBC top-up on the ceiling):
  min(max(0, realised_production − contract_value), budget)

``balance = due − paid``, where ``paid`` is the sum of all payments (advances, settlements and
corrections; a correction may be negative). A positive balance is still to be paid to the
provider, a negative one has been paid too much.

Amounts are euros with cents. Every input amount is a whole number of cents (database columns
with two decimals), so sums, differences, ``min`` and ``max`` stay exact. The only place where
fractions of a cent appear is the coverage percentage of a continuity contribution: that product
is rounded **half up to whole cents once, after applying the percentage** (the shortfall itself
is exact). Nothing else is rounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")

CONTINUITY_CONTRIBUTION = "continuity_contribution"
ADDITIONAL_COSTS = "additional_costs"
CATCH_UP_CARE = "catch_up_care"
SUPPLEMENTARY_AGREEMENT = "supplementary_agreement"
KINDS = (CONTINUITY_CONTRIBUTION, ADDITIONAL_COSTS, CATCH_UP_CARE, SUPPLEMENTARY_AGREEMENT)

# Which parameter each kind needs; the other parameter stays empty.
USES_COVERAGE = frozenset({CONTINUITY_CONTRIBUTION})
USES_BUDGET = frozenset({CATCH_UP_CARE, SUPPLEMENTARY_AGREEMENT})


def round_cents(amount: Decimal) -> Decimal:
    """Round half up to whole cents (0.005 → 0.01, −0.005 → −0.01)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _exact_cents(amount: Decimal, name: str) -> Decimal:
    if amount != amount.quantize(CENT):
        raise ValueError(f"{name} must be a whole number of cents, got {amount}")
    return amount.quantize(CENT)


def continuity_contribution_due(
    *, contract_value: Decimal, realised_production: Decimal, coverage_percentage: Decimal
) -> Decimal:
    """max(0, contract_value − realised_production) × coverage_percentage / 100, rounded half up
    to cents after applying the percentage."""
    if not ZERO <= coverage_percentage <= HUNDRED:
        raise ValueError("coverage_percentage must be between 0 and 100")
    shortfall = max(
        ZERO,
        _exact_cents(contract_value, "contract_value")
        - _exact_cents(realised_production, "realised_production"),
    )
    return round_cents(shortfall * coverage_percentage / HUNDRED)


def additional_costs_due(*, approved_claims: Iterable[Decimal]) -> Decimal:
    """The sum of the approved cost claims (pending and rejected claims are not passed in)."""
    return sum((_exact_cents(a, "claim") for a in approved_claims), ZERO)


def catch_up_care_due(*, catch_up_production: Decimal, budget: Decimal) -> Decimal:
    """min(realised catch-up production, budget)."""
    return min(
        _exact_cents(catch_up_production, "catch_up_production"), _exact_cents(budget, "budget")
    )


def supplementary_agreement_due(
    *, contract_value: Decimal, realised_production: Decimal, budget: Decimal
) -> Decimal:
    """min(max(0, realised_production − contract_value), budget): production above the ceiling
    is paid up to the budget."""
    excess = max(
        ZERO,
        _exact_cents(realised_production, "realised_production")
        - _exact_cents(contract_value, "contract_value"),
    )
    return min(excess, _exact_cents(budget, "budget"))


@dataclass(frozen=True)
class Figures:
    """What a settlement is computed from: the contract year's figures and the arrangement's."""

    contract_value: Decimal
    realised_production: Decimal = ZERO
    catch_up_production: Decimal = ZERO
    approved_claims: Decimal = ZERO  # already summed


def due_for(
    *,
    kind: str,
    figures: Figures,
    coverage_percentage: Decimal | None = None,
    budget: Decimal | None = None,
) -> Decimal:
    """What is due under an arrangement of ``kind``; a missing parameter counts as zero."""
    if kind == CONTINUITY_CONTRIBUTION:
        return continuity_contribution_due(
            contract_value=figures.contract_value,
            realised_production=figures.realised_production,
            coverage_percentage=coverage_percentage if coverage_percentage is not None else ZERO,
        )
    if kind == ADDITIONAL_COSTS:
        return additional_costs_due(approved_claims=[figures.approved_claims])
    if kind == CATCH_UP_CARE:
        return catch_up_care_due(
            catch_up_production=figures.catch_up_production,
            budget=budget if budget is not None else ZERO,
        )
    if kind == SUPPLEMENTARY_AGREEMENT:
        return supplementary_agreement_due(
            contract_value=figures.contract_value,
            realised_production=figures.realised_production,
            budget=budget if budget is not None else ZERO,
        )
    raise ValueError(f"unknown arrangement kind {kind!r}")


@dataclass(frozen=True)
class Settlement:
    due: Decimal
    paid: Decimal
    balance: Decimal


def settlement_of(*, due: Decimal, payments: Iterable[Decimal]) -> Settlement:
    """due, paid (sum of every payment, corrections included) and balance = due − paid."""
    paid = sum((_exact_cents(p, "payment") for p in payments), ZERO)
    due = _exact_cents(due, "due")
    return Settlement(due=due, paid=paid, balance=due - paid)


def headroom(
    *,
    contract_value: Decimal,
    realised_production: Decimal,
    transfers_in: Decimal,
    transfers_out: Decimal,
) -> Decimal:
    """Room left under the ceiling after the money followed the patients:
    contract_value − realised_production + transfers_in − transfers_out (may be negative)."""
    return contract_value - realised_production + transfers_in - transfers_out
