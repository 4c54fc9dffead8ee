"""Case creation, references, the SLA, first contact, assignment, notes, closing, withdrawal."""

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from accounts.actors import actor_for_user
from accounts.models import AuditEvent, Role
from core.errors import ApplicationError
from mediation.emails import case_status_url
from mediation.models import (
    Case,
    CaseEventKind,
    CaseNotification,
    CaseStatus,
    MediationSettings,
    OfferStatus,
)
from mediation.services.cases import (
    case_assign,
    case_close,
    case_create,
    case_note_add,
    case_references_allocate,
    case_start,
    case_withdraw,
)
from providers.models import PostcodeArea
from tests.accounts.factories import member
from tests.mediation.factories import (
    CapacityOfferFactory,
    CaseFactory,
    OfferFactory,
    case_request,
)
from tests.providers.factories import LocationFactory, SpecialismFactory, TreatmentFactory

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their English source text."""
    with translation.override("en"):
        yield


def field_errors(exc_info) -> dict:
    return exc_info.value.message_dict


# --- Creating a request ---------------------------------------------------------------------
def test_a_valid_request_opens_a_submitted_case_with_a_hashed_token(insurer):
    case, token = case_create(**case_request(insurer=insurer))
    assert case.status == CaseStatus.SUBMITTED
    assert case.channel == "web"
    assert case.reference == f"ZB-{timezone.localdate().year}-000001"
    assert len(token) >= 40
    assert case.access_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (
        token not in Case.objects.filter(pk=case.pk).values_list("access_token_hash", flat=True)[0]
    )
    assert case.postcode == "3511AB"
    assert case.full_name == "Jan de Vries"
    assert case.consent_at is not None
    assert case.created_by is None
    [event] = case.events.all()
    assert (event.kind, event.actor_label, event.to_status) == ("created", "patient", "submitted")
    # A patient's request is not a staff action: nothing in the audit trail.
    assert not AuditEvent.objects.filter(case_reference=case.reference).exists()


def test_codes_may_be_given_instead_of_objects(insurer):
    specialism = SpecialismFactory()
    location = LocationFactory()
    case, _token = case_create(
        **case_request(
            insurer=insurer.uzovi, specialism=specialism.code, current_location=location.code
        )
    )
    assert (case.insurer, case.specialism, case.current_location) == (insurer, specialism, location)


def test_references_are_sequential_per_year(insurer):
    first, _ = case_create(**case_request(insurer=insurer))
    second, _ = case_create(**case_request(insurer=insurer))
    year = timezone.localdate().year
    assert (first.reference, second.reference) == (f"ZB-{year}-000001", f"ZB-{year}-000002")
    later = datetime(year + 1, 1, 2, 9, 0, tzinfo=AMS)
    next_year, _ = case_create(
        **case_request(insurer=insurer, waiting_since=later.date() - timedelta(days=10)),
        now=later,
    )
    assert next_year.reference == f"ZB-{year + 1}-000001"


def test_references_are_allocated_in_blocks_without_gaps():
    assert case_references_allocate(year=2031, count=3) == [
        "ZB-2031-000001",
        "ZB-2031-000002",
        "ZB-2031-000003",
    ]
    assert case_references_allocate(year=2031) == ["ZB-2031-000004"]


def test_the_request_received_mail_carries_the_status_link(
    insurer, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://zorgbemiddeling.example"
    with django_capture_on_commit_callbacks(execute=True):
        case, token = case_create(**case_request(insurer=insurer))
    [message] = mail.outbox
    assert message.to == ["jan@example.org"]
    assert case.reference in message.subject
    link = case_status_url(reference=case.reference, token=token)
    assert link.startswith("https://zorgbemiddeling.example/")
    assert case.reference in link and token in link
    assert link in message.body
    notification = CaseNotification.objects.get(case=case)
    assert notification.sent_at is not None
    assert notification.secret == ""  # the token is gone once the mail has gone


@pytest.mark.parametrize("urgency_class", [1, 2])
def test_urgent_classes_are_sent_to_the_specialist_gp_or_huisartsenpost(insurer, urgency_class):
    with pytest.raises(ValidationError) as exc_info:
        case_create(**case_request(insurer=insurer, urgency_class=urgency_class))
    [message] = field_errors(exc_info)["urgency_class"]
    assert "specialist" in message and "GP" in message and "huisartsenpost" in message
    assert not Case.objects.exists()


@pytest.mark.parametrize("urgency_class", [0, 6, None, "4", True])
def test_other_urgency_classes_are_refused(insurer, urgency_class):
    with pytest.raises(ValidationError) as exc_info:
        case_create(**case_request(insurer=insurer, urgency_class=urgency_class))
    assert "urgency_class" in field_errors(exc_info)


@pytest.mark.parametrize("urgency_class", [3, 4, 5])
def test_classes_3_to_5_are_mediated(insurer, urgency_class):
    case, _ = case_create(**case_request(insurer=insurer, urgency_class=urgency_class))
    assert case.urgency_class == urgency_class


@pytest.mark.parametrize("consent", [False, None, "yes"])
def test_consent_is_required(insurer, consent):
    with pytest.raises(ValidationError) as exc_info:
        case_create(**case_request(insurer=insurer, consent=consent))
    assert "consent" in field_errors(exc_info)


def _unknown_pc4() -> str:
    known = set(PostcodeArea.objects.values_list("pc4", flat=True))
    return next(str(n) for n in range(1000, 10000) if str(n) not in known)


def test_the_postcode_must_be_valid_and_known(insurer):
    with pytest.raises(ValidationError) as exc_info:
        case_create(**case_request(insurer=insurer, postcode="12345"))
    assert "postcode" in field_errors(exc_info)
    with pytest.raises(ValidationError) as exc_info:
        case_create(**case_request(insurer=insurer, postcode="3511"))
    assert "two letters" in field_errors(exc_info)["postcode"][0]
    with pytest.raises(ValidationError) as exc_info:
        case_create(**case_request(insurer=insurer, postcode=f"{_unknown_pc4()}AB"))
    assert "do not know this postcode" in field_errors(exc_info)["postcode"][0]


def test_specialism_and_current_location_must_exist_and_be_active(insurer):
    inactive = SpecialismFactory(is_active=False)
    closed = LocationFactory(is_active=False)
    for overrides, field in (
        ({"specialism": "9999x"}, "specialism"),
        ({"specialism": inactive}, "specialism"),
        ({"current_location": "00000000"}, "current_location"),
        ({"current_location": closed}, "current_location"),
    ):
        with pytest.raises(ValidationError) as exc_info:
            case_create(**case_request(insurer=insurer, **overrides))
        assert field in field_errors(exc_info), overrides


def test_a_treatment_is_named_exactly_for_kind_treatment_and_fits_the_specialism(insurer):
    treatment = TreatmentFactory()
    other = TreatmentFactory()
    with pytest.raises(ValidationError) as exc_info:
        case_create(
            **case_request(insurer=insurer, kind="treatment", specialism=treatment.specialism)
        )
    assert "treatment" in field_errors(exc_info)
    with pytest.raises(ValidationError) as exc_info:
        case_create(
            **case_request(
                insurer=insurer,
                kind="first_visit",
                specialism=treatment.specialism,
                treatment=treatment,
            )
        )
    assert "treatment" in field_errors(exc_info)
    with pytest.raises(ValidationError) as exc_info:
        case_create(
            **case_request(
                insurer=insurer, kind="treatment", specialism=treatment.specialism, treatment=other
            )
        )
    assert "does not belong" in field_errors(exc_info)["treatment"][0]
    with pytest.raises(ValidationError) as exc_info:
        case_create(**case_request(insurer=insurer, kind="surgery"))
    assert "kind" in field_errors(exc_info)
    case, _ = case_create(
        **case_request(
            insurer=insurer,
            kind="treatment",
            specialism=treatment.specialism,
            treatment=treatment.code,
        )
    )
    assert case.treatment == treatment


def test_dates_are_checked(insurer):
    today = timezone.localdate()
    cases = (
        ({"waiting_since": today + timedelta(days=1)}, "waiting_since"),
        ({"waiting_since": None}, "waiting_since"),
        ({"expected_date": today - timedelta(days=1)}, "expected_date"),
        ({"birth_date": today + timedelta(days=1)}, "birth_date"),
        ({"birth_date": today.replace(year=today.year - 130)}, "birth_date"),
        ({"birth_date": None}, "birth_date"),
    )
    for overrides, field in cases:
        with pytest.raises(ValidationError) as exc_info:
            case_create(**case_request(insurer=insurer, **overrides))
        assert field in field_errors(exc_info), overrides
    case, _ = case_create(**case_request(insurer=insurer, waiting_since=today, expected_date=today))
    assert case.waiting_since == today


@pytest.mark.parametrize(
    ("km", "ok"), [(4, False), (5, True), (300, True), (301, False), (None, False)]
)
def test_travel_distance_lies_between_5_and_300_km(insurer, km, ok):
    data = case_request(insurer=insurer, max_distance_km=km)
    if ok:
        assert case_create(**data)[0].max_distance_km == km
    else:
        with pytest.raises(ValidationError) as exc_info:
            case_create(**data)
        assert "max_distance_km" in field_errors(exc_info)


def test_the_insurer_must_be_an_insurer(provider_org, regulator_org):
    for insurer in (provider_org, regulator_org, "0000", None):
        with pytest.raises(ValidationError) as exc_info:
            case_create(
                **case_request(insurer=insurer) if insurer else case_request(insurer="0000")
            )
        assert "insurer" in field_errors(exc_info)


def test_contact_details(insurer):
    with pytest.raises(ValidationError) as exc_info:
        case_create(**case_request(insurer=insurer, email=""))
    assert "email" in field_errors(exc_info)
    with pytest.raises(ValidationError) as exc_info:
        case_create(**case_request(insurer=insurer, email="not-an-address"))
    assert "email" in field_errors(exc_info)
    with pytest.raises(ValidationError) as exc_info:
        case_create(**case_request(insurer=insurer, phone="12"))
    assert "phone" in field_errors(exc_info)


def test_every_field_error_is_reported_at_once(insurer):
    with pytest.raises(ValidationError) as exc_info:
        case_create(
            **case_request(
                insurer=insurer, policy_number="", full_name=" ", consent=False, urgency_class=2
            )
        )
    assert {"policy_number", "full_name", "consent", "urgency_class"} <= set(field_errors(exc_info))


def test_a_mediator_enters_a_phone_request_for_own_insurer_only(insurer, other_insurer, mediator):
    actor = actor_for_user(mediator)
    case, _ = case_create(**case_request(insurer=insurer, channel="phone", email=""), actor=actor)
    assert case.channel == "phone" and case.created_by == mediator
    # The mediator who took the call owns the case (issue 13).
    assert case.assigned_to == mediator
    assert [(e.kind, e.actor) for e in case.events.all()] == [
        ("created", mediator),
        ("assigned", mediator),
    ]
    audit = AuditEvent.objects.get(case_reference=case.reference)
    assert (audit.action, audit.actor) == ("create", mediator)
    with pytest.raises(ValidationError) as exc_info:
        case_create(**case_request(insurer=other_insurer, channel="phone"), actor=actor)
    assert "insurer" in field_errors(exc_info)
    with pytest.raises(PermissionDenied):
        case_create(**case_request(insurer=insurer, channel="phone"))
    with pytest.raises(ApplicationError):
        case_create(**case_request(insurer=insurer, channel="fax"))


# --- SLA ------------------------------------------------------------------------------------
def test_first_contact_is_due_two_working_days_after_submission(insurer):
    friday = datetime(2026, 4, 24, 16, 0, tzinfo=AMS)
    data = case_request(insurer=insurer, waiting_since=friday.date() - timedelta(days=60))
    case, _ = case_create(**data, now=friday)
    assert case.first_contact_due == friday.date().replace(day=29)  # King's Day on the 27th


def test_the_insurer_setting_changes_the_sla(insurer):
    MediationSettings.objects.create(insurer=insurer, first_contact_working_days=5)
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=AMS)
    data = case_request(insurer=insurer, waiting_since=monday.date() - timedelta(days=60))
    case, _ = case_create(**data, now=monday)
    assert case.first_contact_due == monday.date() + timedelta(days=7)


def test_overdue_cases_are_open_without_first_contact_past_their_due_date(insurer):
    today = timezone.localdate()
    overdue = CaseFactory(insurer=insurer, first_contact_due=today - timedelta(days=1))
    CaseFactory(insurer=insurer, first_contact_due=today)  # due today: not yet overdue
    CaseFactory(
        insurer=insurer,
        status=CaseStatus.IN_PROGRESS,
        first_contact_due=today - timedelta(days=3),
        first_contact_at=timezone.now(),
    )
    CaseFactory(
        insurer=insurer,
        status=CaseStatus.CLOSED,
        outcome="out_of_scope",
        first_contact_due=today - timedelta(days=3),
    )
    assert list(Case.objects.overdue(today=today)) == [overdue]
    flags = dict(Case.objects.with_overdue(today=today).values_list("pk", "is_overdue"))
    assert flags[overdue.pk] is True
    assert sum(flags.values()) == 1


# --- First contact, assignment, notes ---------------------------------------------------------
def test_case_start_records_first_contact(insurer, mediator):
    case = CaseFactory(insurer=insurer)
    case_start(case=case, actor=actor_for_user(mediator), note="Gebeld")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.first_contact_at is not None
    event = case.events.get()
    assert (event.kind, event.from_status, event.to_status, event.note, event.actor) == (
        "contact_recorded",
        "submitted",
        "in_progress",
        "Gebeld",
        mediator,
    )
    assert AuditEvent.objects.filter(
        case_reference=case.reference, detail__operation="case_start"
    ).exists()


def test_only_mediators_of_the_case_insurer_change_a_case(insurer, other_insurer, contract_manager):
    case = CaseFactory(insurer=insurer)
    foreign = member(Role.MEDIATOR, other_insurer)
    for user in (contract_manager, foreign):
        with pytest.raises(PermissionDenied):
            case_start(case=case, actor=actor_for_user(user))
        with pytest.raises(PermissionDenied):
            case_note_add(case=case, actor=actor_for_user(user), note="x")
        with pytest.raises(PermissionDenied):
            case_close(case=case, actor=actor_for_user(user), outcome="out_of_scope")
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and not case.events.exists()


def test_an_insurer_api_key_acts_as_mediator(insurer):
    from accounts.actors import actor_for_api_key
    from accounts.services import api_key_create

    key, _raw = api_key_create(organisation=insurer, name="crm")
    case = CaseFactory(insurer=insurer)
    case_start(case=case, actor=actor_for_api_key(key))
    assert case.events.get().actor_label == f"api-key:{key.prefix}"


def test_assign_to_self_and_to_a_colleague(insurer, mediator, other_insurer):
    colleague = member(Role.MEDIATOR, insurer, first_name="Anna", last_name="Bakker")
    case = CaseFactory(insurer=insurer)
    case_assign(case=case, user=mediator)
    assert Case.objects.get(pk=case.pk).assigned_to == mediator
    case_assign(case=case, user=colleague, actor=actor_for_user(mediator))
    case.refresh_from_db()
    assert case.assigned_to == colleague
    assert list(case.events.values_list("kind", flat=True)) == ["assigned", "assigned"]
    assert case.events.last().note == "Anna Bakker"
    # Assigning again to the same person changes nothing.
    case_assign(case=case, user=colleague, actor=actor_for_user(mediator))
    assert case.events.count() == 2
    with pytest.raises(ValidationError):
        case_assign(
            case=case, user=member(Role.CONTRACT_MANAGER, insurer), actor=actor_for_user(mediator)
        )
    with pytest.raises(ValidationError):
        case_assign(
            case=case, user=member(Role.MEDIATOR, other_insurer), actor=actor_for_user(mediator)
        )
    case_assign(case=case, user=None, actor=actor_for_user(mediator))
    assert Case.objects.get(pk=case.pk).assigned_to is None


def test_finished_cases_are_not_assigned(insurer, mediator):
    case = CaseFactory(insurer=insurer, status=CaseStatus.CLOSED, outcome="withdrawn")
    with pytest.raises(ApplicationError):
        case_assign(case=case, user=mediator)


def test_notes(insurer, mediator):
    case = CaseFactory(insurer=insurer)
    actor = actor_for_user(mediator)
    with pytest.raises(ValidationError) as exc_info:
        case_note_add(case=case, actor=actor, note="   ")
    assert "note" in exc_info.value.message_dict
    case_note_add(case=case, actor=actor, note="Patiënt teruggebeld")
    assert case.events.get().note == "Patiënt teruggebeld"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED
    case.anonymised_at = timezone.now()
    case.save()
    with pytest.raises(ApplicationError):
        case_note_add(case=case, actor=actor, note="Te laat")


# --- Closing and withdrawing ------------------------------------------------------------------
def test_close_with_an_outcome_releases_offers_and_tells_the_patient(
    insurer, mediator, django_capture_on_commit_callbacks
):
    case = CaseFactory(insurer=insurer, status=CaseStatus.OFFERED)
    capacity = CapacityOfferFactory(specialism=case.specialism, reserved_slots=1)
    offer = OfferFactory(case=case, capacity_offer=capacity, location=capacity.location)
    with django_capture_on_commit_callbacks(execute=True):
        case_close(
            case=case,
            actor=actor_for_user(mediator),
            outcome="no_alternative",
            note="Niets gevonden",
        )
    case.refresh_from_db()
    offer.refresh_from_db()
    capacity.refresh_from_db()
    assert (case.status, case.outcome) == ("closed", "no_alternative")
    assert case.closed_at is not None
    assert offer.status == OfferStatus.WITHDRAWN
    assert capacity.reserved_slots == 0
    event = case.events.get()
    assert (event.from_status, event.to_status) == ("offered", "closed")
    assert "Niets gevonden" in event.note
    assert [m.to for m in mail.outbox] == [[case.email]]


@pytest.mark.parametrize("outcome", ["placed", "", "unknown"])
def test_close_refuses_placed_and_unknown_outcomes(insurer, mediator, outcome):
    case = CaseFactory(insurer=insurer)
    with pytest.raises(ValidationError) as exc_info:
        case_close(case=case, actor=actor_for_user(mediator), outcome=outcome)
    assert "outcome" in exc_info.value.message_dict


def test_the_patient_withdraws(insurer, mediator, django_capture_on_commit_callbacks):
    case = CaseFactory(insurer=insurer, status=CaseStatus.ACCEPTED, assigned_to=mediator)
    capacity = CapacityOfferFactory(specialism=case.specialism, reserved_slots=1)
    offer = OfferFactory(
        case=case, capacity_offer=capacity, location=capacity.location, status=OfferStatus.ACCEPTED
    )
    with django_capture_on_commit_callbacks(execute=True):
        case_withdraw(case=case, reason="Toch in eigen ziekenhuis geholpen")
    case.refresh_from_db()
    capacity.refresh_from_db()
    offer.refresh_from_db()
    assert (case.status, case.outcome) == ("closed", "withdrawn")
    assert offer.status == OfferStatus.WITHDRAWN and capacity.reserved_slots == 0
    event = case.events.get()
    assert (event.actor_label, event.note) == ("patient", "Toch in eigen ziekenhuis geholpen")
    assert [m.to for m in mail.outbox] == [[mediator.email]]
    with pytest.raises(ApplicationError):
        case_withdraw(case=case)


def test_created_event_kind_is_on_the_timeline(insurer):
    case, _ = case_create(**case_request(insurer=insurer))
    assert case.events.get().kind == CaseEventKind.CREATED
