"""Web UI of the finance app (DESIGN §6), under /financien/.

Contract managers see all their insurer's contracts of a year with totals (and export them),
open a contract (one provider, one year) to record arrangements, production, claims and
payments, and open an arrangement for its settlement and history. Planners see the same pages
for their own provider, read-only. The views collect input and show results; the rules and
their messages come from ``finance.services``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from io import BytesIO
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.permissions import view_role_required
from accounts.services import audit_record
from core.csv_export import csv_cell, csv_response
from core.errors import ApplicationError
from core.forms import add_service_errors
from finance import selectors, services
from finance.forms import (
    ArrangementCreateForm,
    ArrangementUpdateForm,
    ClaimForm,
    ClaimRejectForm,
    ContractCreateForm,
    ContractValueForm,
    PaymentForm,
    ProductionForm,
)
from finance.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    ClaimStatus,
    Contract,
    CostClaim,
    Payment,
    PaymentKind,
)
from finance.permissions import (
    ARRANGEMENT_WRITE_ROLES,
    FINANCE_PAGE_ROLES,
    access_arrangement_for,
    access_claim_for,
    access_contract_for,
    can_change_money,
)
from finance.selectors import Overview
from finance.services.common import CENT
from finance.templatetags.money import euro

write_required = view_role_required(*ARRANGEMENT_WRITE_ROLES)
read_required = view_role_required(*FINANCE_PAGE_ROLES)


def _selected_year(request: HttpRequest, years: list[int]) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = 0
    if 2000 <= year <= 2100:
        return year
    today = timezone.localdate().year
    return today if today in years or not years else years[0]


# --- Overview and export --------------------------------------------------------------------
@read_required
def arrangement_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """All contracts of a year with production, transfers, headroom and due/paid/balance."""
    years = selectors.contract_years_for(actor=actor)
    year = _selected_year(request, years)
    search = request.GET.get("q", "").strip()[:100]
    overview = selectors.contract_overview(actor=actor, year=year, search=search)
    return render(
        request,
        "finance/overview.html",
        {
            "overview": overview,
            "years": sorted(set(years) | {year}, reverse=True),
            "year": year,
            "search": search,
            "can_edit": can_change_money(actor),
            "pending_claims": sum(row.pending_claims for row in overview.rows),
        },
    )


EXPORT_COLUMNS = [
    ("agb_code", "AGB"),
    ("provider", "provider"),
    ("insurer", "insurer"),
    ("year", "year"),
    ("contract_value", "contract_value"),
    ("realised_production", "realised_production"),
    ("transfers_in", "transfers_in"),
    ("transfers_out", "transfers_out"),
    ("headroom", "headroom"),
    ("due", "due"),
    ("paid", "paid"),
    ("balance", "balance"),
    ("arrangements", "arrangements"),
]
MONEY_COLUMNS = {
    "contract_value",
    "realised_production",
    "transfers_in",
    "transfers_out",
    "headroom",
    "due",
    "paid",
    "balance",
}


def _export_rows(overview: Overview) -> list[dict[str, Any]]:
    rows = []
    for row in overview.rows:
        contract = row.contract
        rows.append(
            {
                "agb_code": contract.provider.agb_code,
                "provider": contract.provider.name,
                "insurer": contract.insurer.name,
                "year": contract.year,
                **{name: getattr(row.figures, name) for name in MONEY_COLUMNS},
                "arrangements": "; ".join(f"{a.kind} ({a.status})" for a in row.arrangements),
            }
        )
    return rows


@read_required
def overview_export(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The overview as CSV (``?format=csv``, money with a decimal point) or Excel
    (``?format=xlsx``, money as numbers with two decimals), with a totals row."""
    years = selectors.contract_years_for(actor=actor)
    year = _selected_year(request, years)
    search = request.GET.get("q", "").strip()[:100]
    export_format = request.GET.get("format", "csv")
    if export_format not in {"csv", "xlsx"}:
        raise Http404
    overview = selectors.contract_overview(actor=actor, year=year, search=search)
    rows = _export_rows(overview)
    totals = {name: getattr(overview.totals, name) for name in MONEY_COLUMNS}
    totals.update({"agb_code": "", "provider": _("Total"), "insurer": "", "year": year})
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="finance.contract",
        request=request,
        detail={"year": year, "format": export_format, "rows": len(rows)},
    )
    filename = f"financien-{year}"
    headers = [header for _name, header in EXPORT_COLUMNS]
    if export_format == "csv":
        return csv_response(
            f"{filename}.csv",
            headers,
            (
                [_cents(row.get(name, "")) for name, _header in EXPORT_COLUMNS]
                for row in [*rows, totals]
            ),
        )
    return _xlsx_response(filename, headers, rows, totals)


