"""The national NZa import (issue 14; DESIGN §3.8; docs/waiting-time-import.md).

:func:`nza_waiting_times_import` loads the NZa's national file (every provider and location, the
open-data CSV or a file of Zorgbeeld API records, read by :mod:`providers.nza.reader`). The rules:

* **A line that cannot be mapped is skipped, never a reason to refuse the file**: an unknown
  specialism or wait type, a malformed AGB code, a bad number or date, a location whose postcode is
  not in the PC4 table (a location needs coordinates), a duplicate key. Each is reported with its
  line, the file's column and a message (the first :data:`MAX_REPORTED_ERRORS`), and counted as
  ``skipped``. Only a file-level problem (not text, neither layout, required columns missing)
  refuses the file (:class:`WaitingTimeReportErrors`). A provider's own upload stays all or
  nothing (``providers.waiting_times.imports``).
* **Unknown providers and locations are created** from the file: AGB codes (8 digits, leading
  zeros kept or restored), names, address, kind (:func:`provider_kind_for`), ROAZ region from
  ``ROAZ_REGIO`` (:mod:`providers.nza.regions`; the approximation from the postcode's province
  when the file gives none). Known ones are updated from the file's newest line for them, and only
  when that line's peildatum is newer than the NZa data that last set them
  (``nza_reference_date``): an older file never overwrites newer data, the same file twice changes
  nothing.
* **The treatment catalogue fills itself**: an NZa treatment name is matched on the NZa name, our
  name or our code (without regard to case); an unknown one creates a treatment *for review*
  (``needs_review``; code a stable slug of the name, the line's specialism, setting guessed by
  :func:`treatment_setting_guess`), listed in the result. With an unknown specialism as well the
  line is skipped.
* **Provenance and precedence**: figures are stored with ``origin = nza`` and the import's id by
  the one storing service (``providers.waiting_times.storage``), where a provider's own report of
  the same series and peildatum wins (``kept_provider``).
* One transaction; the reference data stamp changes with the rows created (database triggers,
  ``providers.reference.stamp``), the regional trend counts of regions whose providers moved are
  rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.actors import Actor
from providers.geography.postcodes import normalise_postcode
from providers.geography.regions import region_code_for
from providers.models import (
    AGB_PATTERN,
    Location,
    PostcodeArea,
    Provider,
    ProviderKind,
    Region,
    ReportOrigin,
    ReportSource,
    Specialism,
    Treatment,
    TreatmentSetting,
)
from providers.nza.fast import FastPathUnsafe, nza_import_fast
from providers.nza.reader import NzaLine, NzaReading, nza_file_open
from providers.nza.regions import roaz_region_code
from providers.reports.trend_counts import region_trend_counts_rebuild
from providers.waiting_times.csv_reader import RowError
from providers.waiting_times.storage import (
    RecordResult,
    progress_scaled,
    waiting_time_reports_store,
)
from providers.waiting_times.validation import (
    MAX_REPORTED_ERRORS,
    ProgressCallback,
    WaitingTimeCheck,
    WaitingTimeReportErrors,
    row_errors_truncate,
)

logger = logging.getLogger(__name__)

_AGB = re.compile(AGB_PATTERN)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UMC_NAME = re.compile(r"\bumc\b|universitair medisch centrum|academisch", re.IGNORECASE)
_INPATIENT_NAME = re.compile(r"\b(klinisch|klinische|opname)\b", re.IGNORECASE)
# TYPE_ZORGINSTELLING (lower case) → our kind; "UMC" also when the name says so.
PROVIDER_TYPES: dict[str, str] = {
    "ziekenhuis": ProviderKind.HOSPITAL,
    "algemeen ziekenhuis": ProviderKind.HOSPITAL,
    "topklinisch ziekenhuis": ProviderKind.HOSPITAL,
    "umc": ProviderKind.UMC,
    "academisch ziekenhuis": ProviderKind.UMC,
    "universitair medisch centrum": ProviderKind.UMC,
    "kliniek": ProviderKind.ZBC,
    "zbc": ProviderKind.ZBC,
    "zelfstandig behandelcentrum": ProviderKind.ZBC,
    "particuliere kliniek": ProviderKind.ZBC,
}
# The check remembers this many distinct subjects, values and dates (a provider's file: 20,000).
NATIONAL_CACHE_LIMIT = 250_000
# Reading a file is most of the work; storing the figures the rest.
_READ_SHARE = 0.6


def provider_kind_for(type_value: str, name: str) -> str:
    """Our kind of a provider from ``TYPE_ZORGINSTELLING`` and its name: a UMC when the name says
    "UMC", "Universitair Medisch Centrum" or "Academisch"; a ZBC for the clinic types of
    :data:`PROVIDER_TYPES` ("Kliniek", "ZBC" …); otherwise a hospital (also for an empty or
    unknown type: the operator corrects a provider's kind in the admin)."""
    if _UMC_NAME.search(name or ""):
        return ProviderKind.UMC
    value = (type_value or "").strip().lower()
    return PROVIDER_TYPES.get(value, ProviderKind.HOSPITAL)


def treatment_setting_guess(name: str) -> str:
    """A conservative guess of a new treatment's setting: ``inpatient`` only when the name says
    klinisch or opname (not "poliklinisch"), else ``day``. The NZa data does not say which; the
    treatment is marked for review."""
    return TreatmentSetting.INPATIENT if _INPATIENT_NAME.search(name) else TreatmentSetting.DAY


def treatment_code_for(name: str, taken: set[str]) -> str:
    """A stable code for an NZa treatment name: its slug, shortened with a hash of the name when
    longer than 32 characters or taken by another treatment."""
    slug = slugify(name) or "nza"
    if len(slug) <= 32 and slug not in taken:
        return slug
    digest = hashlib.sha1(name.casefold().encode(), usedforsecurity=False).hexdigest()[:6]
    return f"{slug[:25].rstrip('-')}-{digest}"


def _agb(value: str) -> str:
    value = value.strip()
    return value.zfill(8) if value.isdigit() and len(value) < 8 else value


@dataclass
class NationalImportResult:
    """What a national import did: the figures (``created``/``updated``/``unchanged``, and
    ``kept_provider`` where a provider's own report won), the lines ``skipped`` (the first of them
    in ``skipped_lines``), and what it created or updated of the reference data."""

    stored: RecordResult
    skipped: int = 0
    skipped_lines: list[RowError] = field(default_factory=list)
    providers_created: int = 0
    providers_updated: int = 0
    locations_created: int = 0
    locations_updated: int = 0
    treatments_created: list[dict[str, str]] = field(default_factory=list)
    unknown_regions: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, Any]:
        return {
            **self.stored.counts,
            "kept_provider": self.stored.kept_provider,
            "skipped": self.skipped,
            "providers_created": self.providers_created,
            "providers_updated": self.providers_updated,
            "locations_created": self.locations_created,
            "locations_updated": self.locations_updated,
            "treatments_created": self.treatments_created,
            "unknown_regions": self.unknown_regions,
        }

    @property
    def total(self) -> int:
        return self.stored.total


