"""The upload of a provider's consented waiting list (DESIGN §3.6, issue 15).

* A snapshot is checked row by row; every error names its row (a JSON item's position counted
  from 1, a CSV file's line with the header as line 1) and its field. One error refuses the whole
  snapshot: nothing is stored (all or nothing).
* Refused: a missing ``consent_date`` (no entry without consent), urgency classes other than 3–5,
  implausible dates (birth date in the future or after ``waiting_since``, a wait that starts in
  the future, an appointment before the wait began, years outside 1900 … ten years ahead), a
  location that is not one of the provider's own, unknown codes, an ``external_id`` given twice.
* **Snapshot semantics**: entries present are created or updated (keyed by ``external_id``,
  unique per provider); the provider's open entries missing from the snapshot are closed on the
  upload's date (they left the list: treated, withdrawn). An entry that comes back is opened
  again. Nothing is deleted.
* **Validation summary** (kept on the upload row): entries, new, closed, duplicates (the same
  patient — insurer + policy number + specialism/treatment — on another provider's open list;
  both entries are flagged), linked (the patient has an open mediation case of that insurer for
  the same specialism: the entry is linked to it and never invited), implausible (stored, but
  flagged: a wait of more than three years, an appointment date that has passed, a patient older
  than 110).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction, Organisation, OrganisationKind, Role
from accounts.services import audit_record
from core.dates import PLAUSIBLE_FIRST_YEAR, plausible_date_errors, plausible_last_year
from core.errors import ApplicationError
from mediation.models import OPEN_STATUSES, Case
from mediation.services.cases import PHONE_PATTERN, POLICY_NUMBER_PATTERN
from mediation.waiting_lists.models import (
    UploadSource,
    WaitingListEntry,
    WaitingListUpload,
    WaitingListUploadStatus,
)
from providers.geography.postcodes import normalise_postcode
from providers.models import (
    MAX_PLAUSIBLE_WAIT_DAYS,
    Location,
    PostcodeArea,
    Specialism,
    Treatment,
    WaitingTimeKind,
)
from providers.waiting_times.csv_reader import RowError
from providers.waiting_times.validation import MAX_REPORTED_ERRORS, WaitingTimeReportErrors

# The fields of an entry, in the API and in the CSV header (DESIGN §3.6), exactly these names.
ENTRY_FIELDS = (
    "external_id",
    "location",
    "insurer",
    "policy_number",
    "full_name",
    "birth_date",
    "email",
    "phone",
    "postcode",
    "specialism",
    "treatment",
    "kind",
    "urgency_class",
    "waiting_since",
    "expected_date",
    "consent_date",
)
OPTIONAL_FIELDS = ("email", "phone", "treatment", "expected_date")
REQUIRED_FIELDS = tuple(name for name in ENTRY_FIELDS if name not in OPTIONAL_FIELDS)
# The personal data of an entry (blanked by anonymisation).
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
MAX_AGE_YEARS = 110
_POLICY = re.compile(POLICY_NUMBER_PATTERN)
_PHONE = re.compile(PHONE_PATTERN)
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/\-]{0,63}$")
_CHUNK = 2000
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_KINDS = frozenset(WaitingTimeKind.values)
logger = logging.getLogger(__name__)


class WaitingListErrors(WaitingTimeReportErrors):
    """A snapshot with row errors: nothing was stored (answered ``{"errors": [...]}``)."""


@dataclass(slots=True)
class _Checked:
    row: int
    external_id: str
    location_id: int
    insurer_id: int
    policy_number: str
    full_name: str
    birth_date: date
    email: str
    phone: str
    postcode: str
    specialism_id: int
    treatment_id: int | None
    kind: str
    urgency_class: int
    waiting_since: date
    expected_date: date | None
    consent_date: date
    implausible: str


@dataclass(frozen=True, slots=True)
class UploadSummary:
    entries: int
    created: int
    closed: int
    duplicates: int
    implausible: int
    linked: int


class _Reference:
    """The codes an upload refers to, loaded once per upload."""

    def __init__(self, provider_id: int):
        self.locations = dict(
            Location.objects.filter(provider_id=provider_id, is_active=True).values_list(
                "code", "pk"
            )
        )
        self.insurers = dict(
            Organisation.objects.filter(kind=OrganisationKind.INSURER)
            .exclude(uzovi="")
            .values_list("uzovi", "pk")
        )
        self.specialisms = dict(Specialism.objects.filter(is_active=True).values_list("code", "pk"))
        self.treatments = {
            code: (pk, specialism_id)
            for code, pk, specialism_id in Treatment.objects.filter(is_active=True).values_list(
                "code", "pk", "specialism_id"
            )
        }
        self.pc4 = set(PostcodeArea.objects.values_list("pk", flat=True))


def _text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).strip()


def _date(value: Any) -> date | None:
    """An ISO date (``YYYY-MM-DD``); raises ``ValueError`` when it cannot be read."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = _text(value)
    if not text:
        return None
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


