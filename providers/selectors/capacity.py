"""Reads of capacity offers: a provider's planners see their own provider's offers only.

A capacity offer covers one week, identified by its Monday (``week_start``). "Upcoming" means this
week or later: an offer for the current week still has slots left for the days to come.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import get_object_or_404_for, scope_to_organisation
from providers.models import CapacityOffer

CAPACITY_ROLES = (Role.PLANNER,)
# The planner page offers this many weeks to choose from, starting with the current one.
OFFER_WEEKS_AHEAD = 8


def week_start_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def upcoming_week_starts(*, today: date, weeks: int = OFFER_WEEKS_AHEAD) -> list[date]:
    """The Mondays of the current week and the ``weeks - 1`` weeks after it."""
    first = week_start_of(today)
    return [first + timedelta(weeks=n) for n in range(weeks)]


def capacity_offer_list_for(*, actor: Actor) -> QuerySet[CapacityOffer]:
    """The offers of the actor's own provider (planners and provider API keys); none otherwise."""
    if not actor.has_role(*CAPACITY_ROLES):
        return CapacityOffer.objects.none()
    return scope_to_organisation(
        CapacityOffer.objects.select_related("location", "specialism", "treatment"),
        actor=actor,
        provider_field="location__provider",
    ).order_by("week_start", "location__name", "specialism__code", "kind", "treatment__name")


def capacity_offer_upcoming_list_for(*, actor: Actor, today: date) -> QuerySet[CapacityOffer]:
    return capacity_offer_list_for(actor=actor).filter(week_start__gte=week_start_of(today))


def capacity_offer_for(*, actor: Actor, pk: int) -> CapacityOffer:
    """One own offer; another provider's offer is 404, exactly like a missing one."""
    return get_object_or_404_for(capacity_offer_list_for(actor=actor), pk=pk)
