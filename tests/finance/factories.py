from datetime import date
from decimal import Decimal

import factory

from finance.models import (
    Arrangement,
    ArrangementKind,
    ClaimCategory,
    Contract,
    CostClaim,
    Payment,
    PaymentKind,
    ProductionRecord,
    Tariff,
    VolumeTransfer,
)
from tests.accounts.factories import InsurerFactory
from tests.providers.factories import ProviderFactory, SpecialismFactory


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    insurer = factory.SubFactory(InsurerFactory)
    provider = factory.SubFactory(ProviderFactory)
    year = 2026
    contract_value = Decimal("1250000.00")


class ArrangementFactory(factory.django.DjangoModelFactory):
    """A draft continuity contribution of 80 % by default."""

    class Meta:
        model = Arrangement

    contract = factory.SubFactory(ContractFactory)
    kind = ArrangementKind.CONTINUITY_CONTRIBUTION
    coverage_percentage = factory.LazyAttribute(
        lambda o: Decimal("80.00") if o.kind == ArrangementKind.CONTINUITY_CONTRIBUTION else None
    )
    budget = factory.LazyAttribute(
        lambda o: (
            Decimal("100000.00")
            if o.kind in (ArrangementKind.CATCH_UP_CARE, ArrangementKind.SUPPLEMENTARY_AGREEMENT)
            else None
        )
    )


class ProductionRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductionRecord

    contract = factory.SubFactory(ContractFactory)
    month = factory.LazyAttribute(lambda o: date(o.contract.year, 1, 1))
    amount = Decimal("100000.00")
    catch_up_amount = Decimal("0.00")


class CostClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CostClaim

    arrangement = factory.SubFactory(ArrangementFactory, kind=ArrangementKind.ADDITIONAL_COSTS)
    category = ClaimCategory.PROTECTIVE_EQUIPMENT
    amount = Decimal("1000.00")
    note = "Invoices Q1"


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    arrangement = factory.SubFactory(ArrangementFactory)
    kind = PaymentKind.ADVANCE
    date = date(2026, 3, 1)
    amount = Decimal("10000.00")


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    specialism = factory.SubFactory(SpecialismFactory)
    treatment = None
    amount = Decimal("2500.00")


class VolumeTransferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolumeTransfer

    insurer = factory.SubFactory(InsurerFactory)
    from_provider = factory.SubFactory(ProviderFactory)
    to_provider = factory.SubFactory(ProviderFactory)
    specialism = factory.SubFactory(SpecialismFactory)
    treatment = None
    case_reference = factory.Sequence(lambda n: f"ZB-2026-{n:06d}")
    completed_on = date(2026, 5, 1)
    care_date = factory.LazyAttribute(lambda o: o.completed_on)
    estimated_amount = Decimal("3000.00")
    tariff_source = "default"
