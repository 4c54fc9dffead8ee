"""The contract manager's forms on the finance pages (DESIGN §6): record a contract and change its
value, record arrangements and production, change an arrangement's parameters and status, record
and decide cost claims, book payments.

Only an insurer's contract managers post here (others get 403; the services check again); the
contract or arrangement is looked up through :mod:`finance.permissions` (foreign is 404). The
views collect input and show results; the rules and their messages come from
``finance.services``. A refused form is shown again, with its errors, on the page it came from
(:mod:`finance.views.shared`) with status 400.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.actors import Actor
from accounts.permissions import view_role_required
from core.dates import month_display
from core.errors import ApplicationError
from core.forms import add_service_errors
from finance import services
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
from finance.models import Arrangement, Contract
from finance.permissions import (
    ARRANGEMENT_WRITE_ROLES,
    access_arrangement_for,
    access_claim_for,
    access_contract_for,
)
from finance.templatetags.money import euro
from finance.views.shared import render_arrangement_page, render_contract_page

write_required = view_role_required(*ARRANGEMENT_WRITE_ROLES)


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
    return render_contract_page(request, actor, contract, bound={name: form}, status=400)


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
                "month": month_display(record.month)
            }
        return _("The production of %(month)s has been replaced.") % {
            "month": month_display(record.month)
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
    return render_arrangement_page(request, actor, arrangement, bound={name: form}, status=400)


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
    return render_arrangement_page(request, actor, arrangement, bound={"reject": form}, status=400)


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
