"""Demo catch-up plans: plans in every status, with six months of progress, some on track and some
behind, for the demo providers and insurers.

* Plans of the current period run from six months ago to five months ahead, so six whole months
  of progress are reported; closed plans cover the twelve months before, fully reported; drafts
  cover the next period.
* The demo planner's hospital has an approved plan with the first demo insurer (the demo contract
  manager's), one with changes requested and a draft; the first demo insurer receives plans in
  every status from other providers, so its inbox, review page (with a second version and its
  changes) and portfolio have something to show.

Deterministic and idempotent: the seeded plans are recognised by ``created_by == "seed_demo"`` and
replaced (in bulk) on every run. The forecast is computed by ``plans.forecast`` exactly as the
services would store it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind
from core.months import month_add, month_format, month_of, month_range
from plans.forecast import LineFigures, plan_forecast
from plans.models import (
    MEASURE_KEYS,
    Plan,
    PlanLine,
    PlanProgress,
    PlanStatus,
    PlanTransition,
    PlanVersion,
)
from plans.services.progress import forecast_apply
from providers.models import Provider, ProviderKind, Specialism, WaitingTimeSeries

DEMO_CREATED_BY = "seed_demo"
PLANS_FOR_FIRST_INSURER = 21
DEFAULT_SPECIALISMS = ["0303", "0305", "0301", "0302", "0306", "0313"]

MEASURE_TEXTS = {
    "digital_care": [
        "Controles na een operatie via beeldbellen; e-consulten met huisartsen voor verwijzingen.",
        "Thuismonitoring bij hartfalen en COPD, zodat poliklinische capaciteit vrijkomt.",
    ],
    "right_place": [
        "Laagcomplexe zorg naar de buitenpolikliniek; verwijzingen zonder meerwaarde terug naar "
        "de huisarts (Zorg op de Juiste Plek).",
        "Doelmatigheidsafspraken per vakgroep; kritische toets op vervolgafspraken.",
    ],
    "cooperation": [
        "Heup- en knieoperaties (klasse 4/5) worden deels uitgevoerd bij een regionale ZBC.",
        "Regionale wachtlijstbemiddeling met de ziekenhuizen in het ROAZ-netwerk.",
    ],
    "staff": [
        "Extra OK-sessies op zaterdag met vrijwillige inzet; compensatie in hersteldagen.",
        "Geen structureel overwerk: eerst herstel van de medewerkers, dan opschalen per kwartaal.",
    ],
    "follow_up_care": [
        "Afspraken met twee VVT-organisaties over herstelbedden na orthopedische ingrepen.",
        "Revalidatieplekken gereserveerd; wijkverpleging neemt wondzorg over.",
    ],
}
REVIEW_COMMENTS = [
    "Graag per kwartaal onderbouwen hoe de extra OK-capaciteit wordt bemenst.",
    "De achterstand in urgentieklasse 3 moet eerder weg: graag het volume naar voren halen.",
    "Welke afspraken zijn er met de ZBC gemaakt over verwijzingen en nazorg?",
]


@dataclass
class _LineSpec:
    specialism: Specialism
    urgency_class: int
    backlog: int
    planned: dict[date, int]
    realised: dict[date, int] = field(default_factory=dict)


@dataclass
class _PlanSpec:
    provider: Provider
    insurer: Organisation
    start: date
    end: date
    status: str
    lines: list[_LineSpec]
    measures: dict[str, str]
    # v1 differs from the current plan when the plan went through "changes requested".
    resubmitted: bool = False
    review_comment: str = ""
    planner_label: str = "Afdeling planning (demo)"
    manager_label: str = "Contractmanager (demo)"


def _aware(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _lines(
    rng: random.Random,
    *,
    specialisms: list[Specialism],
    start: date,
    end: date,
    reported_until: date | None,
    performance: float,
) -> list[_LineSpec]:
    months = list(month_range(start, end))
    chosen = rng.sample(specialisms, k=min(len(specialisms), rng.randint(2, 4)))
    lines = []
    for specialism in sorted(chosen, key=lambda s: s.code):
        for urgency_class in sorted(rng.sample([3, 4, 5], k=rng.randint(1, 3))):
            backlog = rng.randint(4, 40) * 10
            # Plans clear their backlog a little ahead of the end of the period.
            monthly = math.ceil(backlog / (len(months) - rng.choice([0, 1, 2])))
            planned = dict.fromkeys(months, monthly)
            realised = {}
            if reported_until is not None:
                for month in month_range(start, reported_until):
                    factor = performance * rng.uniform(0.9, 1.1)
                    realised[month] = max(0, round(monthly * factor))
            lines.append(_LineSpec(specialism, urgency_class, backlog, planned, realised))
    return lines


def _plan_specs(
    rng: random.Random,
    *,
    insurers: list[Organisation],
    providers: list[Provider],
    planner_provider: Provider | None,
    specialisms_of: dict[int, list[Specialism]],
    today: date,
) -> list[_PlanSpec]:
    current = month_of(today)
    start = month_add(current, -6)
    end = month_add(start, 11)
    last_month = month_add(current, -1)
    previous = (month_add(start, -12), month_add(start, -1))
    following = (month_add(end, 1), month_add(end, 12))

    def measures() -> dict[str, str]:
        return {key: rng.choice(MEASURE_TEXTS[key]) for key in MEASURE_KEYS}

    def spec(provider, insurer, status, *, performance=1.05, resubmitted=False) -> _PlanSpec:
        period = {
            PlanStatus.CLOSED: previous,
            PlanStatus.DRAFT: following,
        }.get(status, (start, end))
        reported_until = {
            PlanStatus.CLOSED: previous[1],
            PlanStatus.DRAFT: None,
        }.get(status, last_month)
        return _PlanSpec(
            provider=provider,
            insurer=insurer,
            start=period[0],
            end=period[1],
            status=status,
            lines=_lines(
                rng,
                specialisms=specialisms_of[provider.pk],
                start=period[0],
                end=period[1],
                reported_until=reported_until,
                performance=performance,
            ),
            measures=measures(),
            resubmitted=resubmitted,
            review_comment=rng.choice(REVIEW_COMMENTS),
            # The demo logins (portal.demo.accounts) act for the planner's hospital and the first
            # insurer.
            planner_label=(
                "Pieter Jansen (demo)"
                if provider == planner_provider
                else "Afdeling planning (demo)"
            ),
            manager_label=(
                "Joost van Dijk (demo)" if insurer == insurers[0] else "Contractmanager (demo)"
            ),
        )

    specs: list[_PlanSpec] = []
    first, others = insurers[0], insurers[1:]
    if planner_provider is not None:
        specs.append(spec(planner_provider, first, PlanStatus.APPROVED, performance=1.05))
        if others:
            specs.append(spec(planner_provider, others[0], PlanStatus.CHANGES_REQUESTED))
        specs.append(spec(planner_provider, first, PlanStatus.DRAFT))

    # (status, performance, resubmitted): every status, on track (≥ 1.0) and behind (< 0.9).
    cycle = [
        (PlanStatus.SUBMITTED, 1.05, False),
        (PlanStatus.APPROVED, 1.08, False),
        (PlanStatus.APPROVED, 0.7, False),
        (PlanStatus.SUBMITTED, 0.75, True),
        (PlanStatus.CHANGES_REQUESTED, 0.95, False),
        (PlanStatus.CLOSED, 1.02, False),
        (PlanStatus.APPROVED, 0.85, True),
    ]
    candidates = [p for p in providers if p != planner_provider][:PLANS_FOR_FIRST_INSURER]
    for index, provider in enumerate(candidates):
        status, performance, resubmitted = cycle[index % len(cycle)]
        specs.append(
            spec(provider, first, status, performance=performance, resubmitted=resubmitted)
        )
        if others and index % 3 == 0:
            other_status, other_performance, _resubmitted = cycle[(index + 3) % len(cycle)]
            specs.append(
                spec(
                    provider,
                    others[index % len(others)],
                    other_status,
                    performance=other_performance,
                )
            )
    return specs


def _snapshot(spec: _PlanSpec, *, earlier: bool) -> dict:
    """The submitted snapshot; the earlier version of a resubmitted plan had less backlog on its
    first line and another staff text (what the reviewer then sees as changed)."""
    lines = []
    for index, line in enumerate(spec.lines):
        backlog = line.backlog
        planned = {month_format(m): v for m, v in sorted(line.planned.items())}
        if earlier and index == 0:
            backlog = max(0, backlog - 40)
            planned = {key: max(0, volume - 3) for key, volume in planned.items()}
        lines.append(
            {
                "specialism": line.specialism.code,
                "urgency_class": line.urgency_class,
                "backlog": backlog,
                "planned": {key: volume for key, volume in planned.items() if volume},
            }
        )
    measures = dict(spec.measures)
    if earlier:
        measures["staff"] = "Inzet van extra personeel wordt nog uitgewerkt."
    return {
        "insurer": spec.insurer.uzovi,
        "period_start": month_format(spec.start),
        "period_end": month_format(spec.end),
        "measures": measures,
        "lines": lines,
    }


@transaction.atomic
def seed_demo_plans(
    *, rng: random.Random, insurers: list[Organisation], providers: list[Provider], today: date
) -> int:
    """Replace the seeded demo plans; returns how many there are."""
    rng = random.Random(rng.randrange(2**32))  # noqa: S311 - demo data, not secrets
    insurers = sorted(insurers, key=lambda org: org.uzovi or "")
    providers = sorted(
        (
            p
            for p in providers
            if p.kind in (ProviderKind.HOSPITAL, ProviderKind.UMC, ProviderKind.ZBC)
        ),
        key=lambda p: (p.kind == ProviderKind.ZBC, p.agb_code),
    )
    if not insurers or not providers:
        return 0
    planner_provider = (
        Organisation.objects.filter(
            kind=OrganisationKind.PROVIDER,
            is_demo=True,
            provider__kind=ProviderKind.HOSPITAL,
            provider__in=providers,
        )
        .order_by("provider__agb_code")
        .values_list("provider", flat=True)
        .first()
    )
    by_code = {s.code: s for s in Specialism.objects.filter(is_active=True)}
    reported: dict[int, set[str]] = {}
    for provider_id, code in (
        WaitingTimeSeries.objects.filter(location__provider__in=providers)
        .values_list("location__provider_id", "specialism__code")
        .distinct()
    ):
        reported.setdefault(provider_id, set()).add(code)
    specialisms_of = {
        p.pk: [
            by_code[c] for c in sorted(reported.get(p.pk) or DEFAULT_SPECIALISMS) if c in by_code
        ]
        for p in providers
    }
    specs = _plan_specs(
        rng,
        insurers=insurers,
        providers=providers,
        planner_provider=next((p for p in providers if p.pk == planner_provider), None),
        specialisms_of=specialisms_of,
        today=today,
    )

    Plan.objects.filter(created_by=DEMO_CREATED_BY).delete()
    plans, lines_of = [], []
    for spec in specs:
        plan = Plan(
            provider=spec.provider,
            insurer=spec.insurer,
            period_start=spec.start,
            period_end=spec.end,
            status=spec.status,
            created_by=DEMO_CREATED_BY,
            created_at=_aware(spec.start - timedelta(days=60)),
            updated_at=_aware(today - timedelta(days=rng.randint(1, 20))),
            **spec.measures,
        )
        lines = [
            PlanLine(
                specialism=line.specialism,
                urgency_class=line.urgency_class,
                backlog=line.backlog,
                planned={month_format(m): v for m, v in sorted(line.planned.items()) if v},
            )
            for line in spec.lines
        ]
        forecast = plan_forecast(
            lines=[LineFigures(ln.backlog, ln.planned, ln.realised) for ln in spec.lines],
            period_start=spec.start,
            period_end=spec.end,
        )
        forecast_apply(plan=plan, lines=lines, forecast=forecast)
        plans.append(plan)
        lines_of.append(lines)
    Plan.objects.bulk_create(plans)

    all_lines: list[PlanLine] = []
    progress: list[PlanProgress] = []
    transitions: list[PlanTransition] = []
    versions: list[PlanVersion] = []
    for plan, spec, lines in zip(plans, specs, lines_of, strict=True):
        for line in lines:
            line.plan = plan
        all_lines.extend(lines)
        for line_spec in spec.lines:
            progress.extend(
                PlanProgress(
                    plan=plan,
                    specialism=line_spec.specialism,
                    urgency_class=line_spec.urgency_class,
                    month=month,
                    realised=realised,
                    reported_at=_aware(month_add(month, 1) + timedelta(days=5)),
                    reported_by=spec.planner_label,
                )
                for month, realised in line_spec.realised.items()
            )
        steps = _history(spec, today=today)
        version = 0
        for from_status, to_status, when, comment, by in steps:
            if to_status == PlanStatus.SUBMITTED:
                version += 1
                versions.append(
                    PlanVersion(
                        plan=plan,
                        number=version,
                        snapshot=_snapshot(spec, earlier=spec.resubmitted and version == 1),
                        submitted_at=when,
                        submitted_by=by,
                    )
                )
            transitions.append(
                PlanTransition(
                    plan=plan,
                    from_status=from_status,
                    to_status=to_status,
                    version=version,
                    comment=comment,
                    actor_label=by,
                    organisation_label=(
                        spec.insurer.name if by == spec.manager_label else spec.provider.name
                    ),
                    occurred_at=when,
                )
            )
        plan.version = version
        submitted = [when for _f, to, when, _c, _b in steps if to == PlanStatus.SUBMITTED]
        decided = [
            when
            for _f, to, when, _c, _b in steps
            if to in (PlanStatus.APPROVED, PlanStatus.CHANGES_REQUESTED)
        ]
        plan.submitted_at = submitted[-1] if submitted else None
        plan.decided_at = decided[-1] if decided else None
    Plan.objects.bulk_update(plans, ["version", "submitted_at", "decided_at"])
    PlanLine.objects.bulk_create(all_lines)
    PlanProgress.objects.bulk_create(progress, batch_size=1000)
    PlanTransition.objects.bulk_create(transitions)
    PlanVersion.objects.bulk_create(versions)
    return len(plans)


def _history(spec: _PlanSpec, *, today: date) -> list[tuple[str, str, datetime, str, str]]:
    """(from, to, when, comment, by) of the plan's lifecycle up to its status."""
    created = spec.start - timedelta(days=60)
    planner, manager = spec.planner_label, spec.manager_label
    steps: list[tuple[str, str, datetime, str, str]] = [
        ("", PlanStatus.DRAFT, _aware(created), "", planner)
    ]
    if spec.status == PlanStatus.DRAFT:
        return steps
    submitted = created + timedelta(days=14)
    steps.append((PlanStatus.DRAFT, PlanStatus.SUBMITTED, _aware(submitted), "", planner))
    if spec.resubmitted or spec.status == PlanStatus.CHANGES_REQUESTED:
        returned = submitted + timedelta(days=10)
        steps.append(
            (
                PlanStatus.SUBMITTED,
                PlanStatus.CHANGES_REQUESTED,
                _aware(returned, 14),
                spec.review_comment,
                manager,
            )
        )
        if spec.status == PlanStatus.CHANGES_REQUESTED:
            return steps
        resubmitted = (
            today - timedelta(days=3)
            if spec.status == PlanStatus.SUBMITTED
            else returned + timedelta(days=12)
        )
        steps.append(
            (
                PlanStatus.CHANGES_REQUESTED,
                PlanStatus.SUBMITTED,
                _aware(resubmitted),
                "Personele inzet uitgewerkt en volume klasse 3 naar voren gehaald.",
                planner,
            )
        )
    elif spec.status == PlanStatus.SUBMITTED:
        # Waiting in the inbox: submitted recently.
        steps[-1] = (
            PlanStatus.DRAFT,
            PlanStatus.SUBMITTED,
            _aware(today - timedelta(days=6)),
            "",
            planner,
        )
    if spec.status in (PlanStatus.APPROVED, PlanStatus.CLOSED):
        approved = steps[-1][2] + timedelta(days=9)
        steps.append((PlanStatus.SUBMITTED, PlanStatus.APPROVED, approved, "", manager))
    if spec.status == PlanStatus.CLOSED:
        closed = _aware(month_add(spec.end, 1) + timedelta(days=20))
        steps.append(
            (PlanStatus.APPROVED, PlanStatus.CLOSED, closed, "Periode afgesloten.", manager)
        )
    return steps
