"""Offers: making one (with or without a capacity slot), the patient's answer, expiry, and the
receiving provider's confirmation (days gained, volume transfer)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from accounts.actors import actor_for_user
from accounts.models import AuditEvent, Role
from core.errors import ApplicationError
from finance.models import VolumeTransfer
from mediation.models import CaseNotification, CaseStatus, MediationSettings, OfferStatus
from mediation.services.offers import (
    appointment_confirm,
    offer_accept,
    offer_decline,
    offer_expire_due,
    offer_make,
    offer_remind_expiring,
)
from tests.accounts.factories import ProviderOrganisationFactory, member
from tests.mediation.factories import (
    CapacityOfferFactory,
    CaseFactory,
    OfferFactory,
    current_figure_for,
    offerable_location,
)
from tests.providers.factories import (
    LocationFactory,
    ProviderFactory,
    TreatmentFactory,
    WaitingTimeSeriesFactory,
)

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def case(insurer):
    return CaseFactory(
        insurer=insurer, status=CaseStatus.IN_PROGRESS, first_contact_at=timezone.now()
    )


@pytest.fixture
def actor(mediator):
    return actor_for_user(mediator)


def amersfoort(case, **kwargs):
    """About 20 km from the patient, with a current figure for the case's care."""
    return offerable_location(case, **kwargs)


# --- Making an offer ------------------------------------------------------------------------
def test_offer_with_an_expected_wait(case, actor, mediator, django_capture_on_commit_callbacks):
    location = amersfoort(case)
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=AMS)
    with django_capture_on_commit_callbacks(execute=True):
        offer = offer_make(
            case=case,
            actor=actor,
            location=location,
            expected_days=20,
            note="Belt zelf",
            now=monday,
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.OFFERED
    assert offer.status == OfferStatus.OPEN
    assert offer.expected_date == monday.date() + timedelta(days=20)
    # The factory's patient has an appointment 90 days from the real today.
    remaining = (case.expected_date - monday.date()).days
    assert offer.days_gained == remaining - 20
    # Five working days later, at the same time.
    assert offer.expires_at == datetime(2026, 3, 9, 10, 0, tzinfo=AMS)
    assert offer.made_by == mediator and offer.capacity_offer is None
    # 3511 Utrecht → Amersfoort: about 20 km.
    assert Decimal("15") < offer.distance_km < Decimal("25")
    event = case.events.get()
    assert (event.kind, event.from_status, event.to_status, event.offer) == (
        "offer_made",
        "in_progress",
        "offered",
        offer,
    )
    assert "Belt zelf" in event.note
    assert AuditEvent.objects.filter(
        case_reference=case.reference, detail__operation="offer_make"
    ).exists()
    [message] = mail.outbox
    assert message.to == [case.email] and case.reference in message.subject
    assert location.name in message.body


def test_days_gained_uses_the_current_location_figure_without_an_expected_date(insurer, actor):
    today = timezone.localdate()
    case = CaseFactory(
        insurer=insurer,
        status=CaseStatus.IN_PROGRESS,
        expected_date=None,
        waiting_since=today - timedelta(days=30),
    )
    WaitingTimeSeriesFactory(
        location=case.current_location, specialism=case.specialism, current_days=100
    )
    offer = offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=10)
    # Remaining wait: 30 days ago + 100 days = 70 days from today; 70 - 10 = 60.
    assert offer.days_gained == 60


def test_an_offer_on_a_submitted_case_passes_through_in_progress(insurer, actor):
    case = CaseFactory(insurer=insurer)
    offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=10)
    case.refresh_from_db()
    assert case.status == CaseStatus.OFFERED
    assert case.first_contact_at is not None
    assert [(e.kind, e.from_status, e.to_status) for e in case.events.all()] == [
        ("status_changed", "submitted", "in_progress"),
        ("offer_made", "in_progress", "offered"),
    ]


def test_a_second_offer_keeps_the_case_offered(case, actor):
    offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=10)
    offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=12)
    case.refresh_from_db()
    assert case.status == CaseStatus.OFFERED
    assert case.offers.filter(status=OfferStatus.OPEN).count() == 2
    assert [e.to_status for e in case.events.all()] == ["offered", ""]


