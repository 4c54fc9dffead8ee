"""Demo plans (seed_demo's plans part): every status, six months of progress, some on track and
some behind, with a second version to review; idempotent."""

from __future__ import annotations

import random
from datetime import date

import pytest

from plans.models import Plan, PlanProgress, PlanStatus, PlanTransition, PlanVersion
from plans.selectors.plans import plan_picture, plan_version_diff
from portal.demo.plans import DEMO_CREATED_BY, seed_demo_plans
from tests.accounts.factories import InsurerFactory, ProviderOrganisationFactory
from tests.plans.factories import make_plan

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


@pytest.fixture
def world():
    insurers = [InsurerFactory(uzovi=f"99{n:02d}", is_demo=True) for n in (1, 2, 3)]
    organisations = [ProviderOrganisationFactory(is_demo=True) for _ in range(12)]
    return insurers, [org.provider for org in organisations]


def seed(world) -> int:
    insurers, providers = world
    return seed_demo_plans(
        rng=random.Random(1), insurers=insurers, providers=providers, today=TODAY
    )


def test_plans_in_every_status_with_six_months_of_progress(world) -> None:
    count = seed(world)

    plans = Plan.objects.all()
    assert count == plans.count() >= 12
    assert set(plans.values_list("status", flat=True)) == set(PlanStatus.values)
    first_insurer = world[0][0]
    assert set(plans.filter(insurer=first_insurer).values_list("status", flat=True)) == set(
        PlanStatus.values
    )
    running = plans.filter(status=PlanStatus.APPROVED, period_start=date(2026, 5, 1))
    assert running.exists()
    for plan in running:
        months = set(PlanProgress.objects.filter(plan=plan).values_list("month", flat=True))
        assert months == {date(2026, m, 1) for m in range(5, 11)}  # May – October
        assert plan.last_reported_month == date(2026, 10, 1)
    assert plans.filter(on_track=True).exclude(status=PlanStatus.DRAFT).exists()
    assert plans.filter(on_track=False, behind=True).exists()
    assert not PlanProgress.objects.filter(plan__status=PlanStatus.DRAFT).exists()


def test_the_stored_forecast_is_what_the_services_would_store(world) -> None:
    seed(world)
    for plan in Plan.objects.all():
        picture = plan_picture(plan=plan)
        assert plan.on_track == picture.total.on_track
        assert plan.remaining_total == picture.total.remaining
        assert plan.projected_clearance_month == picture.total.projected_clearance_month
        assert plan.behind == picture.total.behind
        for view in picture.lines:
            assert view.line.on_track == view.forecast.on_track


def test_histories_and_versions_fit_the_status(world) -> None:
    seed(world)
    for plan in Plan.objects.all():
        steps = list(plan.transitions.values_list("from_status", "to_status"))
        assert steps[0] == ("", "draft")
        assert steps[-1][1] == plan.status
        assert plan.versions.count() == plan.version
        if plan.status == PlanStatus.CHANGES_REQUESTED:
            assert plan.transitions.last().comment
    # A resubmitted plan shows the reviewer what changed.
    resubmitted = Plan.objects.filter(status=PlanStatus.SUBMITTED, version=2).first()
    assert resubmitted is not None
    version, diff = plan_version_diff(plan=resubmitted)
    assert version.number == 2
    assert diff is not None and diff.lines and diff.measures
    # The latest snapshot is the plan as it stands.
    snapshot = resubmitted.versions.get(number=2).snapshot
    current = {
        (line.specialism.code, line.urgency_class): line.backlog for line in resubmitted.lines.all()
    }
    assert {(li["specialism"], li["urgency_class"]): li["backlog"] for li in snapshot["lines"]} == (
        current
    )
    assert resubmitted.submitted_at.date() > TODAY.replace(day=1)


def test_periods_of_one_provider_and_insurer_do_not_overlap(world) -> None:
    seed(world)
    seen: dict[tuple[int, int], list[tuple[date, date]]] = {}
    for plan in Plan.objects.all():
        for start, end in seen.get((plan.provider_id, plan.insurer_id), []):
            assert plan.period_end < start or plan.period_start > end
        seen.setdefault((plan.provider_id, plan.insurer_id), []).append(
            (plan.period_start, plan.period_end)
        )


def test_seeding_again_changes_nothing_and_keeps_other_plans(world, planner, insurer) -> None:
    own = make_plan(planner, insurer)
    seed(world)
    before = (
        Plan.objects.count(),
        PlanProgress.objects.count(),
        PlanTransition.objects.count(),
        PlanVersion.objects.count(),
        sorted(Plan.objects.values_list("status", "backlog_total", "remaining_total")),
    )

    seed(world)

    after = (
        Plan.objects.count(),
        PlanProgress.objects.count(),
        PlanTransition.objects.count(),
        PlanVersion.objects.count(),
        sorted(Plan.objects.values_list("status", "backlog_total", "remaining_total")),
    )
    assert after == before
    assert Plan.objects.filter(pk=own.pk).exists()
    assert (
        Plan.objects.exclude(pk=own.pk).filter(created_by=DEMO_CREATED_BY).count() == before[0] - 1
    )
