"""Writes of arrangements and everything settled under them (DESIGN §3.5).

Rules kept here, for the API and the web UI alike:

* An arrangement needs the insurer's purchase contract with the provider for the year; one
  arrangement per kind per contract. ``coverage_percentage`` (0–100, two decimals) belongs to a
  continuity contribution and is required there; ``budget`` belongs to catch-up care and
  supplementary agreements and is required there; the other kinds leave them empty.
* Status goes ``draft → agreed → settled`` only, one service per transition, checked against
  ``TRANSITIONS``. Settling stores what is due at that moment (``settled_due``); from then on the
  arrangement is **locked**: no changes of its parameters, no new claims or claim decisions, no
  production for its contract year, and no advance or settlement payments. A difference found
  after settlement is booked as a ``correction`` payment (positive or negative) — the one kind
  of payment a settled arrangement accepts, so that money is put right without rewriting what was
  settled.
* Payments are booked once the arrangement is agreed (nothing is paid on a draft); advances and
  settlements are more than zero, corrections anything but zero; the date is plausible (from
  1900 up to ten years ahead, ``core.dates``). Payments are never edited.
* Production belongs to the contract: one record per month of the contract year (recording a
  month again replaces its figures); amounts are not negative and the catch-up part is at most
  the month's production.
* Cost claims belong to an ``additional_costs`` arrangement; amounts are more than zero; a
  rejection needs its reason. A decision can be revised (approved ↔ rejected) until settlement.

Field errors raise ``ValidationError`` keyed by the field, refusals of the request as a whole
``ApplicationError``; both are answered 400 and nothing is stored. Every change is kept in the
django-simple-history tables (who, when, what) and in the audit trail.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.services import audit_record
from core.dates import month_display, plausible_date_errors
from core.errors import ApplicationError, raise_if
from finance import settlement
from finance.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    ClaimCategory,
    ClaimStatus,
    Contract,
    CostClaim,
    Payment,
    PaymentKind,
    ProductionRecord,
)
from finance.selectors import arrangement_due
from finance.services.common import money_errors, require_contract_manager, stamp
from providers.models import Provider

# The only status changes there are (DESIGN §3.5).
TRANSITIONS: dict[str, frozenset[str]] = {
    ArrangementStatus.DRAFT: frozenset({ArrangementStatus.AGREED}),
    ArrangementStatus.AGREED: frozenset({ArrangementStatus.SETTLED}),
    ArrangementStatus.SETTLED: frozenset(),
}
CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    ClaimStatus.PENDING: frozenset({ClaimStatus.APPROVED, ClaimStatus.REJECTED}),
    ClaimStatus.APPROVED: frozenset({ClaimStatus.REJECTED}),
    ClaimStatus.REJECTED: frozenset({ClaimStatus.APPROVED}),
}
HUNDRED = Decimal("100")


# --- Validation -------------------------------------------------------------------------------
def _coverage_errors(value: Any) -> list[str]:
    try:
        percentage = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return [_("Enter a percentage between 0 and 100.")]
    if not percentage.is_finite() or not Decimal(0) <= percentage <= HUNDRED:
        return [_("The coverage percentage must be between 0 and 100.")]
    if percentage != percentage.quantize(Decimal("0.01")):
        return [_("Use at most two decimals for the coverage percentage.")]
    return []


def _parameter_errors(*, kind: str, coverage_percentage: Any, budget: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {"coverage_percentage": [], "budget": []}
    if kind in settlement.USES_COVERAGE:
        if coverage_percentage is None:
            errors["coverage_percentage"] = [
                _("A continuity contribution needs the percentage of the shortfall it covers.")
            ]
        else:
            errors["coverage_percentage"] = _coverage_errors(coverage_percentage)
    elif coverage_percentage is not None:
        errors["coverage_percentage"] = [
            _("Only a continuity contribution has a coverage percentage: leave it empty.")
        ]
    if kind in settlement.USES_BUDGET:
        if budget is None:
            errors["budget"] = [_("This kind of arrangement needs a budget.")]
        else:
            errors["budget"] = money_errors(budget)
    elif budget is not None:
        errors["budget"] = [
            _(
                "Only catch-up care and supplementary agreements have a budget: leave it empty "
                "(additional costs are paid as their claims are approved)."
            )
        ]
    return errors


def _locked_arrangement(arrangement: Arrangement, actor: Actor) -> Arrangement:
    """The arrangement re-read under a row lock (status checks and writes do not race), of the
    actor's own insurer."""
    require_contract_manager(actor)
    return (
        Arrangement.objects.select_for_update(of=("self",))
        .select_related("contract__insurer", "contract__provider")
        .get(pk=arrangement.pk, contract__insurer=actor.organisation)
    )