def test_location_rules(case, actor):
    zbc = amersfoort(case, provider=ProviderFactory(kind="zbc"))
    scaled_down = amersfoort(case, accepted_urgency_classes=[1, 2, 3])
    closed = amersfoort(case, is_active=False)
    refusals = [
        (case.current_location, "already waits"),
        (closed, "Unknown location"),
        ("99999999", "Unknown location"),
        (scaled_down, "urgency class 4"),
    ]
    for location, message in refusals:
        with pytest.raises(ValidationError) as exc_info:
            offer_make(case=case, actor=actor, location=location, expected_days=10)
        assert message in exc_info.value.message_dict["location"][0], location
    # A ZBC is fine unless a hospital setting is required.
    offer_make(case=case, actor=actor, location=zbc, expected_days=10)
    case.hospital_setting_required = True
    case.save()
    with pytest.raises(ValidationError) as exc_info:
        offer_make(
            case=case,
            actor=actor,
            location=amersfoort(case, provider=zbc.provider),
            expected_days=10,
        )
    assert "ZBC" in exc_info.value.message_dict["location"][0]
    # One open offer per location.
    location = amersfoort(case)
    offer_make(case=case, actor=actor, location=location.code, expected_days=10)
    with pytest.raises(ValidationError):
        offer_make(case=case, actor=actor, location=location, expected_days=10)


@pytest.mark.parametrize("expected_days", [None, -1, 3 * 365 + 1, "10", True])
def test_expected_days_are_required_and_plausible(case, actor, expected_days):
    with pytest.raises(ValidationError) as exc_info:
        offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=expected_days)
    assert "expected_days" in exc_info.value.message_dict
    assert not case.offers.exists()


def test_offers_are_made_by_mediators_of_the_case_insurer(case, other_insurer, planner):
    for user in (planner, member(Role.MEDIATOR, other_insurer)):
        with pytest.raises(PermissionDenied):
            offer_make(
                case=case, actor=actor_for_user(user), location=amersfoort(case), expected_days=5
            )


# --- Capacity slots ---------------------------------------------------------------------------
def test_a_capacity_offer_reserves_one_slot_and_gives_the_date(insurer, actor):
    wednesday = date(2026, 3, 4)
    case, location = case_on(insurer, wednesday)
    capacity = CapacityOfferFactory(
        specialism=case.specialism, location=location, slots=2, week_start=date(2026, 3, 9)
    )
    offer = offer_make(
        case=case,
        actor=actor,
        location=capacity.location,
        capacity_offer=capacity.pk,
        expected_days=99,
        now=at_ten(wednesday),
    )
    capacity.refresh_from_db()
    assert capacity.reserved_slots == 1
    assert offer.capacity_offer == capacity
    assert offer.expected_date == capacity.week_start
    assert offer.expected_days == 5


def case_on(insurer, day: date, **values):
    """A case in progress as of ``day`` (waiting 20 days, an appointment in 90), with a current
    figure of its care at Amersfoort reported that day; returns (case, location)."""
    values = {
        "waiting_since": day - timedelta(days=20),
        "expected_date": day + timedelta(days=90),
        **values,
    }
    case = CaseFactory(
        insurer=insurer, status=CaseStatus.IN_PROGRESS, first_contact_at=timezone.now(), **values
    )
    location = amersfoort(case)
    location.series.update(current_reference_date=day)
    return case, location


def at_ten(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=AMS)


