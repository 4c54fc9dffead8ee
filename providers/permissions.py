"""Which locations an actor may report for: a provider's planners, only their own provider's.

Reading reference data (providers, locations) is public; *writing* for a location (waiting times,
capacity, scale-down status) is scoped here, and a foreign location is 404."""

from django.db.models import QuerySet

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import get_object_or_404_for, scope_to_organisation
from providers.models import Location

REPORTING_ROLES = (Role.PLANNER,)


def location_list_for_reporting(*, actor: Actor) -> QuerySet[Location]:
    if not actor.has_role(*REPORTING_ROLES):
        return Location.objects.none()
    return scope_to_organisation(
        Location.objects.select_related("provider"), actor=actor, provider_field="provider"
    )


def location_for_reporting(*, actor: Actor, code: str) -> Location:
    return get_object_or_404_for(location_list_for_reporting(actor=actor), code=code)