def _refuse_if_settled(arrangement: Arrangement, message: str) -> None:
    if arrangement.status == ArrangementStatus.SETTLED:
        raise ApplicationError(message)


def _arrangement_detail(arrangement: Arrangement) -> dict[str, Any]:
    return {
        "provider": arrangement.contract.provider.agb_code,
        "year": arrangement.contract.year,
        "kind": arrangement.kind,
        "status": arrangement.status,
        "coverage_percentage": _text(arrangement.coverage_percentage),
        "budget": _text(arrangement.budget),
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _json(value: Any) -> Any:
    """A value as the audit trail's JSON keeps it (amounts as text)."""
    return str(value) if isinstance(value, Decimal) else value


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


# --- Arrangements -------------------------------------------------------------------------------
@transaction.atomic
def arrangement_create(
    *,
    actor: Actor,
    provider: Provider,
    year: int,
    kind: str,
    coverage_percentage: Decimal | None = None,
    budget: Decimal | None = None,
    note: str = "",
    request: Any = None,
) -> Arrangement:
    """A draft arrangement of ``kind`` on the insurer's contract with ``provider`` for ``year``."""
    require_contract_manager(actor)
    if kind not in ArrangementKind.values:
        raise ValidationError({"kind": _("Unknown kind of arrangement.")})
    raise_if(_parameter_errors(kind=kind, coverage_percentage=coverage_percentage, budget=budget))
    contract = (
        Contract.objects.select_for_update()
        .filter(insurer=actor.organisation, provider=provider, year=year)
        .first()
    )
    if contract is None:
        raise ValidationError(
            {
                "year": _(
                    "There is no purchase contract with %(provider)s for %(year)s. Record the "
                    "contract first: an arrangement belongs to a contract."
                )
                % {"provider": provider.name, "year": year}
            }
        )
    if contract.arrangements.filter(kind=kind).exists():
        raise ValidationError(
            {
                "kind": _(
                    "The contract with %(provider)s for %(year)s already has an arrangement of "
                    "this kind: change that one instead."
                )
                % {"provider": provider.name, "year": year}
            }
        )
    arrangement = Arrangement(
        contract=contract,
        kind=kind,
        coverage_percentage=_decimal(coverage_percentage),
        budget=_decimal(budget),
        note=note.strip(),
    )
    stamp(arrangement, actor)
    arrangement.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=arrangement,
        request=request,
        detail=_arrangement_detail(arrangement),
    )
    return arrangement


@transaction.atomic
def arrangement_update(
    *,
    actor: Actor,
    arrangement: Arrangement,
    coverage_percentage: Decimal | None,
    budget: Decimal | None,
    note: str,
    request: Any = None,
) -> Arrangement:
    """Change the parameters of a draft or agreed arrangement (the history keeps the old ones)."""
    arrangement = _locked_arrangement(arrangement, actor)
    _refuse_if_settled(
        arrangement,
        _("This arrangement has been settled and is locked: book a correction payment instead."),
    )
    raise_if(
        _parameter_errors(
            kind=arrangement.kind, coverage_percentage=coverage_percentage, budget=budget
        )
    )
    new: dict[str, Any] = {
        "coverage_percentage": _decimal(coverage_percentage),
        "budget": _decimal(budget),
        "note": note.strip(),
    }
    changes = {
        name: [_json(old), _json(value)]
        for name, value in new.items()
        if (old := getattr(arrangement, name)) != value
    }
    if not changes:
        return arrangement
    for name, value in new.items():
        setattr(arrangement, name, value)
    stamp(arrangement, actor)
    arrangement.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=arrangement,
        request=request,
        detail={"changes": changes},
    )
    return arrangement