@pytest.mark.parametrize(
    ("today", "week_start", "slot"),
    [
        # An ordinary week, from the Wednesday before: its Monday.
        (date(2026, 3, 4), date(2026, 3, 9), date(2026, 3, 9)),
        # This week, seen on its Wednesday: today, not the Monday behind us.
        (date(2026, 11, 25), date(2026, 11, 23), date(2026, 11, 25)),
        # Today is Sunday: the next week's Monday, tomorrow.
        (date(2026, 11, 29), date(2026, 11, 30), date(2026, 11, 30)),
        # Easter Monday 6 April 2026: the Tuesday.
        (date(2026, 4, 2), date(2026, 4, 6), date(2026, 4, 7)),
        # Whit Monday 25 May 2026: the Tuesday.
        (date(2026, 5, 20), date(2026, 5, 25), date(2026, 5, 26)),
        # King's Day, Monday 27 April 2026: the Tuesday.
        (date(2026, 4, 24), date(2026, 4, 27), date(2026, 4, 28)),
        # Christmas 2028 on Monday and Tuesday: the Wednesday.
        (date(2028, 12, 20), date(2028, 12, 25), date(2028, 12, 27)),
    ],
    ids=["monday", "this-week", "sunday-today", "easter", "whit", "kings-day", "christmas"],
)
def test_a_slot_is_dated_on_the_first_working_day_of_its_week(
    insurer, actor, today, week_start, slot
):
    case, location = case_on(insurer, today)
    capacity = CapacityOfferFactory(
        specialism=case.specialism, location=location, week_start=week_start
    )
    offer = offer_make(
        case=case, actor=actor, location=location, capacity_offer=capacity, now=at_ten(today)
    )
    assert (offer.expected_date, offer.expected_days) == (slot, (slot - today).days)
    assert offer.overridden_rules == []


@pytest.mark.parametrize(
    ("today", "week_start"),
    [
        (date(2026, 11, 29), date(2026, 11, 23)),  # the week ends today (Sunday)
        (date(2026, 11, 28), date(2026, 11, 23)),  # only the weekend is left
        (date(2026, 12, 25), date(2026, 12, 21)),  # Christmas Day, then the weekend
        (date(2026, 11, 25), date(2026, 11, 9)),  # a week that is over
    ],
    ids=["week-ends-today", "weekend-left", "christmas-day", "past-week"],
)
def test_a_week_without_a_working_day_left_is_refused(insurer, actor, today, week_start):
    case, location = case_on(insurer, today)
    capacity = CapacityOfferFactory(
        specialism=case.specialism, location=location, week_start=week_start
    )
    with pytest.raises(ApplicationError) as exc_info:
        offer_make(
            case=case, actor=actor, location=location, capacity_offer=capacity, now=at_ten(today)
        )
    assert exc_info.value.field == "capacity_offer"
    assert "no working day left" in exc_info.value.message
    capacity.refresh_from_db()
    assert capacity.reserved_slots == 0


def test_no_slot_is_given_when_none_remain(case, actor):
    capacity = CapacityOfferFactory(
        specialism=case.specialism, location=amersfoort(case), slots=1, reserved_slots=1
    )
    with pytest.raises(ApplicationError) as exc_info:
        offer_make(case=case, actor=actor, location=capacity.location, capacity_offer=capacity)
    assert exc_info.value.field == "capacity_offer"
    assert "No slots are left" in exc_info.value.message
    capacity.refresh_from_db()
    assert capacity.reserved_slots == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and not case.offers.exists()


def test_a_capacity_offer_must_fit_the_case(case, actor):
    location = amersfoort(case)
    treatment = TreatmentFactory(specialism=case.specialism)
    misfits = [
        (
            CapacityOfferFactory(specialism=case.specialism, location=amersfoort(case)),
            "another location",
        ),
        (CapacityOfferFactory(location=location), "another specialism"),
        (
            CapacityOfferFactory(specialism=case.specialism, location=location, kind="diagnostics"),
            "another kind",
        ),
        (
            CapacityOfferFactory(
                specialism=case.specialism, location=location, treatment=treatment
            ),
            "another kind",
        ),
        (
            CapacityOfferFactory(
                specialism=case.specialism, location=location, urgency_classes=[3]
            ),
            "urgency class 4",
        ),
    ]
    for capacity, message in misfits:
        with pytest.raises(ApplicationError) as exc_info:
            offer_make(case=case, actor=actor, location=location, capacity_offer=capacity)
        assert message in exc_info.value.message, message
        capacity.refresh_from_db()
        assert capacity.reserved_slots == 0
    with pytest.raises(ValidationError):
        offer_make(case=case, actor=actor, location=location, capacity_offer=10**9)


