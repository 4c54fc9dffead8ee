"""Web pages of an insurer's contract managers (DESIGN §6): the inbox of submitted plans, the
review of a plan with what changed since the previous version, closing a plan, and the portfolio
of every plan addressed to the insurer with its CSV export.

The views only collect input and show results; ``plans.services`` holds every rule.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.permissions import view_role_required
from accounts.services import audit_record
from core.csv_export import csv_response
from core.errors import ApplicationError
from core.forms import add_service_errors
from core.months import month_format
from plans.forms import CommentForm, PlanReviewForm
from plans.models import Plan, PlanStatus
from plans.permissions import PLAN_INSURER_ROLES, access_plan_for, plan_list_for
from plans.selectors.plans import plan_history, plan_picture
from plans.selectors.reports import COUNTED_STATUSES, plan_aggregates, plan_inbox
from plans.services.lifecycle import plan_close, plan_review
from plans.views.shared import diff_context


def plan_inbox_page(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The contract manager's inbox (``plan_list`` shows it to contract managers too)."""
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
    return plan_inbox_page(request, actor=actor)


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


@view_role_required(*PLAN_INSURER_ROLES)
def plan_review_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    """A submitted plan with what changed since the previous version, and the decision."""
    plan = access_plan_for(actor=actor, pk=pk, require_reviewer=True)
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
            **diff_context(plan),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@view_role_required(*PLAN_INSURER_ROLES)
def plan_close_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    plan = access_plan_for(actor=actor, pk=pk)
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
