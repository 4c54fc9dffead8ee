"""Reads over many plans: the plans section of the regional report, and the aggregates of the
portfolio and the regulator's overview."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Role
from plans.models import Plan
from plans.selectors import plan_region_summary
from plans.selectors.reports import insurer_totals, plan_aggregates, plan_inbox
from tests.accounts.factories import ProviderOrganisationFactory, member
from tests.plans.factories import (
    approved_plan,
    changes_requested_plan,
    closed_plan,
    line,
    make_plan,
    report,
    submitted_plan,
)
from tests.providers.factories import ProviderFactory, RegionFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 10)


@pytest.fixture
def region():
    return RegionFactory(code="TESTNOORD")


def planner_in(region):
    organisation = ProviderOrganisationFactory(provider=ProviderFactory(region=region))
    return member(Role.PLANNER, organisation)


def test_region_summary_per_specialism(region, contract_manager, insurer, other_insurer) -> None:
    # On track for orthopedics (both classes), not for surgery.
    first = planner_in(region)
    on_track = approved_plan(
        first,
        contract_manager,
        insurer,
        lines=[line("0305", 4, 120), line("0305", 5, 60, {"2026-01": 60}), line("0303", 3, 100)],
    )
    report(first, on_track, "2026-01", {("0305", 4): 10, ("0305", 5): 60, ("0303", 3): 2})
    # Behind on orthopedics, class 4 only.
    second = planner_in(region)
    behind = submitted_plan(second, other_insurer, lines=[line("0305", 4, 200)])
    report(second, behind, "2026-01", {("0305", 4): 1})
    # Left out: a draft, a plan of another region, and a plan whose period is over.
    make_plan(planner_in(region), insurer, lines=[line("0305", 4, 999)])
    approved_plan(planner_in(RegionFactory(code="TESTZUID")), contract_manager, insurer)
    closed_plan(
        planner_in(region),
        contract_manager,
        insurer,
        period=(date(2025, 1, 1), date(2025, 12, 1)),
        lines=[line("0305", 4, 500, {"2025-01": 500})],
    )

    rows = plan_region_summary(region=region, today=TODAY)

    by_code = {row.specialism_code: row for row in rows}
    assert list(by_code) == ["0303", "0305"]
    orthopedics = by_code["0305"]
    assert orthopedics.specialism_name == "Orthopedie"
    assert orthopedics.plans == 2
    assert orthopedics.backlog == 120 + 60 + 200
    assert orthopedics.remaining == 110 + 0 + 199
    assert orthopedics.plans_on_track == 1
    assert orthopedics.on_track_share == Decimal("50.0")
    surgery = by_code["0303"]
    assert (surgery.plans, surgery.backlog, surgery.remaining) == (1, 100, 98)
    assert surgery.on_track_share == Decimal("0.0")

    only_first_insurer = plan_region_summary(region=region, today=TODAY, insurer=insurer)
    assert {row.specialism_code: row.plans for row in only_first_insurer} == {"0303": 1, "0305": 1}


def test_region_summary_counts_plans_with_changes_requested_and_closed_plans(
    region, contract_manager, insurer
) -> None:
    changes_requested_plan(planner_in(region), contract_manager, insurer)
    closed_plan(planner_in(region), contract_manager, insurer)

    [row] = plan_region_summary(region=region, today=TODAY)

    assert row.plans == 2
    assert plan_region_summary(region=region, today=date(2027, 1, 1)) == []


def test_aggregates_and_inbox(planner, contract_manager, insurer, other_insurer) -> None:
    first = submitted_plan(planner, insurer)
    approved = approved_plan(
        planner,
        contract_manager,
        insurer,
        period=(date(2027, 1, 1), date(2027, 12, 1)),
        lines=[line(planned={"2027-01": 120})],
    )
    make_plan(planner, insurer, period=(date(2028, 1, 1), date(2028, 12, 1)), lines=[])
    submitted_plan(planner, other_insurer)
    plans = Plan.objects.filter(insurer=insurer)

    aggregates = plan_aggregates(plans=plans)

    assert aggregates.plans == 2  # the draft is not counted
    assert aggregates.on_track == 2 and aggregates.on_track_share == Decimal("100.0")
    assert aggregates.backlog == 240
    assert {item.status: item.count for item in aggregates.by_status} == {
        "submitted": 1,
        "changes_requested": 0,
        "approved": 1,
        "closed": 0,
    }
    [orthopedics] = aggregates.specialisms
    assert (orthopedics.plans, orthopedics.lines, orthopedics.backlog) == (2, 2, 240)
    assert list(plan_inbox(plans=plans)) == [first]
    assert approved.status == "approved"

    totals = {row.uzovi: row for row in insurer_totals(plans=Plan.objects.all())}
    assert (totals["8101"].plans, totals["8101"].approved) == (2, 1)
    assert totals["8102"].plans == 1