def test_a_treatment_case_takes_a_slot_of_its_treatment_only(insurer, actor):
    treatment = TreatmentFactory()
    other = TreatmentFactory(specialism=treatment.specialism)
    case = CaseFactory(
        insurer=insurer,
        status=CaseStatus.IN_PROGRESS,
        specialism=treatment.specialism,
        treatment=treatment,
        kind="treatment",
    )
    location = amersfoort(case)
    wrong = CapacityOfferFactory(
        specialism=treatment.specialism, treatment=other, location=location
    )
    with pytest.raises(ApplicationError):
        offer_make(case=case, actor=actor, location=location, capacity_offer=wrong)
    right = CapacityOfferFactory(
        specialism=treatment.specialism, treatment=treatment, location=location
    )
    offer_make(case=case, actor=actor, location=location, capacity_offer=right)
    right.refresh_from_db()
    assert right.reserved_slots == 1


# --- The patient's answer ---------------------------------------------------------------------
def test_accepting_withdraws_the_other_offers_and_releases_their_slots(case, actor):
    first = CapacityOfferFactory(specialism=case.specialism, location=amersfoort(case))
    second = CapacityOfferFactory(specialism=case.specialism, location=amersfoort(case))
    chosen = offer_make(case=case, actor=actor, location=first.location, capacity_offer=first)
    other = offer_make(case=case, actor=actor, location=second.location, capacity_offer=second)
    offer_accept(case=case, offer=chosen)
    case.refresh_from_db()
    chosen.refresh_from_db()
    other.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    assert (chosen.status, other.status) == (OfferStatus.ACCEPTED, OfferStatus.WITHDRAWN)
    assert chosen.responded_at is not None
    assert (first.reserved_slots, second.reserved_slots) == (1, 0)
    event = case.events.last()
    assert (event.kind, event.actor_label, event.to_status, event.offer) == (
        "offer_accepted",
        "patient",
        "accepted",
        chosen,
    )


def test_only_an_open_unexpired_offer_of_the_case_is_accepted(case, actor, insurer):
    offer = offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=5)
    with pytest.raises(ApplicationError):
        offer_accept(case=case, offer=offer, now=offer.expires_at)
    foreign = OfferFactory(case=CaseFactory(insurer=insurer, status=CaseStatus.OFFERED))
    with pytest.raises(ApplicationError):
        offer_accept(case=case, offer=foreign)
    offer_decline(case=case, offer=offer, reason="Te ver")
    with pytest.raises(ApplicationError):
        offer_accept(case=case, offer=offer)


def test_declining_with_a_reason_releases_the_slot(
    case, actor, mediator, django_capture_on_commit_callbacks
):
    case.assigned_to = mediator
    case.save()
    capacity = CapacityOfferFactory(specialism=case.specialism, location=amersfoort(case))
    offer = offer_make(case=case, actor=actor, location=capacity.location, capacity_offer=capacity)
    other = offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=30)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        offer_decline(case=case, offer=offer, reason="Ik wil niet zo ver reizen")
    offer.refresh_from_db()
    capacity.refresh_from_db()
    case.refresh_from_db()
    assert (offer.status, offer.decline_reason) == (
        OfferStatus.DECLINED,
        "Ik wil niet zo ver reizen",
    )
    assert capacity.reserved_slots == 0
    assert case.status == CaseStatus.OFFERED  # another offer is still open
    assert [m.to for m in mail.outbox] == [[mediator.email]]
    assert "Ik wil niet" not in mail.outbox[0].body  # the reason stays in the system
    offer_decline(case=case, offer=other, reason="Toch liever wachten")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert [(e.kind, e.to_status) for e in case.events.all()][-2:] == [
        ("offer_declined", ""),
        ("status_changed", "in_progress"),
    ]
    with pytest.raises(ApplicationError):
        offer_decline(case=case, offer=other, reason="Nogmaals")


