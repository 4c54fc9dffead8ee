"""Demo money: purchase contracts for most insurer–provider pairs (this year and last year), and
on them arrangements of every kind with a year of production, cost claims, payments, and volume
transfers of mediated patients — so that the finance overview tells a story:

* last year is mostly settled (advances, a settlement payment, now and then a correction), with a
  few arrangements still waiting for settlement;
* this year runs: production up to last month, advances per quarter, claims approved, rejected
  and waiting for a decision, some arrangements still in draft;
* hospitals that produced less than their ceiling get a continuity contribution, independent
  clinics that produced more get a supplementary agreement.

Everything is written in bulk and is idempotent: the demo rows under the demo contracts are
replaced by the same rows (same seed) on every run. History rows are not written for demo data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organisation
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
    Tariff,
    TariffSource,
    VolumeTransfer,
)
from portal.demo.providers import HOSPITAL_SPECIALISMS, ZBC_SPECIALISMS
from providers.models import Provider, ProviderKind, Specialism, Treatment

# Revenue ceilings in millions of euros for the whole market, by provider kind.
_VALUE_RANGE = {
    ProviderKind.UMC: (500, 1100),
    ProviderKind.HOSPITAL: (80, 420),
    ProviderKind.ZBC: (2, 18),
}
CONTRACTED_SHARE = 0.85
CENT = Decimal("0.01")
DEMO_TRANSFER_PREFIX = "DEMO-"
TRANSFERS_PER_INSURER_YEAR = 30
DEMO_ACTOR = "demo"

REJECTION_REASONS = [
    "Geen facturen bijgevoegd.",
    "Kosten vallen onder de reguliere exploitatie.",
    "Al vergoed via de landelijke regeling.",
    "Capaciteit is niet op verzoek van het ROAZ vrijgehouden.",
]
CLAIM_NOTES = {
    ClaimCategory.PROTECTIVE_EQUIPMENT: "Facturen mondkapjes en schorten, kwartaal {q}.",
    ClaimCategory.RESERVED_CAPACITY: "IC-bedden vrijgehouden op verzoek ROAZ, kwartaal {q}.",
    ClaimCategory.EXTRA_STAFF: "Inhuur extra verpleegkundigen, kwartaal {q}.",
    ClaimCategory.OTHER: "Extra schoonmaak en logistiek, kwartaal {q}.",
}


def _cents(value: Decimal | float) -> Decimal:
    return Decimal(value).quantize(CENT)


def _demo_contracts(
    insurers: list[Organisation], providers: list[Provider] | None = None
) -> QuerySet[Contract]:
    contracts = Contract.objects.filter(insurer__in=insurers, provider__is_demo=True)
    if providers is not None:
        contracts = contracts.filter(provider__in=providers)
    return contracts


def _clear_money(contracts: QuerySet[Contract]) -> None:
    """Remove the demo rows under ``contracts``. A raw delete: no per-row signals, so no history
    rows are written for demo data being replaced (and it takes a few queries, not thousands)."""
    ids = list(contracts.values_list("pk", flat=True))
    for queryset in (
        Payment.objects.filter(arrangement__contract__in=ids),
        CostClaim.objects.filter(arrangement__contract__in=ids),
        Arrangement.objects.filter(contract__in=ids),
        ProductionRecord.objects.filter(contract__in=ids),
    ):
        queryset._raw_delete(queryset.db)  # type: ignore[attr-defined]


@transaction.atomic
def seed_demo_contracts(
    *, rng: random.Random, insurers: list[Organisation], providers: list[Provider], year: int
) -> int:
    """Each insurer contracts most providers, for an amount proportional to its market share.

    Written in bulk (a few queries instead of a thousand): demo contracts need no change history.
    """
    shares = [Decimal("0.45"), Decimal("0.35"), Decimal("0.20")]
    existing = {
        (c.insurer_id, c.provider_id, c.year): c
        for c in Contract.objects.filter(insurer__in=insurers, provider__in=providers)
    }
    wanted: dict[tuple[int, int, int], Decimal] = {}
    for provider in providers:
        low, high = _VALUE_RANGE[ProviderKind(provider.kind)]
        market_value = Decimal(rng.randint(low * 1000, high * 1000)) * 1000
        for insurer, share in zip(insurers, shares, strict=False):
            if rng.random() > CONTRACTED_SHARE:
                continue
            for contract_year, growth in ((year - 1, Decimal("0.96")), (year, Decimal("1"))):
                value = (market_value * share * growth).quantize(Decimal("0.01"))
                wanted[(insurer.pk, provider.pk, contract_year)] = value
    stale = [
        c.pk for key, c in existing.items() if key[2] in (year - 1, year) and key not in wanted
    ]
    _clear_money(Contract.objects.filter(pk__in=stale))
    Contract.objects.filter(pk__in=stale).delete()
    to_update = []
    for key, value in wanted.items():
        if key in existing and existing[key].contract_value != value:
            existing[key].contract_value = value
            to_update.append(existing[key])
    Contract.objects.bulk_update(to_update, ["contract_value"])
    Contract.objects.bulk_create(
        Contract(insurer_id=i, provider_id=p, year=y, contract_value=value)
        for (i, p, y), value in wanted.items()
        if (i, p, y) not in existing
    )
    return len(wanted)


# --- Arrangements, production, claims, payments -----------------------------------------------
@dataclass
class _Plan:
    """What is generated for one contract before it is written."""

    contract: Contract
    production: list[ProductionRecord]
    arrangements: list[tuple[Arrangement, list[CostClaim], list[Payment]]]


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _months_recorded(contract_year: int, today: date) -> int:
    if contract_year < today.year:
        return 12
    return max(1, today.month - 1)  # the months that are over (at least January)


def _production(rng: random.Random, contract: Contract, months: int) -> list[ProductionRecord]:
    """Monthly production around the provider's pace: hospitals often below the ceiling (care
    postponed), independent clinics often above it; quieter in summer and December."""
    if contract.provider.kind == ProviderKind.ZBC:
        pace = rng.uniform(0.95, 1.25)
    else:
        pace = rng.uniform(0.82, 1.03)
    catch_up_share = rng.uniform(0.04, 0.12)
    season = {7: 0.85, 8: 0.82, 12: 0.9}
    records = []
    for month in range(1, months + 1):
        amount = _cents(
            float(contract.contract_value)
            / 12
            * pace
            * season.get(month, 1.04)
            * rng.uniform(0.97, 1.03)
        )
        catch_up = _cents(float(amount) * catch_up_share * rng.uniform(0.7, 1.3))
        records.append(
            ProductionRecord(
                contract=contract,
                month=date(contract.year, month, 1),
                amount=amount,
                catch_up_amount=min(catch_up, amount),
                recorded_by=DEMO_ACTOR,
            )
        )
    return records


def _claims(
    rng: random.Random, arrangement: Arrangement, *, settled_year: bool, today: date
) -> list[CostClaim]:
    contract = arrangement.contract
    last_quarter = 4 if settled_year else max(1, (today.month - 1) // 3 + 1)
    claims = []
    for quarter in range(1, last_quarter + 1):
        for category in rng.sample(list(ClaimCategory), k=rng.randint(1, 2)):
            amount = _cents(float(contract.contract_value) * rng.uniform(0.0008, 0.006))
            roll = rng.random()
            if settled_year or quarter < last_quarter:
                status = ClaimStatus.REJECTED if roll < 0.18 else ClaimStatus.APPROVED
            else:
                status = (
                    ClaimStatus.PENDING
                    if roll < 0.5
                    else ClaimStatus.REJECTED
                    if roll < 0.65
                    else ClaimStatus.APPROVED
                )
            submitted = date(contract.year, quarter * 3, 1)
            decided = status != ClaimStatus.PENDING
            claims.append(
                CostClaim(
                    arrangement=arrangement,
                    category=category,
                    amount=amount,
                    note=CLAIM_NOTES[category].format(q=quarter),
                    status=status,
                    rejection_reason=rng.choice(REJECTION_REASONS)
                    if status == ClaimStatus.REJECTED
                    else "",
                    decided_at=_aware(min(submitted.replace(day=20), today)) if decided else None,
                    decided_by="contractmanager" if decided else "",
                )
            )
    return claims


def _due(
    arrangement: Arrangement,
    production: list[ProductionRecord],
    claims: list[CostClaim],
    *,
    scale: Decimal = Decimal(1),
) -> Decimal:
    """What is due on these figures; ``scale`` projects part of a year's production onto the
    whole year."""
    return settlement.due_for(
        kind=arrangement.kind,
        figures=settlement.Figures(
            contract_value=arrangement.contract.contract_value,
            realised_production=_cents(sum((r.amount for r in production), Decimal(0)) * scale),
            catch_up_production=_cents(
                sum((r.catch_up_amount for r in production), Decimal(0)) * scale
            ),
            approved_claims=sum(
                (c.amount for c in claims if c.status == ClaimStatus.APPROVED), Decimal("0.00")
            ),
        ),
        coverage_percentage=arrangement.coverage_percentage,
        budget=arrangement.budget,
    )


def _payments(
    rng: random.Random,
    arrangement: Arrangement,
    *,
    due: Decimal,
    quarters: int,
    settle: bool,
) -> list[Payment]:
    """Quarterly advances of roughly a fifth of what is due; at settlement the rest (and now and
    then a correction after a late-found difference)."""
    year = arrangement.contract.year
    payments = []
    for quarter in range(1, quarters + 1):
        amount = _cents(float(due) * rng.uniform(0.17, 0.23))
        if amount > 0:
            payments.append(
                Payment(
                    arrangement=arrangement,
                    kind=PaymentKind.ADVANCE,
                    date=date(year, quarter * 3 - 2, 15),
                    amount=amount,
                    note=f"Voorschot kwartaal {quarter}",
                    recorded_by=DEMO_ACTOR,
                )
            )
    if settle:
        paid = sum((p.amount for p in payments), Decimal("0.00"))
        difference = Decimal(rng.choice([0, 0, 0, 0, 1500, -800])) if due > 10000 else Decimal(0)
        rest = due - paid - difference
        if rest > 0:
            payments.append(
                Payment(
                    arrangement=arrangement,
                    kind=PaymentKind.SETTLEMENT,
                    date=date(year + 1, 3, 31),
                    amount=rest,
                    note="Vaststelling",
                    recorded_by=DEMO_ACTOR,
                )
            )
        elif rest < 0:
            difference += rest
        if difference:
            payments.append(
                Payment(
                    arrangement=arrangement,
                    kind=PaymentKind.CORRECTION,
                    date=date(year + 1, 5, 15),
                    amount=difference,
                    note="Correctie na controle",
                    recorded_by=DEMO_ACTOR,
                )
            )
    return payments


def _kinds_for(
    rng: random.Random, contract: Contract, production: list[ProductionRecord], months: int
) -> dict[str, dict[str, Any]]:
    """Which arrangements a contract has, with their parameters."""
    value = contract.contract_value
    projected = sum((r.amount for r in production), Decimal("0.00")) * 12 / months
    is_zbc = contract.provider.kind == ProviderKind.ZBC
    kinds: dict[str, dict[str, Any]] = {}
    if not is_zbc and projected < value and rng.random() < 0.85:
        kinds[ArrangementKind.CONTINUITY_CONTRIBUTION] = {
            "coverage_percentage": Decimal(rng.choice([70, 75, 80, 85, 90, 95]))
        }
    if rng.random() < (0.2 if is_zbc else 0.75):
        kinds[ArrangementKind.ADDITIONAL_COSTS] = {}
    if rng.random() < 0.6:
        kinds[ArrangementKind.CATCH_UP_CARE] = {
            "budget": (value * Decimal(rng.uniform(0.02, 0.06))).quantize(Decimal("1000"))
        }
    if is_zbc and projected > value and rng.random() < 0.85:
        kinds[ArrangementKind.SUPPLEMENTARY_AGREEMENT] = {
            "budget": (value * Decimal(rng.uniform(0.05, 0.15))).quantize(Decimal("1000"))
        }
    return kinds


def _plan_contract(rng: random.Random, contract: Contract, today: date) -> _Plan:
    months = _months_recorded(contract.year, today)
    production = _production(rng, contract, months)
    last_year = contract.year < today.year
    plan = _Plan(contract=contract, production=production, arrangements=[])
    for kind, params in _kinds_for(rng, contract, production, months).items():
        arrangement = Arrangement(
            contract=contract,
            kind=kind,
            coverage_percentage=params.get("coverage_percentage"),
            budget=params.get("budget"),
            note="Afspraak uit de zorginkoop (demo).",
        )
        claims = (
            _claims(rng, arrangement, settled_year=last_year, today=today)
            if kind == ArrangementKind.ADDITIONAL_COSTS
            else []
        )
        due = _due(arrangement, production, claims)
        if last_year:
            status = ArrangementStatus.SETTLED if rng.random() < 0.85 else ArrangementStatus.AGREED
        else:
            status = ArrangementStatus.AGREED if rng.random() < 0.8 else ArrangementStatus.DRAFT
        arrangement.status = status
        arrangement.created_at = _aware(date(contract.year, 1, 10))
        if status != ArrangementStatus.DRAFT:
            arrangement.agreed_at = _aware(date(contract.year, 2, 1))
        payments: list[Payment] = []
        if status == ArrangementStatus.SETTLED:
            arrangement.settled_due = due
            arrangement.settled_at = _aware(date(contract.year + 1, 3, 31))
            payments = _payments(rng, arrangement, due=due, quarters=4, settle=True)
        elif status == ArrangementStatus.AGREED:
            quarters = 4 if last_year else (today.month - 1) // 3 + 1
            # Advances on what is expected for the whole year, not on what is due so far.
            # Continuity: what is due so far counts the months not yet produced as shortfall, so
            # advance on the projection; the capped kinds: on what has been earned so far.
            expected = min(due, _due(arrangement, production, claims, scale=Decimal(12) / months))
            payments = _payments(rng, arrangement, due=expected, quarters=quarters, settle=False)
        plan.arrangements.append((arrangement, claims, payments))
    return plan


def _seed_tariffs(rng: random.Random) -> dict[tuple[str, int], Decimal]:
    """A tariff per specialism and for some treatments, where none exists yet (the admin's own
    values are kept); returns the lookup used to price the demo transfers."""
    existing_specialisms = set(
        Tariff.objects.filter(specialism__isnull=False).values_list("specialism_id", flat=True)
    )
    existing_treatments = set(
        Tariff.objects.filter(treatment__isnull=False).values_list("treatment_id", flat=True)
    )
    new = []
    for specialism in Specialism.objects.order_by("code"):
        amount = Decimal(rng.randrange(1500, 9000, 50))
        if specialism.pk not in existing_specialisms:
            new.append(Tariff(specialism=specialism, amount=amount))
    for treatment in Treatment.objects.order_by("code"):
        amount = Decimal(rng.randrange(1200, 16000, 100))
        priced = rng.random() < 0.5  # drawn for every treatment, so reruns draw the same
        if priced and treatment.pk not in existing_treatments:
            new.append(Tariff(treatment=treatment, amount=amount))
    Tariff.objects.bulk_create(new)
    lookup: dict[tuple[str, int], Decimal] = {}
    for tariff in Tariff.objects.all():
        if tariff.treatment_id:
            lookup[("treatment", tariff.treatment_id)] = tariff.amount
        elif tariff.specialism_id:
            lookup[("specialism", tariff.specialism_id)] = tariff.amount
        else:
            lookup[("default", 0)] = tariff.amount
    return lookup


def _seed_transfers(
    rng: random.Random, *, insurers: list[Organisation], years: list[int], today: date
) -> int:
    tariffs = _seed_tariffs(rng)
    providers = list(Provider.objects.filter(is_demo=True).order_by("agb_code"))
    hospitals = [p for p in providers if p.kind != ProviderKind.ZBC]
    specialisms = {s.code: s for s in Specialism.objects.all()}
    treatments: dict[int, list[Treatment]] = {}
    for row in Treatment.objects.filter(is_active=True):
        treatments.setdefault(row.specialism_id, []).append(row)
    VolumeTransfer.objects.filter(case_reference__startswith=DEMO_TRANSFER_PREFIX).delete()
    if len(hospitals) < 2:
        return 0
    rows = []
    for insurer in insurers:
        for year in years:
            last_day = date(year, 12, 31) if year < today.year else today
            for number in range(1, TRANSFERS_PER_INSURER_YEAR + 1):
                to_provider = rng.choice(providers)
                if to_provider.kind == ProviderKind.ZBC:
                    codes = next(
                        (c for focus, c in ZBC_SPECIALISMS.items() if focus in to_provider.name),
                        ["0303"],
                    )
                else:
                    codes = HOSPITAL_SPECIALISMS
                specialism = specialisms.get(rng.choice(codes))
                if specialism is None:
                    continue
                from_provider = rng.choice([h for h in hospitals if h.pk != to_provider.pk])
                options = treatments.get(specialism.pk, [])
                treatment: Treatment | None = (
                    rng.choice(options) if options and rng.random() < 0.6 else None
                )
                if treatment is not None and ("treatment", treatment.pk) in tariffs:
                    amount, source = tariffs[("treatment", treatment.pk)], TariffSource.TREATMENT
                elif ("specialism", specialism.pk) in tariffs:
                    amount, source = tariffs[("specialism", specialism.pk)], TariffSource.SPECIALISM
                else:
                    amount = tariffs.get(("default", 0), Decimal("3000.00"))
                    source = TariffSource.DEFAULT
                day = date.fromordinal(
                    rng.randint(date(year, 1, 1).toordinal(), last_day.toordinal())
                )
                rows.append(
                    VolumeTransfer(
                        insurer=insurer,
                        from_provider=from_provider,
                        to_provider=to_provider,
                        specialism=specialism,
                        treatment=treatment,
                        case_reference=f"{DEMO_TRANSFER_PREFIX}{insurer.uzovi}-{year}-{number:04d}",
                        completed_on=day,
                        care_date=day,
                        estimated_amount=amount,
                        tariff_source=source,
                    )
                )
    VolumeTransfer.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def seed_demo_finance(
    *, seed: int, insurers: list[Organisation], year: int, today: date | None = None
) -> int:
    """Arrangements with production, claims and payments on the demo contracts of ``year`` and
    the year before, and volume transfers; returns the number of arrangements."""
    today = today or timezone.localdate()
    rng = random.Random(f"finance-{seed}")  # noqa: S311 - demo data, not security
    contracts = list(
        _demo_contracts(insurers)
        .filter(year__in=[year - 1, year])
        .select_related("provider", "insurer")
        .order_by("insurer__uzovi", "year", "provider__agb_code")
    )
    _clear_money(Contract.objects.filter(pk__in=[c.pk for c in contracts]))
    plans = [_plan_contract(rng, contract, today) for contract in contracts]
    ProductionRecord.objects.bulk_create(r for plan in plans for r in plan.production)
    arrangements = [a for plan in plans for a, _claims, _payments in plan.arrangements]
    Arrangement.objects.bulk_create(arrangements)
    # bulk_create sets auto_now_add fields to now: put the demo's own dates back.
    Arrangement.objects.bulk_update(arrangements, ["created_at"])
    claims = [c for plan in plans for _a, claims, _p in plan.arrangements for c in claims]
    for claim in claims:
        claim.arrangement_id = claim.arrangement.pk
    CostClaim.objects.bulk_create(claims)
    payments = [p for plan in plans for _a, _c, payments in plan.arrangements for p in payments]
    for payment in payments:
        payment.arrangement_id = payment.arrangement.pk
    Payment.objects.bulk_create(payments)
    _seed_transfers(rng, insurers=insurers, years=[year - 1, year], today=today)
    return len(arrangements)
