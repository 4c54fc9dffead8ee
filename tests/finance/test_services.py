"""Rules of contracts, arrangements, production, claims and payments at service level."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.actors import actor_for_user
from accounts.models import AuditEvent, Role
from core.errors import ApplicationError
from finance.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    ClaimStatus,
    Contract,
    CostClaim,
    Payment,
    ProductionRecord,
)
from finance.selectors import (
    arrangement_history,
    arrangement_settlement,
    contract_headroom,
    contract_list_with_figures,
    contract_overview,
    contract_production_chart,
    contract_production_list,
    contract_transfer_lists,
)
from finance.services import (
    arrangement_agree,
    arrangement_create,
    arrangement_settle,
    arrangement_update,
    contract_create,
    contract_update,
    cost_claim_approve,
    cost_claim_reject,
    cost_claim_submit,
    payment_record,
    production_record,
)
from tests.accounts.factories import member
from tests.finance.factories import ContractFactory, VolumeTransferFactory
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def actor(contract_manager):
    return actor_for_user(contract_manager)


@pytest.fixture
def contract(insurer):
    return ContractFactory(insurer=insurer, year=2026, contract_value=D("1250000.00"))


def _arrangement(actor, contract, kind, **params):
    return arrangement_create(
        actor=actor, provider=contract.provider, year=contract.year, kind=kind, **params
    )


def _production(actor, contract, months):
    for month, (amount, catch_up) in months.items():
        production_record(
            actor=actor,
            contract=contract,
            month=date(contract.year, month, 1),
            amount=D(amount),
            catch_up_amount=D(catch_up),
        )


# --- Contracts ----------------------------------------------------------------------------
def test_contract_create_for_own_insurer_and_refuses_a_second(actor, insurer):
    provider = ProviderFactory()
    contract = contract_create(
        actor=actor, provider=provider, year=2026, contract_value=D("900000.00")
    )
    assert contract.insurer == insurer
    assert contract.history.count() == 1
    with pytest.raises(ValidationError) as exc:
        contract_create(actor=actor, provider=provider, year=2026, contract_value=D("1.00"))
    assert "year" in exc.value.message_dict
    assert Contract.objects.count() == 1


@pytest.mark.parametrize(
    ("value", "field"),
    [(D("-1.00"), "contract_value"), (D("1.001"), "contract_value")],
)
def test_contract_create_refuses_bad_values(actor, value, field):
    with pytest.raises(ValidationError) as exc:
        contract_create(actor=actor, provider=ProviderFactory(), year=2026, contract_value=value)
    assert field in exc.value.message_dict
    assert not Contract.objects.exists()


def test_only_contract_managers_write(insurer, provider_org):
    for user in (member(Role.MEDIATOR, insurer), member(Role.PLANNER, provider_org)):
        with pytest.raises(PermissionDenied):
            contract_create(
                actor=actor_for_user(user),
                provider=ProviderFactory(),
                year=2026,
                contract_value=D("1.00"),
            )


def test_contract_figures_and_headroom(actor, contract, insurer, other_insurer):
    _production(actor, contract, {1: ("400000.00", "0"), 2: ("500000.00", "0")})
    VolumeTransferFactory(
        insurer=insurer, to_provider=contract.provider, estimated_amount=D("30000.00")
    )
    VolumeTransferFactory(
        insurer=insurer, from_provider=contract.provider, estimated_amount=D("12500.00")
    )
    # Not counted: another insurer's patient, and a transfer in another year.
    VolumeTransferFactory(insurer=other_insurer, to_provider=contract.provider)
    VolumeTransferFactory(
        insurer=insurer, to_provider=contract.provider, completed_on=date(2025, 12, 31)
    )
    row = contract_list_with_figures(actor=actor).get(pk=contract.pk)
    assert (row.realised_production, row.transfers_in, row.transfers_out) == (
        D("900000.00"),
        D("30000.00"),
        D("12500.00"),
    )
    # 1,250,000 − 900,000 + 30,000 − 12,500
    assert contract_headroom(row) == D("367500.00")


def test_a_transfer_counts_in_the_year_of_the_care_not_of_the_confirmation(
    actor, contract, insurer
):
    """DESIGN §3.5 (issue 13): confirmed on 21 December for an appointment on 11 January, the
    patient moves next year's contracts."""
    year = contract.year
    VolumeTransferFactory(
        insurer=insurer,
        to_provider=contract.provider,
        completed_on=date(year - 1, 12, 21),
        care_date=date(year, 1, 11),
        estimated_amount=D("3000.00"),
    )
    VolumeTransferFactory(
        insurer=insurer,
        from_provider=contract.provider,
        completed_on=date(year, 12, 21),
        care_date=date(year + 1, 1, 11),
        estimated_amount=D("4000.00"),
    )
    row = contract_list_with_figures(actor=actor).get(pk=contract.pk)
    assert (row.transfers_in, row.transfers_out) == (D("3000.00"), D("0.00"))
    transfers_in, transfers_out = contract_transfer_lists(contract=contract)
    assert [t.care_date for t in transfers_in] == [date(year, 1, 11)]
    assert list(transfers_out) == []