# --- Expiry -----------------------------------------------------------------------------------
def test_offers_expire_after_five_working_days(
    case, actor, mediator, django_capture_on_commit_callbacks
):
    case.assigned_to = mediator
    case.save()
    capacity = CapacityOfferFactory(specialism=case.specialism, location=amersfoort(case))
    monday = timezone.localtime(timezone.now()).replace(
        year=2026, month=3, day=2, hour=10, minute=0, second=0, microsecond=0
    )
    offer = offer_make(
        case=case, actor=actor, location=capacity.location, capacity_offer=capacity, now=monday
    )
    next_monday_ten = monday + timedelta(days=7)
    assert offer_expire_due(now=next_monday_ten - timedelta(minutes=1)) == 0
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert offer_expire_due(now=next_monday_ten) == 1
    offer.refresh_from_db()
    capacity.refresh_from_db()
    case.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    assert capacity.reserved_slots == 0
    assert case.status == CaseStatus.IN_PROGRESS
    assert [(e.kind, e.actor_label) for e in case.events.all()][-2:] == [
        ("offer_expired", "system"),
        ("status_changed", "system"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([case.email, mediator.email])
    # Idempotent.
    assert offer_expire_due(now=next_monday_ten + timedelta(hours=1)) == 0
    capacity.refresh_from_db()
    assert capacity.reserved_slots == 0


def test_the_insurer_setting_changes_the_expiry(case, actor, insurer):
    MediationSettings.objects.create(insurer=insurer, offer_expiry_working_days=2)
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=AMS)
    offer = offer_make(
        case=case, actor=actor, location=amersfoort(case), expected_days=5, now=monday
    )
    assert offer.expires_at == datetime(2026, 3, 4, 10, 0, tzinfo=AMS)


def test_expiry_keeps_the_case_offered_while_another_offer_is_open(case, actor):
    now = timezone.now()
    early = offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=5, now=now)
    later = offer_make(
        case=case,
        actor=actor,
        location=amersfoort(case),
        expected_days=5,
        now=now + timedelta(days=3),
    )
    assert offer_expire_due(now=early.expires_at) == 1
    case.refresh_from_db()
    later.refresh_from_db()
    assert case.status == CaseStatus.OFFERED and later.status == OfferStatus.OPEN


def test_expiry_leaves_answered_offers_alone(case, actor):
    offer = offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=5)
    offer_accept(case=case, offer=offer)
    assert offer_expire_due(now=offer.expires_at + timedelta(days=1)) == 0
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED


def test_patients_are_reminded_once_a_day_before_expiry(
    case, actor, django_capture_on_commit_callbacks
):
    offer = offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=5)
    assert offer_remind_expiring(now=offer.expires_at - timedelta(hours=25)) == 0
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert offer_remind_expiring(now=offer.expires_at - timedelta(hours=23)) == 1
    assert offer_remind_expiring(now=offer.expires_at - timedelta(hours=2)) == 0
    [message] = mail.outbox
    assert message.to == [case.email]
    assert CaseNotification.objects.filter(offer=offer, kind="offer_expiring").count() == 1


# --- The receiving provider -------------------------------------------------------------------
@pytest.fixture
def receiving(case, actor):
    """An accepted offer at another provider's location, and a planner of that provider."""
    organisation = ProviderOrganisationFactory()
    location = amersfoort(case, provider=organisation.provider)
    offer = offer_make(case=case, actor=actor, location=location, expected_days=20)
    offer_accept(case=case, offer=offer)
    planner = member(Role.PLANNER, organisation, first_name="Piet", last_name="Planner")
    return offer, planner


def test_the_receiving_planner_confirms_the_appointment(
    case, receiving, django_capture_on_commit_callbacks
):
    offer, planner = receiving
    today = timezone.localdate()
    appointment = today + timedelta(days=25)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appointment_confirm(
            offer=offer, actor=actor_for_user(planner), appointment_date=appointment
        )
    case.refresh_from_db()
    offer.refresh_from_db()
    assert (case.status, case.outcome) == (CaseStatus.COMPLETED, "placed")
    assert case.appointment_date == appointment and case.completed_at is not None
    # Remaining wait 90 days (the patient's old appointment) − 25 days = 65 days gained.
    assert case.days_gained == 65
    assert (offer.appointment_date, offer.confirmed_by) == (appointment, planner)
    event = case.events.last()
    assert (event.kind, event.from_status, event.to_status, event.actor) == (
        "appointment_confirmed",
        "accepted",
        "completed",
        planner,
    )
    assert "Piet Planner" in event.actor_label
    transfer = VolumeTransfer.objects.get(case_reference=case.reference)
    assert transfer.from_provider == case.current_location.provider
    assert transfer.to_provider == offer.location.provider
    assert transfer.insurer == case.insurer and transfer.completed_on == today
    assert AuditEvent.objects.filter(
        case_reference=case.reference, actor=planner, detail__operation="appointment_confirm"
    ).exists()
    [message] = mail.outbox
    assert message.to == [case.email] and offer.location.name in message.body


