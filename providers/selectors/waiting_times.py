"""Reads for the planners' waiting-time pages, scoped to the actor's own provider: a series or an
import of another provider is 404, exactly like a missing one (DESIGN §5)."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import get_object_or_404_for, scope_to_organisation
from providers.models import (
    WaitingTimeImport,
    WaitingTimeKind,
    WaitingTimeReport,
    WaitingTimeRevision,
    WaitingTimeSeries,
)
from providers.rules import stale_before

KIND_ORDER = {kind: position for position, kind in enumerate(WaitingTimeKind.values)}


def waiting_time_series_list_for(*, actor: Actor) -> QuerySet[WaitingTimeSeries]:
    """The series of the planner's own locations, in grid order (location, specialism, kind)."""
    if not actor.has_role(Role.PLANNER):
        return WaitingTimeSeries.objects.none()
    return scope_to_organisation(
        WaitingTimeSeries.objects.select_related("location", "specialism", "treatment"),
        actor=actor,
        provider_field="location__provider",
    ).order_by("location__name", "location__code", "specialism__code", "kind", "treatment__name")


def waiting_time_series_for(*, actor: Actor, pk: int) -> WaitingTimeSeries:
    return get_object_or_404_for(waiting_time_series_list_for(actor=actor), pk=pk)


def waiting_time_series_stale_count(*, actor: Actor, today: date) -> int:
    """How many of the planner's series have no figure, or one older than 28 days (stale)."""
    return (
        waiting_time_series_list_for(actor=actor)
        .filter(location__is_active=True)
        .filter(
            Q(current_reference_date__isnull=True)
            | Q(current_reference_date__lt=stale_before(today=today))
        )
        .count()
    )


def waiting_time_report_history(*, series: WaitingTimeSeries) -> QuerySet[WaitingTimeReport]:
    """A series' reports, newest peildatum first, each with the values it replaced."""
    return series.reports.order_by("-reference_date").prefetch_related(
        Prefetch("revisions", queryset=WaitingTimeRevision.objects.order_by("-replaced_at", "-pk"))
    )


def waiting_time_import_list_for(*, actor: Actor) -> QuerySet[WaitingTimeImport]:
    if not actor.has_role(Role.PLANNER):
        return WaitingTimeImport.objects.none()
    return scope_to_organisation(
        WaitingTimeImport.objects.defer("content"), actor=actor, provider_field="provider"
    )


def waiting_time_import_for(*, actor: Actor, pk: int) -> WaitingTimeImport:
    return get_object_or_404_for(waiting_time_import_list_for(actor=actor), pk=pk)
