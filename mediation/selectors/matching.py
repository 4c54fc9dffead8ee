"""The supply that matching sees for one case, and the case's ranked matches (DESIGN §3.3).

The rules live in the pure module :mod:`mediation.matching`; this module only reads the database,
in four indexed queries whatever the size of the country:

1. the PC4 point of the patient's postcode (primary key);
2. the current figure of every series of the case's subject and kind (``WaitingTimeSeries.
   current_*``, never the report history) at an active location inside a latitude/longitude box
   around that point, plus the series of the case's current location wherever it lies (its figure
   is the patient's remaining wait); with the location and provider, the Treeknorm of the kind
   (and treatment setting) and whether the insurer has a purchase contract with the provider
   for this year, all in the same query;
3. the capacity offers in the same box for the subject with slots left, for this week or later;
4. the insurer's mediation settings (the margin).

The box (``providers.geography.greatcircle.bounding_box``, the one the public search uses) holds
every point within the patient's distance; the exact great-circle distance is then the pure
module's rule.
Benchmark: ``benchmarks/bench_matching.py``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta

from django.db.models import Exists, F, FloatField, OuterRef, Q, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from finance.models import Contract
from mediation.matching import (
    Candidate,
    CapacitySlotOffer,
    Need,
    OfferRuleCheck,
    Supply,
    match,
    offer_rule_check,
    remaining_wait_days,
)
from mediation.models import Case, mediation_settings_for
from providers.geography.greatcircle import bounding_box
from providers.geography.points import postcode_point
from providers.models import CapacityOffer, Norm, WaitingTimeKind, WaitingTimeSeries
from providers.waiting_times import rules

_SERIES_COLUMNS = (
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
    "current_days",
    "current_insufficient_observations",
    "current_reference_date",
    "norm_max_days",
    "contracted",
    "current_origin",
)


def _classes_parser() -> Callable[[str | None], tuple[int, ...]]:
    """Urgency-class lists arrive as JSON text; the same few lists ("[1, 2, 3, 4, 5]", "[3, 4,
    5]", …) repeat on every row, so each distinct text is parsed once per call."""
    parsed: dict[str, tuple[int, ...]] = {}

    def parse(text: str | None) -> tuple[int, ...]:
        if text is None:
            return ()
        found = parsed.get(text)
        if found is None:
            found = parsed[text] = tuple(json.loads(text) or ())
        return found

    return parse


def _subject_filter(case: Case) -> Q:
    """The series (or capacity offers) of the case's subject: a treatment's for kind
    ``treatment``, else the specialism's without a treatment."""
    if case.kind == WaitingTimeKind.TREATMENT:
        return Q(kind=case.kind, treatment_id=case.treatment_id)
    return Q(kind=case.kind, specialism_id=case.specialism_id, treatment__isnull=True)


def _subject_codes(case: Case) -> tuple[str, str | None]:
    """The specialism and treatment codes of the case's subject. Every series found by
    :func:`_subject_filter` has exactly these (a treatment's series carry the treatment's
    specialism, which the case's specialism is: ``mediation.services.cases`` checks it)."""
    if case.kind == WaitingTimeKind.TREATMENT and case.treatment is not None:
        return case.specialism.code, case.treatment.code
    return case.specialism.code, None


def _norm_filter(case: Case) -> Q:
    setting = case.treatment.setting if case.treatment_id and case.treatment else None
    kind, norm_setting = rules.norm_key(kind=case.kind, treatment_setting=setting)
    return Q(kind=kind, setting=norm_setting)


def _norm_max_days(case: Case) -> int | None:
    return Norm.objects.filter(_norm_filter(case)).values_list("max_days", flat=True).first()


def _patient_point(case: Case) -> tuple[float, float] | None:
    return postcode_point(case.postcode)


def _nearby(case: Case, *, point: tuple[float, float]) -> Q:
    """Active locations in the box around the patient's point (for series and offers)."""
    lat_min, lat_max, lon_min, lon_max = bounding_box(
        latitude=point[0], longitude=point[1], radius_km=case.max_distance_km
    )
    return Q(
        location__is_active=True,
        location__latitude__range=(lat_min, lat_max),
        location__longitude__range=(lon_min, lon_max),
    )


