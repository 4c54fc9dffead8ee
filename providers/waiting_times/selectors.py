"""Reads for the planners' waiting-time pages, and the trend chart of a series' history.

Built on the scoped lists of ``providers.permissions`` (``waiting_time_series_list_for``,
``waiting_time_import_list_for``): a series or an import of another provider is 404, exactly like
a missing one (DESIGN §5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.actors import Actor
from providers.models import (
    Norm,
    WaitingTimeKind,
    WaitingTimeReport,
    WaitingTimeRevision,
    WaitingTimeSeries,
)
from providers.permissions import waiting_time_series_list_for
from providers.waiting_times.rules import norm_key, stale_before

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


def waiting_time_series_norm(*, series: WaitingTimeSeries) -> Norm | None:
    """The Treeknorm that applies to the series (by kind, and a treatment's setting)."""
    kind, setting = norm_key(
        kind=series.kind,
        treatment_setting=series.treatment.setting if series.treatment else None,
    )
    return Norm.objects.filter(kind=kind, setting=setting).first()


def waiting_time_series_chart(
    *, reports: Sequence[WaitingTimeReport], norm: Norm | None
) -> dict[str, Any]:
    """The history page's trend: the reported wait per peildatum (``reports`` newest first, as
    :func:`waiting_time_report_history` gives them) against the norm's maximum, as a Chart.js line
    chart configuration (plain JSON, drawn by static/js/app.js)."""
    chronological = list(reversed(reports))
    return {
        "type": "line",
        "data": {
            "labels": [report.reference_date.isoformat() for report in chronological],
            "datasets": [
                {
                    "label": _("Wait (days)"),
                    "data": [report.days for report in chronological],
                    "borderColor": "#0a58ca",
                    "backgroundColor": "#0a58ca",
                    "spanGaps": False,
                    "tension": 0.2,
                },
                *(
                    [
                        {
                            "label": _("Treeknorm maximum (%(days)s days)")
                            % {"days": norm.max_days},
                            "data": [norm.max_days for _report in chronological],
                            "borderColor": "#b02a37",
                            "borderDash": [6, 4],
                            "pointRadius": 0,
                            "fill": False,
                        }
                    ]
                    if norm
                    else []
                ),
            ],
        },
        "options": {
            "responsive": True,
            "aspectRatio": 3,
            "animation": False,
            "scales": {"y": {"beginAtZero": True, "title": {"display": True, "text": _("days")}}},
        },
    }
