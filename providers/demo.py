"""Demo providers and locations: fictional organisations placed at real postcodes.

Deterministic (a fixed seed) and idempotent: every provider and location has a stable code, so
running the seed again updates the same rows instead of adding new ones. Every name starts with
"Demo" and every provider is flagged ``is_demo``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from providers.geo import distance_km
from providers.models import Location, PostcodeArea, Provider, ProviderKind, Region
from providers.regions import region_code_for

# The cities of the Dutch university medical centres (the demo UMCs stand there).
UMC_PLACES = ["Groningen", "Amsterdam", "Leiden", "Rotterdam", "Utrecht", "Nijmegen", "Maastricht"]
HOSPITAL_COUNT = 76
ZBC_COUNT = 38
ZBC_FOCUS = [
    "Oogkliniek",
    "Orthopedische Kliniek",
    "Dermatologisch Centrum",
    "Kliniek voor Plastische Chirurgie",
    "KNO-kliniek",
    "Spataderkliniek",
    "Heup- en Kniekliniek",
    "Handkliniek",
]
# Letter pairs PostNL never issues.
_UNUSED_LETTERS = {"SA", "SD", "SS"}
_LETTERS = "ABCDEFGHJKLMNPRTVWXZ"


@dataclass(frozen=True)
class DemoLocationSpec:
    code: str
    name: str
    area: PostcodeArea


@dataclass(frozen=True)
class DemoProviderSpec:
    agb_code: str
    name: str
    kind: str
    locations: tuple[DemoLocationSpec, ...]


def _places_by_size(areas: list[PostcodeArea]) -> list[tuple[str, list[PostcodeArea]]]:
    """Places ordered by their number of PC4 areas: a fair proxy for population."""
    by_place: dict[str, list[PostcodeArea]] = defaultdict(list)
    for area in areas:
        by_place[area.place].append(area)
    return sorted(by_place.items(), key=lambda item: (-len(item[1]), item[0]))


def _point(area: PostcodeArea) -> tuple[float, float]:
    point = getattr(area, "_point", None)
    if point is None:
        point = area._point = (float(area.latitude), float(area.longitude))  # type: ignore[attr-defined]
    return point


def _nearby(areas: list[PostcodeArea], centre: PostcodeArea, *, max_km: float, min_km: float = 3):
    lat0, lon0 = _point(centre)
    # A cheap bounding box first (1° latitude ≈ 111 km; 1° longitude ≥ 66 km in NL, so 60 is safe).
    box_lat, box_lon = max_km / 110, max_km / 60
    found = []
    for area in areas:
        lat, lon = _point(area)
        if abs(lat - lat0) > box_lat or abs(lon - lon0) > box_lon or area.place == centre.place:
            continue
        if min_km <= distance_km(lat0, lon0, lat, lon) <= max_km:
            found.append(area)
    return found


def demo_provider_specs(rng: random.Random, areas: list[PostcodeArea]) -> list[DemoProviderSpec]:
    """About 120 providers with about 300 locations, spread over the country like real ones:
    UMCs in the university cities, hospitals in the larger places (the largest with two), ZBCs
    mostly in and around cities."""
    places = _places_by_size(areas)
    place_index = dict(places)
    specs: list[DemoProviderSpec] = []
    location_counter = 0

    def location_code(kind: str) -> str:
        nonlocal location_counter
        location_counter += 1
        return f"{'2298' if kind == ProviderKind.ZBC else '0698'}{location_counter:04d}"

    def build(agb: str, name: str, kind: str, main: PostcodeArea, extra: int) -> DemoProviderSpec:
        locations = [DemoLocationSpec(location_code(kind), f"{name} — {main.place}", main)]
        candidates = _nearby(areas, main, max_km=30)
        rng.shuffle(candidates)
        used_places = {main.place}
        for area in candidates:
            if len(locations) > extra:
                break
            if area.place in used_places:
                continue
            used_places.add(area.place)
            label = "buitenpolikliniek" if kind != ProviderKind.ZBC else "vestiging"
            locations.append(
                DemoLocationSpec(location_code(kind), f"{name} — {label} {area.place}", area)
            )
        return DemoProviderSpec(agb, name, kind, tuple(locations))

    serial = 0
    for place in UMC_PLACES:
        serial += 1
        main = rng.choice(place_index[place])
        specs.append(build(f"0699{serial:04d}", f"Demo UMC {place}", ProviderKind.UMC, main, 1))

    # Hospitals: the largest places first (some get two), then a spread of smaller towns.
    hospital_places: list[str] = []
    for place, _areas in places:
        if len(hospital_places) >= HOSPITAL_COUNT:
            break
        if place in UMC_PLACES and len(_areas) < 25:
            continue
        hospital_places.append(place)
        if len(_areas) >= 30 and len(hospital_places) < HOSPITAL_COUNT:
            hospital_places.append(place)
    name_count: dict[str, int] = defaultdict(int)
    for place in hospital_places:
        serial += 1
        name_count[place] += 1
        suffix = (
            "" if name_count[place] == 1 else f" {['', '', 'Zuid', 'Noord'][name_count[place]]}"
        )
        main = rng.choice(place_index[place])
        specs.append(
            build(
                f"0699{serial:04d}",
                f"Demo Ziekenhuis {place}{suffix}",
                ProviderKind.HOSPITAL,
                main,
                rng.choice([1, 2, 2, 3, 3, 4]),
            )
        )

    zbc_places = [place for place, _areas in places[:90]]
    for number in range(1, ZBC_COUNT + 1):
        place = rng.choice(zbc_places)
        focus = ZBC_FOCUS[number % len(ZBC_FOCUS)]
        main = rng.choice(place_index[place])
        specs.append(
            build(
                f"2299{number:04d}",
                f"Demo {focus} {place}",
                ProviderKind.ZBC,
                main,
                rng.choice([0, 0, 1]),
            )
        )
    return specs


def _pc6(rng: random.Random, pc4: str) -> str:
    while True:
        letters = rng.choice(_LETTERS) + rng.choice(_LETTERS)
        if letters not in _UNUSED_LETTERS:
            return pc4 + letters


@transaction.atomic
def seed_demo_providers(*, rng: random.Random) -> list[Provider]:
    areas = list(PostcodeArea.objects.order_by("pc4"))
    if not areas:
        raise RuntimeError("The postcode table is empty; run the migrations first.")
    regions = {region.code: region for region in Region.objects.all()}
    providers = []
    for spec in demo_provider_specs(rng, areas):
        main = spec.locations[0].area
        region = regions[
            region_code_for(
                province=main.province,
                latitude=float(main.latitude),
                longitude=float(main.longitude),
            )
        ]
        provider, _created = Provider.objects.update_or_create(
            agb_code=spec.agb_code,
            defaults={"name": spec.name, "kind": spec.kind, "region": region, "is_demo": True},
        )
        for number, loc in enumerate(spec.locations, start=1):
            # A few hundred metres from the PC4 point, so sites in one place do not coincide.
            lat = loc.area.latitude + Decimal(rng.randint(-300, 300)) / Decimal(100000)
            lon = loc.area.longitude + Decimal(rng.randint(-300, 300)) / Decimal(100000)
            Location.objects.update_or_create(
                code=loc.code,
                defaults={
                    "provider": provider,
                    "name": loc.name,
                    "street": f"Demolaan {number * 10 + rng.randint(1, 9)}",
                    "postcode": _pc6(rng, loc.area.pc4),
                    "city": loc.area.place,
                    "latitude": lat.quantize(Decimal("0.000001")),
                    "longitude": lon.quantize(Decimal("0.000001")),
                    "is_active": True,
                },
            )
        providers.append(provider)
    return providers
