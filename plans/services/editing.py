"""Creating and editing a plan: its insurer, period, measures and lines (from the API, the web
forms, the lines editor or an Excel upload), and deleting a draft never submitted.

A plan belongs to the provider of the planner (or provider API key) that creates it and is
addressed to an existing insurer. The period is whole months, the last not before the first, at
most :data:`MAX_PERIOD_MONTHS` months, within :data:`PERIOD_YEARS_AROUND_TODAY` years of the
current year (a catch-up plan is about the care postponed now: 2062 for 2026 is a typing error,
and year 9999 is no period at all — its forecast ran off the calendar); a provider's plans for
the same insurer do not overlap (closed plans aside). Only drafts and plans with changes requested
are edited, and the insurer changes only while the plan is a draft. Every change is an audit
event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction, Organisation, OrganisationKind
from accounts.services import audit_record
from core.dates import plausible_date_errors
from core.errors import ApplicationError, raise_if
from core.months import month_format, month_of, month_parse, months_between
from plans.excel.reader import WorkbookError, read_plan_lines
from plans.inputs import LineInput
from plans.models import MEASURE_KEYS, MEASURE_MAX_LENGTH, Plan, PlanLine, PlanStatus
from plans.services.lifecycle import plan_locked, record_transition, require_editable, require_owner
from plans.services.lines import CleanLine, PlanLinesError, lines_clean
from plans.services.progress import plan_forecast_refresh
from providers.models import Provider, Specialism

MAX_PERIOD_MONTHS = 24
PERIOD_YEARS_AROUND_TODAY = 5


# --- Checks -------------------------------------------------------------------------------------
def _period_window_errors(
    *, start: date, end: date, today: date, changed: tuple[bool, bool] = (True, True)
) -> dict[str, list[str]]:
    """The period's ends (those that ``changed``) within five years of ``today``'s year."""

    def window_errors(month: date) -> list[str]:
        return plausible_date_errors(
            month,
            today=today,
            first_year=today.year - PERIOD_YEARS_AROUND_TODAY,
            last_year=today.year + PERIOD_YEARS_AROUND_TODAY,
        )

    errors = {
        "period_start": window_errors(start) if changed[0] else [],
        "period_end": window_errors(end) if changed[1] else [],
    }
    return {field: messages for field, messages in errors.items() if messages}


def _period_errors(*, start: date, end: date) -> dict[str, list[str]]:
    if end < start:
        return {"period_end": [_("The last month cannot be before the first month.")]}
    if months_between(start, end) + 1 > MAX_PERIOD_MONTHS:
        return {
            "period_end": [
                _("A plan covers at most %(months)d months.") % {"months": MAX_PERIOD_MONTHS}
            ]
        }
    return {}


def _overlap_errors(
    *, provider_id: int, insurer: Organisation, start: date, end: date, plan: Plan | None
) -> dict[str, list[str]]:
    overlapping = (
        Plan.objects.filter(
            provider_id=provider_id,
            insurer=insurer,
            period_start__lte=end,
            period_end__gte=start,
        )
        .exclude(status=PlanStatus.CLOSED)
        .exclude(pk__in=[plan.pk] if plan else [])
        .first()
    )
    if overlapping is None:
        return {}
    return {
        "period_start": [
            _(
                "Your plan for %(insurer)s of %(start)s – %(end)s already covers (part of) this "
                "period: change that plan instead."
            )
            % {
                "insurer": insurer.name,
                "start": month_format(overlapping.period_start),
                "end": month_format(overlapping.period_end),
            }
        ]
    }


def _insurer_errors(insurer: Organisation | None) -> dict[str, list[str]]:
    if insurer is None or insurer.kind != OrganisationKind.INSURER:
        return {"insurer": [_("Unknown insurer.")]}
    return {}


def _measures_clean(measures: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, list[str]]]:
    cleaned: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for key, value in measures.items():
        if key not in MEASURE_KEYS:
            errors.setdefault("measures", []).append(
                _("Unknown measure section: %(key)s.") % {"key": key}
            )
            continue
        text = "" if value is None else str(value)
        if "\x00" in text:
            errors.setdefault(key, []).append(_("The text contains a NUL character."))
        elif len(text) > MEASURE_MAX_LENGTH:
            errors.setdefault(key, []).append(
                _("Keep this text under %(max)d characters.") % {"max": MEASURE_MAX_LENGTH}
            )
        cleaned[key] = text.strip()
    return cleaned, errors


# --- Create and edit ----------------------------------------------------------------------------
def _lines_store(*, plan: Plan, lines: list[CleanLine]) -> None:
    plan.lines.all().delete()
    PlanLine.objects.bulk_create(
        [
            PlanLine(
                plan=plan,
                specialism=line.specialism,
                urgency_class=line.urgency_class,
                backlog=line.backlog,
                planned=line.planned,
            )
            for line in lines
        ]
    )


@transaction.atomic
def plan_create(
    *,
    actor: Actor,
    insurer: Organisation | None,
    period_start: date,
    period_end: date,
    measures: Mapping[str, Any] | None = None,
    lines: Sequence[LineInput] = (),
    source: str = "web",
    request: Any = None,
) -> Plan:
    """A new draft plan of the actor's provider, addressed to ``insurer``."""
    if not actor.is_provider or actor.provider_id is None or not actor.has_role("planner"):
        raise PermissionDenied
    provider = Provider.objects.select_for_update().get(pk=actor.provider_id)
    period_start, period_end = month_of(period_start), month_of(period_end)
    cleaned_measures, errors = _measures_clean(measures or {})
    errors.update(_insurer_errors(insurer))
    errors.update(_period_errors(start=period_start, end=period_end))
    for field, messages in _period_window_errors(
        start=period_start, end=period_end, today=timezone.localdate()
    ).items():
        errors.setdefault(field, []).extend(messages)
    if not errors:
        assert insurer is not None
        errors.update(
            _overlap_errors(
                provider_id=provider.pk,
                insurer=insurer,
                start=period_start,
                end=period_end,
                plan=None,
            )
        )
    raise_if(errors)
    assert insurer is not None
    clean = lines_clean(lines, period_start=period_start, period_end=period_end)
    now = timezone.now()
    plan = Plan.objects.create(
        provider=provider,
        insurer=insurer,
        period_start=period_start,
        period_end=period_end,
        created_by=actor.label,
        created_at=now,
        updated_at=now,
        **cleaned_measures,
    )
    _lines_store(plan=plan, lines=clean)
    plan_forecast_refresh(plan=plan)
    record_transition(plan=plan, actor=actor, from_status="")
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=plan,
        request=request,
        detail={
            "insurer": insurer.uzovi,
            "period": [month_format(period_start), month_format(period_end)],
            "lines": len(clean),
            "source": source,
        },
    )
    return plan


