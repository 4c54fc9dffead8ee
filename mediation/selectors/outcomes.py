"""The outcomes dashboard of an insurer's mediation (DESIGN §3.3): open and overdue cases, offers
and what became of them, and per month and per specialism the finished cases, the share placed
and helped and the average days gained, with the Chart.js configuration that draws them.

Aggregates only, never a patient's data; an insurer's staff see their own insurer's figures and
nobody else sees any (an empty dashboard).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.permissions import INSURER_ROLES
from core.months import month_add, month_of
from mediation.models import Case, CaseOutcome, CaseStatus, Offer, OfferStatus
from providers.models import Specialism

# Who reads the outcomes dashboard: aggregate figures of the own insurer, no patient data.
OUTCOME_ROLES = INSURER_ROLES

# Published Dutch figures the outcomes are compared with (DESIGN §3.3): insurers help about 80 %
# of mediation requests, and mediated patients are helped 32 to 78 days sooner.
BENCHMARK_HELPED_PERCENTAGE = 80
BENCHMARK_DAYS_GAINED_LOW = 32
BENCHMARK_DAYS_GAINED_HIGH = 78
# "Helped": placed elsewhere, or helped sooner at the current provider after the insurer stepped in.
HELPED_OUTCOMES = (CaseOutcome.PLACED, CaseOutcome.RESOLVED_AT_CURRENT_PROVIDER)


@dataclass(frozen=True)
class OutcomeRow:
    """Finished cases of one month (or one specialism): how many, how many placed or helped,
    and the average days gained of the placed ones."""

    label: str
    key: str
    finished: int
    placed: int
    helped: int
    average_days_gained: Decimal | None

    @property
    def placed_percentage(self) -> Decimal | None:
        return _percentage(self.placed, self.finished)

    @property
    def helped_percentage(self) -> Decimal | None:
        return _percentage(self.helped, self.finished)


@dataclass(frozen=True)
class OutcomesDashboard:
    today: date
    period_start: date
    open_cases: int
    overdue_cases: int
    status_counts: dict[str, int]
    offers_made: int
    offers_accepted: int
    offers_declined: int
    offers_expired: int
    offers_open: int
    months: list[OutcomeRow]
    specialisms: list[OutcomeRow]
    total: OutcomeRow
    outcome_counts: dict[str, int] = field(default_factory=dict)

    @property
    def offer_acceptance_percentage(self) -> Decimal | None:
        answered = self.offers_accepted + self.offers_declined + self.offers_expired
        return _percentage(self.offers_accepted, answered)


def _percentage(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _average(value: float | Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def outcomes_dashboard(*, actor: Actor, today: date, months: int = 12) -> OutcomesDashboard:
    """The own insurer's mediation outcomes over the last ``months`` calendar months (this month
    included): open and overdue cases now; offers made in the period and what became of them;
    per month of finishing and per specialism, the finished cases, the share placed and helped,
    and the average days gained by placed patients."""
    if not actor.has_role(*OUTCOME_ROLES) or actor.organisation is None:
        cases = Case.objects.none()
    else:
        cases = Case.objects.filter(insurer=actor.organisation)
    period_start = month_add(month_of(today), -(months - 1))
    start_moment = timezone.make_aware(datetime.combine(period_start, time.min))

    status_counts = {
        row["status"]: row["n"] for row in cases.values("status").annotate(n=Count("id"))
    }
    open_cases = cases.open().count()  # type: ignore[attr-defined]
    overdue_cases = cases.overdue(today=today).count()  # type: ignore[attr-defined]

    offers = Offer.objects.filter(case__in=cases, made_at__gte=start_moment)
    offer_counts = {
        row["status"]: row["n"] for row in offers.values("status").annotate(n=Count("id"))
    }

    finished = cases.filter(status__in=(CaseStatus.COMPLETED, CaseStatus.CLOSED)).annotate(
        finished_at=Coalesce("completed_at", "closed_at")
    )
    finished = finished.filter(finished_at__gte=start_moment)
    aggregates = {
        "finished": Count("id"),
        "placed": Count("id", filter=Q(outcome=CaseOutcome.PLACED)),
        "helped": Count("id", filter=Q(outcome__in=HELPED_OUTCOMES)),
        "average": Avg("days_gained", filter=Q(outcome=CaseOutcome.PLACED)),
    }

    by_month: dict[date, dict] = {}
    for row in (
        finished.annotate(month=TruncMonth("finished_at")).values("month").annotate(**aggregates)
    ):
        month = row["month"]
        month = month.date() if hasattr(month, "date") else month
        by_month[month] = row
    month_rows = []
    month = period_start
    while month <= today:
        row = by_month.get(month, {})
        month_rows.append(
            OutcomeRow(
                label=month.strftime("%Y-%m"),
                key=month.strftime("%Y-%m"),
                finished=row.get("finished", 0),
                placed=row.get("placed", 0),
                helped=row.get("helped", 0),
                average_days_gained=_average(row.get("average")),
            )
        )
        month = month_add(month, 1)

    names = dict(Specialism.objects.values_list("code", "name"))
    specialism_rows = [
        OutcomeRow(
            label=names.get(row["specialism__code"], row["specialism__code"]),
            key=row["specialism__code"],
            finished=row["finished"],
            placed=row["placed"],
            helped=row["helped"],
            average_days_gained=_average(row["average"]),
        )
        for row in finished.values("specialism__code").annotate(**aggregates)
    ]
    specialism_rows.sort(key=lambda r: (-r.finished, r.key))

    total = finished.aggregate(**aggregates)
    outcome_counts: dict[str, int] = defaultdict(int)
    for row in finished.values("outcome").annotate(n=Count("id")):
        outcome_counts[row["outcome"]] = row["n"]
    return OutcomesDashboard(
        today=today,
        period_start=period_start,
        open_cases=open_cases,
        overdue_cases=overdue_cases,
        status_counts=status_counts,
        offers_made=sum(offer_counts.values()),
        offers_accepted=offer_counts.get(OfferStatus.ACCEPTED, 0),
        offers_declined=offer_counts.get(OfferStatus.DECLINED, 0),
        offers_expired=offer_counts.get(OfferStatus.EXPIRED, 0),
        offers_open=offer_counts.get(OfferStatus.OPEN, 0),
        months=month_rows,
        specialisms=specialism_rows,
        total=OutcomeRow(
            label="",
            key="total",
            finished=total["finished"],
            placed=total["placed"],
            helped=total["helped"],
            average_days_gained=_average(total["average"]),
        ),
        outcome_counts=dict(outcome_counts),
    )


# --- The chart ------------------------------------------------------------------------------------
def outcomes_chart(*, dashboard: OutcomesDashboard) -> dict[str, Any]:
    """A Chart.js configuration (drawn by static/js/app.js from json_script): per month, the
    share of finished cases placed and helped (left axis, %) and the average days gained (right
    axis), with the published Dutch figures as dashed reference lines."""
    labels = [
        date_format(date(int(row.key[:4]), int(row.key[5:7]), 1), "M Y") for row in dashboard.months
    ]

    def values(attribute: str) -> list[float | None]:
        result: list[float | None] = []
        for row in dashboard.months:
            value = getattr(row, attribute)
            result.append(float(value) if value is not None else None)
        return result

    return {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "type": "line",
                    "label": str(_("Helped (%)")),
                    "data": values("helped_percentage"),
                    "borderColor": "#0b5394",
                    "backgroundColor": "#0b5394",
                    "pointStyle": "circle",
                    "yAxisID": "share",
                    "spanGaps": True,
                },
                {
                    "type": "line",
                    "label": str(_("Placed elsewhere (%)")),
                    "data": values("placed_percentage"),
                    "borderColor": "#38761d",
                    "backgroundColor": "#38761d",
                    "borderDash": [2, 3],
                    "pointStyle": "triangle",
                    "yAxisID": "share",
                    "spanGaps": True,
                },
                {
                    "type": "line",
                    "label": str(_("Dutch insurers: about 80 % helped")),
                    "data": [BENCHMARK_HELPED_PERCENTAGE] * len(labels),
                    "borderColor": "#6b6b6b",
                    "borderDash": [8, 4],
                    "pointRadius": 0,
                    "yAxisID": "share",
                },
                {
                    "type": "line",
                    "label": str(_("Dutch insurers: at least %(days)s days gained"))
                    % {"days": BENCHMARK_DAYS_GAINED_LOW},
                    "data": [BENCHMARK_DAYS_GAINED_LOW] * len(labels),
                    "borderColor": "#b45f06",
                    "borderDash": [4, 4],
                    "pointRadius": 0,
                    "yAxisID": "days",
                },
                {
                    "type": "line",
                    "label": str(_("Dutch insurers: up to %(days)s days gained"))
                    % {"days": BENCHMARK_DAYS_GAINED_HIGH},
                    "data": [BENCHMARK_DAYS_GAINED_HIGH] * len(labels),
                    "borderColor": "#b45f06",
                    "borderDash": [4, 4],
                    "backgroundColor": "rgba(180, 95, 6, 0.08)",
                    "fill": "-1",
                    "pointRadius": 0,
                    "yAxisID": "days",
                },
                {
                    "type": "bar",
                    "label": str(_("Average days gained")),
                    "data": values("average_days_gained"),
                    "backgroundColor": "rgba(180, 95, 6, 0.55)",
                    "borderColor": "#b45f06",
                    "borderWidth": 1,
                    "yAxisID": "days",
                },
            ],
        },
        "options": {
            "responsive": True,
            "animation": False,
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {"legend": {"position": "bottom", "labels": {"usePointStyle": True}}},
            "scales": {
                "share": {
                    "type": "linear",
                    "position": "left",
                    "min": 0,
                    "max": 100,
                    "title": {"display": True, "text": str(_("Share of finished cases (%)"))},
                },
                "days": {
                    "type": "linear",
                    "position": "right",
                    "beginAtZero": True,
                    "suggestedMax": BENCHMARK_DAYS_GAINED_HIGH + 10,
                    "grid": {"drawOnChartArea": False},
                    "title": {"display": True, "text": str(_("Average days gained"))},
                },
            },
        },
    }