class _RowCheck:
    """Check rows one by one; collect errors (at most :data:`MAX_REPORTED_ERRORS`, then count)."""

    def __init__(self, *, provider_id: int, today: date):
        self.ref = _Reference(provider_id)
        self.today = today
        self.errors: list[RowError] = []
        self.omitted = 0
        self.checked: list[_Checked] = []
        self.seen: dict[str, int] = {}
        self.first_year = PLAUSIBLE_FIRST_YEAR
        self.last_year = plausible_last_year(today=today)

    def error(self, row: int | None, field: str | None, message: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": row, "field": field, "message": message})
        else:
            self.omitted += 1

    def _date_field(
        self, row: int, values: dict[str, Any], name: str, *, required: bool
    ) -> date | None:
        try:
            value = _date(values.get(name))
        except ValueError:
            self.error(row, name, _("Enter a date as YYYY-MM-DD, e.g. 2026-03-01."))
            return None
        if value is None:
            if required:
                self.error(row, name, _("This field is required."))
            return None
        # The plausible years (1900 … ten years ahead) are known once per upload; the message
        # comes from core.dates only for a date outside them.
        if not self.first_year <= value.year <= self.last_year:
            self.error(row, name, plausible_date_errors(value, today=self.today)[0])
            return None
        return value

    def add(self, row: int, values: Any) -> None:
        if not isinstance(values, dict):
            self.error(row, None, _("Each entry must be an object with the entry's fields."))
            return
        errors_before = len(self.errors) + self.omitted
        ref = self.ref
        text = {name: _text(values.get(name)) for name in ENTRY_FIELDS}
        for name in REQUIRED_FIELDS:
            if not text[name] and name not in ("birth_date", "waiting_since", "consent_date"):
                self.error(row, name, _("This field is required."))

        external_id = text["external_id"]
        if external_id:
            if not _EXTERNAL_ID.match(external_id):
                self.error(
                    row,
                    "external_id",
                    _("A reference has at most 64 letters, digits and . _ : / -"),
                )
            elif external_id in self.seen:
                self.error(
                    row,
                    "external_id",
                    _("%(id)s was given before, in row %(row)s.")
                    % {"id": external_id, "row": self.seen[external_id]},
                )
            else:
                self.seen[external_id] = row

        location_id = ref.locations.get(text["location"])
        if text["location"] and location_id is None:
            self.error(
                row,
                "location",
                _("%(code)s is not one of your locations.") % {"code": text["location"][:16]},
            )
        insurer_id = ref.insurers.get(text["insurer"])
        if text["insurer"] and insurer_id is None:
            self.error(row, "insurer", _("Unknown insurer (UZOVI code)."))
        if text["policy_number"] and not _POLICY.match(text["policy_number"]):
            self.error(
                row, "policy_number", _("A policy number has at most 32 letters and digits.")
            )
        full_name = " ".join(text["full_name"].split())
        if len(full_name) > 200:
            self.error(row, "full_name", _("The name is too long (at most 200 characters)."))
        if text["email"]:
            try:
                validate_email(text["email"])
            except ValidationError:
                self.error(row, "email", _("Enter a valid email address."))
        if not text["email"] and not text["phone"]:
            # The invitation goes by mail, or by letter with a call to follow it up.
            self.error(row, "phone", _("Enter an email address or a phone number."))
        if text["phone"] and not _PHONE.match(text["phone"]):
            self.error(row, "phone", _("Enter a phone number of 8 to 20 digits, e.g. 06 12345678."))
        postcode = ""
        if text["postcode"]:
            try:
                postcode = normalise_postcode(text["postcode"])
            except ValidationError as exc:
                self.error(row, "postcode", exc.messages[0])
            else:
                if postcode[:4] not in ref.pc4:
                    self.error(row, "postcode", _("Unknown postcode area; check the postcode."))

        specialism_id = ref.specialisms.get(text["specialism"])
        if text["specialism"] and specialism_id is None:
            self.error(row, "specialism", _("Unknown specialism code."))
        kind = text["kind"]
        if kind and kind not in _KINDS:
            self.error(row, "kind", _("Kind is one of first_visit, diagnostics or treatment."))
        treatment_id: int | None = None
        if text["treatment"]:
            found = ref.treatments.get(text["treatment"])
            if found is None:
                self.error(row, "treatment", _("Unknown treatment code."))
            elif kind != WaitingTimeKind.TREATMENT:
                self.error(row, "treatment", _("Only name a treatment for kind treatment."))
            elif specialism_id is not None and found[1] != specialism_id:
                self.error(row, "treatment", _("This treatment does not belong to the specialism."))
            else:
                treatment_id = found[0]
        elif kind == WaitingTimeKind.TREATMENT:
            self.error(row, "treatment", _("Name the treatment for kind treatment."))

        urgency = values.get("urgency_class")
        urgency_class: int | None = None
        if isinstance(urgency, int) and not isinstance(urgency, bool):
            urgency_class = urgency
        elif isinstance(urgency, str) and urgency.strip().isdigit():
            urgency_class = int(urgency.strip())
        if text["urgency_class"] and urgency_class not in (3, 4, 5):
            self.error(
                row,
                "urgency_class",
                _(
                    "Only urgency classes 3, 4 and 5 belong on a consented waiting list "
                    "(classes 1 and 2 are acute care)."
                ),
            )

        birth_date = self._date_field(row, values, "birth_date", required=True)
        waiting_since = self._date_field(row, values, "waiting_since", required=True)
        expected_date = self._date_field(row, values, "expected_date", required=False)
        consent_date = self._date_field(row, values, "consent_date", required=True)
        today = self.today
        if birth_date is not None and birth_date > today:
            self.error(row, "birth_date", _("The date of birth cannot be in the future."))
        if waiting_since is not None:
            if waiting_since > today:
                self.error(row, "waiting_since", _("The wait cannot start in the future."))
            elif birth_date is not None and waiting_since < birth_date:
                self.error(
                    row, "waiting_since", _("The wait cannot start before the date of birth.")
                )
        if (
            expected_date is not None
            and waiting_since is not None
            and expected_date < waiting_since
        ):
            self.error(row, "expected_date", _("The appointment cannot be before the wait began."))
        if consent_date is not None and consent_date > today:
            self.error(row, "consent_date", _("Consent cannot be given in the future."))

        if len(self.errors) + self.omitted > errors_before:
            return
        assert location_id is not None and insurer_id is not None and specialism_id is not None
        assert birth_date and waiting_since and consent_date and urgency_class
        implausible = []
        if (today - waiting_since).days > MAX_PLAUSIBLE_WAIT_DAYS:
            implausible.append("wait_over_3_years")
        if expected_date is not None and expected_date < today:
            implausible.append("appointment_passed")
        if birth_date < today - timedelta(days=365 * MAX_AGE_YEARS):
            implausible.append("age_over_110")
        self.checked.append(
            _Checked(
                row=row,
                external_id=external_id,
                location_id=location_id,
                insurer_id=insurer_id,
                policy_number=text["policy_number"],
                full_name=full_name,
                birth_date=birth_date,
                email=text["email"],
                phone=text["phone"],
                postcode=postcode,
                specialism_id=specialism_id,
                treatment_id=treatment_id,
                kind=kind,
                urgency_class=urgency_class,
                waiting_since=waiting_since,
                expected_date=expected_date,
                consent_date=consent_date,
                implausible=",".join(implausible),
            )
        )


_UPDATED_FIELDS = (
    "location_id",
    "insurer_id",
    "policy_number",
    "full_name",
    "birth_date",
    "email",
    "phone",
    "postcode",
    "specialism_id",
    "treatment_id",
    "kind",
    "urgency_class",
    "waiting_since",
    "expected_date",
    "consent_date",
    "implausible",
)


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _store(
    *, upload: WaitingListUpload, checked: list[_Checked], progress: Callable[[float], None]
) -> UploadSummary:
    """Create the new entries, update those whose values changed (an unchanged entry is not
    written: a nightly snapshot mostly repeats the last one) and close the missing ones."""
    provider_id = upload.provider_id
    today = upload.upload_date
    now = timezone.now()
    existing = {
        row[0]: (row[1], row[2], row[3:])
        for row in WaitingListEntry.objects.filter(provider_id=provider_id).values_list(
            "external_id", "pk", "closed_on", *_UPDATED_FIELDS
        )
    }
    new: list[tuple[str, tuple[Any, ...]]] = []
    changed: list[WaitingListEntry] = []
    for item in checked:
        values = tuple(getattr(item, name) for name in _UPDATED_FIELDS)
        found = existing.get(item.external_id)
        if found is None:
            new.append((item.external_id, values))
            continue
        if found[1] is None and found[2] == values:
            continue  # open and unchanged
        changed.append(
            WaitingListEntry(
                pk=found[0],
                provider_id=provider_id,
                external_id=item.external_id,
                last_upload=upload,
                closed_on=None,
                updated_at=now,
                **dict(zip(_UPDATED_FIELDS, values, strict=True)),
            )
        )
    total = max(1, len(new) + len(changed))
    done = 0
    for chunk in _chunks(new, 20_000 if connection.vendor == "postgresql" else _CHUNK):
        _insert(chunk, upload=upload, now=now)
        done += len(chunk)
        progress(0.1 + 0.7 * done / total)
    for chunk in _chunks(changed, 500):
        WaitingListEntry.objects.bulk_update(
            chunk, [*_UPDATED_FIELDS, "last_upload", "closed_on", "updated_at"]
        )
        done += len(chunk)
        progress(0.1 + 0.7 * done / total)
    present = {item.external_id for item in checked}
    closing = [
        pk
        for external_id, (pk, closed_on, _values) in existing.items()
        if external_id not in present and closed_on is None
    ]
    closed = 0
    for chunk in _chunks(closing):
        closed += WaitingListEntry.objects.filter(pk__in=chunk, closed_on__isnull=True).update(
            closed_on=today, updated_at=now
        )
    progress(0.85)
    duplicates = waiting_list_duplicates_flag(provider_id=provider_id)
    progress(0.92)
    linked = waiting_list_cases_link(provider_id=provider_id)
    return UploadSummary(
        entries=len(checked),
        created=len(new),
        closed=closed,
        duplicates=duplicates,
        implausible=sum(1 for item in checked if item.implausible),
        linked=linked,
    )


_COPY_COLUMNS = (
    "provider_id",
    "external_id",
    *_UPDATED_FIELDS,
    "first_upload_id",
    "last_upload_id",
    "is_duplicate",
    "created_at",
    "updated_at",
)


def _copy_value(value: Any) -> str:
    """A value in PostgreSQL's COPY text format (``\\N`` for NULL)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def _insert(
    rows: list[tuple[str, tuple[Any, ...]]], *, upload: WaitingListUpload, now: datetime
) -> None:
    """New entries (``(external_id, values of _UPDATED_FIELDS)``): one ``COPY`` on PostgreSQL
    (a snapshot may hold 100,000 of them), a bulk insert elsewhere. Every value was checked
    (and normalised) by the row check."""
    if connection.vendor != "postgresql":
        WaitingListEntry.objects.bulk_create(
            [
                WaitingListEntry(
                    provider_id=upload.provider_id,
                    external_id=external_id,
                    first_upload=upload,
                    last_upload=upload,
                    created_at=now,
                    updated_at=now,
                    **dict(zip(_UPDATED_FIELDS, values, strict=True)),
                )
                for external_id, values in rows
            ]
        )
        return
    head = f"{upload.provider_id}\t"
    tail = f"\t{upload.pk}\t{upload.pk}\tf\t{now.isoformat()}\t{now.isoformat()}"
    lines = [
        head
        + _copy_value(external_id)
        + "\t"
        + "\t".join(_copy_value(value) for value in values)
        + tail
        for external_id, values in rows
    ]
    table = WaitingListEntry._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY {table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:
            copy.write("\n".join(lines) + "\n")


def _patient_key_q(keys: Iterable[tuple[int, str, int, int | None]]) -> Q:
    q = Q()
    for insurer_id, policy_number, specialism_id, treatment_id in keys:
        q |= Q(
            insurer_id=insurer_id,
            policy_number=policy_number,
            specialism_id=specialism_id,
            treatment_id=treatment_id,
        )
    return q


def waiting_list_duplicates_flag(*, provider_id: int) -> int:
    """Flag the provider's open entries whose patient (insurer + policy number + specialism/
    treatment) is also on another provider's open list, and those other entries too; clear the
    flag where that is no longer so. Returns the number of the provider's open entries flagged."""
    key = ("insurer_id", "policy_number", "specialism_id", "treatment_id")
    open_entries = WaitingListEntry.objects.filter(closed_on__isnull=True)
    mine = open_entries.filter(provider_id=provider_id)
    # The patients of this provider's list that appear on more than one provider's open list.
    policies = mine.values("policy_number")
    shared = list(
        open_entries.filter(policy_number__in=policies)
        .values(*key)
        .annotate(providers=Count("provider_id", distinct=True))
        .filter(providers__gt=1)
        .values_list(*key)
    )
    # Unflag the provider's own entries, and entries of patients that were shared before.
    WaitingListEntry.objects.filter(provider_id=provider_id, is_duplicate=True).update(
        is_duplicate=False
    )
    for chunk in _chunks(shared, 200):
        open_entries.filter(_patient_key_q(chunk)).update(is_duplicate=True)
    return mine.filter(is_duplicate=True).count()


