"""Demo capacity offers for the coming weeks, and a few demo locations in scale-down.

Offers follow what a location actually does: they are drawn from its waiting-time series (so call
this after the demo waiting times are seeded); a location without series offers first visits of a
common specialism. ZBCs offer capacity more often than hospitals, mostly for day treatments.

Idempotent: an offer's key is location × specialism × treatment × kind × week. Future demo offers
are updated to the drawn figures (never below what mediation has reserved), future demo offers
that were not drawn again are removed unless slots are reserved, and missing ones are added.
Offers of past weeks stay as they are (history).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from providers.capacity.selectors import OFFER_WEEKS_AHEAD, upcoming_week_starts
from providers.models import (
    URGENCY_CLASSES,
    CapacityOffer,
    Location,
    ProviderKind,
    Specialism,
    WaitingTimeKind,
    WaitingTimeSeries,
)

# Share of demo locations (per provider kind) that offer capacity at all.
OFFERING_SHARE = {ProviderKind.ZBC: 0.75, ProviderKind.HOSPITAL: 0.3, ProviderKind.UMC: 0.2}
SLOTS = {ProviderKind.ZBC: (4, 20), ProviderKind.HOSPITAL: (2, 12), ProviderKind.UMC: (2, 8)}
FALLBACK_SPECIALISMS = ["0303", "0305", "0301"]
SCALE_DOWN_COUNT = 5
SCALE_DOWN_CLASSES = [1, 2, 3]

Key = tuple[int, int, int | None, str, date]


@dataclass(frozen=True)
class Subject:
    specialism_id: int
    treatment_id: int | None
    kind: str


def _subjects_by_location() -> dict[int, list[Subject]]:
    subjects: dict[int, list[Subject]] = defaultdict(list)
    series = (
        WaitingTimeSeries.objects.filter(location__provider__is_demo=True)
        .order_by("location_id", "kind", "specialism_id", "treatment_id")
        .values_list("location_id", "specialism_id", "treatment_id", "kind")
    )
    for location_id, specialism_id, treatment_id, kind in series:
        subjects[location_id].append(Subject(specialism_id, treatment_id, kind))
    return subjects


def _urgency_classes(rng: random.Random, kind: str) -> list[int]:
    draw = rng.random()
    if kind != ProviderKind.ZBC and draw < 0.08:
        return [1, 2, 3]  # a hospital keeping room for the more urgent patients
    if draw < 0.2:
        return [4, 5]
    return [3, 4, 5]


def _wanted_offers(
    rng: random.Random, locations: list[Location], weeks: list[date], always: set[int]
) -> dict[Key, tuple[int, list[int]]]:
    subjects = _subjects_by_location()
    fallback = list(
        Specialism.objects.filter(code__in=FALLBACK_SPECIALISMS)
        .order_by("code")
        .values_list("pk", flat=True)
    )
    wanted: dict[Key, tuple[int, list[int]]] = {}
    for location in locations:
        kind = ProviderKind(location.provider.kind)
        if location.pk not in always and rng.random() >= OFFERING_SHARE[kind]:
            continue
        candidates = subjects.get(location.pk) or [
            Subject(pk, None, WaitingTimeKind.FIRST_VISIT) for pk in fallback
        ]
        if kind == ProviderKind.ZBC:
            # Independent clinics sell treatments first.
            treatments = [s for s in candidates if s.kind == WaitingTimeKind.TREATMENT]
            candidates = treatments or candidates
        chosen = rng.sample(candidates, k=min(len(candidates), rng.randint(1, 3)))
        low, high = SLOTS[kind]
        weekly_share = 0.8 if kind == ProviderKind.ZBC else 0.55
        for subject in chosen:
            classes = _urgency_classes(rng, kind)
            for week in weeks:
                if rng.random() >= weekly_share:
                    continue
                key = (location.pk, subject.specialism_id, subject.treatment_id, subject.kind, week)
                wanted[key] = (rng.randint(low, high), classes)
    return wanted


def _key(offer: CapacityOffer) -> Key:
    return (
        offer.location_id,
        offer.specialism_id,
        offer.treatment_id,
        offer.kind,
        offer.week_start,
    )


@transaction.atomic
def seed_demo_capacity_offers(*, rng: random.Random, today: date) -> int:
    """Offers for the coming ``OFFER_WEEKS_AHEAD`` weeks and a handful of scaled-down
    locations; returns the number of future demo offers."""
    weeks = upcoming_week_starts(today=today, weeks=OFFER_WEEKS_AHEAD)
    locations = list(
        Location.objects.filter(provider__is_demo=True, is_active=True)
        .select_related("provider")
        .order_by("code")
    )
    # The demo planner works at the first demo hospital (portal.demo.accounts): its main location
    # always offers something, so the planner's page has offers to show.
    hospitals = sorted(
        (loc for loc in locations if loc.provider.kind == ProviderKind.HOSPITAL),
        key=lambda loc: (loc.provider.agb_code, loc.code),
    )
    always = {hospitals[0].pk} if hospitals else set()
    wanted = _wanted_offers(rng, locations, weeks, always)

    future = CapacityOffer.objects.select_for_update().filter(
        location__provider__is_demo=True, week_start__gte=weeks[0]
    )
    to_update, to_delete = [], []
    for offer in future:
        key = _key(offer)
        if key in wanted:
            slots, classes = wanted.pop(key)
            offer.slots = max(slots, offer.reserved_slots)
            offer.urgency_classes = classes
            to_update.append(offer)
        elif not offer.reserved_slots:
            to_delete.append(offer.pk)
    CapacityOffer.objects.filter(pk__in=to_delete).delete()
    CapacityOffer.objects.bulk_update(to_update, ["slots", "urgency_classes"])
    CapacityOffer.objects.bulk_create(
        CapacityOffer(
            location_id=location_id,
            specialism_id=specialism_id,
            treatment_id=treatment_id,
            kind=kind,
            week_start=week,
            slots=slots,
            urgency_classes=classes,
            created_by="demo",
        )
        for (location_id, specialism_id, treatment_id, kind, week), (slots, classes) in sorted(
            wanted.items(), key=lambda item: (item[0][4], item[0][0], item[0][1], item[0][3])
        )
    )

    _seed_demo_scale_down(rng, locations)
    return CapacityOffer.objects.filter(
        location__provider__is_demo=True, week_start__gte=weeks[0]
    ).count()


def _seed_demo_scale_down(rng: random.Random, locations: list[Location]) -> None:
    """A few hospital and UMC locations accept only classes 1–3 (a surge); the rest all."""
    acute = [loc.pk for loc in locations if loc.provider.kind != ProviderKind.ZBC]
    scaled = set(rng.sample(acute, k=min(SCALE_DOWN_COUNT, len(acute))))
    Location.objects.filter(pk__in=scaled).update(accepted_urgency_classes=SCALE_DOWN_CLASSES)
    Location.objects.filter(provider__is_demo=True).exclude(pk__in=scaled).update(
        accepted_urgency_classes=list(URGENCY_CLASSES)
    )
