"""The money rules of DESIGN §3.5, as worked examples (pure functions, no database)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finance import settlement
from finance.settlement import (
    Figures,
    additional_costs_due,
    catch_up_care_due,
    continuity_contribution_due,
    due_for,
    headroom,
    round_cents,
    settlement_of,
    supplementary_agreement_due,
)

D = Decimal


class TestContinuityContribution:
    def test_worked_example(self):
        # Ceiling 1,250,000.00, realised 1,000,000.00: shortfall 250,000.00; 80 % of it is due.
        assert continuity_contribution_due(
            contract_value=D("1250000.00"),
            realised_production=D("1000000.00"),
            coverage_percentage=D("80"),
        ) == D("200000.00")

    def test_no_shortfall_nothing_due(self):
        assert continuity_contribution_due(
            contract_value=D("1000000.00"),
            realised_production=D("1100000.00"),
            coverage_percentage=D("80"),
        ) == D("0.00")

    def test_rounds_half_up_once_after_the_percentage(self):
        # Shortfall 0.05 × 50 % = 0.025 → 0.03 (half up, not banker's 0.02).
        assert continuity_contribution_due(
            contract_value=D("100.05"),
            realised_production=D("100.00"),
            coverage_percentage=D("50"),
        ) == D("0.03")
        # Shortfall 1,234.57 × 33.33 % = 411.48218… → 411.48.
        assert continuity_contribution_due(
            contract_value=D("10000.00"),
            realised_production=D("8765.43"),
            coverage_percentage=D("33.33"),
        ) == D("411.48")
        # 0.01 × 50 % = 0.005 → 0.01.
        assert continuity_contribution_due(
            contract_value=D("0.01"), realised_production=D("0"), coverage_percentage=D("50")
        ) == D("0.01")

    def test_zero_and_full_coverage(self):
        kwargs = {"contract_value": D("500.00"), "realised_production": D("200.00")}
        assert continuity_contribution_due(**kwargs, coverage_percentage=D("0")) == D("0.00")
        assert continuity_contribution_due(**kwargs, coverage_percentage=D("100")) == D("300.00")

    def test_percentage_outside_0_100_is_an_error(self):
        with pytest.raises(ValueError):
            continuity_contribution_due(
                contract_value=D("1"), realised_production=D("0"), coverage_percentage=D("100.01")
            )

    def test_fractions_of_cents_in_inputs_are_an_error(self):
        with pytest.raises(ValueError):
            continuity_contribution_due(
                contract_value=D("1.001"), realised_production=D("0"), coverage_percentage=D("1")
            )


def test_additional_costs_is_the_sum_of_approved_claims():
    assert additional_costs_due(approved_claims=[D("1200.50"), D("799.50"), D("0.01")]) == D(
        "2000.01"
    )
    assert additional_costs_due(approved_claims=[]) == D("0.00")


class TestCatchUpCare:
    def test_production_below_budget_is_due_in_full(self):
        assert catch_up_care_due(catch_up_production=D("80000.00"), budget=D("100000.00")) == D(
            "80000.00"
        )

    def test_capped_at_the_budget(self):
        assert catch_up_care_due(catch_up_production=D("120000.00"), budget=D("100000.00")) == D(
            "100000.00"
        )


class TestSupplementaryAgreement:
    def test_production_above_the_ceiling_is_paid_up_to_the_budget(self):
        # Ceiling 2,000,000.00, realised 2,150,000.00: 150,000.00 above, budget 200,000.00.
        assert supplementary_agreement_due(
            contract_value=D("2000000.00"),
            realised_production=D("2150000.00"),
            budget=D("200000.00"),
        ) == D("150000.00")

    def test_capped_at_the_budget(self):
        assert supplementary_agreement_due(
            contract_value=D("2000000.00"),
            realised_production=D("2350000.00"),
            budget=D("200000.00"),
        ) == D("200000.00")

    def test_under_the_ceiling_nothing_is_due(self):
        assert supplementary_agreement_due(
            contract_value=D("2000000.00"),
            realised_production=D("1999999.99"),
            budget=D("200000.00"),
        ) == D("0.00")


def test_due_for_dispatches_on_kind():
    figures = Figures(
        contract_value=D("1000.00"),
        realised_production=D("1100.00"),
        catch_up_production=D("300.00"),
        approved_claims=D("42.00"),
    )
    assert due_for(
        kind="continuity_contribution", figures=figures, coverage_percentage=D("80")
    ) == D("0.00")
    assert due_for(kind="additional_costs", figures=figures) == D("42.00")
    assert due_for(kind="catch_up_care", figures=figures, budget=D("250.00")) == D("250.00")
    assert due_for(kind="supplementary_agreement", figures=figures, budget=D("500.00")) == D(
        "100.00"
    )
    with pytest.raises(ValueError):
        due_for(kind="gift", figures=figures)


def test_balance_is_due_minus_every_payment_including_negative_corrections():
    result = settlement_of(due=D("200000.00"), payments=[D("50000.00"), D("100000.00"), D("-0.50")])
    assert (result.due, result.paid, result.balance) == (
        D("200000.00"),
        D("149999.50"),
        D("50000.50"),
    )
    overpaid = settlement_of(due=D("10.00"), payments=[D("12.00")])
    assert overpaid.balance == D("-2.00")


def test_headroom_follows_the_patient():
    # 1,000,000 − 900,000 + 30,000 in − 12,500 out = 117,500.
    assert headroom(
        contract_value=D("1000000.00"),
        realised_production=D("900000.00"),
        transfers_in=D("30000.00"),
        transfers_out=D("12500.00"),
    ) == D("117500.00")


def test_round_cents_is_half_up_for_negative_amounts_too():
    assert round_cents(D("-0.005")) == D("-0.01")
    assert round_cents(D("2.345")) == D("2.35")
    assert round_cents(D("2.3449")) == D("2.34")


cents = st.integers(min_value=0, max_value=10**12).map(lambda n: D(n) / 100)
percentages = st.integers(min_value=0, max_value=10000).map(lambda n: D(n) / 100)


@given(contract_value=cents, realised=cents, coverage=percentages)
def test_continuity_contribution_matches_an_integer_cent_oracle(contract_value, realised, coverage):
    # Oracle in integer arithmetic: cents × basis points, rounded half up by integer division.
    shortfall_cents = max(0, int(contract_value * 100) - int(realised * 100))
    numerator = shortfall_cents * int(coverage * 100)  # in 1/10000 cent
    oracle_cents = (numerator + 5000) // 10000
    due = continuity_contribution_due(
        contract_value=contract_value, realised_production=realised, coverage_percentage=coverage
    )
    assert due == D(oracle_cents) / 100
    assert due.as_tuple().exponent == -2
    assert D(0) <= due <= max(D(0), contract_value - realised)


@given(production=cents, budget=cents, contract_value=cents)
def test_capped_kinds_never_exceed_their_budget(production, budget, contract_value):
    assert D(0) <= catch_up_care_due(catch_up_production=production, budget=budget) <= budget
    assert (
        D(0)
        <= supplementary_agreement_due(
            contract_value=contract_value, realised_production=production, budget=budget
        )
        <= budget
    )


def test_kinds_match_the_model_choices():
    from finance.models import ArrangementKind

    assert set(settlement.KINDS) == set(ArrangementKind.values)
