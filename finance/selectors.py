"""Reads of the finance app: contracts and arrangements with the figures they are settled on.

Figures are computed in the database (sums per contract or arrangement in subqueries, so that a
list of hundreds of contracts costs one query); the money rules that turn them into what is due
live in :mod:`finance.settlement`. What a page charts is built here too, as plain data next to the
read that feeds it (:func:`contract_production_chart`), so that the views only pass it on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts.actors import Actor
from finance import settlement
from finance.models import (
    Arrangement,
    ArrangementStatus,
    ClaimStatus,
    Contract,
    CostClaim,
    Payment,
    ProductionRecord,
    VolumeTransfer,
)
from finance.permissions import arrangement_list_for, contract_list_for

ZERO = Decimal("0.00")
_MONEY_SUM: DecimalField = DecimalField(max_digits=16, decimal_places=2)


def _summed(queryset: QuerySet, *, group_by: str, amount: str) -> Coalesce:
    """A correlated subquery: the sum of ``amount`` over ``queryset`` (already filtered on
    ``OuterRef``), or 0.00 when there are no rows."""
    subquery = queryset.order_by().values(group_by).annotate(total=Sum(amount)).values("total")[:1]
    return Coalesce(
        Subquery(subquery, output_field=_MONEY_SUM), Value(ZERO), output_field=_MONEY_SUM
    )


def _production_sum(contract_ref: str, amount: str) -> Coalesce:
    return _summed(
        ProductionRecord.objects.filter(contract=OuterRef(contract_ref)),
        group_by="contract",
        amount=amount,
    )


def _transfer_sum(*, direction: str, prefix: str = "") -> Coalesce:
    provider_field = "to_provider" if direction == "in" else "from_provider"
    return _summed(
        VolumeTransfer.objects.filter(
            insurer=OuterRef(f"{prefix}insurer"),
            care_date__year=OuterRef(f"{prefix}year"),
            **{provider_field: OuterRef(f"{prefix}provider")},
        ),
        group_by=provider_field,
        amount="estimated_amount",
    )


def contract_with_figures(queryset: QuerySet[Contract]) -> QuerySet[Contract]:
    """Adds ``realised_production``, ``catch_up_production``, ``transfers_in``, ``transfers_out``
    (all for the contract's insurer, provider and year) and ``pending_claims``."""
    return queryset.annotate(
        realised_production=_production_sum("pk", "amount"),
        catch_up_production=_production_sum("pk", "catch_up_amount"),
        transfers_in=_transfer_sum(direction="in"),
        transfers_out=_transfer_sum(direction="out"),
    )


def contract_headroom(contract: Contract) -> Decimal:
    """contract value − realised production + transfers in − transfers out (DESIGN §3.5);
    ``contract`` comes from :func:`contract_with_figures`."""
    c: Any = contract
    return settlement.headroom(
        contract_value=contract.contract_value,
        realised_production=c.realised_production,
        transfers_in=c.transfers_in,
        transfers_out=c.transfers_out,
    )


def arrangement_with_figures(queryset: QuerySet[Arrangement]) -> QuerySet[Arrangement]:
    """Adds the contract year's production, the approved and pending claims and the payments."""
    return queryset.annotate(
        realised_production=_production_sum("contract", "amount"),
        catch_up_production=_production_sum("contract", "catch_up_amount"),
        approved_claims=_summed(
            CostClaim.objects.filter(arrangement=OuterRef("pk"), status=ClaimStatus.APPROVED),
            group_by="arrangement",
            amount="amount",
        ),
        paid=_summed(
            Payment.objects.filter(arrangement=OuterRef("pk")),
            group_by="arrangement",
            amount="amount",
        ),
        pending_claims=Coalesce(
            Subquery(
                CostClaim.objects.filter(arrangement=OuterRef("pk"), status=ClaimStatus.PENDING)
                .order_by()
                .values("arrangement")
                .annotate(n=Count("pk"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    )


def arrangement_due(arrangement: Arrangement) -> Decimal:
    """What is due now; for a settled arrangement, what was due when it was settled."""
    if arrangement.status == ArrangementStatus.SETTLED and arrangement.settled_due is not None:
        return arrangement.settled_due
    a: Any = arrangement
    if not hasattr(a, "realised_production"):
        a = arrangement_with_figures(Arrangement.objects.filter(pk=arrangement.pk)).get()
    return settlement.due_for(
        kind=arrangement.kind,
        figures=settlement.Figures(
            contract_value=arrangement.contract.contract_value,
            realised_production=a.realised_production,
            catch_up_production=a.catch_up_production,
            approved_claims=a.approved_claims,
        ),
        coverage_percentage=arrangement.coverage_percentage,
        budget=arrangement.budget,
    )


def arrangement_settlement(arrangement: Arrangement) -> settlement.Settlement:
    """due, paid and balance of an arrangement (annotated by :func:`arrangement_with_figures`,
    or read here when it is not)."""
    a: Any = arrangement
    if not hasattr(a, "paid"):
        a = arrangement_with_figures(
            Arrangement.objects.select_related("contract").filter(pk=arrangement.pk)
        ).get()
    return settlement.settlement_of(due=arrangement_due(a), payments=[a.paid])


def arrangement_list_with_figures(*, actor: Actor) -> QuerySet[Arrangement]:
    return arrangement_with_figures(arrangement_list_for(actor=actor)).order_by(
        "-contract__year", "contract__provider__name", "kind"
    )


def contract_list_with_figures(*, actor: Actor) -> QuerySet[Contract]:
    return contract_with_figures(contract_list_for(actor=actor)).order_by(
        "-year", "provider__name", "insurer__name"
    )


# --- The overview of all providers in a year ----------------------------------------------------
@dataclass
class Totals:
    contract_value: Decimal = ZERO
    realised_production: Decimal = ZERO
    transfers_in: Decimal = ZERO
    transfers_out: Decimal = ZERO
    headroom: Decimal = ZERO
    due: Decimal = ZERO
    paid: Decimal = ZERO
    balance: Decimal = ZERO

    def add(self, other: Totals) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class OverviewRow:
    contract: Contract
    arrangements: list[Arrangement] = field(default_factory=list)
    figures: Totals = field(default_factory=Totals)
    pending_claims: int = 0

    @property
    def arrangement_kinds(self) -> list[str]:
        return [a.get_kind_display() for a in self.arrangements]


@dataclass
class Overview:
    year: int
    rows: list[OverviewRow]
    totals: Totals


def contract_overview(*, actor: Actor, year: int, search: str = "") -> Overview:
    """Every contract of the actor's organisation in ``year`` (for an insurer: all its providers;
    for a provider: all its insurers) with production, transfers, headroom and the sum of its
    arrangements' due, paid and balance, and totals over all rows."""
    contracts = contract_with_figures(contract_list_for(actor=actor).filter(year=year)).order_by(
        "provider__name", "insurer__name"
    )
    if search:
        contracts = contracts.filter(
            Q(provider__name__icontains=search)
            | Q(provider__agb_code=search)
            | Q(insurer__name__icontains=search)
        )
    rows = {c.pk: OverviewRow(contract=c) for c in contracts}
    arrangements = arrangement_with_figures(
        arrangement_list_for(actor=actor).filter(contract__in=list(rows))
    ).order_by("kind")
    totals = Totals()
    for arrangement in arrangements:
        row = rows[arrangement.contract_id]
        arrangement.contract = row.contract  # reuse: no query per row
        result = arrangement_settlement(arrangement)
        row.arrangements.append(arrangement)
        row.figures.due += result.due
        row.figures.paid += result.paid
        row.figures.balance += result.balance
        row.pending_claims += getattr(arrangement, "pending_claims", 0)
    for row in rows.values():
        c: Any = row.contract
        row.figures.contract_value = c.contract_value
        row.figures.realised_production = c.realised_production
        row.figures.transfers_in = c.transfers_in
        row.figures.transfers_out = c.transfers_out
        row.figures.headroom = contract_headroom(c)
        totals.add(row.figures)
    return Overview(year=year, rows=list(rows.values()), totals=totals)


def contract_years_for(*, actor: Actor) -> list[int]:
    return sorted(set(contract_list_for(actor=actor).values_list("year", flat=True)), reverse=True)


# --- One contract: production and transfers ----------------------------------------------------
def contract_production_list(*, contract: Contract) -> QuerySet[ProductionRecord]:
    return contract.production_records.order_by("month")


def contract_transfer_lists(
    *, contract: Contract
) -> tuple[QuerySet[VolumeTransfer], QuerySet[VolumeTransfer]]:
    """The volume transfers into and out of the contract (insurer, provider, year of the care)."""
    base = VolumeTransfer.objects.filter(
        insurer=contract.insurer_id, care_date__year=contract.year
    ).select_related("from_provider", "to_provider", "specialism", "treatment")
    return (
        base.filter(to_provider=contract.provider_id),
        base.filter(from_provider=contract.provider_id),
    )


def contract_production_chart(
    *, contract: Contract, records: Iterable[ProductionRecord]
) -> dict[str, Any]:
    """The contract page's chart: monthly production (and its catch-up part) against one twelfth
    of the ceiling, as a Chart.js configuration of plain data (drawn by app.js from the page's
    ``json_script``). ``records`` are the contract's, from :func:`contract_production_list`."""
    by_month = {record.month.month: record for record in records}
    labels = [date(contract.year, month, 1).strftime("%Y-%m") for month in range(1, 13)]
    twelfth = float(contract.contract_value / 12)

    def series(attribute: str) -> list[float | None]:
        return [
            float(getattr(by_month[m], attribute)) if m in by_month else None for m in range(1, 13)
        ]

    return {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": _("Realised production"),
                    "data": series("amount"),
                    "backgroundColor": "#0b5394",
                },
                {
                    "label": _("Of which catch-up care"),
                    "data": series("catch_up_amount"),
                    "backgroundColor": "#b45f06",
                },
                {
                    "type": "line",
                    "label": _("Ceiling per month"),
                    "data": [twelfth] * 12,
                    "borderColor": "#38761d",
                    "borderDash": [6, 4],
                    "pointStyle": False,
                },
            ],
        },
        "options": {
            "responsive": True,
            "animation": False,
            "plugins": {"legend": {"position": "bottom"}},
            "scales": {"y": {"beginAtZero": True, "title": {"display": True, "text": _("Euro")}}},
        },
    }


# --- History ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    subject: str
    action: str  # "+" created, "~" changed, "-" deleted (django-simple-history's types)
    changes: list[tuple[str, Any, Any]]


def _shown(model_field: Any, value: Any) -> Any:
    """A historical value as people read it: the label of a choice, nothing for empty text."""
    if value == "":
        return None
    if model_field.choices and value is not None:
        return dict(model_field.flatchoices).get(value, value)
    return value


def _entries(records: Iterable[Any], subject: Any) -> list[HistoryEntry]:
    entries = []
    for record in records:
        changes: list[tuple[str, Any, Any]] = []
        if record.history_type == "~" and record.prev_record is not None:
            delta = record.diff_against(record.prev_record)
            for change in delta.changes:
                if change.field in {"updated_at", "recorded_at"}:
                    continue
                model_field = record.instance._meta.get_field(change.field)
                changes.append(
                    (
                        str(model_field.verbose_name),
                        _shown(model_field, change.old),
                        _shown(model_field, change.new),
                    )
                )
            if not changes:
                continue
        who = (
            record.history_user.get_username()
            if record.history_user is not None
            else (record.history_change_reason or "—")
        )
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=who,
                subject=subject(record) if callable(subject) else str(subject),
                action=record.history_type,
                changes=changes,
            )
        )
    return entries


