"""Reads of mediation cases for staff: the mediators' work queue and case lookups, the receiving
provider's incoming patients, and the outcomes dashboard.

Access (DESIGN §5): a case is seen only by the mediators of its insurer (an insurer's API key acts
as mediator); a receiving provider's planners see only the scheduling data of patients who
accepted an offer at one of their locations. Anything else is an empty queryset. Looking up one
object (404 when it is not yours, exactly like a missing one) is ``mediation.permissions``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models import Case as Switch
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import INSURER_ROLES, scope_to_organisation
from core.months import month_add, month_of
from mediation.models import (
    Case,
    CaseOutcome,
    CaseStatus,
    Offer,
    OfferStatus,
)
from providers.models import Specialism

# Who works the cases (an insurer's API key holds the mediator role too).
CASE_ROLES = (Role.MEDIATOR,)
# Who reads the outcomes dashboard: aggregate figures of the own insurer, no patient data.
OUTCOME_ROLES = INSURER_ROLES
# Who receives placed patients.
INCOMING_ROLES = (Role.PLANNER,)
# Confirmed appointments stay on the incoming list this long, for the planner's reference.
INCOMING_CONFIRMED_DAYS = 30

# Published Dutch figures the outcomes are compared with (DESIGN §3.3): insurers help about 80 %
# of mediation requests, and mediated patients are helped 32 to 78 days sooner.
BENCHMARK_HELPED_PERCENTAGE = 80
BENCHMARK_DAYS_GAINED_LOW = 32
BENCHMARK_DAYS_GAINED_HIGH = 78
# "Helped": placed elsewhere, or helped sooner at the current provider after the insurer stepped in.
HELPED_OUTCOMES = (CaseOutcome.PLACED, CaseOutcome.RESOLVED_AT_CURRENT_PROVIDER)


# --- Cases ---------------------------------------------------------------------------------------
def case_list_for(*, actor: Actor) -> QuerySet[Case]:
    """The cases an actor may see: its own insurer's, for mediators; nothing for anyone else."""
    if not actor.has_role(*CASE_ROLES):
        return Case.objects.none()
    return scope_to_organisation(
        Case.objects.select_related(
            "specialism",
            "treatment",
            "current_location",
            "current_location__provider",
            "assigned_to",
            "insurer",
        ),
        actor=actor,
        insurer_field="insurer",
    )


def case_queue_for(
    *,
    actor: Actor,
    today: date,
    statuses: Iterable[str] | None = None,
    specialism_code: str | None = None,
    urgency_class: int | None = None,
    overdue: bool | None = None,
    assigned_to_id: int | None = None,
) -> QuerySet[Case]:
    """The work queue: the actor's cases, filtered, **overdue first**, then by first-contact due
    date, urgency class (3 before 4 and 5, DESIGN §3.2) and the oldest request.

    ``overdue``: ``True`` only overdue cases, ``False`` only cases that are not, ``None`` both.
    Every case carries ``is_overdue``."""
    cases = case_list_for(actor=actor).with_overdue(today=today)  # type: ignore[attr-defined]
    if statuses:
        cases = cases.filter(status__in=list(statuses))
    if specialism_code:
        cases = cases.filter(specialism__code=specialism_code)
    if urgency_class is not None:
        cases = cases.filter(urgency_class=urgency_class)
    if overdue is not None:
        cases = cases.filter(is_overdue=overdue)
    if assigned_to_id is not None:
        cases = cases.filter(assigned_to_id=assigned_to_id)
    return cases.order_by(
        F("is_overdue").desc(), "first_contact_due", "urgency_class", "submitted_at", "id"
    )


def case_timeline(*, case: Case) -> QuerySet:
    return case.events.select_related("actor", "offer", "offer__location").order_by("at", "id")


def case_offer_list(*, case: Case) -> QuerySet[Offer]:
    return case.offers.select_related(
        "location", "location__provider", "capacity_offer", "made_by"
    ).order_by("-made_at", "-id")


# --- Receiving provider --------------------------------------------------------------------------
def incoming_offer_list_for(*, actor: Actor, today: date) -> QuerySet[Offer]:
    """Accepted offers at the planner's own locations: those awaiting an appointment date first
    (earliest expected date first), then those confirmed in the last 30 days."""
    if not actor.has_role(*INCOMING_ROLES) or actor.provider_id is None:
        return Offer.objects.none()
    since = timezone.now() - timedelta(days=INCOMING_CONFIRMED_DAYS)
    return (
        Offer.objects.filter(
            location__provider_id=actor.provider_id,
            status=OfferStatus.ACCEPTED,
            case__anonymised_at__isnull=True,
        )
        .filter(
            Q(case__status=CaseStatus.ACCEPTED)
            | Q(case__status=CaseStatus.COMPLETED, confirmed_at__gte=since)
        )
        .select_related("case", "case__specialism", "case__treatment", "location")
        .annotate(
            awaiting=Switch(
                When(case__status=CaseStatus.ACCEPTED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("awaiting", "expected_date", "id")
    )


# --- Outcomes dashboard --------------------------------------------------------------------------
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