@dataclass
class _Latest:
    """The newest line seen for a provider or location (its peildatum as ISO text)."""

    day: str
    line: NzaLine


class _Catalogue:
    """Providers, locations and treatments as the file names them, created as they are met."""

    def __init__(self, *, is_demo: bool, columns: dict[str, str], today: date):
        self.is_demo = is_demo
        self.today = today.isoformat()
        self.columns = columns
        self.regions = dict(Region.objects.values_list("code", "pk"))
        self.specialisms = dict(Specialism.objects.values_list("code", "pk"))
        self.pc4: dict[str, tuple[Decimal, Decimal, str, str]] = {
            pc4: (lat, lon, province, place)
            for pc4, lat, lon, province, place in PostcodeArea.objects.values_list(
                "pc4", "latitude", "longitude", "province", "place"
            )
        }
        self.providers: dict[str, int] = dict(Provider.objects.values_list("agb_code", "pk"))
        # Shared with the check (code → (id, active)).
        self.locations: dict[str, tuple[int, bool]] = {
            code: (pk, active)
            for pk, code, active in Location.objects.values_list("pk", "code", "is_active")
        }
        self.treatments: dict[str, tuple[int, int, str]] = {}
        by_nza_name: dict[str, tuple[int, int, str]] = {}
        self.treatment_codes: set[str] = set()
        for pk, code, name, nza_name, specialism_id in Treatment.objects.values_list(
            "pk", "code", "name", "nza_name", "specialism_id"
        ):
            entry = (pk, specialism_id, code)
            self.treatment_codes.add(code)
            if nza_name:
                by_nza_name[nza_name.casefold()] = entry
            self.treatments.setdefault(name.casefold(), entry)
            self.treatments.setdefault(code.casefold(), entry)
        self.treatments.update(by_nza_name)  # the NZa's name goes first
        self.latest_provider: dict[str, _Latest] = {}
        self.latest_location: dict[str, _Latest] = {}
        self.created_providers: set[str] = set()
        self.created_locations: set[str] = set()
        self.treatments_created: list[dict[str, str]] = []
        self.unknown_regions: set[str] = set()
        self.valid_days: dict[str, bool] = {}
        self.agb_codes: dict[str, str] = {}  # as written → with its leading zeros

    def _error(self, line: NzaLine, field_name: str, message: str) -> RowError:
        return {
            "row": line.figure.row,
            "field": self.columns.get(field_name, field_name),
            "message": message,
        }

    # -- per line ---------------------------------------------------------------------------
    def resolve(self, line: NzaLine, check: WaitingTimeCheck) -> RowError | None:
        """Map a line onto our data (creating what is missing); the reason to skip it, if any.
        On success ``line.figure`` names our location code and treatment code."""
        figure = line.figure
        written = str(figure.location or "")
        code = self.agb_codes.get(written)
        if code is None:
            code = _agb(written)
            if len(self.agb_codes) < 100_000:
                self.agb_codes[written] = code
        figure.location = code
        day = self._day(str(figure.reference_date or ""))
        if code not in self.locations:
            error = self._location_create(line, code, day)
            if error is not None:
                return error
        if day:
            latest = self.latest_location.get(code)
            if latest is None or day > latest.day:
                self.latest_location[code] = _Latest(day, line)
            agb = self.agb_codes.get(line.provider_agb) or _agb(line.provider_agb)
            latest = self.latest_provider.get(agb)
            if agb in self.providers and (latest is None or day > latest.day):
                self.latest_provider[agb] = _Latest(day, line)
        if figure.kind == "treatment" and figure.treatment:
            return self._treatment(line, check)
        return None

    def _day(self, text: str) -> str:
        """The peildatum as ISO text when it is a valid date not in the future, else ``""``
        (checked once each): only such a line's data may update a provider or location."""
        valid = self.valid_days.get(text)
        if valid is None:
            try:
                valid = (
                    bool(_ISO_DATE.match(text))
                    and bool(date.fromisoformat(text))
                    and text <= self.today
                )
            except ValueError:
                valid = False
            if len(self.valid_days) < 10_000:
                self.valid_days[text] = valid
        return text if valid else ""

    def _location_create(self, line: NzaLine, code: str, day: str) -> RowError | None:
        if not _AGB.match(code):
            return self._error(
                line,
                "location",
                _("“%(code)s” is not a location AGB code (8 digits).") % {"code": code},
            )
        point = self._point(line.postcode)
        if isinstance(point, str):
            return self._error(line, "postcode", point)
        provider_id = self.providers.get(_agb(line.provider_agb))
        if provider_id is None:
            created = self._provider_create(line, day, point)
            if isinstance(created, dict):
                return created
            provider_id = created
        latitude, longitude, _province, place = point
        location = Location.objects.create(
            provider_id=provider_id,
            code=code,
            name=(line.location_name or line.provider_name or code)[:200],
            street=line.street[:200],
            postcode=normalise_postcode(line.postcode),
            city=(line.city or place)[:100],
            latitude=latitude,
            longitude=longitude,
            nza_reference_date=date.fromisoformat(day) if day else None,
        )
        self.locations[code] = (location.pk, True)
        self.created_locations.add(code)
        return None

    def _point(self, postcode: str) -> tuple[Decimal, Decimal, str, str] | str:
        """The PC4 point of a postcode, or why there is none."""
        try:
            normalised = normalise_postcode(postcode)
        except ValidationError:
            return _(
                "The postcode “%(postcode)s” is not a Dutch postcode: a new location needs one."
            ) % {"postcode": postcode}
        point = self.pc4.get(normalised[:4])
        if point is None:
            return _(
                "The postcode area %(pc4)s is not in the PC4 table: a new location needs "
                "coordinates."
            ) % {"pc4": normalised[:4]}
        return point

    def _region_id(
        self, line: NzaLine, point: tuple[Decimal, Decimal, str, str] | None
    ) -> int | None:
        code = roaz_region_code(line.roaz_region)
        if code is None and line.roaz_region:
            self.unknown_regions.add(line.roaz_region)
        if code is None and point is not None:
            latitude, longitude, province, _place = point
            try:
                code = region_code_for(
                    province=province, latitude=float(latitude), longitude=float(longitude)
                )
            except ValueError:
                code = None
        return self.regions.get(code) if code else None

    def _provider_create(
        self, line: NzaLine, day: str, point: tuple[Decimal, Decimal, str, str]
    ) -> int | RowError:
        agb = _agb(line.provider_agb)
        if not _AGB.match(agb):
            return self._error(
                line,
                "provider_agb",
                _("“%(code)s” is not a provider AGB code (8 digits).") % {"code": agb},
            )
        if not line.provider_name:
            return self._error(line, "provider_name", _("A new provider needs a name."))
        kind = provider_kind_for(line.provider_type, line.provider_name)
        region_id = self._region_id(line, point)
        if region_id is None:
            return self._error(line, "roaz_region", _("The ROAZ region cannot be determined."))
        provider = Provider.objects.create(
            agb_code=agb,
            name=line.provider_name[:200],
            kind=kind,
            region_id=region_id,
            kvk_number=line.kvk[:8] if line.kvk.isdigit() else "",
            is_demo=self.is_demo,
            nza_reference_date=date.fromisoformat(day) if day else None,
        )
        self.providers[agb] = provider.pk
        self.created_providers.add(agb)
        return provider.pk

    def _treatment(self, line: NzaLine, check: WaitingTimeCheck) -> RowError | None:
        figure = line.figure
        name = str(figure.treatment).strip()
        found = self.treatments.get(name.casefold())
        if found is None:
            specialism_id = self.specialisms.get(str(figure.specialism or ""))
            if specialism_id is None:
                return self._error(
                    line,
                    "treatment",
                    _(
                        "Unknown treatment “%(name)s” with an unknown specialism “%(specialism)s”: "
                        "the line is skipped."
                    )
                    % {"name": name, "specialism": line.specialism_label},
                )
            code = treatment_code_for(name, self.treatment_codes)
            setting = treatment_setting_guess(name)
            treatment = Treatment.objects.create(
                code=code,
                name=name[:200],
                nza_name=name[:200],
                nza_number=line.treatment_number[:32],
                specialism_id=specialism_id,
                setting=setting,
                needs_review=True,
            )
            found = (treatment.pk, specialism_id, code)
            self.treatments[name.casefold()] = found
            self.treatment_codes.add(code)
            check.treatment_add(pk=treatment.pk, specialism_id=specialism_id, code=code)
            self.treatments_created.append(
                {
                    "code": code,
                    "name": name,
                    "specialism": str(figure.specialism),
                    "setting": setting,
                    "row": str(figure.row),
                }
            )
        figure.treatment = found[2]
        return None

    # -- at the end --------------------------------------------------------------------------
    def finish(self) -> tuple[int, int, set[int]]:
        """Update known providers and locations from their newest line where it is newer than
        the NZa data that last set them; the numbers updated and the regions whose providers
        moved (their trend counts are rebuilt)."""
        moved: set[int] = set()
        providers_updated = 0
        for provider in Provider.objects.filter(agb_code__in=list(self.latest_provider)):
            latest = self.latest_provider[provider.agb_code]
            day = date.fromisoformat(latest.day)
            if provider.nza_reference_date is not None and day <= provider.nza_reference_date:
                continue
            line = latest.line
            changes: dict[str, Any] = {"nza_reference_date": day}
            if line.provider_name:
                changes["name"] = line.provider_name[:200]
            if line.provider_type or _UMC_NAME.search(line.provider_name):
                changes["kind"] = provider_kind_for(
                    line.provider_type, line.provider_name or provider.name
                )
            if line.kvk.isdigit():
                changes["kvk_number"] = line.kvk[:8]
            code = roaz_region_code(line.roaz_region)
            if code is None and line.roaz_region:
                self.unknown_regions.add(line.roaz_region)
            if code is not None and code in self.regions:
                changes["region_id"] = self.regions[code]
            if all(getattr(provider, name) == value for name, value in changes.items()):
                continue
            if changes.get("region_id", provider.region_id) != provider.region_id:
                moved.update({provider.region_id, changes["region_id"]})
            for name, value in changes.items():
                setattr(provider, name, value)
            provider.save(update_fields=list(changes))
            if provider.agb_code not in self.created_providers:
                providers_updated += 1
        locations_updated = 0
        for location in Location.objects.filter(code__in=list(self.latest_location)):
            latest = self.latest_location[location.code]
            day = date.fromisoformat(latest.day)
            if location.nza_reference_date is not None and day <= location.nza_reference_date:
                continue
            line = latest.line
            changes = {"nza_reference_date": day}
            if line.location_name:
                changes["name"] = line.location_name[:200]
            if line.street:
                changes["street"] = line.street[:200]
            if line.city:
                changes["city"] = line.city[:100]
            point = self._point(line.postcode) if line.postcode else None
            if point is not None and not isinstance(point, str):
                changes["postcode"] = normalise_postcode(line.postcode)
                if changes["postcode"][:4] != location.postcode[:4]:
                    changes["latitude"], changes["longitude"] = point[0], point[1]
            if all(getattr(location, name) == value for name, value in changes.items()):
                continue
            for name, value in changes.items():
                setattr(location, name, value)
            location.save(update_fields=list(changes))
            if location.code not in self.created_locations:
                locations_updated += 1
        return providers_updated, locations_updated, moved