def _transition(*, actor: Actor, arrangement: Arrangement, to: str, request: Any) -> Arrangement:
    arrangement = _locked_arrangement(arrangement, actor)
    if to not in TRANSITIONS[arrangement.status]:
        raise ApplicationError(
            _("An arrangement that is %(current)s cannot become %(new)s.")
            % {
                "current": ArrangementStatus(arrangement.status).label.lower(),
                "new": ArrangementStatus(to).label.lower(),
            },
            field="status",
        )
    previous = arrangement.status
    now = timezone.now()
    if to == ArrangementStatus.AGREED:
        arrangement.agreed_at = now
    if to == ArrangementStatus.SETTLED:
        arrangement.settled_due = arrangement_due(arrangement)
        arrangement.settled_at = now
    arrangement.status = to
    stamp(arrangement, actor)
    arrangement.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=arrangement,
        request=request,
        detail={"status": [previous, to], "settled_due": _text(arrangement.settled_due)},
    )
    return arrangement


@transaction.atomic
def arrangement_agree(
    *, actor: Actor, arrangement: Arrangement, request: Any = None
) -> Arrangement:
    """draft → agreed: the provider and the insurer agree on the parameters."""
    return _transition(
        actor=actor, arrangement=arrangement, to=ArrangementStatus.AGREED, request=request
    )


@transaction.atomic
def arrangement_settle(
    *, actor: Actor, arrangement: Arrangement, request: Any = None
) -> Arrangement:
    """agreed → settled: fix what is due now and lock the arrangement."""
    return _transition(
        actor=actor, arrangement=arrangement, to=ArrangementStatus.SETTLED, request=request
    )


# --- Production ---------------------------------------------------------------------------------
@transaction.atomic
def production_record(
    *,
    actor: Actor,
    contract: Contract,
    month: date,
    amount: Decimal,
    catch_up_amount: Decimal = Decimal("0.00"),
    request: Any = None,
) -> tuple[ProductionRecord, bool]:
    """Record the realised production (and its catch-up part) of one month of the contract year.

    Returns the record and whether it is new; a month recorded again gets the new figures.
    """
    require_contract_manager(actor)
    contract = Contract.objects.select_for_update().get(pk=contract.pk, insurer=actor.organisation)
    month_errors: list[str] = []
    if month.day != 1:
        month_errors = [_("Give a month (YYYY-MM).")]
    elif month.year != contract.year:
        month_errors = [
            _("%(month)s is outside the contract year %(year)d.")
            % {"month": month_display(month), "year": contract.year}
        ]
    errors = {
        "month": month_errors,
        "amount": money_errors(amount),
        "catch_up_amount": money_errors(catch_up_amount),
    }
    if (
        not errors["amount"]
        and not errors["catch_up_amount"]
        and Decimal(catch_up_amount) > Decimal(amount)
    ):
        errors["catch_up_amount"] = [
            _("The catch-up production is part of the month's production, so it cannot be more.")
        ]
    raise_if(errors)
    if contract.arrangements.filter(status=ArrangementStatus.SETTLED).exists():
        raise ApplicationError(
            _(
                "An arrangement of this contract has been settled on its production, so the "
                "production of %(year)d is locked. Book a correction payment instead."
            )
            % {"year": contract.year}
        )
    record = ProductionRecord.objects.filter(contract=contract, month=month).first()
    created = record is None
    previous = None if record is None else [str(record.amount), str(record.catch_up_amount)]
    if record is None:
        record = ProductionRecord(contract=contract, month=month)
    record.amount = Decimal(amount)
    record.catch_up_amount = Decimal(catch_up_amount)
    record.recorded_by = actor.label
    stamp(record, actor)
    record.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=record,
        request=request,
        detail={
            "contract": contract.pk,
            "month": month.strftime("%Y-%m"),
            "amount": str(record.amount),
            "catch_up_amount": str(record.catch_up_amount),
            "previous": previous,
        },
    )
    return record, created


# --- Cost claims --------------------------------------------------------------------------------
def _decide(claim: CostClaim, *, actor: Actor, status: str, reason: str = "") -> None:
    claim.status = status
    claim.rejection_reason = reason if status == ClaimStatus.REJECTED else ""
    claim.decided_at = timezone.now()
    claim.decided_by = actor.label