@transaction.atomic
def plan_update(
    *,
    actor: Actor,
    plan: Plan,
    insurer: Organisation | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    measures: Mapping[str, Any] | None = None,
    lines: Sequence[LineInput] | None = None,
    source: str = "web",
    request: Any = None,
) -> Plan:
    """Change a draft or a plan with changes requested. ``None`` leaves a part as it is;
    ``lines`` replaces all lines. The lines are checked against the (new) period."""
    require_owner(actor=actor, plan=plan)
    plan = plan_locked(plan)
    require_editable(plan)
    new_start = month_of(period_start) if period_start else plan.period_start
    new_end = month_of(period_end) if period_end else plan.period_end
    cleaned_measures, errors = _measures_clean(measures or {})
    if insurer is not None and insurer.pk != plan.insurer_id:
        errors.update(_insurer_errors(insurer))
        if plan.status != PlanStatus.DRAFT and "insurer" not in errors:
            errors["insurer"] = [
                _(
                    "The insurer has received this plan already: it cannot be addressed to "
                    "another insurer."
                )
            ]
    new_insurer = insurer or plan.insurer
    errors.update(_period_errors(start=new_start, end=new_end))
    for field, messages in _period_window_errors(
        start=new_start,
        end=new_end,
        today=timezone.localdate(),
        changed=(new_start != plan.period_start, new_end != plan.period_end),
    ).items():
        errors.setdefault(field, []).extend(messages)
    if not errors:
        errors.update(
            _overlap_errors(
                provider_id=plan.provider_id,
                insurer=new_insurer,
                start=new_start,
                end=new_end,
                plan=plan,
            )
        )
    if not errors and (new_start, new_end) != (plan.period_start, plan.period_end):
        outside = (
            plan.progress.exclude(month__gte=new_start, month__lte=new_end)
            .order_by("month")
            .first()
        )
        if outside is not None:
            errors["period_start"] = [
                _("Progress has been reported for %(month)s, which would fall outside the period.")
                % {"month": month_format(outside.month)}
            ]
    raise_if(errors)

    if lines is None:
        # The existing lines must fit a changed period too.
        existing = [
            LineInput(
                specialism=line.specialism.code,
                urgency_class=line.urgency_class,
                backlog=line.backlog,
                planned=tuple(
                    (month, volume)
                    for key, volume in line.planned.items()
                    if (month := month_parse(key)) is not None
                ),
            )
            for line in plan.lines.select_related("specialism")
        ]
        clean = lines_clean(existing, period_start=new_start, period_end=new_end)
    else:
        clean = lines_clean(lines, period_start=new_start, period_end=new_end)

    changes: dict[str, Any] = {}
    if new_insurer.pk != plan.insurer_id:
        changes["insurer"] = [plan.insurer.uzovi, new_insurer.uzovi]
        plan.insurer = new_insurer
    if (new_start, new_end) != (plan.period_start, plan.period_end):
        changes["period"] = [
            [month_format(plan.period_start), month_format(plan.period_end)],
            [month_format(new_start), month_format(new_end)],
        ]
        plan.period_start, plan.period_end = new_start, new_end
    for key, text in cleaned_measures.items():
        if getattr(plan, key) != text:
            changes.setdefault("measures", []).append(key)
            setattr(plan, key, text)
    plan.updated_at = timezone.now()
    plan.save()
    if lines is not None:
        _lines_store(plan=plan, lines=clean)
        changes["lines"] = len(clean)
    plan_forecast_refresh(plan=plan)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=plan,
        request=request,
        detail={"changes": changes, "source": source},
    )
    return plan


