"""Writes of the postcode geography: the PC4 areas (``PostcodeArea``) refreshed from a GeoNames
file (``manage.py import_postcodes``, parsed by :mod:`providers.geography.geonames`).

Two curated values survive a refresh, because GeoNames is less reliable than the table: the
municipality *name* of a known CBS code (the name most PC4s of that code carry), and the
municipality and province of a PC4 for which the file has no admin fields at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from providers.geography.geonames import PostcodeAreaRecord
from providers.models import PostcodeArea

FIELDS = ["place", "municipality", "municipality_code", "province", "latitude", "longitude"]


@dataclass(frozen=True)
class ImportCounts:
    created: int
    updated: int
    unchanged: int
    deleted: int


def _curated(
    record: PostcodeAreaRecord, existing: PostcodeArea | None, names: dict[str, str]
) -> dict[str, Any]:
    """The values to store for ``record``, keeping the curated ones (see the module docstring)."""
    values = {name: getattr(record, name) for name in FIELDS}
    if not record.municipality_code and not record.province and existing is not None:
        for name in ("municipality", "municipality_code", "province"):
            values[name] = getattr(existing, name)
    elif values["municipality_code"] in names:
        values["municipality"] = names[values["municipality_code"]]
    return values


@transaction.atomic
def postcode_areas_upsert(*, records: list[PostcodeAreaRecord], prune: bool) -> ImportCounts:
    """Insert or update one PostcodeArea per record; with ``prune`` delete the PC4s not given."""
    existing = {area.pc4: area for area in PostcodeArea.objects.select_for_update()}
    by_code: dict[str, Counter[str]] = {}
    for known in existing.values():
        if known.municipality_code:
            by_code.setdefault(known.municipality_code, Counter())[known.municipality] += 1
    names = {code: counts.most_common(1)[0][0] for code, counts in by_code.items()}

    to_create: list[PostcodeArea] = []
    to_update: list[PostcodeArea] = []
    unchanged = 0
    for record in records:
        area = existing.get(record.pc4)
        values = _curated(record, area, names)
        if area is None:
            to_create.append(PostcodeArea(pc4=record.pc4, **values))
        elif any(getattr(area, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(area, name, value)
            to_update.append(area)
        else:
            unchanged += 1
    PostcodeArea.objects.bulk_create(to_create, batch_size=500)
    PostcodeArea.objects.bulk_update(to_update, FIELDS, batch_size=500)

    deleted = 0
    if prune:
        absent = set(existing) - {record.pc4 for record in records}
        deleted, _by_model = PostcodeArea.objects.filter(pk__in=absent).delete()
    return ImportCounts(len(to_create), len(to_update), unchanged, deleted)
