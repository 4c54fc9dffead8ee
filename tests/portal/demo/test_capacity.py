"""Demo capacity offers: plausible, within the rules, and idempotent."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from portal.demo.capacity import SCALE_DOWN_CLASSES, seed_demo_capacity_offers
from providers.models import (
    CapacityOffer,
    ProviderKind,
    Specialism,
    Treatment,
    WaitingTimeKind,
    WaitingTimeSeries,
)
from tests.providers.factories import LocationFactory, ProviderFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 10)
THIS_MONDAY = date(2026, 6, 8)


@pytest.fixture
def demo():
    """Demo hospitals and ZBCs (ZBCs report cataract operations), and one real provider."""
    cataract = Treatment.objects.get(code="cataract")
    locations = {"hospital": [], "zbc": [], "umc": []}
    for index in range(6):
        hospital = ProviderFactory(
            is_demo=True, kind=ProviderKind.HOSPITAL, agb_code=f"0699{index + 10:04d}"
        )
        locations["hospital"] += [LocationFactory(provider=hospital) for _ in range(2)]
        zbc = ProviderFactory(is_demo=True, kind=ProviderKind.ZBC, agb_code=f"2299{index:04d}")
        location = LocationFactory(provider=zbc)
        WaitingTimeSeries.objects.create(
            location=location,
            specialism=cataract.specialism,
            treatment=cataract,
            kind=WaitingTimeKind.TREATMENT,
        )
        locations["zbc"].append(location)
    umc = ProviderFactory(is_demo=True, kind=ProviderKind.UMC, agb_code="06990001")
    locations["umc"].append(LocationFactory(provider=umc))
    locations["real"] = [LocationFactory(provider=ProviderFactory(kind=ProviderKind.ZBC))]
    return locations


def snapshot() -> set[tuple]:
    return set(
        CapacityOffer.objects.values_list(
            "location_id", "specialism_id", "treatment_id", "kind", "week_start", "slots"
        )
    )


def test_offers_follow_the_rules(demo) -> None:
    count = seed_demo_capacity_offers(rng=random.Random(1), today=TODAY)

    offers = list(CapacityOffer.objects.select_related("location__provider", "treatment"))
    assert count == len(offers) > 0
    weeks = {THIS_MONDAY + timedelta(weeks=n) for n in range(8)}
    for offer in offers:
        assert offer.week_start in weeks
        assert 2 <= offer.slots <= 20
        assert offer.reserved_slots == 0
        assert offer.urgency_classes in ([3, 4, 5], [4, 5], [1, 2, 3])
        assert offer.location.provider.is_demo
        if offer.treatment is not None:
            assert offer.kind == WaitingTimeKind.TREATMENT
            assert offer.treatment.specialism_id == offer.specialism_id
        else:
            assert offer.kind != WaitingTimeKind.TREATMENT
        if offer.location.provider.kind == ProviderKind.ZBC:
            # ZBCs offer what they report: here, cataract operations.
            assert offer.treatment.code == "cataract"
            assert offer.urgency_classes != [1, 2, 3]
    zbc_locations = {o.location_id for o in offers if o.location.provider.kind == ProviderKind.ZBC}
    assert len(zbc_locations) >= 3
    # The demo planner's hospital (the first by AGB code) always has something to show.
    first_hospital = min(demo["hospital"], key=lambda loc: loc.provider.agb_code).provider
    assert any(o.location.provider_id == first_hospital.pk for o in offers)
    assert not CapacityOffer.objects.filter(location__in=demo["real"]).exists()


def test_locations_without_series_offer_first_visits_of_a_common_specialism(demo) -> None:
    seed_demo_capacity_offers(rng=random.Random(2), today=TODAY)

    hospital_offers = CapacityOffer.objects.filter(location__provider__kind=ProviderKind.HOSPITAL)
    assert hospital_offers.exists()
    assert set(hospital_offers.values_list("kind", flat=True)) == {WaitingTimeKind.FIRST_VISIT}
    codes = set(hospital_offers.values_list("specialism__code", flat=True))
    assert codes <= {"0301", "0303", "0305"}


def test_seeding_again_changes_nothing(demo) -> None:
    seed_demo_capacity_offers(rng=random.Random(3), today=TODAY)
    first = snapshot()

    seed_demo_capacity_offers(rng=random.Random(3), today=TODAY)

    assert snapshot() == first


def test_reserved_and_past_offers_survive_a_reseed(demo) -> None:
    seed_demo_capacity_offers(rng=random.Random(4), today=TODAY)
    reserved = CapacityOffer.objects.order_by("pk").first()
    CapacityOffer.objects.filter(pk=reserved.pk).update(reserved_slots=reserved.slots)
    past = CapacityOffer.objects.create(
        location=demo["zbc"][0],
        specialism=Specialism.objects.get(code="0301"),
        treatment=Treatment.objects.get(code="cataract"),
        kind=WaitingTimeKind.TREATMENT,
        week_start=THIS_MONDAY - timedelta(weeks=3),
        slots=5,
    )

    for seed in range(5, 10):
        seed_demo_capacity_offers(rng=random.Random(seed), today=TODAY)

    reserved_now = CapacityOffer.objects.get(pk=reserved.pk)
    assert reserved_now.slots >= reserved_now.reserved_slots == reserved.slots
    assert CapacityOffer.objects.filter(pk=past.pk, slots=5).exists()
    keys = list(
        CapacityOffer.objects.values_list(
            "location_id", "specialism_id", "treatment_id", "kind", "week_start"
        )
    )
    assert len(keys) == len(set(keys)), "never two offers with one key"


def test_a_few_hospital_locations_scale_down(demo) -> None:
    seed_demo_capacity_offers(rng=random.Random(5), today=TODAY)

    everywhere = [loc for kind in ("hospital", "zbc", "umc", "real") for loc in demo[kind]]
    for loc in everywhere:
        loc.refresh_from_db()
    scaled = [loc for loc in everywhere if loc.accepted_urgency_classes == SCALE_DOWN_CLASSES]
    assert len(scaled) == 5
    assert all(loc.provider.kind != ProviderKind.ZBC for loc in scaled)
    assert all(loc.provider.is_demo for loc in scaled)

    # A second run with another seed scales down others; nobody stays scaled down by accident.
    seed_demo_capacity_offers(rng=random.Random(6), today=TODAY)
    for loc in demo["zbc"] + demo["real"]:
        loc.refresh_from_db()
        assert loc.accepted_urgency_classes == [1, 2, 3, 4, 5]
    hospitals = demo["hospital"] + demo["umc"]
    for loc in hospitals:
        loc.refresh_from_db()
    assert sum(loc.accepted_urgency_classes == SCALE_DOWN_CLASSES for loc in hospitals) == 5
