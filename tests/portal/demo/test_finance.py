"""The demo money: every kind of arrangement, a year of production, claims in every state,
payments and transfers; running it again gives the same picture."""

import random
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from finance.models import (
    Arrangement,
    ArrangementStatus,
    ClaimStatus,
    CostClaim,
    Payment,
    ProductionRecord,
    VolumeTransfer,
)
from finance.selectors import arrangement_settlement
from portal.demo.finance import seed_demo_contracts, seed_demo_finance
from providers.models import ProviderKind
from tests.accounts.factories import InsurerFactory
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)


@pytest.fixture
def demo_world():
    insurers = [InsurerFactory(uzovi=f"990{n}", is_demo=True) for n in (1, 2, 3)]
    providers = [
        ProviderFactory(is_demo=True, kind=ProviderKind.HOSPITAL, name=f"Demo Ziekenhuis {n}")
        for n in range(8)
    ] + [
        ProviderFactory(is_demo=True, kind=ProviderKind.ZBC, name=f"Demo Oogkliniek {n}")
        for n in range(6)
    ]
    seed_demo_contracts(rng=random.Random(1), insurers=insurers, providers=providers, year=2026)
    return insurers


def _picture():
    return (
        Arrangement.objects.count(),
        ProductionRecord.objects.aggregate(total=Sum("amount"))["total"],
        CostClaim.objects.count(),
        Payment.objects.aggregate(total=Sum("amount"))["total"],
        VolumeTransfer.objects.count(),
    )


def test_demo_tells_the_story_and_is_idempotent(demo_world):
    seed_demo_finance(seed=7, insurers=demo_world, year=2026, today=TODAY)
    first = _picture()
    kinds = set(Arrangement.objects.values_list("kind", flat=True))
    assert kinds == {
        "continuity_contribution",
        "additional_costs",
        "catch_up_care",
        "supplementary_agreement",
    }
    statuses = set(Arrangement.objects.values_list("status", flat=True))
    assert statuses == {"draft", "agreed", "settled"}
    assert set(CostClaim.objects.values_list("status", flat=True)) == set(ClaimStatus.values)
    assert not CostClaim.objects.filter(status="rejected", rejection_reason="").exists()
    # Last year has twelve months of production per contract; this year the months that are over.
    months = ProductionRecord.objects.filter(contract__year=2025).values("contract").distinct()
    for row in months:
        assert ProductionRecord.objects.filter(contract=row["contract"]).count() == 12
    assert (
        ProductionRecord.objects.filter(contract__year=2026).dates("month", "month").count() == 10
    )
    assert VolumeTransfer.objects.exists()
    # Settled arrangements were settled on their figures and paid in full (corrections included).
    settled = Arrangement.objects.filter(status=ArrangementStatus.SETTLED)
    for arrangement in settled:
        assert arrangement.settled_due is not None
        assert arrangement_settlement(arrangement).balance == Decimal("0.00")
    assert Payment.objects.filter(kind="correction").exists()

    seed_demo_finance(seed=7, insurers=demo_world, year=2026, today=TODAY)
    assert _picture() == first