def _size(file: BinaryIO) -> int:
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    return size


def nza_waiting_times_import(
    *,
    file: BinaryIO,
    actor: Actor,
    today: date | None = None,
    progress: ProgressCallback | None = None,
    import_id: int | None = None,
    is_demo: bool = False,
) -> NationalImportResult:
    """Import the national NZa file (see the module docstring), in one transaction. Raise
    :class:`WaitingTimeReportErrors` only when the file as a whole cannot be read.

    On PostgreSQL a CSV file takes the fast path (:mod:`providers.nza.fast`: the lines through
    COPY, mapped and stored set-based, same results); where that path cannot promise the same
    results it gives way (:class:`~providers.nza.fast.FastPathUnsafe`, its savepoint rolled back)
    and the file is read again line by line."""
    today = today or timezone.localdate()
    size = _size(file) or 1
    options: dict[str, Any] = {
        "actor": actor,
        "today": today,
        "progress": progress,
        "import_id": import_id,
        "is_demo": is_demo,
        "size": size,
        "tell": file.tell,
    }
    with transaction.atomic():
        with nza_file_open(file) as reading:
            if reading.error is not None:
                raise WaitingTimeReportErrors([reading.error])
            if not (reading.layout == "csv" and connection.vendor == "postgresql"):
                return _import(reading, fast=False, **options)
            try:
                with transaction.atomic():
                    return _import(reading, fast=True, **options)
            except FastPathUnsafe as exc:
                logger.info("National import: line by line (%s).", exc)
        file.seek(0)
        with nza_file_open(file) as reading:
            return _import(reading, fast=False, **options)