# --- Arrangements and settlement, worked examples --------------------------------------------
def test_continuity_contribution_worked_example(actor, contract):
    arrangement = _arrangement(
        actor, contract, ArrangementKind.CONTINUITY_CONTRIBUTION, coverage_percentage=D("80")
    )
    # A year with production 1,000,000.00 → shortfall 250,000.00 → 80 % = 200,000.00.
    _production(actor, contract, dict.fromkeys(range(1, 13), ("83333.33", "0")))
    production_record(
        actor=actor,
        contract=contract,
        month=date(2026, 12, 1),
        amount=D("83333.37"),
        catch_up_amount=D("0"),
    )
    arrangement_agree(actor=actor, arrangement=arrangement)
    payment_record(
        actor=actor,
        arrangement=arrangement,
        kind="advance",
        date=date(2026, 3, 1),
        amount=D("50000"),
    )
    result = arrangement_settlement(arrangement)
    assert (result.due, result.paid, result.balance) == (
        D("200000.00"),
        D("50000.00"),
        D("150000.00"),
    )


def test_additional_costs_only_approved_claims_count(actor, contract):
    arrangement = _arrangement(actor, contract, ArrangementKind.ADDITIONAL_COSTS)
    approved = cost_claim_submit(
        actor=actor,
        arrangement=arrangement,
        category="protective_equipment",
        amount=D("12500.50"),
        note="Invoices",
        approved=True,
    )
    pending = cost_claim_submit(
        actor=actor, arrangement=arrangement, category="extra_staff", amount=D("8000.00")
    )
    cost_claim_submit(
        actor=actor,
        arrangement=arrangement,
        category="other",
        amount=D("999.00"),
        approved=False,
        rejection_reason="No evidence",
    )
    assert approved.status == ClaimStatus.APPROVED
    assert arrangement_settlement(arrangement).due == D("12500.50")
    cost_claim_approve(actor=actor, claim=pending)
    assert arrangement_settlement(arrangement).due == D("20500.50")


def test_catch_up_care_is_capped_by_its_budget(actor, contract):
    arrangement = _arrangement(actor, contract, ArrangementKind.CATCH_UP_CARE, budget=D("100000"))
    _production(actor, contract, {1: ("90000.00", "60000.00"), 2: ("95000.00", "30000.00")})
    assert arrangement_settlement(arrangement).due == D("90000.00")
    _production(actor, contract, {3: ("90000.00", "20000.00")})
    assert arrangement_settlement(arrangement).due == D("100000.00")


def test_supplementary_agreement_pays_above_the_ceiling_up_to_budget(actor, insurer):
    contract = ContractFactory(insurer=insurer, contract_value=D("2000000.00"))
    arrangement = _arrangement(
        actor, contract, ArrangementKind.SUPPLEMENTARY_AGREEMENT, budget=D("200000.00")
    )
    _production(actor, contract, {1: ("1500000.00", "0"), 2: ("650000.00", "0")})
    assert arrangement_settlement(arrangement).due == D("150000.00")


# --- Refusals: nothing stored -----------------------------------------------------------------
def test_arrangement_without_contract_is_refused_naming_the_year(actor, contract):
    with pytest.raises(ValidationError) as exc:
        arrangement_create(
            actor=actor,
            provider=contract.provider,
            year=2027,
            kind="continuity_contribution",
            coverage_percentage=D("80"),
        )
    assert "year" in exc.value.message_dict
    assert not Arrangement.objects.exists()


