"""Monthly progress of a plan and the forecast stored from it.

Progress (realised volume per line and month) is reported for plans the insurer has received and
not closed (:data:`PROGRESS_STATUSES`), for months of the period that have begun; reporting a month
again corrects it. After every change of lines, period or progress the forecast
(``plans.forecast``) is stored on the plan and its lines (:func:`plan_forecast_refresh`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.services import audit_record
from core.errors import ApplicationError, raise_if
from core.months import month_format, month_of
from plans.forecast import PlanForecast
from plans.inputs import ProgressLineInput
from plans.models import MAX_VOLUME, Plan, PlanLine, PlanProgress, PlanStatus
from plans.selectors.plans import plan_picture
from plans.services.lifecycle import plan_locked, require_owner
from plans.services.lines import LineError, PlanLinesError, is_whole_number, line_label

# Progress is reported on plans the insurer has received, until they are closed.
PROGRESS_STATUSES = frozenset(
    {PlanStatus.SUBMITTED, PlanStatus.CHANGES_REQUESTED, PlanStatus.APPROVED}
)


# --- The forecast, stored ------------------------------------------------------------------------
LINE_FORECAST_FIELDS = [
    "realised_to_date",
    "remaining",
    "projected_clearance_month",
    "on_track",
    "behind",
]
PLAN_FORECAST_FIELDS = [
    "backlog_total",
    "realised_total",
    "remaining_total",
    "last_reported_month",
    "projected_clearance_month",
    "on_track",
    "behind",
]


def forecast_apply(*, plan: Plan, lines: Sequence[PlanLine], forecast: PlanForecast) -> None:
    """Copy ``forecast`` onto ``plan`` and ``lines`` (in the same order), without saving."""
    for line, line_forecast in zip(lines, forecast.lines, strict=True):
        line.realised_to_date = line_forecast.realised_to_date
        line.remaining = line_forecast.remaining
        line.projected_clearance_month = line_forecast.projected_clearance_month
        line.on_track = line_forecast.on_track
        line.behind = line_forecast.behind
    total = forecast.total
    plan.backlog_total = total.backlog
    plan.realised_total = total.realised_to_date
    plan.remaining_total = total.remaining
    plan.last_reported_month = total.last_reported_month
    plan.projected_clearance_month = total.projected_clearance_month
    plan.on_track = total.on_track
    plan.behind = total.behind


def plan_forecast_refresh(*, plan: Plan) -> Plan:
    """Recompute the forecast from the lines and progress in the database and store it."""
    picture = plan_picture(plan=plan)
    lines = [view.line for view in picture.lines]
    forecast_apply(plan=plan, lines=lines, forecast=picture.forecast)
    PlanLine.objects.bulk_update(lines, LINE_FORECAST_FIELDS)
    plan.save(update_fields=PLAN_FORECAST_FIELDS)
    return plan


# --- Progress -----------------------------------------------------------------------------------
@transaction.atomic
def plan_progress_report(
    *,
    actor: Actor,
    plan: Plan,
    month: date,
    lines: Sequence[ProgressLineInput],
    today: date | None = None,
    source: str = "web",
    request: Any = None,
) -> Plan:
    """Record the volume realised in ``month`` per line (reporting a month again corrects it)."""
    require_owner(actor=actor, plan=plan)
    plan = plan_locked(plan)
    today = today or timezone.localdate()
    if plan.status not in PROGRESS_STATUSES:
        raise ApplicationError(
            _(
                "Progress is reported once the plan has been submitted, until it is closed; "
                "this plan is %(status)s."
            )
            % {"status": plan.get_status_display().lower()}
        )
    month = month_of(month)
    errors: dict[str, list[str]] = {}
    if not plan.period_start <= month <= plan.period_end:
        errors["month"] = [
            _("%(month)s is outside the period of the plan (%(start)s – %(end)s).")
            % {
                "month": month_format(month),
                "start": month_format(plan.period_start),
                "end": month_format(plan.period_end),
            }
        ]
    elif month > month_of(today):
        errors["month"] = [_("%(month)s has not begun yet.") % {"month": month_format(month)}]
    if not lines:
        errors["lines"] = [_("Report the realised volume of at least one line.")]
    raise_if(errors)

    plan_lines = {
        (line.specialism.code, line.urgency_class): line
        for line in plan.lines.select_related("specialism")
    }
    line_errors: list[LineError] = []
    seen: set[tuple[str, int]] = set()
    for index, line in enumerate(lines):
        label = line_label(line, index)
        key = (str(line.specialism), line.urgency_class)
        if key not in plan_lines:
            line_errors.append(
                LineError(
                    index,
                    None,
                    _(
                        "%(line)s: the plan has no line for specialism %(specialism)s, class "
                        "%(class)s."
                    )
                    % {
                        "line": label,
                        "specialism": str(line.specialism)[:20],
                        "class": line.urgency_class,
                    },
                )
            )
        elif key in seen:
            line_errors.append(
                LineError(index, None, _("%(line)s: this line is given twice.") % {"line": label})
            )
        elif not is_whole_number(line.realised) or not 0 <= line.realised <= MAX_VOLUME:
            line_errors.append(
                LineError(
                    index,
                    "realised",
                    _("%(line)s: the realised volume is a whole number from 0 to %(max)d.")
                    % {"line": label, "max": MAX_VOLUME},
                )
            )
        seen.add(key)
    if line_errors:
        raise PlanLinesError(line_errors)

    now = timezone.now()
    existing = {(p.specialism_id, p.urgency_class): p for p in plan.progress.filter(month=month)}
    to_create, to_update = [], []
    for line in lines:
        plan_line = plan_lines[(str(line.specialism), line.urgency_class)]
        current = existing.get((plan_line.specialism_id, line.urgency_class))
        if current is None:
            to_create.append(
                PlanProgress(
                    plan=plan,
                    specialism=plan_line.specialism,
                    urgency_class=line.urgency_class,
                    month=month,
                    realised=line.realised,
                    reported_at=now,
                    reported_by=actor.label,
                )
            )
        else:
            current.realised = line.realised
            current.reported_at = now
            current.reported_by = actor.label
            to_update.append(current)
    PlanProgress.objects.bulk_create(to_create)
    PlanProgress.objects.bulk_update(to_update, ["realised", "reported_at", "reported_by"])
    plan.updated_at = now
    plan.save(update_fields=["updated_at"])
    plan_forecast_refresh(plan=plan)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=plan,
        request=request,
        detail={
            "progress": month_format(month),
            "lines": len(lines),
            "corrected": len(to_update),
            "source": source,
        },
    )
    return plan
