"""Writes of plans (DESIGN §3.4; issue 5): create and edit a plan, its lifecycle, progress.

Rules kept here, for the API, the web UI and the Excel upload alike:

* A plan belongs to the provider of the planner (or provider API key) that creates it and is
  addressed to an existing insurer. Only that provider's planners write it; only the contract
  managers of the addressed insurer review and close it (callers find plans through
  ``plans.permissions``, so others get 404 before they get here).
* The period is whole months, the last not before the first, at most
  :data:`MAX_PERIOD_MONTHS` months. A provider has one plan per insurer for any month: periods of
  its plans for the same insurer do not overlap (closed plans aside).
* Lines: one per specialism × urgency class (3, 4 or 5: classes 1 and 2 are acute care); a known
  specialism; a whole, non-negative backlog and planned volumes; planned months inside the
  period. All lines are checked at once and every problem is named; nothing is stored on error.
* Lifecycle ``draft → submitted → (changes_requested → submitted)* → approved → closed``, one
  service per transition, checked against :data:`TRANSITIONS`; anything else raises
  ``ApplicationError`` (400). Only drafts and plans with changes requested are edited; the
  insurer of a plan changes only while it is a draft. A submission needs at least one line and
  stores an immutable snapshot as a new version. Requesting changes needs a comment.
* Progress (realised volume per line and month) is reported for plans the insurer has received
  and not closed, for months of the period that have begun; reporting a month again corrects it.
* After every change of lines, period or progress the forecast (``plans.forecast``) is stored on
  the plan and its lines. Every change is recorded in the audit trail; every transition as a
  :class:`~plans.models.PlanTransition` (who, when, comment).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.actors import Actor
from accounts.models import AuditAction, Organisation, OrganisationKind
from accounts.services import audit_record
from core.errors import ApplicationError, raise_if
from core.months import month_format, month_of, month_parse, months_between
from plans.excel import WorkbookError, read_plan_lines
from plans.forecast import PlanForecast
from plans.inputs import LineInput, ProgressLineInput
from plans.models import (
    EDITABLE_STATUSES,
    MAX_VOLUME,
    MEASURE_KEYS,
    MEASURE_MAX_LENGTH,
    Plan,
    PlanLine,
    PlanProgress,
    PlanStatus,
    PlanTransition,
    PlanVersion,
)
from plans.permissions import is_plan_owner, is_plan_reviewer
from plans.selectors.plans import plan_picture, plan_snapshot
from providers.models import MEDIATED_URGENCY_CLASSES, Provider, Specialism

MAX_PERIOD_MONTHS = 24
MAX_LINES = 500
MAX_COMMENT_LENGTH = 5_000
_SPECIALISM_CODE = re.compile(r"^\d{4}$")

# The lifecycle (DESIGN §3.4): action → (statuses it may start from, status it leads to).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (
        frozenset({PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED}),
        PlanStatus.SUBMITTED,
    ),
    "request_changes": (frozenset({PlanStatus.SUBMITTED}), PlanStatus.CHANGES_REQUESTED),
    "approve": (frozenset({PlanStatus.SUBMITTED}), PlanStatus.APPROVED),
    "close": (frozenset({PlanStatus.APPROVED}), PlanStatus.CLOSED),
}
REVIEW_DECISIONS = {"approve": "approve", "request_changes": "request_changes"}
# Progress is reported on plans the insurer has received, until they are closed.
PROGRESS_STATUSES = frozenset(
    {PlanStatus.SUBMITTED, PlanStatus.CHANGES_REQUESTED, PlanStatus.APPROVED}
)


# --- Errors -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineError:
    """One problem of one line: its position (from 0; ``None`` for the lines as a whole), the
    field it concerns (``None``: the line as a whole) and a message naming the line."""

    index: int | None
    field: str | None
    message: str


class PlanLinesError(ValidationError):
    """The lines have errors: nothing was stored. A field error of ``lines`` for the API; the
    web editor puts :attr:`line_errors` next to the rows they belong to."""

    def __init__(self, errors: list[LineError]):
        self.line_errors = errors
        super().__init__({"lines": [error.message for error in errors]})


def _line_label(line: LineInput | ProgressLineInput, index: int) -> str:
    if line.label:
        return line.label
    return _("Line %(number)d (%(specialism)s, class %(class)s)") % {
        "number": index + 1,
        "specialism": line.specialism,
        "class": line.urgency_class,
    }


# --- Checks -------------------------------------------------------------------------------------
def _require_owner(*, actor: Actor, plan: Plan) -> None:
    if not is_plan_owner(actor=actor, plan=plan):
        raise PermissionDenied


def _require_reviewer(*, actor: Actor, plan: Plan) -> None:
    if not is_plan_reviewer(actor=actor, plan=plan):
        raise PermissionDenied


def _require_editable(plan: Plan) -> None:
    if plan.status not in EDITABLE_STATUSES:
        raise ApplicationError(
            _(
                "Only a draft or a plan with changes requested can be changed; this plan is "
                "%(status)s."
            )
            % {"status": plan.get_status_display().lower()}
        )


def _is_whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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


@dataclass(frozen=True)
class _CleanLine:
    specialism: Specialism
    urgency_class: int
    backlog: int
    planned: dict[str, int]


def lines_clean(
    lines: Sequence[LineInput], *, period_start: date, period_end: date
) -> list[_CleanLine]:
    """Check every line (see the module docstring); raise :class:`PlanLinesError` naming each
    problem, or return the lines with their specialisms and ``{"YYYY-MM": volume}`` (months with
    a planned volume of 0 are left out)."""
    if len(lines) > MAX_LINES:
        raise PlanLinesError(
            [LineError(None, None, _("A plan has at most %(max)d lines.") % {"max": MAX_LINES})]
        )
    codes = {line.specialism for line in lines if _SPECIALISM_CODE.match(str(line.specialism))}
    specialisms = {s.code: s for s in Specialism.objects.filter(code__in=codes, is_active=True)}
    errors: list[LineError] = []
    seen: dict[tuple[str, int], int] = {}
    cleaned: list[_CleanLine] = []
    period = _("%(start)s – %(end)s") % {
        "start": month_format(period_start),
        "end": month_format(period_end),
    }

    for index, line in enumerate(lines):
        label = _line_label(line, index)

        def error(field: str | None, message: str, *, index: int = index, label: str = label):
            errors.append(LineError(index, field, f"{label}: {message}"))

        specialism = specialisms.get(str(line.specialism))
        if specialism is None:
            error(
                "specialism",
                _("unknown specialism “%(code)s” (give a Vektis code such as 0305).")
                % {"code": str(line.specialism)[:20]},
            )
        if not _is_whole_number(line.urgency_class) or line.urgency_class not in (
            MEDIATED_URGENCY_CLASSES
        ):
            error(
                "urgency_class",
                _("the urgency class is 3, 4 or 5 (classes 1 and 2 are acute care)."),
            )
        if not _is_whole_number(line.backlog) or not 0 <= line.backlog <= MAX_VOLUME:
            error(
                "backlog",
                _("the backlog is a whole number from 0 to %(max)d.") % {"max": MAX_VOLUME},
            )
        planned: dict[str, int] = {}
        outside: list[str] = []
        for month, volume in line.planned:
            key = month_format(month)
            if month < period_start or month > period_end:
                outside.append(key)
            elif key in planned:
                error("planned", _("%(month)s is given twice.") % {"month": key})
            elif not _is_whole_number(volume) or not 0 <= volume <= MAX_VOLUME:
                error(
                    "planned",
                    _("the planned volume of %(month)s is a whole number from 0 to %(max)d.")
                    % {"month": key, "max": MAX_VOLUME},
                )
            else:
                planned[key] = volume
        if outside:
            error(
                "planned",
                ngettext(
                    "%(months)s is outside the period of the plan (%(period)s).",
                    "%(months)s are outside the period of the plan (%(period)s).",
                    len(outside),
                )
                % {"months": ", ".join(sorted(outside)), "period": period},
            )
        if specialism is not None and _is_whole_number(line.urgency_class):
            key_ = (specialism.code, line.urgency_class)
            if key_ in seen:
                error(
                    None,
                    _(
                        "specialism %(specialism)s, urgency class %(class)s is already planned "
                        "in %(other)s; give each specialism and class one line."
                    )
                    % {
                        "specialism": specialism.code,
                        "class": line.urgency_class,
                        "other": _line_label(lines[seen[key_]], seen[key_]),
                    },
                )
            else:
                seen[key_] = index
        if specialism is not None and not errors:
            cleaned.append(
                _CleanLine(
                    specialism=specialism,
                    urgency_class=line.urgency_class,
                    backlog=line.backlog,
                    planned={key: planned[key] for key in sorted(planned) if planned[key]},
                )
            )
    if errors:
        raise PlanLinesError(errors)
    return cleaned


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


# --- Create and edit ----------------------------------------------------------------------------
def _lines_store(*, plan: Plan, lines: list[_CleanLine]) -> None:
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


def _record_transition(
    *, plan: Plan, actor: Actor, from_status: str, comment: str = ""
) -> PlanTransition:
    organisation = actor.organisation
    return PlanTransition.objects.create(
        plan=plan,
        from_status=from_status,
        to_status=plan.status,
        version=plan.version,
        comment=comment,
        actor=actor.user,
        actor_label=actor.label
        if actor.user is None
        else (actor.user.get_full_name() or actor.label),
        organisation_label=organisation.name if organisation else "",
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
    _record_transition(plan=plan, actor=actor, from_status="")
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


def _locked(plan: Plan) -> Plan:
    return Plan.objects.select_for_update().select_related("provider", "insurer").get(pk=plan.pk)


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
    _require_owner(actor=actor, plan=plan)
    plan = _locked(plan)
    _require_editable(plan)
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
    """Replace the lines with those of an uploaded workbook (``plans.excel``), all or nothing.

    Errors name the sheet, row and column; they are raised as a field error of ``file``."""
    _require_owner(actor=actor, plan=plan)
    _require_editable(plan)
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
    _require_owner(actor=actor, plan=plan)
    plan = _locked(plan)
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


# --- Lifecycle ----------------------------------------------------------------------------------
def _refusal(action: str) -> str:
    # The messages are listed for translation here (gettext needs literal strings).
    return {
        "submit": _(
            "Only a draft or a plan with changes requested can be submitted; this plan is "
            "%(status)s."
        ),
        "request_changes": _(
            "Only a submitted plan can be sent back for changes; this plan is %(status)s."
        ),
        "approve": _("Only a submitted plan can be approved; this plan is %(status)s."),
        "close": _("Only an approved plan can be closed; this plan is %(status)s."),
    }[action]


def _comment_clean(comment: str | None) -> str:
    text = (comment or "").strip()
    if "\x00" in text:
        raise ValidationError({"comment": [_("The text contains a NUL character.")]})
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            {
                "comment": [
                    _("Keep the comment under %(max)d characters.") % {"max": MAX_COMMENT_LENGTH}
                ]
            }
        )
    return text


def _transition(*, plan: Plan, action: str, actor: Actor, comment: str, request: Any) -> Plan:
    allowed_from, to_status = TRANSITIONS[action]
    if plan.status not in allowed_from:
        raise ApplicationError(_refusal(action) % {"status": plan.get_status_display().lower()})
    from_status = plan.status
    plan.status = to_status
    now = timezone.now()
    if to_status == PlanStatus.SUBMITTED:
        plan.version += 1
        plan.submitted_at = now
        PlanVersion.objects.create(
            plan=plan,
            number=plan.version,
            snapshot=plan_snapshot(plan=plan),
            submitted_at=now,
            submitted_by=actor.label,
        )
    elif to_status in (PlanStatus.APPROVED, PlanStatus.CHANGES_REQUESTED):
        plan.decided_at = now
    plan.updated_at = now
    plan.save(update_fields=["status", "version", "submitted_at", "decided_at", "updated_at"])
    _record_transition(plan=plan, actor=actor, from_status=from_status, comment=comment)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=plan,
        request=request,
        detail={"transition": [from_status, to_status], "version": plan.version},
    )
    return plan


@transaction.atomic
def plan_submit(*, actor: Actor, plan: Plan, comment: str = "", request: Any = None) -> Plan:
    """Send the plan to its insurer as a new version (a snapshot that stays readable)."""
    _require_owner(actor=actor, plan=plan)
    plan = _locked(plan)
    comment = _comment_clean(comment)
    if plan.status in TRANSITIONS["submit"][0] and not plan.lines.exists():
        raise ApplicationError(
            _("Add at least one line before you submit the plan."), field="lines"
        )
    return _transition(plan=plan, action="submit", actor=actor, comment=comment, request=request)


@transaction.atomic
def plan_approve(*, actor: Actor, plan: Plan, comment: str = "", request: Any = None) -> Plan:
    _require_reviewer(actor=actor, plan=plan)
    plan = _locked(plan)
    return _transition(
        plan=plan, action="approve", actor=actor, comment=_comment_clean(comment), request=request
    )


@transaction.atomic
def plan_request_changes(*, actor: Actor, plan: Plan, comment: str, request: Any = None) -> Plan:
    """Send the plan back to the provider, saying what has to change (a comment is required)."""
    _require_reviewer(actor=actor, plan=plan)
    plan = _locked(plan)
    comment = _comment_clean(comment)
    if not comment:
        raise ValidationError({"comment": [_("Say what has to change: a comment is required.")]})
    return _transition(
        plan=plan, action="request_changes", actor=actor, comment=comment, request=request
    )


def plan_review(
    *, actor: Actor, plan: Plan, decision: str, comment: str = "", request: Any = None
) -> Plan:
    """The insurer's decision on a submitted plan: ``approve`` or ``request_changes``."""
    if decision == "approve":
        return plan_approve(actor=actor, plan=plan, comment=comment, request=request)
    if decision == "request_changes":
        return plan_request_changes(actor=actor, plan=plan, comment=comment, request=request)
    raise ValidationError({"decision": [_("Choose approve or request_changes.")]})


@transaction.atomic
def plan_close(*, actor: Actor, plan: Plan, comment: str = "", request: Any = None) -> Plan:
    """End an approved plan (its period is over, or it is replaced by a new one)."""
    _require_reviewer(actor=actor, plan=plan)
    plan = _locked(plan)
    return _transition(
        plan=plan, action="close", actor=actor, comment=_comment_clean(comment), request=request
    )


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
    _require_owner(actor=actor, plan=plan)
    plan = _locked(plan)
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
        label = _line_label(line, index)
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
        elif not _is_whole_number(line.realised) or not 0 <= line.realised <= MAX_VOLUME:
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