def test_only_a_planner_of_the_receiving_provider_confirms(case, receiving, planner, mediator):
    offer, _planner = receiving
    for user in (planner, mediator):
        with pytest.raises(PermissionDenied):
            appointment_confirm(
                offer=offer,
                actor=actor_for_user(user),
                appointment_date=timezone.localdate() + timedelta(days=3),
            )
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED


def test_the_appointment_date_is_checked(receiving):
    offer, planner = receiving
    today = timezone.localdate()
    for bad in (None, today - timedelta(days=1), today + timedelta(days=366)):
        with pytest.raises(ValidationError) as exc_info:
            appointment_confirm(offer=offer, actor=actor_for_user(planner), appointment_date=bad)
        assert "appointment_date" in exc_info.value.message_dict


def test_only_an_accepted_offer_is_confirmed(case, actor):
    organisation = ProviderOrganisationFactory()
    offer = offer_make(
        case=case,
        actor=actor,
        location=amersfoort(case, provider=organisation.provider),
        expected_days=5,
    )
    planner = member(Role.PLANNER, organisation)
    with pytest.raises(ApplicationError):
        appointment_confirm(
            offer=offer, actor=actor_for_user(planner), appointment_date=timezone.localdate()
        )


def test_no_volume_transfer_within_one_provider(case, actor):
    organisation = ProviderOrganisationFactory(provider=case.current_location.provider)
    offer = offer_make(
        case=case,
        actor=actor,
        location=amersfoort(case, provider=organisation.provider),
        expected_days=5,
    )
    offer_accept(case=case, offer=offer)
    appointment_confirm(
        offer=offer,
        actor=actor_for_user(member(Role.PLANNER, organisation)),
        appointment_date=timezone.localdate() + timedelta(days=5),
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert not VolumeTransfer.objects.filter(case_reference=case.reference).exists()


# --- Offer rules (DESIGN §3.3, issue 13) ----------------------------------------------------------
def long_waiter(insurer, *, current_days=57, **values):
    """Waiting since 170 days without an appointment, where the published wait is 57 days: the
    remaining wait is unknown."""
    today = timezone.localdate()
    case = CaseFactory(
        insurer=insurer,
        status=CaseStatus.IN_PROGRESS,
        first_contact_at=timezone.now(),
        expected_date=None,
        waiting_since=today - timedelta(days=170),
        **values,
    )
    current_figure_for(case, case.current_location, days=current_days)
    return case


@pytest.mark.parametrize("expected_days", [90, 91, 200])
def test_an_offer_that_does_not_shorten_the_wait_is_refused(case, actor, expected_days):
    # The factory's patient has an appointment in 90 days where they wait now.
    with pytest.raises(ValidationError) as exc_info:
        offer_make(
            case=case,
            actor=actor,
            location=amersfoort(case),
            expected_days=expected_days,
            override_reason="The patient prefers it",
        )
    [message] = exc_info.value.message_dict["expected_days"]
    assert f"expected wait of {expected_days} days" in message
    assert "remaining wait of 90 days" in message
    assert not case.offers.exists()


def test_a_capacity_slot_that_does_not_shorten_the_wait_is_refused_and_released(insurer, actor):
    wednesday = date(2026, 3, 4)
    case, location = case_on(insurer, wednesday, expected_date=date(2026, 3, 9))
    capacity = CapacityOfferFactory(
        specialism=case.specialism, location=location, week_start=date(2026, 3, 9)
    )
    with pytest.raises(ValidationError) as exc_info:
        offer_make(
            case=case,
            actor=actor,
            location=location,
            capacity_offer=capacity,
            now=at_ten(wednesday),
        )
    assert "capacity_offer" in exc_info.value.message_dict
    capacity.refresh_from_db()
    assert capacity.reserved_slots == 0


def test_the_long_waiter_is_offered_a_shorter_wait_with_unknown_gain(insurer, actor):
    case = long_waiter(insurer)
    offer = offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=20)
    assert offer.days_gained is None
    assert offer.overridden_rules == [] and offer.override_reason == ""


