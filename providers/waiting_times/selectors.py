"""Reads for the planners' waiting-time pages, built on the scoped lists of
``providers.permissions`` (``waiting_time_series_list_for``, ``waiting_time_import_list_for``): a
series or an import of another provider is 404, exactly like a missing one (DESIGN §5)."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from accounts.actors import Actor
from providers.models import (
    WaitingTimeKind,
    WaitingTimeReport,
    WaitingTimeRevision,
    WaitingTimeSeries,
)
from providers.permissions import waiting_time_series_list_for
from providers.waiting_times.rules import stale_before

KIND_ORDER = {kind: position for position, kind in enumerate(WaitingTimeKind.values)}


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
