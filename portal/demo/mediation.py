"""Demo mediation cases: about 200 fictional patients of the demo insurers, in every status, with
timelines of the last three months (DESIGN §3.3; issue 4).

The patients are invented (names from a short list, ``.invalid`` mail addresses, random policy
numbers); they wait at demo locations for what those locations report, and their offers go to
other demo locations with the same care within their travel distance. Some open offers hold a
slot of a demo capacity offer. Completed cases mostly gained 30–80 days, as the published Dutch
figures say (32–78). Cases of the demo mediator's insurer are partly assigned to ``bemiddelaar``,
and several accepted offers wait at the demo planner's hospital for a confirmed date.

Idempotent: the demo insurers' cases are removed (their reserved slots given back) and made
again. Written in bulk, without sending mail or calling the services (whose clock is "now").
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Organisation, User
from core.working_days import add_working_days, add_working_days_to_moment, is_working_day
from mediation.matching import capacity_slot_date, distance_km, rounded_km
from mediation.models import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseOutcome,
    CaseStatus,
    Channel,
    Offer,
    OfferStatus,
)
from mediation.services.cases import case_references_allocate
from providers.models import (
    CapacityHold,
    CapacityOffer,
    Location,
    ProviderKind,
    WaitingTimeKind,
    WaitingTimeSeries,
)

DEMO_CASE_COUNT = 200
DEMO_MEDIATOR = "bemiddelaar"
DEMO_PLANNER = "planner"
# How many cases end in each status (they add up to DEMO_CASE_COUNT).
STATUS_MIX = {
    CaseStatus.SUBMITTED: 24,
    CaseStatus.IN_PROGRESS: 36,
    CaseStatus.OFFERED: 30,
    CaseStatus.ACCEPTED: 18,
    CaseStatus.COMPLETED: 62,
    CaseStatus.CLOSED: 30,
}
CLOSE_OUTCOME_WEIGHTS = {
    CaseOutcome.NO_ALTERNATIVE: 30,
    CaseOutcome.RESOLVED_AT_CURRENT_PROVIDER: 25,
    CaseOutcome.WITHDRAWN: 20,
    CaseOutcome.DECLINED_BY_PATIENT: 15,
    CaseOutcome.OUT_OF_SCOPE: 10,
}
FIRST_NAMES = [
    "Anna", "Bram", "Chantal", "Daan", "Esra", "Femke", "Gerrit", "Hanneke", "Ilse", "Jeroen",
    "Karin", "Lars", "Mohamed", "Noor", "Olga", "Pieter", "Rik", "Sofie", "Tim", "Yasmina",
    "Wim", "Zeynep", "Marieke", "Kees", "Lotte", "Ruud", "Sevda", "Thijs", "Joke", "Hamid",
]  # fmt: skip
LAST_NAMES = [
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
    "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
    "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Yilmaz", "El Idrissi", "Kramer",
]  # fmt: skip
DECLINE_REASONS = [
    "Het is te ver reizen voor mij.",
    "Ik blijf liever bij mijn eigen specialist.",
    "De datum komt niet uit: ik ben dan op vakantie.",
    "Ik wil liever in een ziekenhuis geholpen worden dan in een kliniek.",
    "Mijn mantelzorger kan mij daar niet naartoe brengen.",
]
CONTACT_NOTES = [
    "Patiënt gebeld, situatie besproken.",
    "Teruggebeld; patiënt wil graag sneller geholpen worden.",
    "Voicemail ingesproken, later opnieuw gebeld.",
    "Telefonisch contact gehad; reisafstand bevestigd.",
    "",
]
CLOSE_NOTES = {
    CaseOutcome.NO_ALTERNATIVE: "Geen aanbieder binnen de reisafstand met een kortere wachttijd.",
    CaseOutcome.RESOLVED_AT_CURRENT_PROVIDER: "Huidig ziekenhuis heeft de afspraak vervroegd.",
    CaseOutcome.WITHDRAWN: "Patiënt ziet af van bemiddeling.",
    CaseOutcome.DECLINED_BY_PATIENT: "Patiënt wil de aangeboden alternatieven niet.",
    CaseOutcome.OUT_OF_SCOPE: "Zorg valt buiten de basisverzekering.",
}
_LETTERS = "ABCDEFGHJKLMNPRTVWXZ"
_UNUSED_LETTERS = {"SA", "SD", "SS"}


@dataclass(frozen=True)
class Site:
    """A demo location's current figure for one subject."""

    location: Location
    days: int


