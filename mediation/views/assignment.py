"""Mediator screens of assignment runs (issue 16): start a run (all or some specialisms), follow
its progress (htmx polling, or refresh without JavaScript), compare it with the greedy baseline
(table and chart, per specialism), review and deselect proposals, apply; afterwards the offers
made and the proposals skipped."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.permissions import view_role_required
from accounts.services import audit_record
from core.errors import ApplicationError
from core.forms import service_error_messages
from mediation.assignment_apis import access_assignment_run_for
from mediation.assignment_models import AssignmentRun
from mediation.matching import REASON_CODES, Reason
from mediation.selectors.assignment import (
    assignable_cases,
    assignment_proposal_list,
    assignment_run_list_for,
)
from mediation.selectors.cases import CASE_ROLES
from mediation.services.assignment import (
    assignment_proposals_select,
    assignment_run_apply,
    assignment_run_start,
)
from mediation.views.reasons import _iso_date, reason_text
from providers.models import Specialism

PROPOSALS_PER_PAGE = 100


def assignment_reason_text(reason: dict[str, Any]) -> str:
    """A proposal's stored reason (``{"code", "text", "params"}``) in the reader's language: the
    run's own codes here, the matching codes through ``mediation.views.reasons``."""
    code = str(reason.get("code", ""))
    params = dict(reason.get("params") or {})
    if code == "assigned_slot":
        return _("Given a capacity-offer slot (week of %(week)s) by the assignment run.") % {
            "week": _iso_date(params.get("week_start"))
        }
    if code == "assigned_published":
        return _(
            "Proposed at the published wait: no capacity-offer slot serves this patient better."
        )
    if code == "slot_to_others":
        return _(
            "Capacity-offer slots that would have been sooner (%(slots)s offers) went to patients "
            "with a greater need (class-3 window, Treeknorm, days gained)."
        ) % {"slots": params.get("slots")}
    if code == "no_candidate":
        return _("No location meets the matching rules for this patient.")
    if code == "slots_only":
        return _(
            "Only capacity-offer slots would help this patient, and they went to patients with a "
            "greater need."
        )
    if code in REASON_CODES:
        return reason_text(Reason(code, params))
    return str(reason.get("text", ""))


def _specialism_choices(actor: Actor) -> list[tuple[Specialism, int]]:
    """Specialisms with open cases of the insurer that can take part, with their counts."""
    assert actor.organisation is not None
    counts: dict[int, int] = {}
    for specialism_id in assignable_cases(insurer=actor.organisation).values_list(
        "specialism_id", flat=True
    ):
        counts[specialism_id] = counts.get(specialism_id, 0) + 1
    specialisms = Specialism.objects.filter(pk__in=counts).order_by("code")
    return [(specialism, counts[specialism.pk]) for specialism in specialisms]


@view_role_required(*CASE_ROLES)
def assignment_run_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The insurer's runs, newest first, and the form to start one."""
    choices = _specialism_choices(actor)
    if request.method == "POST":
        scope = request.POST.get("scope", "all")
        codes = request.POST.getlist("specialisms") if scope == "some" else []
        if scope == "some" and not codes:
            messages.error(request, _("Tick the specialisms to include, or choose all."))
        else:
            try:
                run = assignment_run_start(actor=actor, specialisms=codes, dry_run=True)
            except (ValidationError, ApplicationError, PermissionDenied) as exc:
                for message in service_error_messages(exc):  # type: ignore[arg-type]
                    messages.error(request, message)
            else:
                return redirect("mediation:assignment-run-detail", pk=run.pk)
    runs = assignment_run_list_for(actor=actor).select_related("created_by")[:50]
    return render(
        request,
        "mediation/assignment_run_list.html",
        {"runs": runs, "choices": choices},
        status=400 if request.method == "POST" else 200,
    )


def _chart(run: AssignmentRun, parts: list[Any]) -> dict[str, Any]:
    """Chart.js bars: placed within the Treeknorm, per specialism and in all, by the run and by
    the greedy baseline (the table below the chart has the same figures)."""
    labels = [str(_("All"))] + [part.specialism.code for part in parts]
    run_values = [run.figures.get("placed_within_norm", 0)] + [
        part.figures.get("placed_within_norm", 0) for part in parts
    ]
    base_values = [run.baseline.get("placed_within_norm", 0)] + [
        part.baseline.get("placed_within_norm", 0) for part in parts
    ]
    return {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": str(_("Assignment run")),
                    "data": run_values,
                    "backgroundColor": "#0b5394",
                },
                {
                    "label": str(_("First come, first served")),
                    "data": base_values,
                    "backgroundColor": "#b7b7b7",
                },
            ],
        },
        "options": {
            "responsive": True,
            "plugins": {"title": {"display": True, "text": str(_("Placed within the Treeknorm"))}},
        },
    }


