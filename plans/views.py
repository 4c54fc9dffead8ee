"""Web pages of Plannen Inhaalzorg (DESIGN §6).

Planners: their plans, a plan with its forecast and burn-down chart, the plan form, the lines
editor, the Excel template, upload and export, submission and monthly progress. Contract managers:
the inbox of submitted plans, the review page with what changed since the previous version, and
the portfolio with CSV export. The regulator: an overview of statuses and aggregates.

The views only collect input and show results; ``plans.services.plans`` holds every rule, and its
errors are shown next to the fields (and rows) they belong to.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.permissions import view_role_required
from accounts.services import audit_record
from core.csv_export import csv_response
from core.errors import ApplicationError
from core.forms import add_service_errors
from core.months import month_format, month_of, month_parse, month_range
from plans.diff import SnapshotDiff
from plans.excel import (
    XLSX_CONTENT_TYPE,
    ForecastRow,
    SheetRow,
    export_workbook,
    template_workbook,
)
from plans.forecast import Forecast
from plans.forms import (
    CommentForm,
    PlanForm,
    PlanLineForm,
    PlanProgressForm,
    PlanReviewForm,
    PlanUploadForm,
    month_label,
    plan_line_formset,
)
from plans.models import MEASURES, Plan, PlanStatus
from plans.permissions import (
    PLAN_INSURER_ROLES,
    PLAN_PROVIDER_ROLES,
    PLAN_READ_ROLES,
    PLAN_REGULATOR_ROLES,
    is_plan_owner,
    is_plan_reviewer,
    plan_for,
    plan_list_for,
)
from plans.selectors.plans import (
    PlanPicture,
    plan_history,
    plan_last_review,
    plan_lines,
    plan_picture,
    plan_version_diff,
    plan_versions,
    provider_specialisms,
)
from plans.selectors.reports import (
    COUNTED_STATUSES,
    insurer_totals,
    plan_aggregates,
    plan_inbox,
)
from plans.services.plans import (
    PROGRESS_STATUSES,
    PlanLinesError,
    plan_close,
    plan_create,
    plan_delete,
    plan_lines_import,
    plan_lines_replace,
    plan_progress_report,
    plan_review,
    plan_submit,
    plan_update,
)
from providers.models import Specialism

STAFF_ROLES = (*PLAN_PROVIDER_ROLES, *PLAN_INSURER_ROLES)
MAX_EXTRA_ROWS = 20
# Colours of the burn-down chart (and a line style each, so they differ without colour too).
_PLANNED_COLOUR = "#6c757d"
_ACTUAL_COLOUR = "#0a58ca"
_PROJECTED_COLOUR = "#b45f06"


# --- Lists --------------------------------------------------------------------------------------
@view_role_required(*PLAN_READ_ROLES)
def plan_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The plans page of the actor's role: a planner's plans, a contract manager's inbox, the
    regulator's overview."""
    if actor.has_role(*PLAN_PROVIDER_ROLES):
        plans = plan_list_for(actor=actor).order_by("-period_start", "insurer__name")
        return render(request, "plans/plan_list.html", {"plans": plans})
    if actor.has_role(*PLAN_INSURER_ROLES):
        return _inbox(request, actor=actor)
    return _overview(request, actor=actor)