def waiting_list_cases_link(*, provider_id: int) -> int:
    """Link the provider's open entries to the open case of the same patient (insurer + policy
    number + specialism) where there is one; such an entry is never invited. Returns the number
    of the provider's open entries linked to an open case."""
    mine = WaitingListEntry.objects.filter(provider_id=provider_id, closed_on__isnull=True)
    cases = Case.objects.filter(
        status__in=OPEN_STATUSES,
        anonymised_at__isnull=True,
        insurer_id__in=mine.values("insurer_id"),
        policy_number__in=mine.values("policy_number"),
    ).values_list("pk", "insurer_id", "policy_number", "specialism_id")
    by_key = {(insurer, policy, specialism): pk for pk, insurer, policy, specialism in cases}
    if by_key:
        rows = mine.values_list("pk", "insurer_id", "policy_number", "specialism_id", "case_id")
        for pk, insurer, policy, specialism, case_id in rows:
            found = by_key.get((insurer, policy, specialism))
            if found is not None and found != case_id:
                WaitingListEntry.objects.filter(pk=pk).update(case_id=found)
    return mine.filter(case__status__in=OPEN_STATUSES).count()


def _provider_check(actor: Actor) -> int:
    if not actor.has_role(Role.PLANNER) or actor.provider_id is None:
        raise ApplicationError(_("Only a provider's planners upload a waiting list."))
    return actor.provider_id


