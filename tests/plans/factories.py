"""Plans for tests, made through the services (so that forecasts, versions and transitions are
what the product would store), plus a bare model factory for access tests."""

from __future__ import annotations

from datetime import date

import factory

from accounts.actors import Actor, actor_for_user
from core.months import month_parse
from plans.inputs import LineInput, ProgressLineInput
from plans.models import Plan
from plans.services.editing import plan_create
from plans.services.lifecycle import plan_approve, plan_close, plan_request_changes, plan_submit
from plans.services.progress import plan_progress_report
from tests.accounts.factories import InsurerFactory
from tests.providers.factories import ProviderFactory

PERIOD = (date(2026, 1, 1), date(2026, 12, 1))
# Inside the period, so that every month of 2026 may be reported.
TODAY = date(2026, 12, 15)


class PlanFactory(factory.django.DjangoModelFactory):
    """A bare draft plan without lines (no forecast, no history): for access tests."""

    class Meta:
        model = Plan

    provider = factory.SubFactory(ProviderFactory)
    insurer = factory.SubFactory(InsurerFactory)
    period_start = PERIOD[0]
    period_end = PERIOD[1]


def month(value: str) -> date:
    parsed = month_parse(value)
    assert parsed is not None
    return parsed


def line(
    specialism: str = "0305",
    urgency_class: int = 4,
    backlog: int = 120,
    planned: dict[str, int] | None = None,
) -> LineInput:
    """A line; by default 10 a month over 2026 (120 in total, clearing a backlog of 120)."""
    if planned is None:
        planned = {f"2026-{m:02d}": 10 for m in range(1, 13)}
    return LineInput(
        specialism=specialism,
        urgency_class=urgency_class,
        backlog=backlog,
        planned=tuple((month(key), volume) for key, volume in planned.items()),
    )


def actor(user) -> Actor:
    return actor_for_user(user)


def make_plan(planner, insurer, *, lines=None, period=PERIOD, measures=None) -> Plan:
    return plan_create(
        actor=actor(planner),
        insurer=insurer,
        period_start=period[0],
        period_end=period[1],
        measures=measures or {"digital_care": "Beeldbellen voor controles."},
        lines=[line()] if lines is None else lines,
    )


def submitted_plan(planner, insurer, **kwargs) -> Plan:
    return plan_submit(actor=actor(planner), plan=make_plan(planner, insurer, **kwargs))


def approved_plan(planner, reviewer, insurer, **kwargs) -> Plan:
    return plan_approve(actor=actor(reviewer), plan=submitted_plan(planner, insurer, **kwargs))


def changes_requested_plan(planner, reviewer, insurer, **kwargs) -> Plan:
    return plan_request_changes(
        actor=actor(reviewer),
        plan=submitted_plan(planner, insurer, **kwargs),
        comment="Graag de personele inzet toelichten.",
    )


def closed_plan(planner, reviewer, insurer, **kwargs) -> Plan:
    return plan_close(
        actor=actor(reviewer), plan=approved_plan(planner, reviewer, insurer, **kwargs)
    )


def report(planner, plan: Plan, when: str, realised: dict[tuple[str, int], int]) -> Plan:
    return plan_progress_report(
        actor=actor(planner),
        plan=plan,
        month=month(when),
        lines=[
            ProgressLineInput(specialism=code, urgency_class=cls, realised=volume)
            for (code, cls), volume in realised.items()
        ],
        today=TODAY,
    )
