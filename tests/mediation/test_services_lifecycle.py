"""Issue 13 at the service level: phone and letter patients (answers taken by a mediator, first
contact reached or not, the letter's new status link), corrections of a case, and offer expiry as
a fact of time with a moved clock (no beat process needed for what readers see)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from accounts.actors import actor_for_user
from accounts.models import AuditEvent
from core.errors import ApplicationError
from mediation.models import CaseEventKind, CaseNotification, CaseStatus, OfferStatus
from mediation.permissions import access_patient_case_for
from mediation.services.case_edit import case_update
from mediation.services.cases import case_create, case_start
from mediation.services.letters import case_letter_issue
from mediation.services.offers import (
    offer_accept,
    offer_answer_record,
    offer_decline,
    offer_expire_due,
    offer_make,
    offers_lapse,
)
from providers.models import CapacityHold, CapacityOffer
from tests.mediation.factories import CapacityOfferFactory, CaseFactory, case_request
from tests.mediation.test_services_offers import amersfoort

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
# A Monday at ten; offers made then expire five working days later, the next Monday at ten.
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=AMS)
EXPIRY = MONDAY + timedelta(days=7)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def actor(mediator):
    return actor_for_user(mediator)


@pytest.fixture
def case(insurer):
    return CaseFactory(
        insurer=insurer,
        status=CaseStatus.IN_PROGRESS,
        first_contact_at=MONDAY - timedelta(days=1),
        waiting_since=date(2026, 1, 5),
        expected_date=date(2026, 6, 1),
    )


def _capacity(case, location, *, slots=1):
    return CapacityOfferFactory(
        specialism=case.specialism, location=location, slots=slots, week_start=date(2026, 3, 16)
    )


# --- Answers taken by phone or letter ---------------------------------------------------------
def test_a_mediator_records_an_acceptance_given_by_phone(case, actor, mediator):
    offer = offer_make(
        case=case, actor=actor, location=amersfoort(case), expected_days=10, now=MONDAY
    )
    offer = offer_answer_record(
        case=case,
        offer=offer,
        actor=actor,
        decision="accept",
        channel="phone",
        now=MONDAY + timedelta(hours=2),
    )
    case.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED and case.status == CaseStatus.ACCEPTED
    assert (offer.answer_channel, offer.answered_by) == ("phone", mediator)
    event = case.events.get(kind=CaseEventKind.OFFER_ACCEPTED)
    assert event.actor == mediator and event.actor_label == mediator.get_username()
    assert "recorded by" in event.note and "by phone" in event.note
    audit = AuditEvent.objects.get(detail__operation="offer_answer_record")
    assert audit.detail == {
        "operation": "offer_answer_record",
        "offer": offer.pk,
        "decision": "accept",
        "channel": "phone",
    }
    assert audit.case_reference == case.reference


def test_a_refusal_by_letter_keeps_its_reason_and_tells_nobody(case, actor, mediator):
    case.assigned_to = mediator
    case.save()
    offer = offer_make(
        case=case, actor=actor, location=amersfoort(case), expected_days=10, now=MONDAY
    )
    mail.outbox.clear()
    offer = offer_answer_record(
        case=case,
        offer=offer,
        actor=actor,
        decision="decline",
        channel="letter",
        reason="Te ver weg",
        now=MONDAY + timedelta(days=1),
    )
    case.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED and offer.decline_reason == "Te ver weg"
    assert offer.answer_channel == "letter" and case.status == CaseStatus.IN_PROGRESS
    # The mediator took the answer: no mail to the mediator about it.
    assert not CaseNotification.objects.filter(kind="offer_declined").exists()


def test_the_patient_s_own_answer_is_online(case, actor):
    offer = offer_make(
        case=case, actor=actor, location=amersfoort(case), expected_days=10, now=MONDAY
    )
    offer = offer_accept(case=case, offer=offer, now=MONDAY + timedelta(hours=1))
    assert (offer.answer_channel, offer.answered_by) == ("web", None)
    assert case.events.get(kind="offer_accepted").actor_label == "patient"


@pytest.mark.parametrize(
    ("decision", "channel", "reason", "field"),
    [
        ("maybe", "phone", "", "decision"),
        ("accept", "web", "", "channel"),
        ("accept", "email", "", "channel"),
        ("accept", "phone", "Omdat", "reason"),
    ],
)
def test_an_answer_needs_a_decision_and_a_staff_channel(
    case, actor, decision, channel, reason, field
):
    offer = offer_make(
        case=case, actor=actor, location=amersfoort(case), expected_days=10, now=MONDAY
    )
    with pytest.raises(ValidationError) as exc_info:
        offer_answer_record(
            case=case,
            offer=offer,
            actor=actor,
            decision=decision,
            channel=channel,
            reason=reason,
            now=MONDAY,
        )
    assert field in exc_info.value.message_dict
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


def test_only_a_mediator_of_the_insurer_records_an_answer(case, actor, other_insurer):
    from accounts.models import Role
    from tests.accounts.factories import member

    offer = offer_make(
        case=case, actor=actor, location=amersfoort(case), expected_days=10, now=MONDAY
    )
    stranger = actor_for_user(member(Role.MEDIATOR, other_insurer))
    with pytest.raises(PermissionDenied):
        offer_answer_record(
            case=case, offer=offer, actor=stranger, decision="accept", channel="phone", now=MONDAY
        )


# --- First contact ------------------------------------------------------------------------------
def test_not_reached_keeps_the_first_contact_due(insurer, actor):
    case = CaseFactory(insurer=insurer, submitted_at=MONDAY, first_contact_due=date(2026, 3, 4))
    case_start(case=case, actor=actor, result="not_reached", channel="phone", now=MONDAY)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.first_contact_at is None
    assert case.is_overdue_on(date(2026, 3, 5))
    event = case.events.get(kind=CaseEventKind.CONTACT_ATTEMPTED)
    assert event.note == "Tried by phone."
    case_start(case=case, actor=actor, result="reached", channel="letter", now=MONDAY)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.first_contact_channel == "letter"
    assert not case.is_overdue_on(date(2026, 3, 5))
    assert case.events.get(kind=CaseEventKind.CONTACT_RECORDED).note == "Reached by letter."


def test_first_contact_result_and_channel_are_checked(insurer, actor):
    case = CaseFactory(insurer=insurer)
    with pytest.raises(ValidationError) as exc_info:
        case_start(case=case, actor=actor, result="not_reached", channel="")
    assert "channel" in exc_info.value.message_dict
    with pytest.raises(ValidationError) as exc_info:
        case_start(case=case, actor=actor, result="maybe", channel="fax")
    assert set(exc_info.value.message_dict) == {"result", "channel"}


def test_a_phone_intake_is_assigned_to_the_mediator_who_took_it(insurer, actor, mediator):
    case, _token = case_create(
        **case_request(insurer=insurer, channel="phone", email=""), actor=actor
    )
    assert case.assigned_to == mediator
    web_case, _token = case_create(**case_request(insurer=insurer, channel="web"))
    assert web_case.assigned_to is None


# --- The letter -----------------------------------------------------------------------------------
def test_a_letter_issues_a_new_status_link_and_the_old_one_stops_working(insurer, actor):
    case, old_token = case_create(
        **case_request(insurer=insurer, channel="phone", email=""), actor=actor
    )
    new_token = case_letter_issue(case=case, actor=actor)
    assert new_token != old_token
    assert access_patient_case_for(reference=case.reference, token=new_token) == case
    with pytest.raises(Http404):
        access_patient_case_for(reference=case.reference, token=old_token)
    assert case.events.filter(kind=CaseEventKind.LETTER_PRINTED).count() == 1
    operations = set(
        AuditEvent.objects.filter(case_reference=case.reference).values_list(
            "action", "detail__operation"
        )
    )
    assert ("update", "case_letter_issue") in operations
    assert ("view", None) in operations  # the letter shows the case's data


def test_no_letter_for_a_finished_case(insurer, actor):
    case = CaseFactory(insurer=insurer, status=CaseStatus.CLOSED, outcome="no_alternative")
    with pytest.raises(ApplicationError):
        case_letter_issue(case=case, actor=actor)


# --- Corrections ----------------------------------------------------------------------------------
def test_a_mediator_corrects_a_case(case, actor):
    case_update(
        case=case,
        actor=actor,
        changes={
            "email": "",
            "phone": "030 1234567",
            "postcode": "3811 aa",
            "max_distance_km": 25,
            "expected_date": None,
            "hospital_setting_required": True,
            "urgency_class": 3,
        },
        note="Belde terug",
        now=MONDAY,
    )
    case.refresh_from_db()
    assert (case.email, case.phone, case.postcode, case.max_distance_km) == (
        "",
        "030 1234567",
        "3811AA",
        25,
    )
    assert case.expected_date is None and case.hospital_setting_required and case.urgency_class == 3
    event = case.events.get(kind=CaseEventKind.CASE_UPDATED)
    assert event.note.endswith("— Belde terug") and "postcode" in event.note
    audit = AuditEvent.objects.get(detail__operation="case_update")
    # The fields, never their values (patient data stays out of the audit text).
    assert audit.detail["fields"] == [
        "email",
        "phone",
        "postcode",
        "max_distance_km",
        "expected_date",
        "hospital_setting_required",
        "urgency_class",
    ]
    assert "3811" not in str(audit.detail) and "030" not in str(audit.detail)


def test_corrections_follow_the_intake_rules(case, actor):
    with pytest.raises(ValidationError) as exc_info:
        case_update(
            case=case,
            actor=actor,
            changes={
                "email": "geen-adres",
                "postcode": "0000 XX",
                "max_distance_km": 400,
                "expected_date": date(2025, 1, 1),
                "urgency_class": 2,
                "full_name": "Iemand Anders",
            },
            now=MONDAY,
        )
    assert set(exc_info.value.message_dict) == {
        "email",
        "postcode",
        "max_distance_km",
        "expected_date",
        "urgency_class",
        "full_name",
    }
    assert "huisartsenpost" in exc_info.value.message_dict["urgency_class"][0]
    with pytest.raises(ValidationError) as exc_info:
        case_update(case=case, actor=actor, changes={"email": "", "phone": ""}, now=MONDAY)
    assert "phone" in exc_info.value.message_dict
    with pytest.raises(ValidationError) as exc_info:
        case_update(case=case, actor=actor, changes={"urgency_class": 3}, now=MONDAY)
    assert "note" in exc_info.value.message_dict  # a new class says who gave it
    case.refresh_from_db()
    assert case.urgency_class == 4 and case.email


def test_no_corrections_on_finished_or_anonymised_cases(insurer, actor):
    closed = CaseFactory(insurer=insurer, status=CaseStatus.CLOSED, outcome="no_alternative")
    with pytest.raises(ApplicationError) as exc_info:
        case_update(case=closed, actor=actor, changes={"max_distance_km": 25})
    assert exc_info.value.field == "status"
    anonymised = CaseFactory(insurer=insurer, anonymised_at=timezone.now())
    with pytest.raises(ApplicationError):
        case_update(case=anonymised, actor=actor, changes={"max_distance_km": 25})


def test_a_correction_that_changes_nothing_writes_nothing(case, actor):
    case_update(case=case, actor=actor, changes={"max_distance_km": case.max_distance_km})
    assert not case.events.filter(kind=CaseEventKind.CASE_UPDATED).exists()
    assert not AuditEvent.objects.filter(detail__operation="case_update").exists()


# --- Expiry is a fact of time -----------------------------------------------------------------
def test_a_lapsed_offer_reads_expired_and_frees_its_slot_before_any_job(case, actor):
    location = amersfoort(case)
    capacity = _capacity(case, location)
    offer = offer_make(
        case=case, actor=actor, location=location, capacity_offer=capacity, now=MONDAY
    )
    assert offer.expires_at == EXPIRY
    capacity.refresh_from_db()
    assert capacity.reserved_slots == 1 and capacity.lapsed_hold_count(now=MONDAY) == 0
    day_after = EXPIRY + timedelta(days=1)
    # Before anything recorded it: the offer is lapsed, its slot reads as free.
    assert offer.is_lapsed_at(day_after) and not offer.is_lapsed_at(EXPIRY - timedelta(minutes=1))
    assert capacity.lapsed_hold_count(now=day_after) == 1
    annotated = CapacityOffer.objects.with_lapsed_holds(now=day_after).get(pk=capacity.pk)
    assert annotated.remaining == 1
    # Accepting is refused; the same location can be offered again, on the same slot.
    with pytest.raises(ApplicationError):
        offer_accept(case=case, offer=offer, now=day_after)
    with pytest.raises(ApplicationError):
        offer_decline(case=case, offer=offer, reason="", now=day_after)
    again = offer_make(
        case=case, actor=actor, location=location, capacity_offer=capacity, now=day_after
    )
    offer.refresh_from_db()
    capacity.refresh_from_db()
    case.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED and again.status == OfferStatus.OPEN
    assert capacity.reserved_slots == 1 and capacity.lapsed_hold_count(now=day_after) == 0
    assert list(CapacityHold.objects.values_list("holder", flat=True)) == [again.hold_key]
    assert case.status == CaseStatus.OFFERED
    # The timeline says when it expired, then the new offer.
    kinds = [(e.kind, e.at) for e in case.events.filter(at__gte=EXPIRY)]
    assert kinds[:2] == [("offer_expired", EXPIRY), ("status_changed", EXPIRY)]
    assert kinds[-1] == ("offer_made", day_after)


def test_reading_a_case_records_the_lapse_and_the_job_then_only_tells(
    case, actor, mediator, django_capture_on_commit_callbacks
):
    case.assigned_to = mediator
    case.save()
    location = amersfoort(case)
    capacity = _capacity(case, location)
    offer = offer_make(
        case=case, actor=actor, location=location, capacity_offer=capacity, now=MONDAY
    )
    day_after = EXPIRY + timedelta(days=1)
    assert offers_lapse(case=case, now=EXPIRY - timedelta(seconds=1)) == 0
    assert offers_lapse(case=case, now=day_after) == 1
    offer.refresh_from_db()
    capacity.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS  # the instance is reloaded
    assert offer.status == OfferStatus.EXPIRED and capacity.reserved_slots == 0
    assert not CaseNotification.objects.filter(kind="offer_expired").exists()
    assert offers_lapse(case=case, now=day_after) == 0  # idempotent
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert offer_expire_due(now=day_after) == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([case.email, mediator.email])
    # Idempotent: told once, recorded once, the slot released once.
    assert offer_expire_due(now=day_after + timedelta(hours=1)) == 0
    capacity.refresh_from_db()
    assert capacity.reserved_slots == 0
    assert case.events.filter(kind="offer_expired").count() == 1


def test_the_job_records_and_tells_when_nobody_read_the_case(case, actor):
    offer = offer_make(
        case=case, actor=actor, location=amersfoort(case), expected_days=5, now=MONDAY
    )
    assert offer_expire_due(now=EXPIRY - timedelta(minutes=1)) == 0
    assert offer_expire_due(now=EXPIRY) == 1
    offer.refresh_from_db()
    case.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED and case.status == CaseStatus.IN_PROGRESS
    assert CaseNotification.objects.filter(kind="offer_expired", offer=offer).count() == 1
    assert offer_expire_due(now=EXPIRY + timedelta(days=2)) == 0


def test_a_lapsed_slot_goes_to_another_patient_and_is_not_released_twice(insurer, actor):
    first = CaseFactory(insurer=insurer, status=CaseStatus.IN_PROGRESS)
    second = CaseFactory(
        insurer=insurer, status=CaseStatus.IN_PROGRESS, specialism=first.specialism
    )
    location = amersfoort(first)
    capacity = _capacity(first, location)
    lapsed = offer_make(
        case=first, actor=actor, location=location, capacity_offer=capacity, now=MONDAY
    )
    day_after = EXPIRY + timedelta(days=1)
    taken = offer_make(
        case=second, actor=actor, location=location, capacity_offer=capacity, now=day_after
    )
    capacity.refresh_from_db()
    assert capacity.reserved_slots == 1 and taken.status == OfferStatus.OPEN
    # The first case's offer is recorded later; its slot (reclaimed) is not released again.
    offer_expire_due(now=day_after)
    lapsed.refresh_from_db()
    capacity.refresh_from_db()
    assert lapsed.status == OfferStatus.EXPIRED and capacity.reserved_slots == 1
    offer_accept(case=second, offer=taken, now=day_after + timedelta(hours=1))
    capacity.refresh_from_db()
    assert capacity.reserved_slots == 1
    assert CapacityHold.objects.get(holder=taken.hold_key).until is None