def test_arrangement_of_another_insurers_contract_is_refused(contract, other_insurer):
    other = actor_for_user(member(Role.CONTRACT_MANAGER, other_insurer))
    with pytest.raises(ValidationError):
        _arrangement(other, contract, "continuity_contribution", coverage_percentage=D("80"))


@pytest.mark.parametrize("coverage", [D("-0.01"), D("100.01"), D("150"), D("50.001")])
def test_coverage_outside_0_100_is_refused(actor, contract, coverage):
    with pytest.raises(ValidationError) as exc:
        _arrangement(actor, contract, "continuity_contribution", coverage_percentage=coverage)
    assert "coverage_percentage" in exc.value.message_dict
    assert not Arrangement.objects.exists()


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("continuity_contribution", {}, "coverage_percentage"),
        ("catch_up_care", {}, "budget"),
        ("catch_up_care", {"budget": D("-5.00")}, "budget"),
        ("additional_costs", {"budget": D("5.00")}, "budget"),
        (
            "supplementary_agreement",
            {"budget": D("1"), "coverage_percentage": D("5")},
            "coverage_percentage",
        ),
    ],
)
def test_parameters_must_fit_the_kind(actor, contract, kind, params, field):
    with pytest.raises(ValidationError) as exc:
        _arrangement(actor, contract, kind, **params)
    assert field in exc.value.message_dict


def test_one_arrangement_per_kind_per_contract(actor, contract):
    _arrangement(actor, contract, "additional_costs")
    with pytest.raises(ValidationError) as exc:
        _arrangement(actor, contract, "additional_costs")
    assert "kind" in exc.value.message_dict


@pytest.mark.parametrize(
    ("month", "amount", "catch_up", "field"),
    [
        (date(2025, 12, 1), "1.00", "0", "month"),
        (date(2027, 1, 1), "1.00", "0", "month"),
        (date(2026, 5, 1), "-1.00", "0", "amount"),
        (date(2026, 5, 1), "1.00", "-1.00", "catch_up_amount"),
        (date(2026, 5, 1), "1.00", "2.00", "catch_up_amount"),
    ],
)
def test_bad_production_is_refused(actor, contract, month, amount, catch_up, field):
    with pytest.raises(ValidationError) as exc:
        production_record(
            actor=actor,
            contract=contract,
            month=month,
            amount=D(amount),
            catch_up_amount=D(catch_up),
        )
    assert field in exc.value.message_dict
    assert not ProductionRecord.objects.exists()


def test_production_of_a_month_recorded_again_replaces_it_and_keeps_history(actor, contract):
    _production(actor, contract, {4: ("100.00", "10.00")})
    record, created = production_record(
        actor=actor,
        contract=contract,
        month=date(2026, 4, 1),
        amount=D("120.00"),
        catch_up_amount=D("15.00"),
    )
    assert not created
    assert ProductionRecord.objects.get().amount == D("120.00")
    assert [h.amount for h in record.history.order_by("history_date")] == [D("100.00"), D("120.00")]


def test_claims_need_an_additional_costs_arrangement_and_positive_amounts(actor, contract):
    continuity = _arrangement(
        actor, contract, "continuity_contribution", coverage_percentage=D("1")
    )
    with pytest.raises(ApplicationError):
        cost_claim_submit(actor=actor, arrangement=continuity, category="other", amount=D("5"))
    costs = _arrangement(actor, contract, "additional_costs")
    for amount in (D("0"), D("-3.00")):
        with pytest.raises(ValidationError) as exc:
            cost_claim_submit(actor=actor, arrangement=costs, category="other", amount=amount)
        assert "amount" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        cost_claim_submit(actor=actor, arrangement=costs, category="lunch", amount=D("5"))
    assert "category" in exc.value.message_dict
    assert not CostClaim.objects.exists()


