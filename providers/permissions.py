"""Who may write what in the providers app, and the scoped lookups of a planner's own objects.

Reading reference data (providers, locations) is public; *writing* for a location (waiting times,
capacity, scale-down status) is for the provider's planners (and its API keys, which act as
planner), and only for their own provider's locations. The same goes for what they wrote: the
waiting-time series and imports and the capacity offers of their own provider. An object of
another provider is 404, exactly like a missing one (DESIGN §5).
"""

from django.db.models import QuerySet

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import get_object_or_404_for, scope_to_organisation
from providers.models import CapacityOffer, Location, WaitingTimeImport, WaitingTimeSeries

REPORTING_ROLES = (Role.PLANNER,)
CAPACITY_ROLES = (Role.PLANNER,)


# --- Locations -----------------------------------------------------------------------------------
def location_list_for_reporting(*, actor: Actor) -> QuerySet[Location]:
    if not actor.has_role(*REPORTING_ROLES):
        return Location.objects.none()
    return scope_to_organisation(
        Location.objects.select_related("provider"), actor=actor, provider_field="provider"
    )


def access_location_for_reporting(*, actor: Actor, code: str) -> Location:
    return get_object_or_404_for(location_list_for_reporting(actor=actor), code=code)


# --- Waiting-time series and imports -------------------------------------------------------------
def waiting_time_series_list_for(*, actor: Actor) -> QuerySet[WaitingTimeSeries]:
    """The series of the planner's own locations, in grid order (location, specialism, kind)."""
    if not actor.has_role(Role.PLANNER):
        return WaitingTimeSeries.objects.none()
    return scope_to_organisation(
        WaitingTimeSeries.objects.select_related("location", "specialism", "treatment"),
        actor=actor,
        provider_field="location__provider",
    ).order_by("location__name", "location__code", "specialism__code", "kind", "treatment__name")


def access_waiting_time_series_for(*, actor: Actor, pk: int) -> WaitingTimeSeries:
    return get_object_or_404_for(waiting_time_series_list_for(actor=actor), pk=pk)


def waiting_time_import_list_for(*, actor: Actor) -> QuerySet[WaitingTimeImport]:
    if not actor.has_role(Role.PLANNER):
        return WaitingTimeImport.objects.none()
    return scope_to_organisation(
        WaitingTimeImport.objects.all(), actor=actor, provider_field="provider"
    )


def access_waiting_time_import_for(*, actor: Actor, pk: int) -> WaitingTimeImport:
    return get_object_or_404_for(waiting_time_import_list_for(actor=actor), pk=pk)


# --- Capacity offers -----------------------------------------------------------------------------
def capacity_offer_list_for(*, actor: Actor) -> QuerySet[CapacityOffer]:
    """The offers of the actor's own provider (planners and provider API keys); none otherwise."""
    if not actor.has_role(*CAPACITY_ROLES):
        return CapacityOffer.objects.none()
    return scope_to_organisation(
        CapacityOffer.objects.select_related("location", "specialism", "treatment"),
        actor=actor,
        provider_field="location__provider",
    ).order_by("week_start", "location__name", "specialism__code", "kind", "treatment__name")


def access_capacity_offer_for(*, actor: Actor, pk: int) -> CapacityOffer:
    """One own offer; another provider's offer is 404, exactly like a missing one."""
    return get_object_or_404_for(capacity_offer_list_for(actor=actor), pk=pk)
