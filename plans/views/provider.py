"""Web pages of a provider's planners (DESIGN §6): their plans, the plan form, the lines editor,
the Excel template and upload, submitting or deleting a plan and reporting monthly progress.

They write only their own provider's plans (``access_plan_for(require_owner=True)``: any other is
404). The views only collect input and show results; ``plans.services`` holds every rule, and its
errors are shown next to the fields (and rows) they belong to.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.actors import Actor
from accounts.permissions import view_role_required
from core.errors import ApplicationError
from core.forms import add_service_errors
from core.months import month_format, month_of, month_parse, month_range
from plans.excel.writer import SheetRow, template_workbook
from plans.forms import (
    CommentForm,
    PlanForm,
    PlanLineForm,
    PlanProgressForm,
    PlanUploadForm,
    month_label,
    plan_line_formset,
)
from plans.models import PlanStatus
from plans.permissions import PLAN_PROVIDER_ROLES, access_plan_for, plan_list_for
from plans.selectors.plans import plan_lines, plan_picture, provider_specialisms
from plans.services.editing import (
    plan_create,
    plan_delete,
    plan_lines_import,
    plan_lines_replace,
    plan_update,
)
from plans.services.lifecycle import plan_submit
from plans.services.lines import PlanLinesError
from plans.services.progress import PROGRESS_STATUSES, plan_progress_report
from plans.views.shared import plan_facts, plan_file_slug, xlsx_response

MAX_EXTRA_ROWS = 20


def plan_list_page(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """A planner's plans (``plan_list`` shows it to planners)."""
    plans = plan_list_for(actor=actor).order_by("-period_start", "insurer__name")
    return render(request, "plans/plan_list.html", {"plans": plans})


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


@view_role_required(*PLAN_PROVIDER_ROLES)
def plan_edit(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    plan = access_plan_for(actor=actor, pk=pk, require_owner=True)
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
    plan = access_plan_for(actor=actor, pk=pk, require_owner=True)
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


@view_role_required(*PLAN_PROVIDER_ROLES)
def plan_template(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    """The Excel template of this plan: the provider's specialisms × classes 3, 4, 5 and a column
    per month of the period, filled in with the plan's current lines."""
    plan = access_plan_for(actor=actor, pk=pk, require_owner=True)
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
        title=str(plan), facts=plan_facts(plan), months=picture.months, rows=rows
    )
    return xlsx_response(content, f"{plan_file_slug(plan)}-sjabloon.xlsx")


@view_role_required(*PLAN_PROVIDER_ROLES)
def plan_upload(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    plan = access_plan_for(actor=actor, pk=pk, require_owner=True)
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
    plan = access_plan_for(actor=actor, pk=pk, require_owner=True)
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
    plan = access_plan_for(actor=actor, pk=pk, require_owner=True)
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
    plan = access_plan_for(actor=actor, pk=pk, require_owner=True)
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