def _cents(value: Any) -> Any:
    """Amounts with exactly two decimals (a sum may carry more or fewer)."""
    return value.quantize(CENT) if isinstance(value, Decimal) else value


def _xlsx_response(
    filename: str, headers: list[str], rows: list[dict[str, Any]], totals: dict[str, Any]
) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = filename[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in [*rows, totals]:
        sheet.append(
            [
                row.get(name) if name in MONEY_COLUMNS else csv_cell(row.get(name, ""))
                for name, _header in EXPORT_COLUMNS
            ]
        )
    for index, (name, _header) in enumerate(EXPORT_COLUMNS, start=1):
        if name in MONEY_COLUMNS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "#,##0.00"
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


# --- New contract ----------------------------------------------------------------------------
@write_required
def contract_create_view(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    form = ContractCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(actor=actor, request=request, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The contract with %(provider)s for %(year)d has been recorded.")
                % {"provider": contract.provider.name, "year": contract.year},
            )
            return redirect("finance:contract-detail", pk=contract.pk)
    return render(
        request,
        "finance/contract_create.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


# --- One contract: provider × year ----------------------------------------------------------
def _render_contract(
    request: HttpRequest,
    actor: Actor,
    contract: Contract,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    contract = selectors.contract_list_with_figures(actor=actor).get(pk=contract.pk)
    arrangements = list(
        selectors.arrangement_with_figures(contract.arrangements.all()).order_by("kind")
    )
    rows = []
    for arrangement in arrangements:
        arrangement.contract = contract
        rows.append((arrangement, selectors.arrangement_settlement(arrangement)))
    production = list(selectors.contract_production_list(contract=contract))
    transfers_in, transfers_out = selectors.contract_transfer_lists(contract=contract)
    pending = (
        CostClaim.objects.filter(arrangement__contract=contract, status=ClaimStatus.PENDING)
        .select_related("arrangement")
        .order_by("created_at")
    )
    payments = (
        Payment.objects.filter(arrangement__contract=contract)
        .select_related("arrangement")
        .order_by("-date", "-id")
    )
    can_edit = can_change_money(actor)
    used_kinds = {a.kind for a in arrangements}
    arrangement_form = bound.get("arrangement") or ArrangementCreateForm(
        initial={"kind": next((k for k in ArrangementKind.values if k not in used_kinds), None)}
    )
    settled = any(a.status == ArrangementStatus.SETTLED for a in arrangements)
    context = {
        "contract": contract,
        "headroom": selectors.contract_headroom(contract),
        "rows": rows,
        "totals": {
            "due": sum((s.due for _a, s in rows), Decimal("0.00")),
            "paid": sum((s.paid for _a, s in rows), Decimal("0.00")),
            "balance": sum((s.balance for _a, s in rows), Decimal("0.00")),
        },
        "production": production,
        "production_chart": selectors.contract_production_chart(
            contract=contract, records=production
        ),
        "transfers_in": transfers_in,
        "transfers_out": transfers_out,
        "pending_claims": pending,
        "payments": payments,
        "can_edit": can_edit,
        "all_kinds_used": used_kinds >= set(ArrangementKind.values),
        "settled": settled,
        "arrangement_form": arrangement_form,
        "production_form": bound.get("production") or ProductionForm(),
        "value_form": bound.get("value")
        or ContractValueForm(initial={"contract_value": contract.contract_value}),
        "reject_form": ClaimRejectForm(),
        "history": selectors.contract_history(contract=contract) if can_edit else [],
    }
    return render(request, "finance/contract_detail.html", context, status=status)


@read_required
def contract_detail(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    return _render_contract(request, actor, access_contract_for(actor=actor, pk=pk))


def _contract_form_post(
    request: HttpRequest,
    *,
    actor: Actor,
    pk: int,
    name: str,
    form_class: type[forms.Form],
    action: Callable[[Contract, dict[str, Any]], str],
    anchor: str,
) -> HttpResponse:
    contract = access_contract_for(actor=actor, pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            message = action(contract, form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect(reverse("finance:contract-detail", args=[contract.pk]) + anchor)
    return _render_contract(request, actor, contract, bound={name: form}, status=400)


@require_POST
@write_required
def contract_update_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    def action(contract: Contract, data: dict[str, Any]) -> str:
        services.contract_update(
            actor=actor, contract=contract, contract_value=data["contract_value"], request=request
        )
        return _("The contract value has been saved.")

    return _contract_form_post(
        request,
        actor=actor,
        pk=pk,
        name="value",
        form_class=ContractValueForm,
        action=action,
        anchor="#contract",
    )


@require_POST
@write_required
def arrangement_create_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    created: list[Arrangement] = []

    def action(contract: Contract, data: dict[str, Any]) -> str:
        arrangement = services.arrangement_create(
            actor=actor,
            provider=contract.provider,
            year=contract.year,
            request=request,
            **data,
        )
        created.append(arrangement)
        return _("The arrangement has been recorded as a draft.")

    response = _contract_form_post(
        request,
        actor=actor,
        pk=pk,
        name="arrangement",
        form_class=ArrangementCreateForm,
        action=action,
        anchor="#arrangements",
    )
    if created:
        # An explicit fragment, or the browser would keep the form's "#new-arrangement".
        return redirect(
            reverse("finance:arrangement-detail", args=[created[0].pk]) + "#main-content"
        )
    return response


@require_POST
@write_required
def production_record_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    def action(contract: Contract, data: dict[str, Any]) -> str:
        record, created = services.production_record(
            actor=actor,
            contract=contract,
            month=data["month"],
            amount=data["amount"],
            catch_up_amount=data["catch_up_amount"] or Decimal("0.00"),
            request=request,
        )
        if created:
            return _("The production of %(month)s has been recorded.") % {
                "month": record.month.strftime("%Y-%m")
            }
        return _("The production of %(month)s has been replaced.") % {
            "month": record.month.strftime("%Y-%m")
        }

    return _contract_form_post(
        request,
        actor=actor,
        pk=pk,
        name="production",
        form_class=ProductionForm,
        action=action,
        anchor="#production",
    )


# --- One arrangement ------------------------------------------------------------------------
def _render_arrangement(
    request: HttpRequest,
    actor: Actor,
    arrangement: Arrangement,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    arrangement = selectors.arrangement_list_with_figures(actor=actor).get(pk=arrangement.pk)
    can_edit = can_change_money(actor)
    locked = arrangement.status == ArrangementStatus.SETTLED
    context = {
        "arrangement": arrangement,
        "contract": arrangement.contract,
        "settlement": selectors.arrangement_settlement(arrangement),
        "claims": arrangement.claims.order_by("-created_at", "-id"),
        "payments": arrangement.payments.order_by("-date", "-id"),
        "history": selectors.arrangement_history(arrangement=arrangement),
        "can_edit": can_edit,
        "locked": locked,
        "uses_coverage": arrangement.kind == ArrangementKind.CONTINUITY_CONTRIBUTION,
        "uses_budget": arrangement.kind
        in (ArrangementKind.CATCH_UP_CARE, ArrangementKind.SUPPLEMENTARY_AGREEMENT),
        "takes_claims": arrangement.kind == ArrangementKind.ADDITIONAL_COSTS,
        "update_form": bound.get("update")
        or ArrangementUpdateForm(
            initial={
                "coverage_percentage": arrangement.coverage_percentage,
                "budget": arrangement.budget,
                "note": arrangement.note,
            }
        ),
        "claim_form": bound.get("claim") or ClaimForm(),
        "payment_form": _payment_form(bound.get("payment"), locked=locked),
        "reject_form": bound.get("reject") or ClaimRejectForm(),
        "rejecting": getattr(bound.get("reject"), "claim_pk", None),
        "next_transition": {
            ArrangementStatus.DRAFT: ("agree", _("Mark as agreed")),
            ArrangementStatus.AGREED: ("settle", _("Settle and lock")),
        }.get(ArrangementStatus(arrangement.status)),
    }
    return render(request, "finance/arrangement_detail.html", context, status=status)


def _payment_form(form: forms.Form | None, *, locked: bool) -> forms.Form:
    """A settled arrangement takes corrections only, so that is the only kind offered."""
    form = form or PaymentForm(initial={"kind": PaymentKind.CORRECTION} if locked else None)
    if locked:
        kind_field: Any = form.fields["kind"]
        kind_field.choices = [(PaymentKind.CORRECTION.value, PaymentKind.CORRECTION.label)]
    return form


@read_required
def arrangement_detail(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    return _render_arrangement(request, actor, access_arrangement_for(actor=actor, pk=pk))


def _arrangement_form_post(
    request: HttpRequest,
    *,
    actor: Actor,
    pk: int,
    name: str,
    form_class: type[forms.Form],
    action: Callable[[Arrangement, dict[str, Any]], str],
    anchor: str,
) -> HttpResponse:
    arrangement = access_arrangement_for(actor=actor, pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            message = action(arrangement, form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect(reverse("finance:arrangement-detail", args=[arrangement.pk]) + anchor)
    return _render_arrangement(request, actor, arrangement, bound={name: form}, status=400)


@require_POST
@write_required
def arrangement_update_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    def action(arrangement: Arrangement, data: dict[str, Any]) -> str:
        services.arrangement_update(actor=actor, arrangement=arrangement, request=request, **data)
        return _("The arrangement has been saved.")

    return _arrangement_form_post(
        request,
        actor=actor,
        pk=pk,
        name="update",
        form_class=ArrangementUpdateForm,
        action=action,
        anchor="#parameters",
    )


TRANSITIONS: dict[str, tuple[Callable[..., Arrangement], Any]] = {
    "agree": (
        services.arrangement_agree,
        gettext_lazy("The arrangement has been marked as agreed."),
    ),
    "settle": (
        services.arrangement_settle,
        gettext_lazy("The arrangement has been settled and is now locked."),
    ),
}


@require_POST
@write_required
def arrangement_transition_view(
    request: HttpRequest, pk: int, transition: str, *, actor: Actor
) -> HttpResponse:
    if transition not in TRANSITIONS:
        raise Http404
    arrangement = access_arrangement_for(actor=actor, pk=pk)
    service, message = TRANSITIONS[transition]
    try:
        service(actor=actor, arrangement=arrangement, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(message))
    return redirect("finance:arrangement-detail", pk=arrangement.pk)


@require_POST
@write_required
def claim_create_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    def action(arrangement: Arrangement, data: dict[str, Any]) -> str:
        services.cost_claim_submit(actor=actor, arrangement=arrangement, request=request, **data)
        return _("The claim has been recorded; approve or reject it below.")

    return _arrangement_form_post(
        request,
        actor=actor,
        pk=pk,
        name="claim",
        form_class=ClaimForm,
        action=action,
        anchor="#claims",
    )


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form was on (the contract or the arrangement page)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


@require_POST
@write_required
def claim_decide_view(
    request: HttpRequest, pk: int, claim_pk: int, decision: str, *, actor: Actor
) -> HttpResponse:
    claim = access_claim_for(actor=actor, arrangement_pk=pk, pk=claim_pk)
    arrangement = claim.arrangement
    default = reverse("finance:arrangement-detail", args=[arrangement.pk]) + "#claims"
    if decision == "approve":
        try:
            services.cost_claim_approve(actor=actor, claim=claim, request=request)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("The claim of %(amount)s has been approved.") % {"amount": euro(claim.amount)},
            )
        return _back(request, default)
    if decision != "reject":
        raise Http404
    form = ClaimRejectForm(request.POST)
    if form.is_valid():
        try:
            services.cost_claim_reject(
                actor=actor, claim=claim, reason=form.cleaned_data["reason"], request=request
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The claim of %(amount)s has been rejected.") % {"amount": euro(claim.amount)},
            )
            return _back(request, default)
    form.claim_pk = claim.pk  # type: ignore[attr-defined]
    return _render_arrangement(request, actor, arrangement, bound={"reject": form}, status=400)


@require_POST
@write_required
def payment_create_view(request: HttpRequest, pk: int, *, actor: Actor) -> HttpResponse:
    def action(arrangement: Arrangement, data: dict[str, Any]) -> str:
        payment = services.payment_record(
            actor=actor, arrangement=arrangement, request=request, **data
        )
        return _("The %(kind)s has been booked.") % {"kind": payment.get_kind_display().lower()}

    return _arrangement_form_post(
        request,
        actor=actor,
        pk=pk,
        name="payment",
        form_class=PaymentForm,
        action=action,
        anchor="#payments",
    )
