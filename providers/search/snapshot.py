"""The reference data of the public search, kept in memory per process.

A search needs, besides the series themselves, the active specialisms and treatments (to check the
codes asked for and to name them), the ROAZ region codes, the Treeknormen, the PC4 point of the
postcode, and the active locations with their providers (to find the candidates within the
distance). These change a few times a year; the search runs many times a second. So each process
keeps them as one immutable :class:`SearchReference` and asks the database, once per search, only
whether they changed: a primary-key read of ``providers.ReferenceStamp``, whose token a trigger
renews in the same transaction as any change to those tables (``providers.reference.stamp``).
A snapshot is used only under the token the current connection reads, so a search never sees
reference data older than its own database view, on any process, whatever wrote the change.

The series (the waiting times, reported every two weeks) are not part of the snapshot: the search
reads them from the database every time.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass

from django.db import connection
from django.db.models import FloatField, TextField
from django.db.models.functions import Cast

from providers.models import (
    MEDIATED_URGENCY_CLASSES,
    Location,
    Norm,
    PostcodeArea,
    Provider,
    ProviderKind,
    ReferenceStamp,
    Region,
    Specialism,
    Treatment,
)
from providers.reference.stamp import STAMP_ID

# The models the snapshot is read from; each of their tables has the stamp's trigger.
SOURCE_MODELS = (Region, Provider, Location, Specialism, Treatment, Norm, PostcodeArea)


@dataclass(frozen=True, slots=True)
class ProviderSummary:
    agb_code: str
    name: str
    kind: str
    region_code: str

    @property
    def kind_label(self) -> str:
        return str(ProviderKind(self.kind).label)


@dataclass(frozen=True, slots=True)
class LocationSummary:
    code: str
    name: str
    city: str
    postcode: str
    latitude: float
    longitude: float
    accepted_urgency_classes: tuple[int, ...]
    provider: ProviderSummary

    @property
    def named_after_provider(self) -> bool:
        """Whether the location's name already says which provider it belongs to."""
        return self.name.startswith(self.provider.name)

    @property
    def accepts_mediation(self) -> bool:
        """Whether the location takes every urgency class that mediation handles (3, 4, 5);
        ``False`` while it scales down (e.g. only 1–3)."""
        return set(self.accepted_urgency_classes) >= set(MEDIATED_URGENCY_CLASSES)


@dataclass(frozen=True, slots=True)
class SpecialismEntry:
    pk: int
    code: str
    name: str
    patients_wait: bool = True  # offered to patients (``Specialism.patients_wait``)


@dataclass(frozen=True, slots=True)
class TreatmentEntry:
    pk: int
    code: str
    name: str
    setting: str
    specialism_code: str


@dataclass(frozen=True, slots=True)
class ActiveLocation:
    """An active location: its id and what the search filters on and a result shows of it."""

    pk: int
    summary: LocationSummary


@dataclass(frozen=True, slots=True)
class SearchReference:
    """One consistent state of the reference data, under the stamp token it was read with."""

    token: str
    specialisms: dict[str, SpecialismEntry]  # active ones, by code
    treatments: dict[str, TreatmentEntry]  # active ones, by code
    region_codes: frozenset[str]
    norms: dict[tuple[str, str], tuple[int, int]]  # (kind, setting) → (target, maximum) days
    postcode_points: dict[str, tuple[float, float]]  # PC4 → (latitude, longitude)
    locations: tuple[ActiveLocation, ...]  # ordered by latitude

    location_latitudes: tuple[float, ...]  # of ``locations``, for bisecting a latitude band

    def postcode_point(self, pc4: str) -> tuple[float, float] | None:
        return self.postcode_points.get(pc4)


_current: SearchReference | None = None
_loading = threading.Lock()


def search_reference() -> SearchReference:
    """The reference data as the current database connection sees it: the snapshot this
    process holds when its token is still the stamp's, else a fresh one (which then replaces it).
    """
    global _current
    token = _stamp_token()
    held = _current
    if held is not None and held.token == token:
        return held
    with _loading:  # one load at a time; a thread that waited usually finds it done
        held = _current
        if held is None or held.token != token:
            held = _current = _load(token)
    return held


def search_reference_forget() -> None:
    """Drop this process's snapshot (the next search loads one)."""
    global _current
    _current = None


def _stamp_token() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT token FROM {connection.ops.quote_name(ReferenceStamp._meta.db_table)} "  # noqa: S608
            "WHERE id = %s",
            [STAMP_ID],
        )
        row = cursor.fetchone()
    if row is not None:
        return row[0]
    # The row is gone (a test's flush of every table): without it no change would be noticed.
    stamp, _created = ReferenceStamp.objects.get_or_create(
        id=STAMP_ID, defaults={"token": str(uuid.uuid4())}
    )
    return stamp.token


def _load(token: str) -> SearchReference:
    specialisms = {
        code: SpecialismEntry(pk, code, name, patients_wait)
        for pk, code, name, patients_wait in Specialism.objects.filter(is_active=True).values_list(
            "id", "code", "name", "patients_wait"
        )
    }
    treatments = {
        code: TreatmentEntry(pk, code, name, setting, specialism_code)
        for pk, code, name, setting, specialism_code in Treatment.objects.filter(
            is_active=True
        ).values_list("id", "code", "name", "setting", "specialism__code")
    }
    norms = {
        (kind, setting): (target, maximum)
        for kind, setting, target, maximum in Norm.objects.values_list(
            "kind", "setting", "target_days", "max_days"
        )
    }
    points = {
        pc4: (lat, lon)
        for pc4, lat, lon in PostcodeArea.objects.annotate(
            lat=Cast("latitude", FloatField()), lon=Cast("longitude", FloatField())
        ).values_list("pc4", "lat", "lon")
    }
    locations = []
    for row in (
        Location.objects.filter(is_active=True)
        .annotate(
            lat=Cast("latitude", FloatField()),
            lon=Cast("longitude", FloatField()),
            classes=Cast("accepted_urgency_classes", TextField()),
        )
        .values_list(
            "id",
            "code",
            "name",
            "city",
            "postcode",
            "lat",
            "lon",
            "classes",
            "provider__agb_code",
            "provider__name",
            "provider__kind",
            "provider__region__code",
        )
        .order_by("lat", "code")
    ):
        pk, code, name, city, postcode, lat, lon, classes, agb, provider, kind, region = row
        summary = LocationSummary(
            code,
            name,
            city,
            postcode,
            lat,
            lon,
            tuple(json.loads(classes) if classes else ()),
            ProviderSummary(agb, provider, kind, region),
        )
        locations.append(ActiveLocation(pk, summary))
    return SearchReference(
        token=token,
        specialisms=specialisms,
        treatments=treatments,
        region_codes=frozenset(Region.objects.values_list("code", flat=True)),
        norms=norms,
        postcode_points=points,
        locations=tuple(locations),
        location_latitudes=tuple(location.summary.latitude for location in locations),
    )