def _capacity_by_location(
    case: Case, *, nearby: Q, today: date, parse: Callable[[str | None], tuple[int, ...]]
) -> dict[int, tuple[CapacitySlotOffer, ...]]:
    """Offers with slots left for a week that is not over yet (this week's Monday or later).
    A slot held by an offer whose time has passed is free (``CapacityHold``)."""
    offers: dict[int, list[CapacitySlotOffer]] = defaultdict(list)
    rows = (
        CapacityOffer.objects.filter(_subject_filter(case), nearby)
        .filter(week_start__gt=today - timedelta(days=7))
        .with_lapsed_holds(now=timezone.now())  # type: ignore[attr-defined]
        .filter(reserved_slots__lt=F("slots") + F("lapsed_holds"))
        .order_by("week_start", "id")
        .annotate(classes=Cast("urgency_classes", TextField()))
        .values_list(
            "id", "location_id", "week_start", "slots", "reserved_slots", "lapsed_holds", "classes"
        )
    )
    for pk, location_id, week_start, slots, reserved, lapsed, classes in rows:
        offers[location_id].append(
            CapacitySlotOffer(
                id=pk,
                week_start=week_start,
                remaining=slots - reserved + lapsed,
                urgency_classes=parse(classes),
            )
        )
    return {location_id: tuple(found) for location_id, found in offers.items()}


def _supply(case: Case, *, today: date, point: tuple[float, float]) -> list[Supply]:
    nearby = _nearby(case, point=point)
    contract = Contract.objects.filter(
        insurer_id=case.insurer_id, year=today.year, provider_id=OuterRef("location__provider_id")
    )
    norm = Norm.objects.filter(_norm_filter(case)).values("max_days")[:1]
    rows = list(
        WaitingTimeSeries.objects.filter(_subject_filter(case))
        .filter(nearby | Q(location_id=case.current_location_id))
        .annotate(
            # Floats straight from the database, as the search's reference data
            # (providers.search.snapshot) reads them: the same distances to the bit.
            lat=Cast("location__latitude", FloatField()),
            lon=Cast("location__longitude", FloatField()),
            classes=Cast("location__accepted_urgency_classes", TextField()),
            norm_max_days=Subquery(norm),
            contracted=Exists(contract),
        )
        .values_list(*_SERIES_COLUMNS)
    )
    if not rows:
        return []
    parse = _classes_parser()
    capacity = _capacity_by_location(case, nearby=nearby, today=today, parse=parse)
    specialism_code, treatment_code = _subject_codes(case)
    stale_before = rules.stale_before(today=today)
    return [
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
            specialism_code=specialism_code,
            treatment_code=treatment_code,
            kind=case.kind,
            current_days=days,
            insufficient_observations=insufficient,
            reference_date=reference_date,
            # providers.waiting_times.rules.is_stale, with its cut-off computed once.
            stale=reference_date is None or reference_date < stale_before,
            norm_max_days=norm_max_days,
            contracted=contracted,
            capacity_offers=capacity.get(location_id, ()),
            source=origin,
        )
        for (
            location_id,
            code,
            name,
            city,
            agb_code,
            provider_name,
            provider_kind,
            latitude,
            longitude,
            accepted,
            days,
            insufficient,
            reference_date,
            norm_max_days,
            contracted,
            origin,
        ) in rows
    ]


def match_supply_for(*, case: Case, today: date) -> list[Supply]:
    """The supply rows for the case: one per location with a series of the case's subject and
    kind inside the box around the patient's PC4 point (active locations), plus the current
    location's row wherever it lies. Capacity offers are attached for the locations in the box.
    Empty when the postcode's PC4 area is unknown (no distance can be measured)."""
    point = _patient_point(case)
    if point is None:
        return []
    return _supply(case, today=today, point=point)


def _usable_days(
    *, days: int | None, insufficient: bool, reference_date: date | None, today: date
) -> int | None:
    """A current figure that may stand for the patient's wait: a number, not stale."""
    if days is None or insufficient or rules.is_stale(reference_date=reference_date, today=today):
        return None
    return days


def _series_figure(*, case: Case, location_id: int, today: date) -> int | None:
    """The location's current, usable figure of the case's subject and kind (or ``None``)."""
    found = (
        WaitingTimeSeries.objects.filter(_subject_filter(case), location_id=location_id)
        .values_list("current_days", "current_insufficient_observations", "current_reference_date")
        .first()
    )
    if found is None:
        return None
    return _usable_days(days=found[0], insufficient=found[1], reference_date=found[2], today=today)


def case_current_wait_days(*, case: Case, today: date) -> int | None:
    """The current location's published wait for the case (its current, non-stale figure), or
    the Treeknorm maximum when it has none: what the patient expected to wait there, and what
    an alternative must beat when the remaining wait is unknown (DESIGN §3.3)."""
    current = _series_figure(case=case, location_id=case.current_location_id, today=today)
    return current if current is not None else _norm_max_days(case)