@pytest.mark.parametrize("expected_days", [57, 70])
def test_the_long_waiter_is_refused_a_wait_not_shorter_than_the_published_one(
    insurer, actor, expected_days
):
    case = long_waiter(insurer)
    with pytest.raises(ValidationError) as exc_info:
        offer_make(
            case=case,
            actor=actor,
            location=amersfoort(case),
            expected_days=expected_days,
            override_reason="Anyway",
        )
    [message] = exc_info.value.message_dict["expected_days"]
    assert "57 days published by the location where the patient waits now" in message


def test_the_long_waiter_above_the_treeknorm_needs_an_override(insurer, actor):
    # First visit: Treeknorm maximum 28 days; 32 is shorter than 57 but above the norm.
    case = long_waiter(insurer)
    with pytest.raises(ValidationError) as exc_info:
        offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=32)
    [message] = exc_info.value.message_dict["override_reason"]
    assert "above the Treeknorm maximum of 28 days" in message
    offer = offer_make(
        case=case,
        actor=actor,
        location=amersfoort(case),
        expected_days=32,
        override_reason="Nearest location with room this month",
    )
    assert offer.overridden_rules == ["above_norm"]


def test_a_gain_below_the_margin_needs_an_override_reason(case, actor, mediator):
    location = amersfoort(case)
    with pytest.raises(ValidationError) as exc_info:
        offer_make(case=case, actor=actor, location=location, expected_days=80)
    [message] = exc_info.value.message_dict["override_reason"]
    assert "10 days gained, less than the margin of 14 days" in message
    assert not case.offers.exists()

    offer = offer_make(
        case=case,
        actor=actor,
        location=location,
        expected_days=80,
        override_reason="  Patient wants this hospital, closer to family  ",
    )
    assert offer.days_gained == 10
    assert offer.overridden_rules == ["gain_below_margin"]
    assert offer.override_reason == "Patient wants this hospital, closer to family"
    event = case.events.get(kind="offer_made")
    assert "Matching rules overridden (10 days gained, less than the margin of 14 days)" in (
        event.note
    )
    assert "Patient wants this hospital, closer to family" in event.note
    audit = AuditEvent.objects.get(case_reference=case.reference, detail__operation="offer_make")
    assert audit.detail["overridden_rules"] == ["gain_below_margin"]
    assert audit.detail["override_reason"] == "Patient wants this hospital, closer to family"


def test_the_insurers_margin_decides(case, actor):
    MediationSettings.objects.create(insurer=case.insurer, match_margin_days=5)
    offer = offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=80)
    assert offer.overridden_rules == []


def test_beyond_the_patients_distance_needs_an_override_reason(case, actor):
    maastricht = offerable_location(
        case, city="Maastricht", latitude=Decimal("50.850300"), longitude=Decimal("5.688200")
    )
    with pytest.raises(ValidationError) as exc_info:
        offer_make(case=case, actor=actor, location=maastricht, expected_days=10)
    [message] = exc_info.value.message_dict["override_reason"]
    assert "km away, beyond the 50 km the patient travels" in message
    offer = offer_make(
        case=case, actor=actor, location=maastricht, expected_days=10, override_reason="Moves"
    )
    assert offer.overridden_rules == ["beyond_distance"]


@pytest.mark.parametrize("figure", ["none", "stale", "insufficient"])
def test_no_current_figure_needs_an_override_reason(case, actor, figure):
    location = amersfoort(case)
    if figure == "none":
        location.series.all().delete()
    elif figure == "stale":
        location.series.update(current_reference_date=timezone.localdate() - timedelta(days=29))
    else:
        location.series.update(current_days=None, current_insufficient_observations=True)
    with pytest.raises(ValidationError) as exc_info:
        offer_make(case=case, actor=actor, location=location, expected_days=10)
    [message] = exc_info.value.message_dict["override_reason"]
    assert "no current waiting time for this care" in message
    offer = offer_make(
        case=case,
        actor=actor,
        location=location,
        expected_days=10,
        override_reason="The planner confirmed a date by phone",
    )
    assert offer.overridden_rules == ["no_current_figure"]