def _comparison_rows(run: AssignmentRun) -> list[dict[str, Any]]:
    keys = [
        ("placed", _("Placed")),
        ("placed_within_norm", _("Placed within the Treeknorm")),
        ("days_gained", _("Days gained (known)")),
        ("class3_inside_window", _("Class 3 inside the 6-week window")),
        ("capacity_slots", _("Capacity slots used")),
        ("unassigned", _("No proposal")),
    ]
    rows = []
    for key, label in keys:
        value = int(run.figures.get(key, 0))
        base = int(run.baseline.get(key, 0))
        rows.append({"key": key, "label": label, "run": value, "baseline": base,
                     "difference": value - base})  # fmt: skip
    return rows


@view_role_required(*CASE_ROLES)
def assignment_run_detail(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    """One run: progress while it runs (htmx polls the status fragment), then the comparison
    with the baseline, the proposals to review and the apply button; after applying, the offers
    made and the proposals skipped."""
    run = access_assignment_run_for(actor=actor, pk=pk, request=request)
    if getattr(request, "htmx", False):
        response = render(request, "mediation/assignment_run_status.html", {"run": run})
        if run.is_finished:
            response["HX-Refresh"] = "true"  # the whole page, with its results
        return response
    parts = list(run.parts.select_related("specialism").order_by("specialism__code"))
    context: dict[str, Any] = {"run": run, "parts": parts}
    if run.is_finished:
        proposals = assignment_proposal_list(run=run)
        page = Paginator(proposals, PROPOSALS_PER_PAGE).get_page(request.GET.get("page"))
        for proposal in page.object_list:
            proposal.reason_lines = [  # type: ignore[attr-defined]
                assignment_reason_text(reason) for reason in proposal.reasons[:2]
            ]
        references = [proposal.case.reference for proposal in page.object_list]
        if references:
            audit_record(
                actor=actor,
                action=AuditAction.LIST,
                object_type="mediation.case",
                request=request,
                detail={"page": "assignment_run", "run": run.pk, "references": references},
            )
        context.update(
            page=page,
            comparison=_comparison_rows(run),
            chart=_chart(run, [p for p in parts if p.figures]),
            made=run.apply_result.get("offers", []) if run.apply_result else [],
            skipped=run.apply_result.get("skipped", []) if run.apply_result else [],
        )
    return render(request, "mediation/assignment_run_detail.html", context)


@require_POST
@view_role_required(*CASE_ROLES)
def assignment_run_apply_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    """Save the ticks of the proposals shown (``shown`` ids, ``selected`` ids ticked) and, with
    ``action=apply``, apply the run (the mediator's confirmation)."""
    run = access_assignment_run_for(actor=actor, pk=pk, request=request)
    shown = {int(value) for value in request.POST.getlist("shown") if value.isdigit()}
    ticked = {int(value) for value in request.POST.getlist("selected") if value.isdigit()}
    try:
        if shown and run.applied_at is None:
            assignment_proposals_select(
                actor=actor, run=run, selected={pk: pk in ticked for pk in shown}
            )
        if request.POST.get("action") == "apply":
            result = assignment_run_apply(actor=actor, run=run, request=request)
            made, skipped = len(result["offers"]), len(result["skipped"])
            messages.success(
                request,
                ngettext("%(count)d offer made.", "%(count)d offers made.", made) % {"count": made}
                + (
                    " "
                    + ngettext(
                        "%(count)d proposal skipped.", "%(count)d proposals skipped.", skipped
                    )
                    % {"count": skipped}
                    if skipped
                    else ""
                ),
            )
        else:
            messages.success(request, _("Selection saved."))
    except (ValidationError, ApplicationError) as exc:
        for message in service_error_messages(exc):
            messages.error(request, message)
    return redirect("mediation:assignment-run-detail", pk=run.pk)