def case_remaining_wait_days(*, case: Case, today: date) -> int | None:
    """The patient's remaining wait (DESIGN §3.3) as of ``today``: to the expected date, else to
    ``waiting_since`` + the current location's current non-stale figure (the Treeknorm maximum
    without one); ``None`` (unknown) when that moment has passed. For core and web (offers,
    completion, the case page)."""
    return remaining_wait_days(
        today=today,
        waiting_since=case.waiting_since,
        expected_date=case.expected_date,
        current_wait_days=None
        if case.expected_date is not None
        else case_current_wait_days(case=case, today=today),
        norm_max_days=None,
    )


def _need(
    case: Case,
    *,
    today: date,
    point: tuple[float, float],
    remaining: int | None,
    current_wait: int | None,
) -> Need:
    specialism_code, treatment_code = _subject_codes(case)
    return Need(
        specialism_code=specialism_code,
        treatment_code=treatment_code,
        kind=case.kind,
        urgency_class=case.urgency_class,
        latitude=point[0],
        longitude=point[1],
        max_distance_km=float(case.max_distance_km),
        hospital_setting_required=case.hospital_setting_required,
        current_location_id=case.current_location_id,
        insurer_id=case.insurer_id,
        remaining_wait_days=remaining,
        margin_days=mediation_settings_for(case.insurer).match_margin_days,
        today=today,
        waiting_since=case.waiting_since,
        current_wait_days=current_wait,
    )


def match_need_for(*, case: Case, today: date) -> Need | None:
    """What matching looks for on behalf of the case (remaining wait and the insurer's margin
    included); ``None`` when the postcode's PC4 area is unknown."""
    point = _patient_point(case)
    if point is None:
        return None
    return _need(
        case,
        today=today,
        point=point,
        remaining=case_remaining_wait_days(case=case, today=today),
        current_wait=case_current_wait_days(case=case, today=today),
    )


def case_matches(*, case: Case, today: date) -> list[Candidate]:
    """The case's ranked candidates (rules and ranking: :mod:`mediation.matching`).

    Empty when the postcode's PC4 area is unknown (without a point no distance can be checked)
    or when no location nearby reports the case's subject and kind."""
    point = _patient_point(case)
    if point is None:
        return []
    supply = _supply(case, today=today, point=point)
    if not supply:
        return []
    # Every row is of the case's subject and kind, so the current location has at most one; the
    # remaining wait is the same as case_remaining_wait_days, without querying again.
    current = next((row for row in supply if row.location_id == case.current_location_id), None)
    current_figure = (
        None
        if current is None or current.stale or current.insufficient_observations
        else current.current_days
    )
    norm_max_days = supply[0].norm_max_days
    current_wait = current_figure if current_figure is not None else norm_max_days
    remaining = remaining_wait_days(
        today=today,
        waiting_since=case.waiting_since,
        expected_date=case.expected_date,
        current_wait_days=current_wait,
        norm_max_days=None,
    )
    return match(
        _need(case, today=today, point=point, remaining=remaining, current_wait=current_wait),
        supply,
    )


def offer_rules_for(
    *, case: Case, location_id: int, expected_days: int, distance: float | None, today: date
) -> OfferRuleCheck:
    """How an offer of ``expected_days`` at the location stands against the matching rules for
    the case (:func:`mediation.matching.offer_rule_check`): the patient's remaining wait, the
    current location's published wait, the insurer's margin, the location's current figure and
    the Treeknorm, all as of ``today``. ``distance``: the exact great-circle distance from the
    patient's PC4 point (``None`` when that area is unknown)."""
    current_wait = case_current_wait_days(case=case, today=today)
    return offer_rule_check(
        today=today,
        waiting_since=case.waiting_since,
        urgency_class=case.urgency_class,
        remaining_wait_days=remaining_wait_days(
            today=today,
            waiting_since=case.waiting_since,
            expected_date=case.expected_date,
            current_wait_days=current_wait,
            norm_max_days=None,
        ),
        current_wait_days=current_wait,
        margin_days=mediation_settings_for(case.insurer).match_margin_days,
        max_distance_km=float(case.max_distance_km),
        expected_days=expected_days,
        distance=distance,
        has_current_figure=_series_figure(case=case, location_id=location_id, today=today)
        is not None,
        norm_max_days=_norm_max_days(case),
    )