def test_rejection_needs_a_reason(actor, contract):
    costs = _arrangement(actor, contract, "additional_costs")
    with pytest.raises(ValidationError) as exc:
        cost_claim_submit(
            actor=actor, arrangement=costs, category="other", amount=D("5"), approved=False
        )
    assert "rejection_reason" in exc.value.message_dict
    claim = cost_claim_submit(actor=actor, arrangement=costs, category="other", amount=D("5"))
    with pytest.raises(ValidationError) as exc:
        cost_claim_reject(actor=actor, claim=claim, reason="  ")
    assert "reason" in exc.value.message_dict
    claim = cost_claim_reject(actor=actor, claim=claim, reason="Not COVID related")
    assert claim.status == ClaimStatus.REJECTED
    assert claim.rejection_reason == "Not COVID related"
    with pytest.raises(ApplicationError):
        cost_claim_reject(actor=actor, claim=claim, reason="again")
    # A decision can be revised before settlement; the reason goes with the rejection.
    claim = cost_claim_approve(actor=actor, claim=claim)
    assert (claim.status, claim.rejection_reason) == (ClaimStatus.APPROVED, "")


def test_status_map_draft_agreed_settled(actor, contract):
    arrangement = _arrangement(actor, contract, "catch_up_care", budget=D("1000.00"))
    with pytest.raises(ApplicationError):
        arrangement_settle(actor=actor, arrangement=arrangement)
    arrangement = arrangement_agree(actor=actor, arrangement=arrangement)
    assert arrangement.status == ArrangementStatus.AGREED
    with pytest.raises(ApplicationError):
        arrangement_agree(actor=actor, arrangement=arrangement)
    arrangement = arrangement_settle(actor=actor, arrangement=arrangement)
    assert arrangement.status == ArrangementStatus.SETTLED
    for transition in (arrangement_agree, arrangement_settle):
        with pytest.raises(ApplicationError):
            transition(actor=actor, arrangement=arrangement)


def test_payments_on_a_draft_are_refused_and_amounts_checked(actor, contract):
    arrangement = _arrangement(actor, contract, "catch_up_care", budget=D("1000.00"))
    with pytest.raises(ApplicationError):
        payment_record(
            actor=actor,
            arrangement=arrangement,
            kind="advance",
            date=date(2026, 1, 5),
            amount=D("1"),
        )
    arrangement_agree(actor=actor, arrangement=arrangement)
    for kind, amount in [
        ("advance", "0"),
        ("advance", "-1.00"),
        ("settlement", "-1.00"),
        ("correction", "0"),
    ]:
        with pytest.raises(ValidationError) as exc:
            payment_record(
                actor=actor,
                arrangement=arrangement,
                kind=kind,
                date=date(2026, 1, 5),
                amount=D(amount),
            )
        assert "amount" in exc.value.message_dict
    assert not Payment.objects.exists()
    payment_record(
        actor=actor,
        arrangement=arrangement,
        kind="correction",
        date=date(2026, 1, 5),
        amount=D("-10.00"),
    )
    assert arrangement_settlement(arrangement).paid == D("-10.00")


def test_settled_arrangement_is_locked_and_takes_only_corrections(actor, contract):
    arrangement = _arrangement(
        actor, contract, "continuity_contribution", coverage_percentage=D("50")
    )
    _production(actor, contract, {1: ("1000000.00", "0")})
    arrangement_agree(actor=actor, arrangement=arrangement)
    payment_record(
        actor=actor,
        arrangement=arrangement,
        kind="advance",
        date=date(2026, 2, 1),
        amount=D("100000"),
    )
    arrangement = arrangement_settle(actor=actor, arrangement=arrangement)
    assert arrangement.settled_due == D("125000.00")  # (1,250,000 − 1,000,000) × 50 %

    for kind in ("advance", "settlement"):
        with pytest.raises(ApplicationError):
            payment_record(
                actor=actor,
                arrangement=arrangement,
                kind=kind,
                date=date(2027, 2, 1),
                amount=D("1"),
            )
    with pytest.raises(ApplicationError):
        arrangement_update(
            actor=actor, arrangement=arrangement, coverage_percentage=D("60"), budget=None, note=""
        )
    with pytest.raises(ApplicationError):
        production_record(
            actor=actor,
            contract=contract,
            month=date(2026, 2, 1),
            amount=D("5"),
            catch_up_amount=D("0"),
        )
    with pytest.raises(ApplicationError):
        contract_update(actor=actor, contract=contract, contract_value=D("1.00"))
    assert Payment.objects.count() == 1

    payment_record(
        actor=actor,
        arrangement=arrangement,
        kind="correction",
        date=date(2027, 2, 1),
        amount=D("25000.00"),
    )
    result = arrangement_settlement(arrangement)
    assert (result.due, result.paid, result.balance) == (
        D("125000.00"),
        D("125000.00"),
        D("0.00"),
    )