@transaction.atomic
def plan_lines_replace(
    *,
    actor: Actor,
    plan: Plan,
    lines: Sequence[LineInput],
    source: str = "web",
    request: Any = None,
) -> Plan:
    """Replace all lines of a draft or a plan with changes requested (the lines editor)."""
    return plan_update(actor=actor, plan=plan, lines=lines, source=source, request=request)


@transaction.atomic
def plan_lines_import(*, actor: Actor, plan: Plan, data: bytes, request: Any = None) -> Plan:
    """Replace the lines with those of an uploaded workbook (``plans.excel.reader``), all or
    nothing.

    Errors name the sheet, row and column; they are raised as a field error of ``file``."""
    require_owner(actor=actor, plan=plan)
    require_editable(plan)
    known = set(Specialism.objects.filter(is_active=True).values_list("code", flat=True))
    try:
        lines = read_plan_lines(
            data,
            period_start=plan.period_start,
            period_end=plan.period_end,
            known_specialisms=known,
        )
    except WorkbookError as exc:
        raise ValidationError({"file": exc.errors}) from exc
    try:
        return plan_update(actor=actor, plan=plan, lines=lines, source="xlsx", request=request)
    except PlanLinesError as exc:
        raise ValidationError({"file": [error.message for error in exc.line_errors]}) from exc


@transaction.atomic
def plan_delete(*, actor: Actor, plan: Plan, request: Any = None) -> None:
    """Remove a draft that was never submitted (the insurer has seen nothing of it)."""
    require_owner(actor=actor, plan=plan)
    plan = plan_locked(plan)
    if plan.status != PlanStatus.DRAFT or plan.version:
        raise ApplicationError(_("Only a draft that was never submitted can be deleted."))
    detail = {
        "insurer": plan.insurer.uzovi,
        "period": [month_format(plan.period_start), month_format(plan.period_end)],
    }
    pk = plan.pk
    plan.delete()
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        object_type="plans.plan",
        object_id=str(pk),
        request=request,
        detail=detail,
    )
