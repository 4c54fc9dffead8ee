"""The finance pages both audiences see, under /financien/ (DESIGN §6): the overview of a year
with its CSV/Excel export, one contract (provider × year) and one arrangement.

The insurer's contract managers and the provider's planners open the same pages, each for their
own organisation (a foreign contract or arrangement is 404, see :mod:`finance.permissions`); the
rights differ: only a contract manager gets the forms, history and actions
(:func:`finance.permissions.can_change_money`), a planner reads. The forms post to
:mod:`finance.views.insurer`, which shows a refused form again through
:func:`render_contract_page` and :func:`render_arrangement_page`.
"""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.permissions import view_role_required
from accounts.services import audit_record
from core.csv_export import csv_cell, csv_response
from finance import selectors
from finance.forms import (
    ArrangementCreateForm,
    ArrangementUpdateForm,
    ClaimForm,
    ClaimRejectForm,
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
    FINANCE_PAGE_ROLES,
    access_arrangement_for,
    access_contract_for,
    can_change_money,
)
from finance.selectors import Overview
from finance.services.common import CENT

read_required = view_role_required(*FINANCE_PAGE_ROLES)


def _selected_year(request: HttpRequest, years: list[int]) -> int:
    """The year picker: ``?year=`` (2000–2100), else this year when it has contracts (or nothing
    has), else the newest year that has; ``years`` newest first."""
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


# --- One contract: provider × year ----------------------------------------------------------
def render_contract_page(
    request: HttpRequest,
    actor: Actor,
    contract: Contract,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The contract page; ``bound`` holds a refused form by name, shown again with its errors."""
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
    return render_contract_page(request, actor, access_contract_for(actor=actor, pk=pk))


# --- One arrangement ------------------------------------------------------------------------
def render_arrangement_page(
    request: HttpRequest,
    actor: Actor,
    arrangement: Arrangement,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The arrangement page; ``bound`` holds a refused form by name, shown again with its errors."""
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
    return render_arrangement_page(request, actor, access_arrangement_for(actor=actor, pk=pk))