def test_settled_due_does_not_drift_with_later_claims_elsewhere(actor, contract):
    costs = _arrangement(actor, contract, "additional_costs")
    cost_claim_submit(
        actor=actor, arrangement=costs, category="other", amount=D("10"), approved=True
    )
    arrangement_agree(actor=actor, arrangement=costs)
    arrangement_settle(actor=actor, arrangement=costs)
    with pytest.raises(ApplicationError):
        cost_claim_submit(actor=actor, arrangement=costs, category="other", amount=D("5"))
    claim = CostClaim.objects.get()
    with pytest.raises(ApplicationError):
        cost_claim_reject(actor=actor, claim=claim, reason="late")
    assert arrangement_settlement(costs).due == D("10.00")


def test_update_changes_parameters_and_history_names_who_and_what(
    actor, contract, contract_manager
):
    arrangement = _arrangement(
        actor, contract, "continuity_contribution", coverage_percentage=D("70")
    )
    arrangement_update(
        actor=actor,
        arrangement=arrangement,
        coverage_percentage=D("75.50"),
        budget=None,
        note="After talks",
    )
    arrangement_agree(actor=actor, arrangement=arrangement)
    entries = arrangement_history(arrangement=arrangement)
    assert [e.action for e in entries] == ["~", "~", "+"]
    assert {e.who for e in entries} == {contract_manager.username}
    labels = {label for e in entries for label, _old, _new in e.changes}
    assert "dekkingspercentage" in labels  # the field's label, in Dutch (the default)
    assert "status" in labels
    assert AuditEvent.objects.filter(object_type="finance.arrangement").count() == 3


def test_overview_sums_per_provider_and_in_total(actor, insurer):
    first = ContractFactory(insurer=insurer, contract_value=D("1000.00"))
    second = ContractFactory(insurer=insurer, contract_value=D("500.00"))
    ContractFactory(insurer=insurer, year=2025)  # another year
    ContractFactory()  # another insurer
    continuity = _arrangement(actor, first, "continuity_contribution", coverage_percentage=D("50"))
    costs = _arrangement(actor, first, "additional_costs")
    cost_claim_submit(
        actor=actor, arrangement=costs, category="other", amount=D("40"), approved=True
    )
    _production(actor, first, {1: ("800.00", "0")})
    arrangement_agree(actor=actor, arrangement=continuity)
    payment_record(
        actor=actor, arrangement=continuity, kind="advance", date=date(2026, 1, 1), amount=D("30")
    )
    overview = contract_overview(actor=actor, year=2026)
    assert [row.contract for row in overview.rows] == sorted(
        [first, second], key=lambda c: c.provider.name
    )
    row = next(r for r in overview.rows if r.contract == first)
    # continuity (1000 − 800) × 50 % = 100; costs 40 → due 140, paid 30.
    assert (row.figures.due, row.figures.paid, row.figures.balance) == (
        D("140.00"),
        D("30.00"),
        D("110.00"),
    )
    assert overview.totals.contract_value == D("1500.00")
    assert overview.totals.headroom == D("700.00")  # 200 + 500
    assert overview.totals.balance == D("110.00")


def test_production_chart_shows_each_month_against_a_twelfth_of_the_ceiling(actor, contract):
    _production(actor, contract, {2: ("300.00", "20.00"), 5: ("123.45", "0")})
    chart = contract_production_chart(
        contract=contract, records=contract_production_list(contract=contract)
    )
    labels = chart["data"]["labels"]
    production, catch_up, ceiling = chart["data"]["datasets"]
    assert labels == [f"2026-{month:02d}" for month in range(1, 13)]
    assert production["data"][1] == 300.0 and production["data"][4] == 123.45
    assert catch_up["data"][1] == 20.0 and catch_up["data"][4] == 0.0
    assert production["data"].count(None) == 10  # months without a record are gaps, not zero
    assert ceiling["type"] == "line" and ceiling["data"] == [1250000 / 12] * 12
    json.dumps(chart)  # plain data, as json_script needs