def _import(
    reading: NzaReading,
    *,
    fast: bool,
    actor: Actor,
    today: date,
    progress: ProgressCallback | None,
    import_id: int | None,
    is_demo: bool,
    size: int,
    tell: Callable[[], int],
) -> NationalImportResult:
    source = ReportSource.JSON if reading.layout == "json" else ReportSource.CSV
    catalogue = _Catalogue(is_demo=is_demo, columns=reading.columns, today=today)
    check = WaitingTimeCheck(
        actor=actor,
        today=today,
        error_limit=MAX_REPORTED_ERRORS,
        locations=catalogue.locations,
        # Every series of the country (some 60,000) is met again in every cycle of a history.
        cache_limit=NATIONAL_CACHE_LIMIT,
    )
    updates: list[int] = []

    def catalogue_finish() -> None:
        providers_updated, locations_updated, moved = catalogue.finish()
        if moved:
            region_trend_counts_rebuild(region_ids=sorted(moved))
        updates.extend((providers_updated, locations_updated))

    if fast:
        outcome = nza_import_fast(
            reading=reading,
            catalogue=catalogue,
            check=check,
            actor=actor,
            error_limit=MAX_REPORTED_ERRORS,
            import_id=import_id,
            progress=progress,
            size=size,
            tell=tell,
            before_store=catalogue_finish,
        )
        stored, skipped = outcome.stored, outcome.skipped
        skipped_lines = row_errors_truncate(outcome.errors, omitted=outcome.omitted)
    else:
        stored, skipped = _import_lines(
            reading,
            catalogue=catalogue,
            check=check,
            actor=actor,
            source=source,
            progress=progress,
            import_id=import_id,
            size=size,
            tell=tell,
            before_store=catalogue_finish,
        )
        skipped_lines = row_errors_truncate(check.errors, omitted=check.omitted)
    providers_updated, locations_updated = updates
    return NationalImportResult(
        stored=stored,
        skipped=skipped,
        skipped_lines=skipped_lines,
        providers_created=len(catalogue.created_providers),
        providers_updated=providers_updated,
        locations_created=len(catalogue.created_locations),
        locations_updated=locations_updated,
        treatments_created=catalogue.treatments_created,
        unknown_regions=sorted(catalogue.unknown_regions),
    )


