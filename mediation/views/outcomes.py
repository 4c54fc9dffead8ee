"""The outcomes dashboard of the own insurer (aggregates only, no patient data); its figures and
chart come from ``mediation.selectors.outcomes``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.actors import Actor
from accounts.permissions import view_role_required
from mediation.selectors.outcomes import (
    BENCHMARK_DAYS_GAINED_HIGH,
    BENCHMARK_DAYS_GAINED_LOW,
    BENCHMARK_HELPED_PERCENTAGE,
    OUTCOME_ROLES,
    outcomes_chart,
    outcomes_dashboard,
)
from mediation.waiting_lists.outcomes import outcomes_by_channel


@view_role_required(*OUTCOME_ROLES)
def outcomes(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """Mediation outcomes of the own insurer (aggregates only, no patient data)."""
    dashboard = outcomes_dashboard(actor=actor, today=timezone.localdate())
    return render(
        request,
        "mediation/outcomes.html",
        {
            "dashboard": dashboard,
            "chart": outcomes_chart(dashboard=dashboard),
            "benchmark_helped": BENCHMARK_HELPED_PERCENTAGE,
            "benchmark_low": BENCHMARK_DAYS_GAINED_LOW,
            "benchmark_high": BENCHMARK_DAYS_GAINED_HIGH,
            "channels": outcomes_by_channel(actor=actor, today=timezone.localdate()),
        },
    )
