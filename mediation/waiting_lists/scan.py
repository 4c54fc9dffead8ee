"""The proactive scan of an insurer's consented waiting-list entries (DESIGN §3.6, issue 15).

A scan is split into one part per specialism (a Celery task each, any number of workers share
them); a part is done once, whatever how often its task runs (its row is locked and marked done
in the same transaction that writes its invitations). The scan's progress is the share of parts
done; its report is the sum of its parts.

For every open entry of the insurer in the specialism, in this order:

1. **Over the norm?** The patient's expected moment of care where they wait now is
   :func:`mediation.matching.expected_care_date` (their appointment, else ``waiting_since`` + the
   current location's current figure, the Treeknorm maximum standing in); the **projected total
   wait** is from ``waiting_since`` to that moment (to today when it has passed without a date).
   An entry counts as *over the norm* when its projected total wait is above the Treeknorm
   maximum of its kind **and** the day it crosses the maximum lies no later than today + the
   look-ahead (insurer setting, default 14 days): it is over now or will be within the
   look-ahead. Otherwise it is not invited: ``within_norm``.
2. Entries over the norm are not invited when the patient withdrew consent to be approached
   (``no_consent``), already has an open mediation case (``open_case``), is on another
   provider's open list too (``duplicate``: the lists must be cleaned first) or was invited in
   the quiet period (insurer setting, default 60 days: ``quiet_period``).
3. **Matching** with the same pure rules as a single case (:func:`mediation.matching.match`):
   a Need per entry (its remaining wait, the insurer's margin, and the insurer's default travel
   distance for waiting lists, default 25 km, since a list holds no travel preference), against
   the specialism's supply loaded **once** per part (a location's current figures with the norm
   and whether the insurer contracts the provider). Capacity offers are left out: an invitation
   promises the published wait, and scarce slots are allocated by the mediators (and assignment
   runs), not promised to every invitee. No candidate: ``no_alternative``. For speed (the same
   result, pinned by ``tests/mediation/test_waiting_list_scan_equivalence.py``): the distances
   from a PC4 point to the locations are measured once per area, and only the 3 candidates kept
   are built with their reasons (:func:`mediation.matching.top_candidates`).
4. Otherwise the patient is **invited** with the (up to) 3 best candidates: by mail with a secret
   link, or — without an email address — by a letter the mediator prints. The mails (outbox
   rows written with the invitations, with ``COPY`` on PostgreSQL) are handed to the workers
   when the whole scan has finished, so that they never hold up its parts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, F, FloatField, Max, OuterRef, Q, Sum, TextField
from django.db.models.functions import Cast, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction, Organisation, Role
from accounts.services import audit_record
from core.errors import ApplicationError
from finance.models import Contract
from mediation.matching import (
    Candidate,
    Need,
    Supply,
    expected_care_date,
    remaining_wait_days,
    top_candidates,
)
from mediation.models import OPEN_STATUSES, Case, mediation_settings_for
from mediation.waiting_lists.models import (
    NOT_INVITED_REASONS,
    Invitation,
    InvitationChannel,
    InvitationMail,
    InvitationMailKind,
    ProactiveScan,
    ProactiveScanPart,
    ScanStatus,
    ScanTrigger,
    WaitingListEntry,
)
from mediation.waiting_lists.uploads import _copy_value
from providers.geography.greatcircle import bounding_box, distance_km
from providers.models import Norm, PostcodeArea, Specialism, Treatment, WaitingTimeSeries
from providers.waiting_times import rules

logger = logging.getLogger(__name__)

MAX_ALTERNATIVES = 3
# A specialism with more open entries than this is scanned in several parts (by entry id).
PART_ENTRIES = 25_000
# Grid cells of the supply index, in degrees (about 28 by 27 km in the Netherlands).
_CELL_LAT = 0.25
_CELL_LON = 0.4
_BULK = 2000


def invitation_token_digest(token: str) -> str:
    """SHA-256 hex digest of an invitation's secret token (256 bits of entropy)."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_reference() -> str:
    """A random reference such as ``UN-7KQ2-M4XD-9TRA`` (no sequence is revealed).

    60 random bits: a national scan writes about half a million invitations a night, and one
    clash with any earlier reference would undo a whole part of the scan (the column is unique).
    With 60 bits the chance of a clash stays below one in ten thousand a night even with
    tens of millions of references kept; with the 40 bits of eight characters it was a matter of
    days."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    code = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"UN-{code[:4]}-{code[4:8]}-{code[8:]}"


# --- Start ----------------------------------------------------------------------------------------
def proactive_scan_start(
    *,
    insurer: Organisation,
    trigger: str,
    actor: Actor | None = None,
    specialisms: Sequence[str] | None = None,
    request: Any = None,
    today: date | None = None,
    dispatch: bool = True,
) -> ProactiveScan:
    """Start a scan of the insurer's open entries (optionally only some specialism codes): one
    part per specialism with open entries, each run by a Celery task after the commit (inline
    when tasks are eager). ``dispatch=False`` runs the parts here, one after the other (the
    demo data; a benchmark's baseline)."""
    if actor is not None and (not actor.has_role(Role.MEDIATOR) or actor.organisation != insurer):
        raise ApplicationError(_("Only the insurer's mediators start a scan."))
    today = today or timezone.localdate()
    codes = sorted({code for code in (specialisms or []) if code})
    if codes:
        known = set(Specialism.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise ApplicationError(
                _("Unknown specialism: %(codes)s.") % {"codes": ", ".join(unknown)},
                field="specialisms",
            )
    open_entries = WaitingListEntry.objects.filter(insurer=insurer, closed_on__isnull=True)
    if codes:
        open_entries = open_entries.filter(specialism__code__in=codes)
    counts = dict(
        open_entries.order_by()
        .values_list("specialism_id")
        .annotate(n=Count("id"))
        .values_list("specialism_id", "n")
    )
    planned: list[ProactiveScanPart] = []
    for specialism_id, count in counts.items():
        if count <= PART_ENTRIES:
            planned.append(ProactiveScanPart(specialism_id=specialism_id, entries=count))
            continue
        ids = open_entries.filter(specialism_id=specialism_id).order_by("pk")
        bounds = [
            ids.values_list("pk", flat=True)[offset] for offset in range(0, count, PART_ENTRIES)
        ]
        for number, first in enumerate(bounds):
            last = bounds[number + 1] - 1 if number + 1 < len(bounds) else None
            size = min(PART_ENTRIES, count - number * PART_ENTRIES)
            planned.append(
                ProactiveScanPart(
                    specialism_id=specialism_id,
                    first_entry_id=first,
                    last_entry_id=last,
                    entries=size,
                )
            )
    # The largest parts first: workers that share them finish together.
    planned.sort(key=lambda part: (-part.entries, part.specialism_id, part.first_entry_id))
    with transaction.atomic():
        scan = ProactiveScan.objects.create(
            insurer=insurer,
            trigger=trigger,
            started_by=actor.user if actor is not None else None,
            specialisms=codes,
            scan_date=today,
            status=ScanStatus.RUNNING,
            parts_total=len(planned),
        )
        for part in planned:
            part.scan = scan
        parts = ProactiveScanPart.objects.bulk_create(planned)
        if actor is not None:
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=scan,
                request=request,
                detail={"operation": "proactive_scan_start", "specialisms": codes},
            )
        if not parts:
            _scan_finish(scan.pk)
        part_ids = [part.pk for part in parts]
        if part_ids and part_ids[0] is None:  # backends that do not return ids
            part_ids = list(
                ProactiveScanPart.objects.filter(scan=scan)
                .order_by("-entries", "specialism_id", "first_entry_id")
                .values_list("pk", flat=True)
            )
        if dispatch:
            transaction.on_commit(lambda: proactive_scan_dispatch(part_ids=part_ids))
    if not dispatch:
        for pk in part_ids:
            proactive_scan_part_run(part_id=pk)
    scan.refresh_from_db()
    return scan


def proactive_scan_dispatch(*, part_ids: list[int]) -> None:
    """Hand the parts to the workers; with the broker down, the beat task runs what is left."""
    from mediation.waiting_lists.tasks import proactive_scan_part

    for pk in part_ids:
        try:
            proactive_scan_part.delay(pk)
        except Exception:  # a broker outage must not fail the request
            logger.warning("Could not queue scan part %s; the beat task runs it.", pk)


# --- One part ------------------------------------------------------------------------------------
@dataclass(slots=True)
class _SubjectSupply:
    """The supply of one subject (treatment or none, kind): its rows by location."""

    by_location: dict[int, list[Supply]]
    norm_max_days: int | None


def _cell(latitude: float, longitude: float) -> tuple[int, int]:
    return math.floor(latitude / _CELL_LAT), math.floor(longitude / _CELL_LON)


class _SpecialismSupply:
    """Every location's current figures for one specialism, loaded once per part, with the
    current figure per (location, subject) for the projected wait of each entry."""

    def __init__(self, *, insurer_id: int, specialism: Specialism, today: date):
        self.today = today
        treatments = {
            pk: (code, setting)
            for pk, code, setting in Treatment.objects.filter(specialism=specialism).values_list(
                "pk", "code", "setting"
            )
        }
        norms = {
            (kind, setting): days
            for kind, setting, days in Norm.objects.values_list("kind", "setting", "max_days")
        }
        self.treatments = treatments
        self.norms = norms
        contract = Contract.objects.filter(
            insurer_id=insurer_id, year=today.year, provider_id=OuterRef("location__provider_id")
        )
        rows = (
            WaitingTimeSeries.objects.filter(specialism=specialism, location__is_active=True)
            .annotate(
                lat=Cast("location__latitude", FloatField()),
                lon=Cast("location__longitude", FloatField()),
                classes=Cast("location__accepted_urgency_classes", TextField()),
                contracted=Exists(contract),
            )
            .values_list(
                "location_id",
                "location__code",
                "location__name",
                "location__city",
                "location__provider__agb_code",
                "location__provider__name",
                "location__provider__kind",
                "lat",
                "lon",
                "classes",
                "treatment_id",
                "kind",
                "current_days",
                "current_insufficient_observations",
                "current_reference_date",
                "contracted",
            )
        )
        stale_before = rules.stale_before(today=today)
        parsed: dict[str, tuple[int, ...]] = {}
        self.subjects: dict[tuple[int | None, str], _SubjectSupply] = {}
        self.current: dict[tuple[int, int | None, str], int] = {}
        # Locations (with rows of the specialism) by position: a grid of their ids.
        self._positions: dict[int, tuple[float, float]] = {}
        self._grid: dict[tuple[int, int], list[int]] = defaultdict(list)
        for (
            location_id,
            code,
            name,
            city,
            agb_code,
            provider_name,
            provider_kind,
            lat,
            lon,
            classes,
            treatment_id,
            kind,
            days,
            insufficient,
            reference_date,
            contracted,
        ) in rows:
            if classes not in parsed:
                parsed[classes] = tuple(json.loads(classes or "[]") or ())
            stale = reference_date is None or reference_date < stale_before
            subject = (treatment_id, kind)
            norm_max = self.norm_max_days(treatment_id=treatment_id, kind=kind)
            row = Supply(
                location_id=location_id,
                location_code=code,
                location_name=name,
                city=city,
                provider_agb_code=agb_code,
                provider_name=provider_name,
                provider_kind=provider_kind,
                latitude=lat,
                longitude=lon,
                accepted_urgency_classes=parsed[classes],
                specialism_code=specialism.code,
                treatment_code=treatments[treatment_id][0] if treatment_id in treatments else None,
                kind=kind,
                current_days=days,
                insufficient_observations=insufficient,
                reference_date=reference_date,
                stale=stale,
                norm_max_days=norm_max,
                contracted=contracted,
            )
            if days is not None and not insufficient and not stale:
                self.current[(location_id, treatment_id, kind)] = days
            found = self.subjects.get(subject)
            if found is None:
                found = self.subjects[subject] = _SubjectSupply(
                    by_location=defaultdict(list), norm_max_days=norm_max
                )
            found.by_location[location_id].append(row)
            if location_id not in self._positions:
                self._positions[location_id] = (lat, lon)
                self._grid[_cell(lat, lon)].append(location_id)
        self._nearby: dict[tuple[int | None, str, str], list[Supply]] = {}
        self._distances: dict[str, dict[int, float]] = {}

    def norm_max_days(self, *, treatment_id: int | None, kind: str) -> int | None:
        setting = self.treatments[treatment_id][1] if treatment_id in self.treatments else None
        return self.norms.get(rules.norm_key(kind=kind, treatment_setting=setting))

    def distances(
        self, *, pc4: str, point: tuple[float, float], radius_km: float
    ) -> dict[int, float]:
        """The exact distance from the PC4 point to every location within the radius (from the
        grid cells that the box around it touches), by location id; once per PC4 area, whatever
        the subject (the distance is the one the pure rules measure: the same function of the
        same points)."""
        found = self._distances.get(pc4)
        if found is not None:
            return found
        found = {}
        lat_min, lat_max, lon_min, lon_max = bounding_box(
            latitude=point[0], longitude=point[1], radius_km=radius_km
        )
        low = _cell(float(lat_min), float(lon_min))
        high = _cell(float(lat_max), float(lon_max))
        for i in range(low[0], high[0] + 1):
            for j in range(low[1], high[1] + 1):
                for location_id in self._grid.get((i, j), ()):
                    lat, lon = self._positions[location_id]
                    distance = distance_km(point[0], point[1], lat, lon)
                    if distance <= radius_km:
                        found[location_id] = distance
        self._distances[pc4] = found
        return found

    def nearby(
        self,
        *,
        treatment_id: int | None,
        kind: str,
        pc4: str,
        distances: dict[int, float],
    ) -> list[Supply]:
        """The subject's rows at the locations within the radius of the PC4 point
        (:meth:`distances`), once per subject and PC4 area; the pure rules check the distance
        again, so this only spares them the rows that are too far anyway."""
        key = (treatment_id, kind, pc4)
        found = self._nearby.get(key)
        if found is not None:
            return found
        subject = self.subjects.get((treatment_id, kind))
        rows: list[Supply] = []
        if subject is not None:
            by_location = subject.by_location
            for location_id in distances:
                at = by_location.get(location_id)
                if at is not None:
                    rows.extend(at)
        self._nearby[key] = rows
        return rows


def _alternative(candidate: Candidate) -> dict[str, Any]:
    return {
        "location": candidate.location_code,
        "location_name": candidate.location_name,
        "city": candidate.city,
        "provider": candidate.provider_agb_code,
        "provider_name": candidate.provider_name,
        "provider_kind": candidate.provider_kind,
        "expected_days": candidate.expected_days,
        "expected_date": candidate.expected_date.isoformat(),
        "days_gained": candidate.days_gained,
        "distance_km": str(candidate.distance_km),
        "within_norm": candidate.within_norm,
        "contracted": candidate.contracted,
    }


@dataclass(frozen=True, slots=True)
class EntryVerdict:
    """What the scan decided about one entry: ``reason`` empty when invited."""

    over_norm: bool
    reason: str
    candidates: tuple[Candidate, ...] = ()
    waited_days: int = 0
    projected_total_days: int = 0
    norm_max_days: int = 0


def entry_over_norm(
    *,
    today: date,
    waiting_since: date,
    expected_date: date | None,
    current_wait_days: int | None,
    norm_max_days: int | None,
    look_ahead_days: int,
) -> tuple[bool, int]:
    """``(over the norm, projected total wait in days)`` (module docstring, rule 1)."""
    care = expected_care_date(
        waiting_since=waiting_since,
        expected_date=expected_date,
        current_wait_days=current_wait_days,
        norm_max_days=norm_max_days,
    )
    projected = (max(care, today) - waiting_since).days
    if norm_max_days is None:
        return False, projected
    crossing = waiting_since + timedelta(days=norm_max_days + 1)
    over = projected > norm_max_days and crossing <= today + timedelta(days=look_ahead_days)
    return over, projected


def proactive_scan_part_run(*, part_id: int, now: datetime | None = None) -> str:
    """Run one part of a scan, once (``done`` when it ran before)."""
    now = now or timezone.now()
    with transaction.atomic():
        part = (
            ProactiveScanPart.objects.select_for_update()
            .select_related("scan__insurer", "specialism")
            .filter(pk=part_id)
            .first()
        )
        if part is None:
            return "missing"
        if part.done_at is not None:
            return "done"
        scan = part.scan
        counts = _part_scan(part=part, now=now)
        part.scanned = counts["scanned"]
        part.over_norm = counts["over_norm"]
        part.invited = counts["invited"]
        part.not_invited = {reason: counts[reason] for reason in NOT_INVITED_REASONS}
        part.done_at = now
        part.save()
        parts = ProactiveScanPart.objects.filter(scan_id=scan.pk)
        entries = parts.aggregate(
            total=Sum("entries"), done=Sum("entries", filter=Q(done_at__isnull=False))
        )
        # The share of the scan's entries done (parts differ in size); never going back when
        # two workers finish at once.
        share = 100 * (entries["done"] or 0) // max(1, entries["total"] or 0)
        ProactiveScan.objects.filter(pk=scan.pk).update(
            parts_done=F("parts_done") + 1, progress=Greatest(F("progress"), min(99, share))
        )
    _scan_finish(scan.pk)
    return "ran"


def _part_scan(*, part: ProactiveScanPart, now: datetime) -> Counter[str]:
    """Scan the part's entries and write its invitations (and the outbox rows of their mails,
    sent when the whole scan has finished: :func:`_scan_finish`); the counts."""
    scan = part.scan
    today = scan.scan_date
    insurer = scan.insurer
    settings_row = mediation_settings_for(insurer)
    supply = _SpecialismSupply(insurer_id=insurer.pk, specialism=part.specialism, today=today)
    radius = float(settings_row.scan_distance_km)
    quiet_since = now - timedelta(days=settings_row.invitation_quiet_days)
    points = {
        pc4: (float(lat), float(lon))
        for pc4, lat, lon in PostcodeArea.objects.values_list("pk", "latitude", "longitude")
    }
    last_invited = (
        Invitation.objects.filter(entry=OuterRef("pk"))
        .order_by()
        .values("entry")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    entries = (
        WaitingListEntry.objects.filter(
            insurer=insurer,
            specialism=part.specialism,
            closed_on__isnull=True,
            anonymised_at__isnull=True,
            pk__gte=part.first_entry_id,
        )
        .filter(Q(pk__lte=part.last_entry_id) if part.last_entry_id is not None else Q())
        .annotate(last_invited=last_invited)
        .values_list(
            "pk",
            "location_id",
            "postcode",
            "treatment_id",
            "kind",
            "urgency_class",
            "waiting_since",
            "expected_date",
            "consent_withdrawn_at",
            "is_duplicate",
            "case__status",
            "last_invited",
            "email",
            "policy_number",
        )
        .order_by("pk")
    )
    # A case opened since the last upload counts too (the upload links the entries it knows).
    open_case_policies = set(
        Case.objects.filter(
            insurer=insurer,
            specialism=part.specialism,
            status__in=OPEN_STATUSES,
            anonymised_at__isnull=True,
        ).values_list("policy_number", flat=True)
    )
    counts: Counter[str] = Counter()
    pending: list[_NewInvitation] = []
    for (
        pk,
        location_id,
        postcode,
        treatment_id,
        kind,
        urgency_class,
        waiting_since,
        expected_date,
        consent_withdrawn_at,
        is_duplicate,
        case_status,
        last_invited_at,
        email,
        policy_number,
    ) in entries.iterator(chunk_size=5000):
        counts["scanned"] += 1
        norm_max = supply.norm_max_days(treatment_id=treatment_id, kind=kind)
        current_wait = supply.current.get((location_id, treatment_id, kind))
        over, projected = entry_over_norm(
            today=today,
            waiting_since=waiting_since,
            expected_date=expected_date,
            current_wait_days=current_wait,
            norm_max_days=norm_max,
            look_ahead_days=settings_row.scan_look_ahead_days,
        )
        if not over:
            counts["within_norm"] += 1
            continue
        counts["over_norm"] += 1
        if consent_withdrawn_at is not None:
            counts["no_consent"] += 1
            continue
        if case_status in OPEN_STATUSES or policy_number in open_case_policies:
            counts["open_case"] += 1
            continue
        if is_duplicate:
            counts["duplicate"] += 1
            continue
        if last_invited_at is not None and last_invited_at > quiet_since:
            counts["quiet_period"] += 1
            continue
        pc4 = postcode[:4]
        point = points.get(pc4)
        if point is None:
            counts["no_alternative"] += 1
            continue
        current_or_norm = current_wait if current_wait is not None else norm_max
        need = Need(
            specialism_code=part.specialism.code,
            treatment_code=supply.treatments[treatment_id][0] if treatment_id else None,
            kind=kind,
            urgency_class=urgency_class,
            latitude=point[0],
            longitude=point[1],
            max_distance_km=radius,
            hospital_setting_required=False,
            current_location_id=location_id,
            insurer_id=insurer.pk,
            remaining_wait_days=remaining_wait_days(
                today=today,
                waiting_since=waiting_since,
                expected_date=expected_date,
                current_wait_days=current_or_norm,
                norm_max_days=None,
            ),
            margin_days=settings_row.match_margin_days,
            today=today,
            waiting_since=waiting_since,
            current_wait_days=current_or_norm,
        )
        distances = supply.distances(pc4=pc4, point=point, radius_km=radius)
        rows = supply.nearby(treatment_id=treatment_id, kind=kind, pc4=pc4, distances=distances)
        # match(need, rows)[:MAX_ALTERNATIVES], with reasons only for those kept.
        candidates = (
            top_candidates(need, rows, limit=MAX_ALTERNATIVES, distances=distances) if rows else []
        )
        if not candidates:
            counts["no_alternative"] += 1
            continue
        counts["invited"] += 1
        pending.append(
            _NewInvitation(
                reference=invitation_reference(),
                entry_id=pk,
                email=bool(email),
                token=secrets.token_urlsafe(32),
                alternatives=[_alternative(c) for c in candidates],
                waited_days=(today - waiting_since).days,
                projected_total_days=projected,
                norm_max_days=norm_max or 0,
            )
        )
        if len(pending) >= _BULK:
            _invitations_write(pending, scan_id=scan.pk, insurer_id=insurer.pk, now=now)
    _invitations_write(pending, scan_id=scan.pk, insurer_id=insurer.pk, now=now)
    return counts


@dataclass(frozen=True, slots=True)
class _NewInvitation:
    """An invitation the scan is about to write (no ORM object per entry)."""

    reference: str
    entry_id: int
    email: bool
    token: str  # the secret of the link in the mail; only its SHA-256 is stored
    alternatives: list[dict[str, Any]]
    waited_days: int
    projected_total_days: int
    norm_max_days: int

    @property
    def channel(self) -> str:
        return (InvitationChannel.EMAIL if self.email else InvitationChannel.LETTER).value


def _invitations_write(
    pending: list[_NewInvitation], *, scan_id: int, insurer_id: int, now: datetime
) -> None:
    """Insert a batch of invitations and the outbox rows of those sent by mail: with ``COPY``
    on PostgreSQL (ids drawn from the table's sequence first, so the mails can refer to them),
    a bulk insert elsewhere. Empties ``pending`` (a part writes as it goes, so its memory stays
    flat)."""
    if not pending:
        return
    if connection.vendor == "postgresql":
        _invitations_copy(pending, scan_id=scan_id, insurer_id=insurer_id, now=now)
        pending.clear()
        return
    for start in range(0, len(pending), _BULK):
        batch = pending[start : start + _BULK]
        chunk = Invitation.objects.bulk_create(
            [
                Invitation(
                    reference=new.reference,
                    scan_id=scan_id,
                    entry_id=new.entry_id,
                    insurer_id=insurer_id,
                    channel=new.channel,
                    access_token_hash=invitation_token_digest(new.token),
                    alternatives=new.alternatives,
                    waited_days=new.waited_days,
                    projected_total_days=new.projected_total_days,
                    norm_max_days=new.norm_max_days,
                    created_at=now,
                )
                for new in batch
            ]
        )
        secret_of = {new.reference: new.token for new in batch if new.email}
        emailed = [inv for inv in chunk if inv.reference in secret_of]
        if not emailed:
            continue
        if emailed[0].pk is None:  # backends that do not return ids
            by_reference = dict(
                Invitation.objects.filter(
                    reference__in=[inv.reference for inv in emailed]
                ).values_list("reference", "pk")
            )
            for inv in emailed:
                inv.pk = by_reference[inv.reference]
        InvitationMail.objects.bulk_create(
            [
                InvitationMail(
                    invitation_id=inv.pk,
                    kind=InvitationMailKind.INVITATION,
                    secret=secret_of[inv.reference],
                    created_at=now,
                )
                for inv in emailed
            ]
        )
    pending.clear()


# The columns the scan writes per invitation and per mail; every other column of the table is
# written with its field's default (the same values bulk_create would write).
_INVITATION_COLUMNS = (
    "id",
    "reference",
    "entry_id",
    "channel",
    "access_token_hash",
    "alternatives",
    "waited_days",
    "projected_total_days",
    "norm_max_days",
    "scan_id",
    "insurer_id",
    "created_at",
)
_MAIL_COLUMNS = ("invitation_id", "secret", "kind", "created_at")


def _copy_defaults(model: type[Any], written: Sequence[str]) -> tuple[list[str], str]:
    """The columns of ``model`` not in ``written`` and their defaults as a COPY text tail."""
    fields = [
        f for f in model._meta.concrete_fields if f.attname not in written and f.column != "id"
    ]
    tail = "".join("\t" + _copy_value(f.get_default()) for f in fields)
    return [f.column for f in fields], tail


def _invitations_copy(
    pending: list[_NewInvitation], *, scan_id: int, insurer_id: int, now: datetime
) -> None:
    invitation_table = Invitation._meta.db_table
    mail_table = InvitationMail._meta.db_table
    stamp = now.isoformat()
    invitation_rest, invitation_tail = _copy_defaults(Invitation, _INVITATION_COLUMNS)
    invitation_tail = f"\t{scan_id}\t{insurer_id}\t{stamp}{invitation_tail}"
    mail_rest, mail_tail = _copy_defaults(InvitationMail, _MAIL_COLUMNS)
    mail_tail = f"\t{_copy_value(InvitationMailKind.INVITATION.value)}\t{stamp}{mail_tail}"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [invitation_table, len(pending)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        invitations: list[str] = []
        mails: list[str] = []
        for pk, new in zip(ids, pending, strict=True):
            invitations.append(
                f"{pk}\t{_copy_value(new.reference)}\t{new.entry_id}\t{new.channel}\t"
                f"{invitation_token_digest(new.token)}\t"
                f"{_copy_value(json.dumps(new.alternatives))}\t{new.waited_days}\t"
                f"{new.projected_total_days}\t{new.norm_max_days}{invitation_tail}"
            )
            if new.email:
                mails.append(f"{pk}\t{_copy_value(new.token)}{mail_tail}")
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        columns = ", ".join([*_INVITATION_COLUMNS, *invitation_rest])
        with raw.copy(f"COPY {invitation_table} ({columns}) FROM STDIN") as copy:
            copy.write("\n".join(invitations) + "\n")
        if mails:
            columns = ", ".join([*_MAIL_COLUMNS, *mail_rest])
            with raw.copy(f"COPY {mail_table} ({columns}) FROM STDIN") as copy:
                copy.write("\n".join(mails) + "\n")


def invitation_mails_dispatch(*, ids: list[int]) -> None:
    """Queue the sending of new invitation mails (one task per batch); the flush task sends
    whatever the broker lost."""
    from mediation.waiting_lists.tasks import invitation_mails_send

    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        try:
            invitation_mails_send.delay(batch)
        except Exception:  # a broker outage: the flush task sends them later
            logger.warning(
                "Could not queue %s invitation mails; the flush task sends them.", len(batch)
            )


def _scan_finish(scan_id: int) -> None:
    """Close the scan when every part is done: its report is the sum of its parts (once), and
    its invitation mails are handed to the workers."""
    finished = (
        ProactiveScan.objects.filter(pk=scan_id, parts_done__gte=F("parts_total"))
        .exclude(status=ScanStatus.SUCCEEDED)
        .update(status=ScanStatus.SUCCEEDED, progress=100, finished_at=timezone.now())
    )
    if not finished:
        return
    totals: Counter[str] = Counter()
    for part in ProactiveScanPart.objects.filter(scan_id=scan_id):
        totals["scanned"] += part.scanned
        totals["over_norm"] += part.over_norm
        totals["invited"] += part.invited
        for reason, count in (part.not_invited or {}).items():
            totals[reason] += count
    ProactiveScan.objects.filter(pk=scan_id).update(
        scanned=totals["scanned"],
        over_norm=totals["over_norm"],
        invited=totals["invited"],
        not_invited={reason: totals[reason] for reason in NOT_INVITED_REASONS},
    )
    # The invitation mails go once the scan has finished, so that they never hold up its parts
    # on the workers; the outbox flush sends whatever the broker loses.
    mail_ids = list(
        InvitationMail.objects.filter(
            invitation__scan_id=scan_id, sent_at__isnull=True, skipped=False
        ).values_list("pk", flat=True)
    )
    if mail_ids:
        transaction.on_commit(lambda: invitation_mails_dispatch(ids=mail_ids))


def proactive_scans_pending_run() -> int:
    """Run the parts of running scans whose task was lost (a broker outage); the number run."""
    stuck = ProactiveScanPart.objects.filter(
        done_at__isnull=True,
        scan__status=ScanStatus.RUNNING,
        scan__created_at__lte=timezone.now() - timedelta(minutes=10),
    ).values_list("pk", flat=True)[:100]
    return sum(proactive_scan_part_run(part_id=pk) == "ran" for pk in list(stuck))


def proactive_scans_nightly(*, today: date | None = None) -> int:
    """Start tonight's scan for every insurer with open entries (once a day per insurer)."""
    today = today or timezone.localdate()
    insurers = Organisation.objects.filter(
        Exists(WaitingListEntry.objects.filter(insurer=OuterRef("pk"), closed_on__isnull=True))
    ).exclude(
        Exists(
            ProactiveScan.objects.filter(
                insurer=OuterRef("pk"), scan_date=today, trigger=ScanTrigger.NIGHTLY
            )
        )
    )
    started = 0
    for insurer in insurers:
        proactive_scan_start(insurer=insurer, trigger=ScanTrigger.NIGHTLY, today=today)
        started += 1
    return started


def scan_not_invited(scan: ProactiveScan) -> dict[str, int]:
    """The scan's not-invited counts by reason, every reason named (0 when none)."""
    found = scan.not_invited or {}
    return {reason: int(found.get(reason, 0)) for reason in NOT_INVITED_REASONS}