def waiting_list_upload(
    *,
    actor: Actor,
    rows: Iterable[tuple[int, Any]],
    source: str,
    file_name: str = "",
    request: Any = None,
    today: date | None = None,
    upload: WaitingListUpload | None = None,
    progress: Callable[[float], None] | None = None,
) -> WaitingListUpload:
    """Check a snapshot (``rows``: ``(row number, values)``) and store it, all or nothing.

    Raises :class:`WaitingListErrors` with every row error (the first 500, then a count).
    Returns the upload row with its summary. ``upload`` is an upload row made before (the web
    upload, run by a task); otherwise one is made here."""
    provider_id = _provider_check(actor)
    today = today or timezone.localdate()
    report = progress or (lambda fraction: None)
    check = _RowCheck(provider_id=provider_id, today=today)
    for row, values in rows:
        check.add(row, values)
    if not check.errors and not check.checked:
        check.error(None, None, _("The waiting list is empty: send at least one entry."))
    if check.errors:
        raise WaitingListErrors(check.errors, omitted=check.omitted)
    report(0.1)
    with transaction.atomic():
        if upload is None:
            upload = WaitingListUpload.objects.create(
                provider_id=provider_id,
                source=source,
                created_by=actor.user,
                created_by_label=actor.label,
                upload_date=today,
                file_name=file_name[:255],
            )
        summary = _store(upload=upload, checked=check.checked, progress=report)
        upload.entries = summary.entries
        upload.created = summary.created
        upload.closed = summary.closed
        upload.duplicates = summary.duplicates
        upload.implausible = summary.implausible
        upload.linked = summary.linked
        upload.status = WaitingListUploadStatus.SUCCEEDED
        upload.progress = 100
        upload.content = ""
        upload.errors = []
        upload.finished_at = timezone.now()
        upload.save()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=upload,
            request=request,
            detail={
                "operation": "waiting_list_upload",
                "source": source,
                "entries": summary.entries,
                "closed": summary.closed,
            },
        )
    return upload


