"""The regulator's view of how insurers mediate (issue 14): per insurer and month, aggregates
only (``mediation.selectors.insurer_outcomes``); no patient data, so nothing to audit."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import view_role_required
from mediation.selectors.insurer_outcomes import insurer_outcomes_aggregate

# Who reads the insurers' aggregate outcomes (insurer staff keep their own dashboard).
INSURER_OUTCOMES_ROLES = (Role.REGULATOR,)


@view_role_required(*INSURER_OUTCOMES_ROLES)
def insurer_outcomes(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """Per insurer and month: requests, share helped, median days gained, first contact in time."""
    outcomes = insurer_outcomes_aggregate(today=timezone.localdate())
    return render(request, "mediation/insurer_outcomes.html", {"outcomes": outcomes})
