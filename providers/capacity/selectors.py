"""Reads of capacity offers: a provider's planners see their own provider's offers only (the
scoped list and lookup are ``providers.permissions.capacity_offer_list_for`` and
``access_capacity_offer_for``).

A capacity offer covers one week, identified by its Monday (``week_start``). "Upcoming" means this
week or later: an offer for the current week still has slots left for the days to come.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.actors import Actor
from providers.models import CapacityOffer
from providers.permissions import capacity_offer_list_for

# The planner page offers this many weeks to choose from, starting with the current one.
OFFER_WEEKS_AHEAD = 8


def week_start_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def upcoming_week_starts(*, today: date, weeks: int = OFFER_WEEKS_AHEAD) -> list[date]:
    """The Mondays of the current week and the ``weeks - 1`` weeks after it."""
    first = week_start_of(today)
    return [first + timedelta(weeks=n) for n in range(weeks)]


def capacity_offer_upcoming_list_for(*, actor: Actor, today: date) -> QuerySet[CapacityOffer]:
    return (
        capacity_offer_list_for(actor=actor)
        .filter(week_start__gte=week_start_of(today))
        .with_lapsed_holds(now=timezone.now())  # type: ignore[attr-defined]
    )