# --- CSV ----------------------------------------------------------------------------------------
def waiting_list_csv_rows(text: str) -> Iterator[tuple[int, Any]]:
    """The rows of a CSV snapshot as ``(line number, values)``: the header (line 1) names the
    fields of :data:`ENTRY_FIELDS` (comma or semicolon separated; UTF-8, a BOM is allowed).
    A header without a required column raises :class:`WaitingListErrors` (line 1)."""
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise WaitingListErrors(
            [{"row": 1, "field": None, "message": _("The file is empty.")}]
        ) from None
    missing = [name for name in REQUIRED_FIELDS if name not in header]
    if missing:
        raise WaitingListErrors(
            [
                {
                    "row": 1,
                    "field": name,
                    "message": _("The header has no column %(name)s.") % {"name": name},
                }
                for name in missing
            ]
        )
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        yield reader.line_num, dict(zip(header, cells, strict=False))


def waiting_list_csv_decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WaitingListErrors(
            [{"row": None, "field": "file", "message": _("The file is not UTF-8 text.")}]
        ) from None


def waiting_list_upload_start(
    *, actor: Actor, file_name: str, data: bytes, today: date | None = None
) -> WaitingListUpload:
    """The web upload: keep the file on a pending upload row and import it in a Celery task
    after the commit (inline when tasks run eagerly); its page shows the progress."""
    provider_id = _provider_check(actor)
    text = waiting_list_csv_decode(data)
    upload = WaitingListUpload.objects.create(
        provider_id=provider_id,
        source=UploadSource.WEB,
        created_by=actor.user,
        created_by_label=actor.label,
        upload_date=today or timezone.localdate(),
        file_name=file_name.replace("\x00", "")[:255],
        content=text,
    )

    def enqueue() -> None:
        from mediation.waiting_lists.tasks import waiting_list_upload_run

        try:
            waiting_list_upload_run.delay(upload.pk)
        except Exception:  # a broker outage: the beat task picks the row up
            logger.warning(
                "Could not queue waiting-list upload %s; the beat task runs it.", upload.pk
            )

    transaction.on_commit(enqueue)
    return upload


def waiting_list_upload_run(*, upload_id: int, actor: Actor) -> str:
    """Import a pending web upload (idempotent: a finished upload is left alone)."""
    claimed = WaitingListUpload.objects.filter(
        pk=upload_id, status=WaitingListUploadStatus.PENDING
    ).update(status=WaitingListUploadStatus.RUNNING, progress=1)
    if not claimed:
        return "done"
    upload = WaitingListUpload.objects.get(pk=upload_id)
    last = [0]

    def progress(fraction: float) -> None:
        percent = min(99, int(fraction * 100))
        if percent > last[0]:
            last[0] = percent
            WaitingListUpload.objects.filter(pk=upload_id).update(progress=percent)

    try:
        waiting_list_upload(
            actor=actor,
            rows=waiting_list_csv_rows(upload.content),
            source=UploadSource.WEB,
            upload=upload,
            today=upload.upload_date,
            progress=progress,
        )
    except WaitingListErrors as exc:
        WaitingListUpload.objects.filter(pk=upload_id).update(
            status=WaitingListUploadStatus.FAILED,
            errors=exc.reported(),
            content="",
            progress=100,
            finished_at=timezone.now(),
        )
        return "failed"
    return "succeeded"