def _import_lines(
    reading: NzaReading,
    *,
    catalogue: _Catalogue,
    check: WaitingTimeCheck,
    actor: Actor,
    source: str,
    progress: ProgressCallback | None,
    import_id: int | None,
    size: int,
    tell: Callable[[], int],
    before_store: Callable[[], None],
) -> tuple[RecordResult, int]:
    """The line-by-line path (SQLite, JSON files, and where the fast path gives way)."""
    skipped = 0
    records = reading.record_count
    reported = 0.0
    for count, item in enumerate(reading.items(), start=1):
        before = len(check.errors) + check.omitted
        if isinstance(item, NzaLine):
            error = catalogue.resolve(item, check)
            if error is None:
                check.add(item.figure)
            else:
                check.add_error(error)
        else:
            check.add_error(item)
        if len(check.errors) + check.omitted != before:
            skipped += 1
        if progress is not None and count % 2000 == 0:
            done = count / records if records else tell() / size
            fraction = _READ_SHARE * min(1.0, done)
            if fraction - reported >= 0.01:
                progress(fraction)
                reported = fraction
    checked = check.finish()
    for error in check.errors:
        if error["field"] in reading.columns:
            error["field"] = reading.columns[error["field"]]
    before_store()
    if len(checked):
        stored = waiting_time_reports_store(
            checked=checked,
            actor=actor,
            source=source,
            progress=progress_scaled(progress, _READ_SHARE, 1.0),
            origin=ReportOrigin.NZA,
            import_id=import_id,
        )
    else:
        stored = RecordResult(created=0, updated=0, unchanged=0)
    return stored, skipped
