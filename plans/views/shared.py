"""Web pages of one plan that planners and contract managers share: the plan with its forecast
and burn-down chart, a submitted version with what changed since the one before, and the export
as a workbook. What each party sees is decided by ``plans.permissions`` (others' plans are 404).

Also the helpers the pages of several audiences use (the facts and file names of workbooks, the
differences between versions).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.permissions import view_role_required
from accounts.services import audit_record
from core.months import month_format
from plans.diff import SnapshotDiff
from plans.excel import XLSX_CONTENT_TYPE
from plans.excel.writer import ForecastRow, SheetRow, export_workbook
from plans.forecast import Forecast
from plans.forms import CommentForm
from plans.models import MEASURES, Plan, PlanStatus
from plans.permissions import (
    PLAN_INSURER_ROLES,
    PLAN_PROVIDER_ROLES,
    access_plan_for,
    is_plan_owner,
    is_plan_reviewer,
)
from plans.selectors.plans import (
    PlanPicture,
    plan_burn_down_chart,
    plan_history,
    plan_last_review,
    plan_picture,
    plan_version_diff,
    plan_versions,
)
from plans.services.progress import PROGRESS_STATUSES
from providers.models import Specialism

STAFF_ROLES = (*PLAN_PROVIDER_ROLES, *PLAN_INSURER_ROLES)


def _forecast_rows(picture: PlanPicture) -> list[ForecastRow]:
    def row(label: str, urgency_class: int | None, forecast: Forecast) -> ForecastRow:
        return ForecastRow(
            label=label,
            urgency_class=urgency_class,
            backlog=forecast.backlog,
            planned_total=forecast.planned_total,
            realised_to_date=forecast.realised_to_date,
            remaining=forecast.remaining,
            pace=None
            if forecast.pace is None
            else Decimal(forecast.pace.numerator) / Decimal(forecast.pace.denominator),
            projected_clearance_month=forecast.projected_clearance_month,
            on_track=forecast.on_track,
            behind=forecast.behind,
        )

    return [
        *[
            row(f"{view.specialism.code} {view.specialism.name}", view.urgency_class, view.forecast)
            for view in picture.lines
        ],
        row(_("Total"), None, picture.total),
    ]


def _actions(plan: Plan, *, actor: Actor) -> dict[str, bool]:
    owner = is_plan_owner(actor=actor, plan=plan)
    reviewer = is_plan_reviewer(actor=actor, plan=plan)
    return {
        "edit": owner and plan.is_editable,
        "submit": owner and plan.is_editable,
        "delete": owner and plan.status == PlanStatus.DRAFT and plan.version == 0,
        "progress": owner and plan.status in PROGRESS_STATUSES,
        "review": reviewer and plan.status == PlanStatus.SUBMITTED,
        "close": reviewer and plan.status == PlanStatus.APPROVED,
    }


@view_role_required(*STAFF_ROLES)
def plan_detail(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    plan = access_plan_for(actor=actor, pk=pk)
    picture = plan_picture(plan=plan)
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "picture": picture,
            "chart": plan_burn_down_chart(picture=picture),
            "history": plan_history(plan=plan),
            "versions": plan_versions(plan=plan),
            "last_review": plan_last_review(plan=plan),
            "actions": _actions(plan, actor=actor),
            "submit_form": CommentForm(),
            "close_form": CommentForm(),
            "is_owner": is_plan_owner(actor=actor, plan=plan),
        },
    )


def plan_file_slug(plan: Plan) -> str:
    """The start of a workbook's file name: provider and period."""
    return slugify(
        f"plan-inhaalzorg-{plan.provider.name}-{month_format(plan.period_start)}-"
        f"{month_format(plan.period_end)}"
    )


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A workbook as a download."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def plan_facts(plan: Plan) -> list[tuple[str, str]]:
    """The facts on a workbook's first sheet (the template's and the export's)."""
    return [
        (_("Provider"), f"{plan.provider.name} (AGB {plan.provider.agb_code})"),
        (_("Insurer"), f"{plan.insurer.name} (UZOVI {plan.insurer.uzovi})"),
        (_("Period"), f"{month_format(plan.period_start)} – {month_format(plan.period_end)}"),
        (_("Status"), str(plan.get_status_display())),
        (_("Version"), str(plan.version)),
        (_("Date"), timezone.localdate().isoformat()),
    ]


@view_role_required(*STAFF_ROLES)
def plan_export(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    """The whole plan as a workbook: lines (re-uploadable), measures, progress and forecast."""
    plan = access_plan_for(actor=actor, pk=pk)
    picture = plan_picture(plan=plan)
    names = {view.specialism.code: view.specialism.name for view in picture.lines}
    content = export_workbook(
        title=str(plan),
        facts=plan_facts(plan),
        months=picture.months,
        rows=[
            SheetRow(
                view.specialism.code,
                view.specialism.name,
                view.urgency_class,
                view.line.backlog,
                dict(view.figures.planned),
            )
            for view in picture.lines
        ],
        measures=[(label, text) for _key, label, text in plan.measure_sections()],
        progress=[
            SheetRow(code, names.get(code, ""), urgency_class, None, dict(months))
            for (code, urgency_class), months in sorted(picture.progress.items())
        ],
        forecast=_forecast_rows(picture),
    )
    audit_record(actor=actor, action=AuditAction.EXPORT, obj=plan, request=request)
    return xlsx_response(content, f"{plan_file_slug(plan)}.xlsx")


def diff_context(plan: Plan, number: int | None = None) -> dict[str, Any]:
    """A version (default: the latest) and what changed since the one before, for the review
    and version pages."""
    version, diff = plan_version_diff(plan=plan, number=number)
    return {
        "version": version,
        "diff": diff,
        "measure_labels": dict(MEASURES),
        "diff_line_names": _diff_line_names(diff),
    }


def _diff_line_names(diff: SnapshotDiff | None) -> dict[str, str]:
    if diff is None:
        return {}
    codes = {change.specialism for change in diff.lines}
    return dict(Specialism.objects.filter(code__in=codes).values_list("code", "name"))


@view_role_required(*STAFF_ROLES)
def plan_version_view(request: HttpRequest, pk: int, number: int, *, actor: Actor) -> HttpResponse:
    """One submitted version as it was sent, and what changed since the one before."""
    plan = access_plan_for(actor=actor, pk=pk)
    context = diff_context(plan, number)
    version = context["version"]
    if version is None or version.number != number:
        raise Http404
    snapshot = version.snapshot
    names = dict(
        Specialism.objects.filter(
            code__in=[line["specialism"] for line in snapshot["lines"]]
        ).values_list("code", "name")
    )
    months = sorted({m for line in snapshot["lines"] for m in line["planned"]})
    return render(
        request,
        "plans/plan_version.html",
        {
            "plan": plan,
            **context,
            "measures": [(label, snapshot["measures"].get(key, "")) for key, label in MEASURES],
            "snapshot_lines": [
                {
                    **line,
                    "name": names.get(line["specialism"], ""),
                    "cells": [line["planned"].get(m, "") for m in months],
                    "planned_total": sum(line["planned"].values()),
                }
                for line in snapshot["lines"]
            ],
            "snapshot_months": months,
        },
    )
