"""Web pages of the regulator (DESIGN §6): an overview of the statuses and aggregates of every
submitted plan, never the text of a review."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.actors import Actor
from accounts.permissions import view_role_required
from plans.permissions import PLAN_REGULATOR_ROLES, plan_list_for
from plans.selectors.reports import insurer_totals, plan_aggregates


def plan_overview_page(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The overview (``plan_list`` shows it to the regulator)."""
    plans = plan_list_for(actor=actor)
    return render(
        request,
        "plans/plan_overview.html",
        {
            "aggregates": plan_aggregates(plans=plans),
            "insurers": insurer_totals(plans=plans),
            "plans": plans.order_by("provider__name", "-period_start"),
        },
    )


@view_role_required(*PLAN_REGULATOR_ROLES)
def plan_overview(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The regulator's view: statuses and aggregates of every submitted plan, no review texts."""
    return plan_overview_page(request, actor=actor)
