"""Reads over many plans: the insurer's inbox and portfolio, the regulator's overview and the plans
section of the regional report.

Definitions:

* A plan **counts** in aggregates once it has been submitted (drafts are the provider's own):
  statuses submitted, changes requested, approved and closed.
* Per specialism, a plan is **on track** for that specialism when every one of its lines of that
  specialism (urgency classes 3, 4 and 5) is on track; the **on-track share** is the share of the
  plans with that specialism that are on track for it, in percent with one decimal.
* **Backlog** is the backlog at the start of the period; **remaining** what is left of it after the
  volume reported to date (both as stored by the services from ``plans.forecast``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import Organisation
from core.months import month_of
from plans.models import Plan, PlanLine, PlanStatus
from providers.models import Region

COUNTED_STATUSES = (
    PlanStatus.SUBMITTED,
    PlanStatus.CHANGES_REQUESTED,
    PlanStatus.APPROVED,
    PlanStatus.CLOSED,
)


def share_percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SpecialismTotals:
    specialism_code: str
    specialism_name: str
    plans: int
    lines: int
    backlog: int
    realised: int
    remaining: int
    lines_on_track: int
    plans_on_track: int

    @property
    def on_track_share(self) -> Decimal | None:
        return share_percent(self.plans_on_track, self.plans)


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass
class PlanAggregates:
    plans: int = 0
    on_track: int = 0
    behind: int = 0
    backlog: int = 0
    realised: int = 0
    remaining: int = 0
    by_status: list[StatusCount] = field(default_factory=list)
    specialisms: list[SpecialismTotals] = field(default_factory=list)

    @property
    def on_track_share(self) -> Decimal | None:
        return share_percent(self.on_track, self.plans)


def specialism_totals(*, plans: QuerySet[Plan]) -> list[SpecialismTotals]:
    """Per specialism, the totals of the lines of ``plans`` (see the module docstring)."""
    rows = (
        PlanLine.objects.filter(plan__in=plans.values("pk"))
        .values("specialism__code", "specialism__name")
        .annotate(
            plan_count=Count("plan", distinct=True),
            line_count=Count("pk"),
            backlog_sum=Sum("backlog"),
            realised_sum=Sum("realised_to_date"),
            remaining_sum=Sum("remaining"),
            lines_on_track=Count("pk", filter=Q(on_track=True)),
            plans_off_track=Count("plan", filter=Q(on_track=False), distinct=True),
        )
        .order_by("specialism__code")
    )
    return [
        SpecialismTotals(
            specialism_code=row["specialism__code"],
            specialism_name=row["specialism__name"],
            plans=row["plan_count"],
            lines=row["line_count"],
            backlog=row["backlog_sum"] or 0,
            realised=row["realised_sum"] or 0,
            remaining=row["remaining_sum"] or 0,
            lines_on_track=row["lines_on_track"],
            plans_on_track=row["plan_count"] - row["plans_off_track"],
        )
        for row in rows
    ]


def plan_aggregates(*, plans: QuerySet[Plan]) -> PlanAggregates:
    """Counts by status, on-track and behind counts, backlog totals and the totals per
    specialism of ``plans`` (drafts left out)."""
    plans = plans.filter(status__in=COUNTED_STATUSES)
    totals = plans.aggregate(
        plan_count=Count("pk"),
        on_track_count=Count("pk", filter=Q(on_track=True)),
        behind_count=Count("pk", filter=Q(behind=True)),
        backlog_sum=Sum("backlog_total"),
        realised_sum=Sum("realised_total"),
        remaining_sum=Sum("remaining_total"),
    )
    counts = {
        row["status"]: row["n"] for row in plans.order_by().values("status").annotate(n=Count("pk"))
    }
    return PlanAggregates(
        plans=totals["plan_count"],
        on_track=totals["on_track_count"],
        behind=totals["behind_count"],
        backlog=totals["backlog_sum"] or 0,
        realised=totals["realised_sum"] or 0,
        remaining=totals["remaining_sum"] or 0,
        by_status=[
            StatusCount(status, str(PlanStatus(status).label), counts.get(status, 0))
            for status in COUNTED_STATUSES
        ],
        specialisms=specialism_totals(plans=plans),
    )


def plan_inbox(*, plans: QuerySet[Plan]) -> QuerySet[Plan]:
    """Submitted plans waiting for a decision, the longest waiting first."""
    return plans.filter(status=PlanStatus.SUBMITTED).order_by("submitted_at", "pk")


@dataclass(frozen=True)
class InsurerTotals:
    uzovi: str
    name: str
    plans: int
    approved: int
    on_track: int
    behind: int
    backlog: int
    remaining: int

    @property
    def on_track_share(self) -> Decimal | None:
        return share_percent(self.on_track, self.plans)


def insurer_totals(*, plans: QuerySet[Plan]) -> list[InsurerTotals]:
    """Per addressed insurer: the regulator's view of how the plans stand."""
    rows = (
        plans.filter(status__in=COUNTED_STATUSES)
        .values("insurer__uzovi", "insurer__name")
        .annotate(
            plan_count=Count("pk"),
            approved=Count("pk", filter=Q(status__in=[PlanStatus.APPROVED, PlanStatus.CLOSED])),
            on_track_count=Count("pk", filter=Q(on_track=True)),
            behind_count=Count("pk", filter=Q(behind=True)),
            backlog_sum=Sum("backlog_total"),
            remaining_sum=Sum("remaining_total"),
        )
        .order_by("insurer__uzovi")
    )
    return [
        InsurerTotals(
            uzovi=row["insurer__uzovi"],
            name=row["insurer__name"],
            plans=row["plan_count"],
            approved=row["approved"],
            on_track=row["on_track_count"],
            behind=row["behind_count"],
            backlog=row["backlog_sum"] or 0,
            remaining=row["remaining_sum"] or 0,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class PlanRegionRow:
    """The plans section of the regional report, one row per specialism."""

    specialism_code: str
    specialism_name: str
    plans: int
    backlog: int
    remaining: int
    plans_on_track: int
    on_track_share: Decimal | None


def plan_region_summary(
    *, region: Region, today: date, insurer: Organisation | None = None
) -> list[PlanRegionRow]:
    """Per specialism, the submitted plans (any status but draft) of the providers in ``region``
    whose period covers ``today``'s month: how many, their backlog at the start and what remains
    of it, and the share that is on track. ``insurer`` limits it to plans addressed to one
    insurer.

    A provider that addressed plans to several insurers counts with each of them (its plans may
    split the same backlog over its insurers, or repeat it: the plans do not say which)."""
    month = month_of(today)
    plans = Plan.objects.filter(
        provider__region=region,
        status__in=COUNTED_STATUSES,
        period_start__lte=month,
        period_end__gte=month,
    )
    if insurer is not None:
        plans = plans.filter(insurer=insurer)
    return [
        PlanRegionRow(
            specialism_code=totals.specialism_code,
            specialism_name=totals.specialism_name,
            plans=totals.plans,
            backlog=totals.backlog,
            remaining=totals.remaining,
            plans_on_track=totals.plans_on_track,
            on_track_share=totals.on_track_share,
        )
        for totals in specialism_totals(plans=plans)
    ]
