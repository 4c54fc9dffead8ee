"""How insurers mediate, for the regulator (issue 14): per insurer and month, aggregates only.

For each insurer and each calendar month of the period (the month a request was **submitted**,
so that every figure of a row is about the same requests):

* ``requests``: mediation requests submitted that month;
* ``finished`` and ``helped``: of those, the ones finished (completed or closed) and the ones
  helped (placed, or helped sooner at the current provider — the outcomes dashboard's rule);
  ``helped_percentage`` = helped / finished;
* ``median_days_gained``: the **median** days gained by the placed ones (the median, not the mean:
  one patient helped a year sooner does not make a month look good);
* ``first_contact_met_percentage``: of the requests whose first contact is known or already due
  (contact made, or the due date passed), the share with the first contact on or before its due
  date (the insurer's first-contact deadline, in Dutch working days).

**No patient data**: no names, references, dates of birth, postcodes or any field of a case
leaves this module — only counts, shares and a median per insurer and month. **Small cells are
suppressed**: a row with fewer than :data:`MIN_CELL` requests shows no figures at all (only that
it is suppressed), so that no single patient's outcome can be read from it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind
from core.months import month_add, month_of
from mediation.models import Case, CaseOutcome, CaseStatus
from mediation.selectors.outcomes import HELPED_OUTCOMES, _percentage

# Rows with fewer requests than this show no figures (small-cell suppression).
MIN_CELL = 5


@dataclass(frozen=True)
class InsurerMonthRow:
    insurer_uzovi: str
    insurer_name: str
    month: date
    suppressed: bool
    requests: int | None
    finished: int | None
    helped: int | None
    helped_percentage: Decimal | None
    median_days_gained: float | None
    first_contact_due: int | None
    first_contact_met: int | None
    first_contact_met_percentage: Decimal | None

    @property
    def month_label(self) -> str:
        return self.month.strftime("%Y-%m")


@dataclass(frozen=True)
class InsurerOutcomes:
    today: date
    period_start: date
    min_cell: int
    rows: list[InsurerMonthRow]


def insurer_outcomes_aggregate(*, today: date, months: int = 12) -> InsurerOutcomes:
    """Per insurer and month of submission over the last ``months`` calendar months (this month
    included): the figures of the module docstring, small cells suppressed."""
    period_start = month_add(month_of(today), -(months - 1))
    start_moment = timezone.make_aware(datetime.combine(period_start, time.min))
    cases = Case.objects.filter(submitted_at__gte=start_moment)
    finished_statuses = (CaseStatus.COMPLETED, CaseStatus.CLOSED)
    contact_known = Q(first_contact_at__isnull=False) | Q(first_contact_due__lt=today)
    grouped = (
        cases.annotate(month=TruncMonth("submitted_at"))
        .values("insurer_id", "month")
        .annotate(
            requests=Count("id"),
            finished=Count("id", filter=Q(status__in=finished_statuses)),
            helped=Count("id", filter=Q(status__in=finished_statuses, outcome__in=HELPED_OUTCOMES)),
            contact_due=Count("id", filter=contact_known),
            contact_met=Count(
                "id",
                filter=Q(
                    first_contact_at__isnull=False,
                    first_contact_at__date__lte=F("first_contact_due"),
                ),
            ),
        )
        .order_by()
    )
    gained: dict[tuple[int, date], list[int]] = defaultdict(list)
    for insurer_id, month, gained_days in (
        cases.filter(outcome=CaseOutcome.PLACED, days_gained__isnull=False)
        .annotate(month=TruncMonth("submitted_at"))
        .values_list("insurer_id", "month", "days_gained")
    ):
        if gained_days is not None:
            gained[(insurer_id, _as_date(month))].append(gained_days)
    insurers = {
        organisation.pk: organisation
        for organisation in Organisation.objects.filter(kind=OrganisationKind.INSURER)
    }
    rows = []
    for row in grouped:
        insurer = insurers.get(row["insurer_id"])
        if insurer is None:
            continue
        month = _as_date(row["month"])
        if row["requests"] < MIN_CELL:
            rows.append(
                InsurerMonthRow(
                    insurer_uzovi=insurer.uzovi or "",
                    insurer_name=insurer.name,
                    month=month,
                    suppressed=True,
                    requests=None,
                    finished=None,
                    helped=None,
                    helped_percentage=None,
                    median_days_gained=None,
                    first_contact_due=None,
                    first_contact_met=None,
                    first_contact_met_percentage=None,
                )
            )
            continue
        placed_days = gained.get((row["insurer_id"], month), [])
        rows.append(
            InsurerMonthRow(
                insurer_uzovi=insurer.uzovi or "",
                insurer_name=insurer.name,
                month=month,
                suppressed=False,
                requests=row["requests"],
                finished=row["finished"],
                helped=row["helped"],
                helped_percentage=_percentage(row["helped"], row["finished"]),
                median_days_gained=(float(statistics.median(placed_days)) if placed_days else None),
                first_contact_due=row["contact_due"],
                first_contact_met=row["contact_met"],
                first_contact_met_percentage=_percentage(row["contact_met"], row["contact_due"]),
            )
        )
    rows.sort(key=lambda r: (r.insurer_name, r.insurer_uzovi, r.month))
    return InsurerOutcomes(today=today, period_start=period_start, min_cell=MIN_CELL, rows=rows)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