@dataclass
class DemoCase:
    case: Case
    events: list[CaseEvent] = field(default_factory=list)
    offers: list[tuple[Offer, list[CaseEvent]]] = field(default_factory=list)


def _office_moment(rng: random.Random, moment: datetime) -> datetime:
    """``moment`` moved into office hours (08:30–17:00) on a working day, not earlier."""
    local = timezone.localtime(moment)
    day = local.date()
    minutes = local.hour * 60 + local.minute
    if minutes > 17 * 60 or not is_working_day(day):
        day = add_working_days(day, 1)
        minutes = rng.randint(8 * 60 + 30, 11 * 60)
    elif minutes < 8 * 60 + 30:
        minutes = rng.randint(8 * 60 + 30, 10 * 60)
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(
        minutes=minutes
    )


def _waking_moment(rng: random.Random, moment: datetime) -> datetime:
    """``moment``, or the same morning after 07:00 when it falls in the night."""
    local = timezone.localtime(moment)
    if local.hour >= 7:
        return moment
    return local.replace(hour=rng.randint(7, 9), minute=rng.randint(0, 59))


def _days(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(days=rng.uniform(low, high))


def _pc6(rng: random.Random, pc4: str) -> str:
    while True:
        letters = rng.choice(_LETTERS) + rng.choice(_LETTERS)
        if letters not in _UNUSED_LETTERS:
            return pc4 + letters


def _subjects() -> dict[tuple[int, int | None, str], list[Site]]:
    """Current demo figures per subject (specialism, treatment, kind)."""
    subjects: dict[tuple[int, int | None, str], list[Site]] = defaultdict(list)
    series = (
        WaitingTimeSeries.objects.filter(
            location__provider__is_demo=True,
            location__is_active=True,
            current_days__isnull=False,
        )
        .select_related("location__provider")
        .order_by("location__code", "specialism_id", "treatment_id", "kind")
    )
    for row in series:
        subjects[(row.specialism_id, row.treatment_id, row.kind)].append(
            Site(location=row.location, days=row.current_days or 0)
        )
    return {key: sites for key, sites in subjects.items() if len(sites) >= 2}


def _km(a: Location, b: Location) -> float:
    return distance_km(float(a.latitude), float(a.longitude), float(b.latitude), float(b.longitude))


def _release_demo_slots(cases: list[int]) -> None:
    held = (
        Offer.objects.filter(
            case_id__in=cases,
            capacity_offer__isnull=False,
            status__in=(OfferStatus.OPEN, OfferStatus.ACCEPTED),
        )
        .values("capacity_offer_id")
        .annotate(n=Count("id"))
    )
    for row in held:
        capacity = CapacityOffer.objects.select_for_update().get(pk=row["capacity_offer_id"])
        capacity.reserved_slots = max(0, capacity.reserved_slots - row["n"])
        capacity.save(update_fields=["reserved_slots"])
    holders = [
        f"mediation.offer:{pk}"
        for pk in Offer.objects.filter(case_id__in=cases).values_list("pk", flat=True)
    ]
    CapacityHold.objects.filter(holder__in=holders).delete()


class _Builder:
    def __init__(
        self,
        *,
        rng: random.Random,
        now: datetime,
        insurers: list[Organisation],
        subjects: dict[tuple[int, int | None, str], list[Site]],
    ) -> None:
        self.rng = rng
        self.now = now
        self.today = timezone.localdate(now)
        self.insurers = insurers
        self.subjects = subjects
        self.subject_keys = sorted(subjects, key=lambda k: (k[0], k[1] or 0, k[2]))
        self.mediator = User.objects.filter(username=DEMO_MEDIATOR, is_active=True).first()
        planner = User.objects.filter(username=DEMO_PLANNER).select_related("membership").first()
        self.planner = planner
        self.planner_provider_id = (
            planner.membership.organisation.provider_id
            if planner is not None and hasattr(planner, "membership")
            else None
        )
        self.capacity = self._capacity()
        self.reserved: Counter[int] = Counter()
        self.number = 0

    def _capacity(self) -> dict[tuple[int, int, int | None, str], list[CapacityOffer]]:
        found: dict[tuple[int, int, int | None, str], list[CapacityOffer]] = defaultdict(list)
        monday = self.today - timedelta(days=self.today.weekday())
        for offer in CapacityOffer.objects.filter(
            location__provider__is_demo=True, week_start__gte=monday
        ).order_by("week_start", "pk"):
            key = (offer.location_id, offer.specialism_id, offer.treatment_id, offer.kind)
            found[key].append(offer)
        return found

    # --- people -------------------------------------------------------------------------------
    def mediator_label(self, insurer: Organisation) -> tuple[User | None, str]:
        if self.mediator is not None and self.mediator.membership.organisation_id == insurer.pk:
            return self.mediator, self.mediator.get_full_name() or self.mediator.username
        names = ["M. de Wit (demo)", "R. Ouali (demo)", "E. van Vliet (demo)"]
        return None, names[insurer.pk % len(names)]

    # --- one case -----------------------------------------------------------------------------
    def subject_for(self, status: str) -> tuple[tuple[int, int | None, str], Site, list[Site]]:
        """A subject, the patient's current site (a long wait) and the other sites."""
        rng = self.rng
        want_planner = (
            status in (CaseStatus.ACCEPTED, CaseStatus.COMPLETED)
            and self.planner_provider_id is not None
            and rng.random() < (0.7 if status == CaseStatus.ACCEPTED else 0.2)
        )
        want_capacity = (
            not want_planner
            and status in (CaseStatus.OFFERED, CaseStatus.ACCEPTED)
            and rng.random() < 0.5
        )
        for _attempt in range(40):
            key = rng.choice(self.subject_keys)
            sites = self.subjects[key]
            current = max(rng.sample(sites, min(3, len(sites))), key=lambda s: s.days)
            others = [s for s in sites if s.location.pk != current.location.pk]
            if want_planner:
                others = [s for s in others if s.location.provider_id == self.planner_provider_id]
            if want_capacity:
                others = [s for s in others if (s.location.pk, *key) in self.capacity]
            # Patients are offered care within a realistic journey.
            others = [s for s in others if _km(current.location, s.location) <= 100]
            if others:
                return key, current, others
        key = self.subject_keys[0]
        sites = self.subjects[key]
        return key, sites[0], sites[1:]

    def build(self, status: str, insurer: Organisation) -> DemoCase:
        rng = self.rng
        now = self.now
        (specialism_id, treatment_id, kind), current, others = self.subject_for(status)
        max_km = rng.choice([15, 25, 30, 40, 50, 75, 100])
        hospital_required = rng.random() < 0.1
        candidates = [
            s
            for s in others
            if not (hospital_required and s.location.provider.kind == ProviderKind.ZBC)
        ] or others
        candidates.sort(key=lambda s: (_km(current.location, s.location), s.days))
        near = [s for s in candidates if _km(current.location, s.location) <= max_km]
        if not near:
            max_km = min(300, int(_km(current.location, candidates[0].location)) + 10)
            near = candidates[:1]
        urgency = rng.choices([3, 4, 5], weights=[25, 45, 30])[0]

        # The timeline, built backwards from its last moment.
        chain = {
            CaseStatus.SUBMITTED: ["created"],
            CaseStatus.IN_PROGRESS: ["created", "contact"],
            CaseStatus.OFFERED: ["created", "contact", "offer"],
            CaseStatus.ACCEPTED: ["created", "contact", "offer", "accepted"],
            CaseStatus.COMPLETED: ["created", "contact", "offer", "accepted", "confirmed"],
            CaseStatus.CLOSED: ["created", "contact", "closed"],
        }[CaseStatus(status)]
        earlier_offer = status == CaseStatus.IN_PROGRESS and rng.random() < 0.45
        if earlier_offer:
            chain = ["created", "contact", "offer", "answered"]
        outcome = ""
        if status == CaseStatus.CLOSED:
            outcome = rng.choices(
                list(CLOSE_OUTCOME_WEIGHTS), weights=list(CLOSE_OUTCOME_WEIGHTS.values())
            )[0]
            if outcome == CaseOutcome.DECLINED_BY_PATIENT:
                chain = ["created", "contact", "offer", "answered", "closed"]
            elif outcome == CaseOutcome.WITHDRAWN and rng.random() < 0.3:
                chain = ["created", "closed"]
        end_ago = {
            CaseStatus.SUBMITTED: (0.0, 8.0),
            CaseStatus.IN_PROGRESS: (0.2, 20.0),
            CaseStatus.OFFERED: (0.05, 3.5),
            CaseStatus.ACCEPTED: (0.2, 9.0),
            CaseStatus.COMPLETED: (0.5, 80.0),
            CaseStatus.CLOSED: (0.5, 80.0),
        }[CaseStatus(status)]
        gaps = {
            "contact": (0.05, 3.5),
            "offer": (0.5, 9.0),
            "accepted": (0.1, 4.0),
            "answered": (0.2, 5.0),
            "confirmed": (0.5, 6.0),
            "closed": (1.0, 12.0),
        }
        moments: dict[str, datetime] = {}
        moment = now - _days(rng, *end_ago)
        for step in reversed(chain):
            moments[step] = moment
            if step != "created":
                moment -= _days(rng, *gaps[step])
        channel = rng.choices([Channel.WEB, Channel.PHONE, Channel.API], weights=[70, 25, 5])[0]
        # Staff work happens in office hours (a phone request too); patients answer while awake.
        staff_steps = {"contact", "offer", "confirmed", "closed"}
        if channel == Channel.PHONE:
            staff_steps.add("created")
        for step in chain:
            if step in staff_steps:
                moments[step] = min(_office_moment(rng, moments[step]), now)
            else:
                moments[step] = min(_waking_moment(rng, moments[step]), now)
        ordered = sorted(moments.values())
        for step, value in zip(chain, ordered, strict=True):
            moments[step] = value

        created = moments["created"]
        created_day = timezone.localdate(created)
        self.number += 1
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        mediator, mediator_label = self.mediator_label(insurer)
        assigned = (
            mediator
            if mediator is not None and status != CaseStatus.SUBMITTED and rng.random() < 0.6
            else None
        )
        if assigned is None and mediator is not None and status == CaseStatus.SUBMITTED:
            assigned = mediator if rng.random() < 0.2 else None
        first_offer_site = rng.choice(near[:4])
        # Mediators like a reserved slot: take a nearby site with capacity when there is one.
        with_capacity = [
            s for s in near if (s.location.pk, specialism_id, treatment_id, kind) in self.capacity
        ]
        if with_capacity and status in (CaseStatus.OFFERED, CaseStatus.ACCEPTED):
            first_offer_site = rng.choice(with_capacity[:4])
        expected_days_first = first_offer_site.days
        gain = int(rng.triangular(22, 95, 48))
        offer_day = timezone.localdate(moments.get("offer", created))
        expected_date = offer_day + timedelta(days=expected_days_first + gain)
        if "offer" not in moments:
            expected_date = created_day + timedelta(days=rng.randint(45, 160))
        case = Case(
            reference="",
            insurer=insurer,
            channel=channel,
            status=status,
            outcome=outcome,
            policy_number=f"{rng.randint(100_000_000, 999_999_999)}",
            full_name=f"{first} {last}",
            birth_date=date(rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28)),
            email=f"{first.lower()}.{self.number}@voorbeeld.invalid",
            phone=f"06{rng.randint(10_000_000, 99_999_999)}",
            postcode=_pc6(rng, current.location.postcode[:4]),
            specialism_id=specialism_id,
            treatment_id=treatment_id if kind == WaitingTimeKind.TREATMENT else None,
            kind=kind,
            urgency_class=urgency,
            current_location=current.location,
            waiting_since=created_day - timedelta(days=rng.randint(14, 120)),
            expected_date=expected_date,
            max_distance_km=max_km,
            hospital_setting_required=hospital_required,
            consent_at=created,
            access_token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
            assigned_to=assigned,
            submitted_at=created,
            first_contact_due=add_working_days(created_day, 2),
            first_contact_at=moments.get("contact"),
            created_by=mediator if channel == Channel.PHONE else None,
        )
        demo = DemoCase(case=case)
        label = mediator_label
        patient = "patient"
        demo.events.append(
            CaseEvent(
                at=created,
                actor=case.created_by,
                actor_label=label if channel == Channel.PHONE else patient,
                kind=CaseEventKind.CREATED,
                to_status=CaseStatus.SUBMITTED,
                note=str(Channel(channel).label),
            )
        )
        if assigned is not None:
            demo.events.append(
                CaseEvent(
                    at=min(created + timedelta(minutes=rng.randint(20, 600)), now),
                    actor=assigned,
                    actor_label=label,
                    kind=CaseEventKind.ASSIGNED,
                    note=label,
                )
            )
        if "contact" in moments:
            demo.events.append(
                CaseEvent(
                    at=moments["contact"],
                    actor=mediator,
                    actor_label=label,
                    kind=CaseEventKind.CONTACT_RECORDED,
                    from_status=CaseStatus.SUBMITTED,
                    to_status=CaseStatus.IN_PROGRESS,
                    note=rng.choice(CONTACT_NOTES),
                )
            )
        if "offer" in moments:
            self._offers(demo, chain, moments, near, first_offer_site, mediator, label, outcome)
        if "closed" in moments:
            case.closed_at = moments["closed"]
            withdrawn = outcome == CaseOutcome.WITHDRAWN and rng.random() < 0.5
            demo.events.append(
                CaseEvent(
                    at=moments["closed"],
                    actor=None if withdrawn else mediator,
                    actor_label=patient if withdrawn else label,
                    kind=CaseEventKind.STATUS_CHANGED,
                    from_status=self._status_before_close(demo),
                    to_status=CaseStatus.CLOSED,
                    note=f"{CaseOutcome(outcome).label} — {CLOSE_NOTES[CaseOutcome(outcome)]}",
                )
            )
        return demo

    @staticmethod
    def _status_before_close(demo: DemoCase) -> str:
        for event in reversed(demo.events):
            if event.to_status:
                return event.to_status
        return CaseStatus.SUBMITTED

    def _offers(
        self,
        demo: DemoCase,
        chain: list[str],
        moments: dict[str, datetime],
        near: list[Site],
        site: Site,
        mediator: User | None,
        label: str,
        outcome: str,
    ) -> None:
        rng = self.rng
        case = demo.case
        status = case.status
        made = moments["offer"]
        made_day = timezone.localdate(made)
        # Without an appointment the demo does not know the remaining wait: the gain is unknown.
        remaining = (case.expected_date - made_day).days if case.expected_date else None

        def make(site: Site, at: datetime, status: str) -> Offer:
            expected_days = site.days
            capacity = None
            holds_slot = case.status in (CaseStatus.OFFERED, CaseStatus.ACCEPTED)
            if holds_slot and status != OfferStatus.EXPIRED and rng.random() < 0.7:
                capacity = self._reserve(case, site.location, made_day)
                slot_date = (
                    None
                    if capacity is None
                    else capacity_slot_date(capacity.week_start, today=made_day)
                )
                if capacity is not None and slot_date is not None:
                    expected_days = (slot_date - made_day).days
            return Offer(
                location=site.location,
                capacity_offer=capacity,
                expected_days=expected_days,
                expected_date=made_day + timedelta(days=expected_days),
                distance_km=rounded_km(_km(case.current_location, site.location)),
                days_gained=None if remaining is None else remaining - expected_days,
                status=status,
                expires_at=add_working_days_to_moment(timezone.localtime(at), 5),
                made_by=mediator,
                made_at=at,
                note="",
            )

        main_status = {
            CaseStatus.OFFERED: OfferStatus.OPEN,
            CaseStatus.ACCEPTED: OfferStatus.ACCEPTED,
            CaseStatus.COMPLETED: OfferStatus.ACCEPTED,
        }.get(CaseStatus(status))
        answered_declined = "answered" in chain and (
            outcome == CaseOutcome.DECLINED_BY_PATIENT or rng.random() < 0.6
        )
        if main_status is None:
            main_status = OfferStatus.DECLINED if answered_declined else OfferStatus.EXPIRED
        offer = make(site, made, main_status)
        if main_status == OfferStatus.EXPIRED and offer.expires_at > self.now:
            # Not expired yet by now: this patient answered in time, with a no.
            main_status = offer.status = OfferStatus.DECLINED
        events = [
            CaseEvent(
                at=made,
                actor=mediator,
                actor_label=label,
                kind=CaseEventKind.OFFER_MADE,
                from_status=CaseStatus.IN_PROGRESS,
                to_status=CaseStatus.OFFERED,
                note=f"{site.location.name}, verwacht {offer.expected_date.isoformat()}",
            )
        ]
        demo.offers.append((offer, events))
        second_site = next((s for s in near if s.location.pk != site.location.pk), None)
        if status == CaseStatus.OFFERED and second_site is not None and rng.random() < 0.3:
            second_at = min(made + timedelta(minutes=rng.randint(5, 90)), self.now)
            demo.offers.append(
                (
                    make(second_site, second_at, OfferStatus.OPEN),
                    [
                        CaseEvent(
                            at=second_at,
                            actor=mediator,
                            actor_label=label,
                            kind=CaseEventKind.OFFER_MADE,
                            note=f"{second_site.location.name}",
                        )
                    ],
                )
            )
        if main_status == OfferStatus.ACCEPTED:
            accepted = moments["accepted"]
            offer.responded_at = accepted
            events.append(
                CaseEvent(
                    at=accepted,
                    actor_label="patient",
                    kind=CaseEventKind.OFFER_ACCEPTED,
                    from_status=CaseStatus.OFFERED,
                    to_status=CaseStatus.ACCEPTED,
                    note=site.location.name,
                )
            )
        if "answered" in chain:
            answered = moments["answered"]
            if main_status == OfferStatus.DECLINED:
                offer.responded_at = answered
                offer.decline_reason = rng.choice(DECLINE_REASONS)
                events.append(
                    CaseEvent(
                        at=answered,
                        actor_label="patient",
                        kind=CaseEventKind.OFFER_DECLINED,
                        note=offer.decline_reason,
                    )
                )
                back_label = "patient"
            else:
                # Expired: the beat task ran when the offer's time was up.
                answered = max(answered, offer.expires_at)
                if answered > self.now:
                    answered = self.now
                events.append(
                    CaseEvent(
                        at=answered,
                        actor_label="system",
                        kind=CaseEventKind.OFFER_EXPIRED,
                        note=site.location.name,
                    )
                )
                back_label = "system"
            events.append(
                CaseEvent(
                    at=answered,
                    actor_label=back_label,
                    kind=CaseEventKind.STATUS_CHANGED,
                    from_status=CaseStatus.OFFERED,
                    to_status=CaseStatus.IN_PROGRESS,
                )
            )
        if "confirmed" in moments:
            confirmed = moments["confirmed"]
            confirmed_day = timezone.localdate(confirmed)
            # The new date: about the wait the location reported, and before the old one.
            wait = max(3, offer.expected_days + rng.randint(-5, 8))
            appointment = confirmed_day + timedelta(days=wait)
            gained = (case.expected_date - appointment).days if case.expected_date else None
            offer.appointment_date = appointment
            offer.confirmed_at = confirmed
            planner_here = (
                self.planner is not None and site.location.provider_id == self.planner_provider_id
            )
            offer.confirmed_by = self.planner if planner_here else None
            planner_label = (
                self.planner.get_full_name() if planner_here and self.planner else ""
            ) or "Planning (demo)"
            case.outcome = CaseOutcome.PLACED
            case.completed_at = confirmed
            case.appointment_date = appointment
            case.days_gained = gained
            events.append(
                CaseEvent(
                    at=confirmed,
                    actor=offer.confirmed_by,
                    actor_label=f"{planner_label} ({site.location.provider.name})",
                    kind=CaseEventKind.APPOINTMENT_CONFIRMED,
                    from_status=CaseStatus.ACCEPTED,
                    to_status=CaseStatus.COMPLETED,
                    note=f"Afspraak op {appointment.isoformat()} bij {site.location.name}; "
                    + (f"{gained} dagen eerder." if gained is not None else "winst onbekend."),
                )
            )

    def _reserve(self, case: Case, location: Location, day: date) -> CapacityOffer | None:
        key = (location.pk, case.specialism_id, case.treatment_id, case.kind)
        for capacity in self.capacity.get(key, []):
            if capacity_slot_date(capacity.week_start, today=day) is None:
                continue
            if case.urgency_class not in (capacity.urgency_classes or []):
                continue
            if capacity.slots - capacity.reserved_slots - self.reserved[capacity.pk] <= 0:
                continue
            self.reserved[capacity.pk] += 1
            return capacity
        return None