def _inbox(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    plans = plan_list_for(actor=actor)
    return render(
        request,
        "plans/plan_inbox.html",
        {
            "inbox": plan_inbox(plans=plans),
            "changes_requested": plans.filter(status=PlanStatus.CHANGES_REQUESTED).order_by(
                "-decided_at"
            ),
            "aggregates": plan_aggregates(plans=plans),
        },
    )


@view_role_required(*PLAN_INSURER_ROLES)
def plan_inbox_view(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    return _inbox(request, actor=actor)


def _portfolio_plans(request: HttpRequest, *, actor: Actor) -> tuple[QuerySet[Plan], str, str]:
    """The insurer's plans, filtered by ``?status=`` and ``?on_track=yes|no``."""
    plans = plan_list_for(actor=actor).order_by("provider__name", "-period_start")
    chosen = request.GET.get("status", "")
    if chosen in COUNTED_STATUSES:
        plans = plans.filter(status=chosen)
    else:
        chosen = ""
    track = request.GET.get("on_track", "")
    if track in ("yes", "no"):
        plans = plans.filter(on_track=track == "yes")
    else:
        track = ""
    return plans, chosen, track


@view_role_required(*PLAN_INSURER_ROLES)
def plan_portfolio(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """All plans addressed to the insurer: status, on track, backlog totals per specialism."""
    plans, chosen, track = _portfolio_plans(request, actor=actor)
    if request.GET.get("format") == "csv":
        return _portfolio_csv(request, actor=actor, plans=plans)
    return render(
        request,
        "plans/plan_portfolio.html",
        {
            "plans": plans,
            "aggregates": plan_aggregates(plans=plans),
            "statuses": [(s, PlanStatus(s).label) for s in COUNTED_STATUSES],
            "chosen_status": chosen,
            "chosen_track": track,
            "query": request.GET.urlencode(),
        },
    )


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _portfolio_csv(request: HttpRequest, *, actor: Actor, plans: Any) -> HttpResponse:
    today = timezone.localdate().isoformat()
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="plans.plan",
        request=request,
        detail={"portfolio": request.GET.get("table", "plans")},
    )
    if request.GET.get("table") == "specialisms":
        totals = plan_aggregates(plans=plans).specialisms
        return csv_response(
            f"plannen-inhaalzorg-specialismen-{today}.csv",
            [
                _("specialism"),
                _("specialism name"),
                _("plans"),
                _("lines"),
                _("backlog at the start"),
                _("realised to date"),
                _("remaining backlog"),
                _("plans on track"),
                _("on-track share (%)"),
            ],
            [
                [
                    row.specialism_code,
                    row.specialism_name,
                    row.plans,
                    row.lines,
                    row.backlog,
                    row.realised,
                    row.remaining,
                    row.plans_on_track,
                    row.on_track_share if row.on_track_share is not None else "",
                ]
                for row in totals
            ],
        )
    return csv_response(
        f"plannen-inhaalzorg-{today}.csv",
        [
            _("plan"),
            _("provider AGB"),
            _("provider"),
            _("first month"),
            _("last month"),
            _("status"),
            _("version"),
            _("backlog at the start"),
            _("realised to date"),
            _("remaining backlog"),
            _("last reported month"),
            _("projected clearance month"),
            _("on track"),
            _("more than 10% behind plan"),
        ],
        [
            [
                plan.pk,
                plan.provider.agb_code,
                plan.provider.name,
                month_format(plan.period_start),
                month_format(plan.period_end),
                plan.get_status_display(),
                plan.version,
                plan.backlog_total,
                plan.realised_total,
                plan.remaining_total,
                month_format(plan.last_reported_month) if plan.last_reported_month else "",
                month_format(plan.projected_clearance_month)
                if plan.projected_clearance_month
                else "",
                _yes_no(plan.on_track),
                _yes_no(plan.behind),
            ]
            for plan in plans
        ],
    )


def _overview(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    plans = plan_list_for(actor=actor)
    return render(
        request,
        "plans/plan_overview.html",
        {
            "aggregates": plan_aggregates(plans=plans),
            "insurers": insurer_totals(plans=plans),
            "plans": plans.order_by("provider__name", "-period_start"),
        },
    )


@view_role_required(*PLAN_REGULATOR_ROLES)
def plan_overview(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The regulator's view: statuses and aggregates of every submitted plan, no review texts."""
    return _overview(request, actor=actor)


# --- One plan -----------------------------------------------------------------------------------
def _burn_down_data(picture: PlanPicture) -> dict[str, Any]:
    """The data of the burn-down chart (drawn by static/js/plans.js) and its labels."""
    points = picture.burn_down
    start_label = _("Start")
    return {
        "labels": [start_label, *[date_format(p.month, "M Y") for p in points]],
        "series": [
            {
                "key": "planned",
                "label": _("Planned"),
                "colour": _PLANNED_COLOUR,
                "dash": [6, 4],
                "data": [picture.total.backlog, *[p.planned_remaining for p in points]],
            },
            {
                "key": "actual",
                "label": _("Realised (reported)"),
                "colour": _ACTUAL_COLOUR,
                "dash": [],
                "data": [
                    picture.total.backlog if picture.total.last_reported_month else None,
                    *[p.actual_remaining for p in points],
                ],
            },
            {
                "key": "projected",
                "label": _("Forecast at the current pace"),
                "colour": _PROJECTED_COLOUR,
                "dash": [2, 3],
                "data": [None, *[p.projected_remaining for p in points]],
            },
        ],
        "y_title": _("Remaining backlog"),
        "x_title": _("End of month"),
    }


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
    plan = plan_for(actor=actor, pk=pk)
    picture = plan_picture(plan=plan)
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "picture": picture,
            "chart": _burn_down_data(picture),
            "history": plan_history(plan=plan),
            "versions": plan_versions(plan=plan),
            "last_review": plan_last_review(plan=plan),
            "actions": _actions(plan, actor=actor),
            "submit_form": CommentForm(),
            "close_form": CommentForm(),
            "is_owner": is_plan_owner(actor=actor, plan=plan),
        },
    )


@view_role_required(*PLAN_PROVIDER_ROLES)
def plan_create_view(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    today = timezone.localdate()
    year = today.year + 1 if today.month >= 10 else today.year
    form = PlanForm(
        request.POST or None,
        initial={"period_start": date(year, 1, 1), "period_end": date(year, 12, 1)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_create(
                actor=actor,
                insurer=form.cleaned_data["insurer"],
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                measures=form.measures(),
                request=request,
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Your plan has been created as a draft. Add its lines: in the editor, or with "
                    "the Excel template."
                ),
            )
            return redirect("plans:plan-detail", pk=plan.pk)
    return render(
        request,
        "plans/plan_form.html",
        {"form": form, "plan": None},
        status=400 if form.errors else 200,
    )


def _own_plan(*, actor: Actor, pk: int) -> Plan:
    plan = plan_for(actor=actor, pk=pk)
    if not is_plan_owner(actor=actor, plan=plan):
        raise Http404
    return plan


@view_role_required(*PLAN_PROVIDER_ROLES)
def plan_edit(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    plan = _own_plan(actor=actor, pk=pk)
    form = PlanForm(
        request.POST or None,
        insurer_locked=plan.status != PlanStatus.DRAFT,
        initial={
            "insurer": plan.insurer.uzovi,
            "period_start": plan.period_start,
            "period_end": plan.period_end,
            **plan.measures,
        },
    )
    if request.method == "POST" and plan.is_editable and form.is_valid():
        try:
            plan_update(
                actor=actor,
                plan=plan,
                insurer=form.cleaned_data["insurer"],
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                measures=form.measures(),
                request=request,
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect("plans:plan-detail", pk=plan.pk)
    return render(
        request,
        "plans/plan_form.html",
        {"form": form, "plan": plan},
        status=400 if form.errors else 200,
    )


@view_role_required(*PLAN_PROVIDER_ROLES)
def plan_lines_edit(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    """The lines editor: one row per specialism × class, a column per month of the period."""
    plan = _own_plan(actor=actor, pk=pk)
    picture_months = list(month_range(plan.period_start, plan.period_end))
    lines = plan_lines(plan=plan)
    try:
        extra = min(MAX_EXTRA_ROWS, max(0, int(request.GET.get("extra", ""))))
    except ValueError:
        extra = 0 if lines else 3
    initial = [PlanLineForm.initial_for(line) for line in lines]
    formset = plan_line_formset(
        months=picture_months,
        extra=extra,
        data=request.POST if request.method == "POST" else None,
        initial=initial,
    )
    if request.method == "POST" and plan.is_editable and formset.is_valid():
        kept = formset.kept_forms()
        try:
            plan_lines_replace(
                actor=actor,
                plan=plan,
                lines=[form.line_input() for _index, form in kept],  # type: ignore[attr-defined]
                request=request,
            )
        except PlanLinesError as exc:
            for error in exc.line_errors:
                if error.index is None:
                    formset.non_form_errors().append(error.message)  # type: ignore[attr-defined]
                    continue
                form = kept[error.index][1]
                field = error.field if error.field in form.fields else None
                form.add_error(field, error.message)
        except (ValidationError, ApplicationError) as exc:
            messages.error(
                request,
                exc.message if isinstance(exc, ApplicationError) else " ".join(exc.messages),
            )
        else:
            messages.success(request, _("The lines have been saved."))
            return redirect("plans:plan-detail", pk=plan.pk)
    has_errors = request.method == "POST" and (
        any(form.errors for form in formset.forms) or bool(formset.non_form_errors())
    )
    return render(
        request,
        "plans/plan_lines.html",
        {
            "plan": plan,
            "formset": formset,
            "months": picture_months,
            "more_rows_url": f"{reverse('plans:plan-lines', args=[plan.pk])}?extra="
            f"{min(MAX_EXTRA_ROWS, extra + 5)}",
            "has_errors": has_errors,
        },
        status=400 if has_errors else 200,
    )


def _file_slug(plan: Plan) -> str:
    return slugify(
        f"plan-inhaalzorg-{plan.provider.name}-{month_format(plan.period_start)}-"
        f"{month_format(plan.period_end)}"
    )


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _facts(plan: Plan) -> list[tuple[str, str]]:
    return [
        (_("Provider"), f"{plan.provider.name} (AGB {plan.provider.agb_code})"),
        (_("Insurer"), f"{plan.insurer.name} (UZOVI {plan.insurer.uzovi})"),
        (_("Period"), f"{month_format(plan.period_start)} – {month_format(plan.period_end)}"),
        (_("Status"), str(plan.get_status_display())),
        (_("Version"), str(plan.version)),
        (_("Date"), timezone.localdate().isoformat()),
    ]


@view_role_required(*PLAN_PROVIDER_ROLES)
def plan_template(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    """The Excel template of this plan: the provider's specialisms × classes 3, 4, 5 and a column
    per month of the period, filled in with the plan's current lines."""
    plan = _own_plan(actor=actor, pk=pk)
    picture = plan_picture(plan=plan)
    existing = {(view.specialism.code, view.urgency_class): view for view in picture.lines}
    rows: list[SheetRow] = []
    for specialism in provider_specialisms(provider=plan.provider):
        for urgency_class in (3, 4, 5):
            view = existing.pop((specialism.code, urgency_class), None)
            rows.append(
                SheetRow(
                    specialism.code,
                    specialism.name,
                    urgency_class,
                    view.line.backlog if view else None,
                    dict(view.figures.planned) if view else {},
                )
            )
    for (code, urgency_class), view in sorted(existing.items()):
        rows.append(
            SheetRow(
                code,
                view.specialism.name,
                urgency_class,
                view.line.backlog,
                dict(view.figures.planned),
            )
        )
    rows.sort(key=lambda row: (row.specialism_code, row.urgency_class))
    content = template_workbook(
        title=str(plan), facts=_facts(plan), months=picture.months, rows=rows
    )
    return _xlsx_response(content, f"{_file_slug(plan)}-sjabloon.xlsx")


@view_role_required(*STAFF_ROLES)
def plan_export(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    """The whole plan as a workbook: lines (re-uploadable), measures, progress and forecast."""
    plan = plan_for(actor=actor, pk=pk)
    picture = plan_picture(plan=plan)
    names = {view.specialism.code: view.specialism.name for view in picture.lines}
    content = export_workbook(
        title=str(plan),
        facts=_facts(plan),
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
    return _xlsx_response(content, f"{_file_slug(plan)}.xlsx")


@view_role_required(*PLAN_PROVIDER_ROLES)
def plan_upload(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    plan = _own_plan(actor=actor, pk=pk)
    form = (
        PlanUploadForm(request.POST, request.FILES)
        if request.method == "POST"
        else PlanUploadForm()
    )
    if request.method == "POST" and plan.is_editable and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            plan_lines_import(actor=actor, plan=plan, data=upload.read(), request=request)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            count = plan.lines.count()
            messages.success(
                request,
                _("The workbook has been read: the plan now has %(count)d lines.")
                % {"count": count},
            )
            return redirect("plans:plan-detail", pk=plan.pk)
    return render(
        request,
        "plans/plan_upload.html",
        {"plan": plan, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@view_role_required(*PLAN_PROVIDER_ROLES)
def plan_submit_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    plan = _own_plan(actor=actor, pk=pk)
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        plan = plan_submit(actor=actor, plan=plan, comment=comment, request=request)
    except (ValidationError, ApplicationError) as exc:
        messages.error(
            request,
            exc.message if isinstance(exc, ApplicationError) else " ".join(exc.messages),
        )
    else:
        messages.success(
            request,
            _("Version %(version)d of your plan has been sent to %(insurer)s.")
            % {"version": plan.version, "insurer": plan.insurer.name},
        )
    return redirect("plans:plan-detail", pk=plan.pk)


@require_POST
@view_role_required(*PLAN_PROVIDER_ROLES)
def plan_delete_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    plan = _own_plan(actor=actor, pk=pk)
    try:
        plan_delete(actor=actor, plan=plan, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("plans:plan-detail", pk=plan.pk)
    messages.success(request, _("The draft has been deleted."))
    return redirect("plans:plan-list")


@view_role_required(*PLAN_PROVIDER_ROLES)
def plan_progress(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    """Report the realised volume of one month, per line; choosing a month shows what was
    reported for it (to correct it)."""
    plan = _own_plan(actor=actor, pk=pk)
    today = timezone.localdate()
    last_open = min(plan.period_end, month_of(today))
    open_months = list(month_range(plan.period_start, last_open))
    requested = month_parse(request.POST.get("month") or request.GET.get("month") or "")
    month: date | None
    if requested in open_months:
        month = requested
    else:
        unreported = [m for m in open_months if m > (plan.last_reported_month or date.min)]
        month = unreported[0] if unreported else (open_months[-1] if open_months else None)
    lines = plan_lines(plan=plan)
    form = None
    if month is not None:
        reported = {
            (p.specialism_id, p.urgency_class): p.realised
            for p in plan.progress.filter(month=month)
        }
        form = PlanProgressForm(
            request.POST if request.method == "POST" else None,
            lines=lines,
            month=month,
            initial={
                f"realised_{line.pk}": reported[(line.specialism_id, line.urgency_class)]
                for line in lines
                if (line.specialism_id, line.urgency_class) in reported
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                plan_progress_report(
                    actor=actor,
                    plan=plan,
                    month=month,
                    lines=form.progress_lines(),
                    today=today,
                    request=request,
                )
            except PlanLinesError as exc:
                for error in exc.line_errors:
                    form.add_error(None, error.message)
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The progress of %(month)s has been saved.") % {"month": month_label(month)},
                )
                return redirect("plans:plan-detail", pk=plan.pk)
    return render(
        request,
        "plans/plan_progress.html",
        {
            "plan": plan,
            "form": form,
            "month": month,
            "open_months": [(month_format(m), month_label(m)) for m in open_months],
            "chosen_month": month_format(month) if month else "",
            "can_report": plan.status in PROGRESS_STATUSES,
        },
        status=400 if form is not None and form.errors else 200,
    )


# --- Review -------------------------------------------------------------------------------------
def _diff_context(plan: Plan, number: int | None = None) -> dict[str, Any]:
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


@view_role_required(*PLAN_INSURER_ROLES)
def plan_review_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    """A submitted plan with what changed since the previous version, and the decision."""
    plan = plan_for(actor=actor, pk=pk)
    if not is_plan_reviewer(actor=actor, plan=plan):
        raise Http404
    form = PlanReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_review(
                actor=actor,
                plan=plan,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
                request=request,
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            if plan.status == PlanStatus.APPROVED:
                messages.success(request, _("The plan has been approved."))
            else:
                messages.success(
                    request, _("The plan has been sent back to the provider for changes.")
                )
            return redirect("plans:plan-detail", pk=plan.pk)
    picture = plan_picture(plan=plan)
    return render(
        request,
        "plans/plan_review.html",
        {
            "plan": plan,
            "picture": picture,
            "form": form,
            "history": plan_history(plan=plan),
            "can_review": plan.status == PlanStatus.SUBMITTED,
            **_diff_context(plan),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@view_role_required(*PLAN_INSURER_ROLES)
def plan_close_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    plan = plan_for(actor=actor, pk=pk)
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        plan_close(actor=actor, plan=plan, comment=comment, request=request)
    except (ValidationError, ApplicationError) as exc:
        messages.error(
            request,
            exc.message if isinstance(exc, ApplicationError) else " ".join(exc.messages),
        )
    else:
        messages.success(request, _("The plan has been closed."))
    return redirect("plans:plan-detail", pk=plan.pk)


@view_role_required(*STAFF_ROLES)
def plan_version_view(request: HttpRequest, pk: int, number: int, *, actor: Actor) -> HttpResponse:
    """One submitted version as it was sent, and what changed since the one before."""
    plan = plan_for(actor=actor, pk=pk)
    context = _diff_context(plan, number)
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