def test_outside_the_class3_window_needs_an_override_reason(insurer, actor):
    today = timezone.localdate()
    case = CaseFactory(
        insurer=insurer,
        status=CaseStatus.IN_PROGRESS,
        first_contact_at=timezone.now(),
        urgency_class=3,
        waiting_since=today - timedelta(days=30),
    )
    location = amersfoort(case)
    # 12 days left of the 42-day window.
    assert offer_make(case=case, actor=actor, location=location, expected_days=12).pk
    with pytest.raises(ValidationError) as exc_info:
        offer_make(case=case, actor=actor, location=amersfoort(case), expected_days=13)
    [message] = exc_info.value.message_dict["override_reason"]
    assert "after the class-3 window that ends on" in message


def test_every_broken_rule_is_named(case, actor):
    far = LocationFactory(latitude=Decimal("50.850300"), longitude=Decimal("5.688200"))
    with pytest.raises(ValidationError) as exc_info:
        offer_make(case=case, actor=actor, location=far, expected_days=85)
    [message] = exc_info.value.message_dict["override_reason"]
    assert "5 days gained" in message
    assert "beyond the 50 km" in message
    assert "no current waiting time" in message


def test_an_override_reason_has_at_most_2000_characters(case, actor):
    with pytest.raises(ValidationError) as exc_info:
        offer_make(
            case=case,
            actor=actor,
            location=amersfoort(case),
            expected_days=80,
            override_reason="x" * 2001,
        )
    assert "override_reason" in exc_info.value.message_dict


def test_a_location_not_accepting_the_class_stays_a_hard_refusal(case, actor):
    scaled_down = amersfoort(case, accepted_urgency_classes=[1, 2, 3])
    with pytest.raises(ValidationError) as exc_info:
        offer_make(
            case=case,
            actor=actor,
            location=scaled_down,
            expected_days=10,
            override_reason="Please",
        )
    assert "location" in exc_info.value.message_dict


# --- Days gained and the transfer year at confirmation (issue 13) --------------------------------
def test_confirming_for_a_long_waiter_leaves_the_gain_unknown(insurer, actor):
    case = long_waiter(insurer)
    organisation = ProviderOrganisationFactory()
    offer = offer_make(
        case=case,
        actor=actor,
        location=amersfoort(case, provider=organisation.provider),
        expected_days=20,
    )
    offer_accept(case=case, offer=offer)
    planner = member(Role.PLANNER, organisation)
    appointment_confirm(
        offer=offer,
        actor=actor_for_user(planner),
        appointment_date=timezone.localdate() + timedelta(days=21),
    )
    case.refresh_from_db()
    assert case.outcome == "placed" and case.days_gained is None
    assert "days gained unknown" in case.events.last().note


def test_the_volume_transfer_belongs_to_the_appointments_year(insurer, actor):
    """Confirmed on 21 December 2026 for 11 January 2027: the 2027 contracts move."""
    from finance.models import Contract
    from finance.selectors import contract_with_figures
    from tests.finance.factories import ContractFactory

    december = date(2026, 12, 21)
    case, _location = case_on(insurer, december, expected_date=date(2027, 3, 1))
    organisation = ProviderOrganisationFactory()
    location = amersfoort(case, provider=organisation.provider)
    location.series.update(current_reference_date=december)
    offer = offer_make(
        case=case, actor=actor, location=location, expected_days=21, now=at_ten(december)
    )
    offer_accept(case=case, offer=offer, now=at_ten(december))
    planner = member(Role.PLANNER, organisation)
    appointment_confirm(
        offer=offer,
        actor=actor_for_user(planner),
        appointment_date=date(2027, 1, 11),
        now=at_ten(december),
    )
    transfer = VolumeTransfer.objects.get(case_reference=case.reference)
    assert (transfer.completed_on, transfer.care_date) == (december, date(2027, 1, 11))

    from_provider, to_provider = case.current_location.provider, organisation.provider
    for year in (2026, 2027):
        ContractFactory(insurer=insurer, provider=from_provider, year=year)
        ContractFactory(insurer=insurer, provider=to_provider, year=year)
    figures = {
        (c.provider_id, c.year): (c.transfers_in, c.transfers_out)
        for c in contract_with_figures(Contract.objects.filter(insurer=insurer))
    }
    amount = transfer.estimated_amount
    assert figures[(to_provider.pk, 2027)] == (amount, 0)
    assert figures[(from_provider.pk, 2027)] == (0, amount)
    assert figures[(to_provider.pk, 2026)] == (0, 0)
    assert figures[(from_provider.pk, 2026)] == (0, 0)
