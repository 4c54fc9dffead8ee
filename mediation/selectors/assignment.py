"""Reads for assignment runs (DESIGN §3.7, issue 16): the input of one specialism's sub-problem
(the insurer's open cases and the national supply, built once and shared by all its cases), and
the runs and proposals an actor may see.

The rules are :mod:`mediation.matching`'s, through :mod:`mediation.assignment`; this module only
reads, in a fixed number of queries per specialism whatever the number of cases:

* the insurer's open cases of the specialism without an open offer (``submitted`` or
  ``in_progress``; opted-in waiting-list patients are such cases, channel ``proactive``), oldest
  first — the order of the first-come-first-served baseline;
* their PC4 points;
* every series of the specialism (its first visits and diagnostics, and its treatments) — the
  current figure of active locations is the supply; the current location's figure, wherever it
  is, gives a case's remaining wait, as in ``mediation.selectors.matching``;
* the Treeknormen, the insurer's contracts of this year, the capacity offers with slots left for
  a week that is not over (shared by every insurer: the remaining slots are the provider's).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, FloatField, OuterRef, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Organisation
from finance.models import Contract
from mediation.assignment import AssignmentCase
from mediation.assignment_models import AssignmentProposal, AssignmentRun
from mediation.matching import CapacitySlotOffer, Need, Supply, remaining_wait_days
from mediation.models import Case, CaseStatus, Offer, OfferStatus, mediation_settings_for
from mediation.selectors.matching import _classes_parser
from providers.geography.postcodes import normalise_pc4
from providers.models import (
    CapacityOffer,
    Norm,
    PostcodeArea,
    Specialism,
    Treatment,
    WaitingTimeKind,
    WaitingTimeSeries,
)
from providers.waiting_times import rules

# Cases that can take part: open, and no open offer waiting for the patient's answer.
ASSIGNABLE_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS)


def assignable_cases(*, insurer: Organisation) -> QuerySet[Case]:
    open_offer = Offer.objects.filter(case_id=OuterRef("pk"), status=OfferStatus.OPEN)
    return Case.objects.filter(insurer=insurer, status__in=ASSIGNABLE_STATUSES).exclude(
        Exists(open_offer)
    )


def assignment_specialisms(*, insurer: Organisation, codes: list[str] | None) -> list[Specialism]:
    """The specialisms a run covers: those named (all of them, even without open cases), or
    every specialism with assignable cases of the insurer."""
    if codes:
        return list(Specialism.objects.filter(code__in=codes).order_by("code"))
    ids = assignable_cases(insurer=insurer).values("specialism_id")
    return list(Specialism.objects.filter(pk__in=ids).order_by("code"))


def _points(postcodes: set[str]) -> dict[str, tuple[float, float]]:
    pc4s = {}
    for postcode in postcodes:
        # A malformed postcode has no point, like an unknown one.
        with contextlib.suppress(ValidationError):
            pc4s[postcode] = normalise_pc4(postcode)
    found = {
        pc4: (float(lat), float(lon))
        for pc4, lat, lon in PostcodeArea.objects.filter(pk__in=set(pc4s.values())).values_list(
            "pc4", "latitude", "longitude"
        )
    }
    return {postcode: found[pc4] for postcode, pc4 in pc4s.items() if pc4 in found}


def assignment_input_for(
    *, insurer: Organisation, specialism: Specialism, today: date
) -> tuple[list[AssignmentCase], list[Supply], dict[int, str]]:
    """The cases (oldest first) and the supply of one specialism for the insurer's run, and the
    case references by id. A case whose postcode has no known point cannot be matched (no
    distance) and is left out, as single-case matching shows it no candidates."""
    cases = list(
        assignable_cases(insurer=insurer)
        .filter(specialism=specialism)
        .select_related("treatment")
        .order_by("submitted_at", "id")
    )
    if not cases:
        return [], [], {}
    parse = _classes_parser()
    stale_before = rules.stale_before(today=today)
    treatments = {
        pk: (code, setting)
        for pk, code, setting in Treatment.objects.filter(specialism=specialism).values_list(
            "pk", "code", "setting"
        )
    }
    norms = {
        (kind, setting): max_days
        for kind, setting, max_days in Norm.objects.values_list("kind", "setting", "max_days")
    }
    contracted = set(
        Contract.objects.filter(insurer=insurer, year=today.year).values_list(
            "provider_id", flat=True
        )
    )
    capacity: dict[tuple[int, int | None, str], list[CapacitySlotOffer]] = defaultdict(list)
    offers = (
        CapacityOffer.objects.filter(specialism=specialism, location__is_active=True)
        .filter(week_start__gt=today - timedelta(days=7))
        .with_lapsed_holds(now=timezone.now())  # type: ignore[attr-defined]
        .filter(reserved_slots__lt=F("slots") + F("lapsed_holds"))
        .annotate(classes=Cast("urgency_classes", TextField()))
        .order_by("id")
        .values_list(
            "id",
            "location_id",
            "treatment_id",
            "kind",
            "week_start",
            "slots",
            "reserved_slots",
            "lapsed_holds",
            "classes",
        )
    )
    for pk, location_id, treatment_id, kind, week_start, slots, reserved, lapsed, classes in offers:
        capacity[(location_id, treatment_id, kind)].append(
            CapacitySlotOffer(
                id=pk,
                week_start=week_start,
                remaining=slots - reserved + lapsed,
                urgency_classes=parse(classes),
            )
        )

    series = (
        WaitingTimeSeries.objects.filter(specialism=specialism)
        .annotate(
            lat=Cast("location__latitude", FloatField()),
            lon=Cast("location__longitude", FloatField()),
            classes=Cast("location__accepted_urgency_classes", TextField()),
        )
        .order_by("id")
        .values_list(
            "location_id",
            "location__code",
            "location__name",
            "location__city",
            "location__provider__agb_code",
            "location__provider__name",
            "location__provider__kind",
            "location__provider_id",
            "location__is_active",
            "lat",
            "lon",
            "classes",
            "treatment_id",
            "kind",
            "current_days",
            "current_insufficient_observations",
            "current_reference_date",
        )
    )
    supply: list[Supply] = []
    # (location, treatment, kind) -> usable current figure, for the cases' remaining waits
    figures: dict[tuple[int, int | None, str], int | None] = {}
    for (
        location_id,
        code,
        name,
        city,
        agb_code,
        provider_name,
        provider_kind,
        provider_id,
        active,
        latitude,
        longitude,
        accepted,
        treatment_id,
        kind,
        days,
        insufficient,
        reference_date,
    ) in series:
        if kind != WaitingTimeKind.TREATMENT and treatment_id is not None:
            continue
        stale = reference_date is None or reference_date < stale_before
        figures[(location_id, treatment_id, kind)] = (
            None if days is None or insufficient or stale else days
        )
        if not active:
            continue
        treatment_code, setting = (
            treatments.get(treatment_id, (None, None))
            if treatment_id
            else (
                None,
                None,
            )
        )
        supply.append(
            Supply(
                location_id=location_id,
                location_code=code,
                location_name=name,
                city=city,
                provider_agb_code=agb_code,
                provider_name=provider_name,
                provider_kind=provider_kind,
                latitude=latitude,
                longitude=longitude,
                accepted_urgency_classes=parse(accepted),
                specialism_code=specialism.code,
                treatment_code=treatment_code,
                kind=kind,
                current_days=days,
                insufficient_observations=insufficient,
                reference_date=reference_date,
                stale=stale,
                norm_max_days=norms.get(rules.norm_key(kind=kind, treatment_setting=setting)),
                contracted=provider_id in contracted,
                capacity_offers=tuple(capacity.get((location_id, treatment_id, kind), ())),
            )
        )

    margin = mediation_settings_for(insurer).match_margin_days
    points = _points({case.postcode for case in cases})
    assignment_cases: list[AssignmentCase] = []
    references: dict[int, str] = {}
    for case in cases:
        point = points.get(case.postcode)
        if point is None:
            continue
        case_treatment = case.treatment_id if case.kind == WaitingTimeKind.TREATMENT else None
        setting = case.treatment.setting if case_treatment and case.treatment else None
        norm_max = norms.get(rules.norm_key(kind=case.kind, treatment_setting=setting))
        figure = figures.get((case.current_location_id, case_treatment, case.kind))
        current_wait = figure if figure is not None else norm_max
        assignment_cases.append(
            AssignmentCase(
                case_id=case.pk,
                need=Need(
                    specialism_code=specialism.code,
                    treatment_code=treatments[case_treatment][0] if case_treatment else None,
                    kind=case.kind,
                    urgency_class=case.urgency_class,
                    latitude=point[0],
                    longitude=point[1],
                    max_distance_km=float(case.max_distance_km),
                    hospital_setting_required=case.hospital_setting_required,
                    current_location_id=case.current_location_id,
                    insurer_id=case.insurer_id,
                    remaining_wait_days=remaining_wait_days(
                        today=today,
                        waiting_since=case.waiting_since,
                        expected_date=case.expected_date,
                        current_wait_days=current_wait,
                        norm_max_days=None,
                    ),
                    margin_days=margin,
                    today=today,
                    waiting_since=case.waiting_since,
                    current_wait_days=current_wait,
                ),
            )
        )
        references[case.pk] = case.reference
    return assignment_cases, supply, references


# --- Runs and proposals --------------------------------------------------------------------------
def assignment_run_list_for(*, actor: Actor) -> QuerySet[AssignmentRun]:
    """The runs of the actor's insurer (none for anyone else)."""
    if actor.organisation is None:
        return AssignmentRun.objects.none()
    return AssignmentRun.objects.filter(insurer=actor.organisation)


def assignment_proposal_list(*, run: AssignmentRun) -> QuerySet[AssignmentProposal]:
    return (
        AssignmentProposal.objects.filter(run=run)
        .select_related(
            "case", "location", "location__provider", "capacity_offer", "part__specialism"
        )
        .order_by("id")
    )