@transaction.atomic
def seed_demo_cases(
    *,
    rng: random.Random,
    today: date,
    insurers: list[Organisation],
    now: datetime | None = None,
) -> int:
    """Replace the demo insurers' cases with about 200 fresh ones; return how many were made."""
    now = now or timezone.now()
    if timezone.localdate(now) != today:
        now = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(
            hours=15
        )
    old = list(Case.objects.filter(insurer__in=insurers).values_list("pk", flat=True))
    _release_demo_slots(old)
    Case.objects.filter(pk__in=old).delete()
    subjects = _subjects()
    if not insurers or not subjects:
        return 0

    builder = _Builder(rng=rng, now=now, insurers=insurers, subjects=subjects)
    weights = [2] + [1] * (len(insurers) - 1)
    demos: list[DemoCase] = []
    for status, count in STATUS_MIX.items():
        for _ in range(count):
            insurer = rng.choices(insurers, weights=weights)[0]
            demos.append(builder.build(status, insurer))

    demos.sort(key=lambda d: d.case.submitted_at)
    by_year: dict[int, list[DemoCase]] = defaultdict(list)
    for demo in demos:
        by_year[timezone.localdate(demo.case.submitted_at).year].append(demo)
    for year, group in sorted(by_year.items()):
        for demo, reference in zip(
            group, case_references_allocate(year=year, count=len(group)), strict=True
        ):
            demo.case.reference = reference

    Case.objects.bulk_create([demo.case for demo in demos], batch_size=500)
    offers: list[Offer] = []
    for demo in demos:
        for offer, _events in demo.offers:
            offer.case = demo.case
            offers.append(offer)
    Offer.objects.bulk_create(offers, batch_size=500)
    CapacityHold.objects.bulk_create(
        [
            CapacityHold(
                capacity_offer_id=offer.capacity_offer_id,
                holder=offer.hold_key,
                until=offer.expires_at if offer.status == OfferStatus.OPEN else None,
            )
            for offer in offers
            if offer.capacity_offer_id and offer.status in (OfferStatus.OPEN, OfferStatus.ACCEPTED)
        ],
        batch_size=500,
    )
    events: list[CaseEvent] = []
    for demo in demos:
        for event in demo.events:
            event.case = demo.case
            events.append(event)
        for offer, offer_events in demo.offers:
            for event in offer_events:
                event.case = demo.case
                if event.kind != CaseEventKind.STATUS_CHANGED:
                    event.offer = offer
                events.append(event)
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    for capacity_pk, count in builder.reserved.items():
        capacity = CapacityOffer.objects.select_for_update().get(pk=capacity_pk)
        capacity.reserved_slots = min(capacity.slots, capacity.reserved_slots + count)
        capacity.save(update_fields=["reserved_slots"])
    return len(demos)