def arrangement_history(*, arrangement: Arrangement) -> list[HistoryEntry]:
    """Every change of the arrangement, its claims and payments, newest first: who, when, what."""
    entries = _entries(
        arrangement.history.select_related("history_user").order_by("history_date"),
        arrangement.get_kind_display(),
    )
    entries += _entries(
        CostClaim.history.filter(arrangement_id=arrangement.pk)
        .select_related("history_user")
        .order_by("history_date"),
        lambda r: f"{capfirst(r.instance._meta.verbose_name)} #{r.id}",
    )
    entries += _entries(
        Payment.history.filter(arrangement_id=arrangement.pk)
        .select_related("history_user")
        .order_by("history_date"),
        lambda r: f"{capfirst(r.instance._meta.verbose_name)} #{r.id}",
    )
    return sorted(entries, key=lambda e: e.when, reverse=True)


def contract_history(*, contract: Contract) -> list[HistoryEntry]:
    """Changes of the contract value and of the contract's production records, newest first."""
    entries = _entries(
        contract.history.select_related("history_user").order_by("history_date"), contract.year
    )
    entries += _entries(
        ProductionRecord.history.filter(contract_id=contract.pk)
        .select_related("history_user")
        .order_by("history_date"),
        lambda r: f"{capfirst(r.instance._meta.verbose_name)} {r.month:%Y-%m}",
    )
    return sorted(entries, key=lambda e: e.when, reverse=True)