@transaction.atomic
def cost_claim_submit(
    *,
    actor: Actor,
    arrangement: Arrangement,
    category: str,
    amount: Decimal,
    note: str = "",
    approved: bool | None = None,
    rejection_reason: str = "",
    request: Any = None,
) -> CostClaim:
    """Record a claim for extra costs; ``approved`` True or False records the decision at once
    (a rejection with its reason), None leaves it to be assessed."""
    arrangement = _locked_arrangement(arrangement, actor)
    if arrangement.kind != ArrangementKind.ADDITIONAL_COSTS:
        raise ApplicationError(
            _("Cost claims belong to an additional costs (meerkosten) arrangement.")
        )
    _refuse_if_settled(
        arrangement,
        _("This arrangement has been settled and is locked: it takes no more claims."),
    )
    rejection_reason = rejection_reason.strip()
    raise_if(
        {
            "category": []
            if category in ClaimCategory.values
            else [_("Unknown category of extra costs.")],
            "amount": money_errors(amount, allow_zero=False),
            "rejection_reason": [_("Give the reason for the rejection.")]
            if approved is False and not rejection_reason
            else [],
        }
    )
    claim = CostClaim(
        arrangement=arrangement, category=category, amount=Decimal(amount), note=note.strip()
    )
    if approved is not None:
        _decide(
            claim,
            actor=actor,
            status=ClaimStatus.APPROVED if approved else ClaimStatus.REJECTED,
            reason=rejection_reason,
        )
    stamp(claim, actor)
    claim.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=claim,
        request=request,
        detail={
            "arrangement": arrangement.pk,
            "category": category,
            "amount": str(claim.amount),
            "status": claim.status,
        },
    )
    return claim


def _claim_transition(
    *, actor: Actor, claim: CostClaim, to: str, reason: str, request: Any
) -> CostClaim:
    arrangement = _locked_arrangement(claim.arrangement, actor)
    claim = CostClaim.objects.select_for_update().get(pk=claim.pk, arrangement=arrangement)
    _refuse_if_settled(
        arrangement,
        _("This arrangement has been settled and is locked: its claims can no longer change."),
    )
    if to not in CLAIM_TRANSITIONS[claim.status]:
        raise ApplicationError(
            _("This claim is already %(status)s.")
            % {"status": ClaimStatus(claim.status).label.lower()},
            field="status",
        )
    reason = reason.strip()
    if to == ClaimStatus.REJECTED and not reason:
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    previous = claim.status
    _decide(claim, actor=actor, status=to, reason=reason)
    stamp(claim, actor)
    claim.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=claim,
        request=request,
        detail={"status": [previous, to], "reason": claim.rejection_reason},
    )
    return claim


@transaction.atomic
def cost_claim_approve(*, actor: Actor, claim: CostClaim, request: Any = None) -> CostClaim:
    return _claim_transition(
        actor=actor, claim=claim, to=ClaimStatus.APPROVED, reason="", request=request
    )


@transaction.atomic
def cost_claim_reject(
    *, actor: Actor, claim: CostClaim, reason: str, request: Any = None
) -> CostClaim:
    return _claim_transition(
        actor=actor, claim=claim, to=ClaimStatus.REJECTED, reason=reason, request=request
    )


# --- Payments -------------------------------------------------------------------------------
@transaction.atomic
def payment_record(
    *,
    actor: Actor,
    arrangement: Arrangement,
    kind: str,
    date: date,
    amount: Decimal,
    note: str = "",
    request: Any = None,
) -> Payment:
    """Book a payment to the provider under an agreed (or, for corrections, settled)
    arrangement."""
    arrangement = _locked_arrangement(arrangement, actor)
    if kind not in PaymentKind.values:
        raise ValidationError({"kind": _("Unknown kind of payment.")})
    is_correction = kind == PaymentKind.CORRECTION
    raise_if(
        {
            "date": plausible_date_errors(date, today=timezone.localdate()),
            "amount": money_errors(amount, allow_zero=False, allow_negative=is_correction),
        }
    )
    if arrangement.status == ArrangementStatus.DRAFT:
        raise ApplicationError(
            _("This arrangement is still a draft: agree it before booking payments.")
        )
    if arrangement.status == ArrangementStatus.SETTLED and not is_correction:
        raise ApplicationError(
            _(
                "This arrangement has been settled and is locked: a difference is booked as a "
                "correction payment."
            ),
            field="kind",
        )
    payment = Payment(
        arrangement=arrangement,
        kind=kind,
        date=date,
        amount=Decimal(amount),
        note=note.strip(),
        recorded_by=actor.label,
    )
    stamp(payment, actor)
    payment.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=payment,
        request=request,
        detail={
            "arrangement": arrangement.pk,
            "kind": kind,
            "date": date.isoformat(),
            "amount": str(payment.amount),
        },
    )
    return payment
