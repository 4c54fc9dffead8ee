"""The rules of capacity offers and scale-down status, at the service level."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.utils import translation

from accounts.actors import actor_for_api_key, actor_for_user
from accounts.models import AuditAction, AuditEvent, Role
from accounts.services import api_key_create
from core.errors import ApplicationError
from providers.capacity.selectors import upcoming_week_starts, week_start_of
from providers.capacity.services import (
    MAX_SLOTS_PER_OFFER,
    capacity_offer_create,
    capacity_offer_update,
    capacity_offer_withdraw,
    location_accepted_urgency_classes_set,
)
from providers.models import CapacityOffer, Specialism, Treatment, WaitingTimeKind
from tests.accounts.factories import member
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 10)  # a Wednesday
THIS_MONDAY = date(2026, 6, 8)
NEXT_MONDAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids), whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def actor(planner):
    return actor_for_user(planner)


@pytest.fixture
def location(provider_org):
    return LocationFactory(provider=provider_org.provider)


@pytest.fixture
def foreign_location(other_provider_org):
    return LocationFactory(provider=other_provider_org.provider)


@pytest.fixture
def orthopaedics():
    return Specialism.objects.get(code="0305")


@pytest.fixture
def knee():
    return Treatment.objects.get(code="total-knee-replacement")


def create(actor, location, specialism, **overrides):
    values = {
        "actor": actor,
        "location": location,
        "specialism": specialism,
        "treatment": None,
        "kind": WaitingTimeKind.FIRST_VISIT,
        "week_start": NEXT_MONDAY,
        "slots": 10,
        "urgency_classes": [3, 4, 5],
        "today": TODAY,
    }
    values.update(overrides)
    return capacity_offer_create(**values)


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- Weeks ------------------------------------------------------------------------------------
def test_week_helpers() -> None:
    assert week_start_of(TODAY) == THIS_MONDAY
    assert week_start_of(THIS_MONDAY) == THIS_MONDAY
    assert week_start_of(date(2026, 6, 14)) == THIS_MONDAY  # Sunday
    weeks = upcoming_week_starts(today=TODAY)
    assert len(weeks) == 8
    assert weeks[0] == THIS_MONDAY
    assert weeks[-1] == THIS_MONDAY + timedelta(weeks=7)
    assert all(week.weekday() == 0 for week in weeks)


# --- Create -----------------------------------------------------------------------------------
def test_create_stores_the_offer_with_all_slots_remaining(actor, location, orthopaedics) -> None:
    offer = create(actor, location, orthopaedics, urgency_classes=[5, 3, 4, 4])

    offer.refresh_from_db()
    assert offer.location == location
    assert offer.week_start == NEXT_MONDAY
    assert offer.slots == 10
    assert offer.reserved_slots == 0
    assert offer.remaining == 10
    assert offer.urgency_classes == [3, 4, 5]  # sorted, without duplicates
    assert offer.created_by == actor.label


def test_create_for_a_treatment(actor, location, orthopaedics, knee) -> None:
    offer = create(actor, location, orthopaedics, kind=WaitingTimeKind.TREATMENT, treatment=knee)

    assert offer.treatment == knee
    assert offer.kind == WaitingTimeKind.TREATMENT


def test_create_is_audited(actor, location, orthopaedics) -> None:
    offer = create(actor, location, orthopaedics)

    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="providers.capacityoffer")
    assert event.object_id == str(offer.pk)
    assert event.actor_label == actor.label
    assert event.detail["location"] == location.code
    assert event.detail["slots"] == 10
    assert event.detail["week_start"] == NEXT_MONDAY.isoformat()


def test_the_current_week_is_allowed(actor, location, orthopaedics) -> None:
    offer = create(actor, location, orthopaedics, week_start=THIS_MONDAY)
    assert offer.week_start == THIS_MONDAY


@pytest.mark.parametrize(
    ("week_start", "fragment"),
    [
        (date(2026, 6, 16), "Monday"),  # a Tuesday
        (date(2026, 6, 14), "Monday"),  # a Sunday
        (THIS_MONDAY - timedelta(weeks=1), "This week is over"),
        (THIS_MONDAY + timedelta(weeks=53), "weeks ahead"),
    ],
)
def test_week_start_must_be_a_monday_of_this_week_or_later(
    actor, location, orthopaedics, week_start, fragment
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(actor, location, orthopaedics, week_start=week_start)

    assert fragment in " ".join(errors_of(excinfo)["week_start"])
    assert not CapacityOffer.objects.exists()


@pytest.mark.parametrize(
    ("slots", "fragment"),
    [(0, "at least 1"), (-3, "at least 1"), (MAX_SLOTS_PER_OFFER + 1, "at most 500")],
)
def test_slots_are_bounded(actor, location, orthopaedics, slots, fragment) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(actor, location, orthopaedics, slots=slots)

    assert fragment in errors_of(excinfo)["slots"][0]


def test_the_bounds_themselves_are_allowed(actor, location, orthopaedics) -> None:
    assert create(actor, location, orthopaedics, slots=1).slots == 1
    assert (
        create(
            actor, location, orthopaedics, slots=MAX_SLOTS_PER_OFFER, week_start=THIS_MONDAY
        ).slots
        == MAX_SLOTS_PER_OFFER
    )


@pytest.mark.parametrize(
    ("classes", "fragment"),
    [
        ([], "at least one"),
        ([0, 3], "1 to 5"),
        ([3, 6], "1 to 5"),
        (["3"], "1 to 5"),
        ([True], "1 to 5"),
    ],
)
def test_urgency_classes_are_a_non_empty_subset_of_1_to_5(
    actor, location, orthopaedics, classes, fragment
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(actor, location, orthopaedics, urgency_classes=classes)

    assert fragment in errors_of(excinfo)["urgency_classes"][0]


def test_treatment_kind_needs_a_treatment(actor, location, orthopaedics) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(actor, location, orthopaedics, kind=WaitingTimeKind.TREATMENT, treatment=None)

    assert "Choose the treatment" in errors_of(excinfo)["treatment"][0]


@pytest.mark.parametrize("kind", [WaitingTimeKind.FIRST_VISIT, WaitingTimeKind.DIAGNOSTICS])
def test_other_kinds_have_no_treatment(actor, location, orthopaedics, knee, kind) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(actor, location, orthopaedics, kind=kind, treatment=knee)

    assert "leave the treatment empty" in errors_of(excinfo)["treatment"][0]


def test_treatment_must_belong_to_the_specialism(actor, location, knee) -> None:
    ophthalmology = Specialism.objects.get(code="0301")
    with pytest.raises(ValidationError) as excinfo:
        create(actor, location, ophthalmology, kind=WaitingTimeKind.TREATMENT, treatment=knee)

    message = errors_of(excinfo)["treatment"][0]
    assert "0305" in message
    assert "0301" in message


def test_unknown_kind_is_refused(actor, location, orthopaedics) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(actor, location, orthopaedics, kind="surgery")

    assert "kind" in errors_of(excinfo)


def test_all_field_errors_are_reported_at_once(actor, location, orthopaedics) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(
            actor,
            location,
            orthopaedics,
            week_start=date(2026, 6, 16),
            slots=0,
            urgency_classes=[],
        )

    assert set(errors_of(excinfo)) == {"week_start", "slots", "urgency_classes"}


def test_a_duplicate_offer_is_refused_with_a_hint_to_change_the_existing_one(
    actor, location, orthopaedics
) -> None:
    create(actor, location, orthopaedics, slots=7)

    with pytest.raises(ApplicationError) as excinfo:
        create(actor, location, orthopaedics, slots=3, urgency_classes=[3])

    message = excinfo.value.message
    assert "already an offer" in message
    assert "7 slots" in message
    assert "Change that offer" in message
    assert CapacityOffer.objects.count() == 1


def test_offers_that_differ_in_one_key_part_are_not_duplicates(
    actor, location, orthopaedics, knee, provider_org
) -> None:
    create(actor, location, orthopaedics)
    create(actor, location, orthopaedics, kind=WaitingTimeKind.DIAGNOSTICS)
    create(actor, location, orthopaedics, week_start=THIS_MONDAY)
    create(actor, location, orthopaedics, kind=WaitingTimeKind.TREATMENT, treatment=knee)
    create(
        actor,
        location,
        orthopaedics,
        kind=WaitingTimeKind.TREATMENT,
        treatment=Treatment.objects.get(code="total-hip-replacement"),
    )
    create(actor, location, Specialism.objects.get(code="0301"))
    create(actor, LocationFactory(provider=provider_org.provider), orthopaedics)

    assert CapacityOffer.objects.count() == 7


def test_a_foreign_location_is_refused_like_an_unknown_one(
    actor, foreign_location, orthopaedics
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(actor, foreign_location, orthopaedics)

    assert errors_of(excinfo) == {"location": ["Unknown location."]}
    assert not CapacityOffer.objects.exists()


def test_an_inactive_location_takes_no_offers(actor, provider_org, orthopaedics) -> None:
    closed = LocationFactory(provider=provider_org.provider, is_active=False)
    with pytest.raises(ValidationError) as excinfo:
        create(actor, closed, orthopaedics)

    assert "no longer active" in errors_of(excinfo)["location"][0]


@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN])
def test_other_provider_roles_cannot_offer(provider_org, location, orthopaedics, role) -> None:
    admin = actor_for_user(member(role, provider_org))
    with pytest.raises(ValidationError) as excinfo:
        create(admin, location, orthopaedics)

    assert "location" in errors_of(excinfo)


def test_insurer_roles_cannot_offer(mediator, location, orthopaedics) -> None:
    with pytest.raises(ValidationError):
        create(actor_for_user(mediator), location, orthopaedics)


def test_a_provider_api_key_acts_as_planner(provider_org, location, orthopaedics) -> None:
    api_key, _raw = api_key_create(organisation=provider_org, name="EPD")
    offer = create(actor_for_api_key(api_key), location, orthopaedics)

    assert offer.created_by == f"api-key:{api_key.prefix}"


# --- Update -----------------------------------------------------------------------------------
def test_update_changes_slots_and_classes_and_is_audited(actor, location, orthopaedics) -> None:
    offer = create(actor, location, orthopaedics, slots=10)

    offer = capacity_offer_update(
        actor=actor, offer=offer, slots=12, urgency_classes=[4, 3], today=TODAY
    )

    offer.refresh_from_db()
    assert offer.slots == 12
    assert offer.urgency_classes == [3, 4]
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert event.detail["changes"] == {"slots": [10, 12], "urgency_classes": [[3, 4, 5], [3, 4]]}


def test_update_without_changes_records_nothing(actor, location, orthopaedics) -> None:
    offer = create(actor, location, orthopaedics)
    capacity_offer_update(
        actor=actor, offer=offer, slots=10, urgency_classes=[3, 4, 5], today=TODAY
    )

    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_slots_can_drop_to_the_reserved_number_but_not_below(actor, location, orthopaedics) -> None:
    offer = create(actor, location, orthopaedics, slots=10)
    CapacityOffer.objects.filter(pk=offer.pk).update(reserved_slots=4)

    with pytest.raises(ValidationError) as excinfo:
        capacity_offer_update(actor=actor, offer=offer, slots=3, urgency_classes=[3], today=TODAY)
    assert "4 slots are already reserved" in errors_of(excinfo)["slots"][0]

    offer = capacity_offer_update(
        actor=actor, offer=offer, slots=4, urgency_classes=[3], today=TODAY
    )
    assert offer.slots == 4
    assert offer.remaining == 0


def test_update_reads_the_reserved_count_from_the_database(actor, location, orthopaedics) -> None:
    """A reservation made after the offer was loaded still counts (the row is re-read)."""
    offer = create(actor, location, orthopaedics, slots=10)
    CapacityOffer.objects.filter(pk=offer.pk).update(reserved_slots=6)
    assert offer.reserved_slots == 0  # the stale copy

    with pytest.raises(ValidationError):
        capacity_offer_update(
            actor=actor, offer=offer, slots=5, urgency_classes=[3, 4, 5], today=TODAY
        )


def test_update_validates_slots_and_classes(actor, location, orthopaedics) -> None:
    offer = create(actor, location, orthopaedics)
    with pytest.raises(ValidationError) as excinfo:
        capacity_offer_update(
            actor=actor, offer=offer, slots=MAX_SLOTS_PER_OFFER + 1, urgency_classes=[], today=TODAY
        )

    assert set(errors_of(excinfo)) == {"slots", "urgency_classes"}


def test_offers_of_past_weeks_no_longer_change(actor, location, orthopaedics) -> None:
    offer = create(actor, location, orthopaedics, week_start=THIS_MONDAY)
    later = TODAY + timedelta(weeks=1)

    with pytest.raises(ApplicationError) as excinfo:
        capacity_offer_update(actor=actor, offer=offer, slots=3, urgency_classes=[3], today=later)
    assert "over" in excinfo.value.message
    with pytest.raises(ApplicationError):
        capacity_offer_withdraw(actor=actor, offer=offer, today=later)
    assert CapacityOffer.objects.filter(pk=offer.pk, slots=10).exists()


def test_another_providers_offer_cannot_be_changed(
    actor, other_provider_org, foreign_location, orthopaedics
) -> None:
    other = actor_for_user(member(Role.PLANNER, other_provider_org))
    offer = create(other, foreign_location, orthopaedics)

    with pytest.raises(PermissionDenied):
        capacity_offer_update(actor=actor, offer=offer, slots=1, urgency_classes=[3], today=TODAY)
    with pytest.raises(PermissionDenied):
        capacity_offer_withdraw(actor=actor, offer=offer, today=TODAY)
    offer.refresh_from_db()
    assert offer.slots == 10


# --- Withdraw ---------------------------------------------------------------------------------
def test_withdraw_removes_an_unreserved_offer_and_is_audited(actor, location, orthopaedics) -> None:
    offer = create(actor, location, orthopaedics)
    pk = offer.pk

    capacity_offer_withdraw(actor=actor, offer=offer, today=TODAY)

    assert not CapacityOffer.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.DELETE)
    assert event.object_type == "providers.capacityoffer"
    assert event.object_id == str(pk)
    assert event.detail["slots"] == 10


def test_withdraw_is_refused_while_slots_are_reserved(actor, location, orthopaedics) -> None:
    offer = create(actor, location, orthopaedics, slots=10)
    CapacityOffer.objects.filter(pk=offer.pk).update(reserved_slots=2)

    with pytest.raises(ApplicationError) as excinfo:
        capacity_offer_withdraw(actor=actor, offer=offer, today=TODAY)

    message = excinfo.value.message
    assert "2 slots of this offer are already reserved" in message
    assert "Reduce its slots to 2" in message
    assert CapacityOffer.objects.filter(pk=offer.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DELETE).exists()


def test_one_reserved_slot_is_named_in_the_singular(actor, location, orthopaedics) -> None:
    offer = create(actor, location, orthopaedics, slots=10)
    CapacityOffer.objects.filter(pk=offer.pk).update(reserved_slots=1)

    with pytest.raises(ApplicationError) as withdraw:
        capacity_offer_withdraw(actor=actor, offer=offer, today=TODAY)
    with pytest.raises(ValidationError) as update:
        capacity_offer_update(actor=actor, offer=offer, slots=0, urgency_classes=[3], today=TODAY)

    assert "1 slot of this offer is already reserved for a patient" in withdraw.value.message
    assert errors_of(update)["slots"] == ["Offer at least 1 slot."]


def test_after_withdrawing_the_same_week_can_be_offered_again(
    actor, location, orthopaedics
) -> None:
    offer = create(actor, location, orthopaedics)
    capacity_offer_withdraw(actor=actor, offer=offer, today=TODAY)

    assert create(actor, location, orthopaedics, slots=2).slots == 2


# --- Scale-down status --------------------------------------------------------------------------
def test_scale_down_sets_the_accepted_classes_and_is_audited(actor, location) -> None:
    assert location.accepted_urgency_classes == [1, 2, 3, 4, 5]

    location = location_accepted_urgency_classes_set(
        actor=actor, location=location, urgency_classes=[3, 1, 2, 2]
    )

    location.refresh_from_db()
    assert location.accepted_urgency_classes == [1, 2, 3]
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="providers.location")
    assert event.object_id == str(location.pk)
    assert event.detail == {
        "accepted_urgency_classes": [[1, 2, 3, 4, 5], [1, 2, 3]],
        "scale_down": True,
    }


def test_scaling_up_again_is_audited_as_the_end_of_scale_down(actor, location) -> None:
    location_accepted_urgency_classes_set(actor=actor, location=location, urgency_classes=[1, 2])
    location_accepted_urgency_classes_set(
        actor=actor, location=location, urgency_classes=[1, 2, 3, 4, 5]
    )

    location.refresh_from_db()
    assert location.accepted_urgency_classes == [1, 2, 3, 4, 5]
    last = AuditEvent.objects.filter(object_type="providers.location").order_by("-pk").first()
    assert last.detail["scale_down"] is False


def test_setting_the_same_classes_again_records_nothing(actor, location) -> None:
    location_accepted_urgency_classes_set(
        actor=actor, location=location, urgency_classes=[5, 4, 3, 2, 1]
    )

    assert not AuditEvent.objects.filter(object_type="providers.location").exists()


@pytest.mark.parametrize("classes", [[], [6], [0, 1]])
def test_scale_down_validates_the_classes(actor, location, classes) -> None:
    with pytest.raises(ValidationError) as excinfo:
        location_accepted_urgency_classes_set(
            actor=actor, location=location, urgency_classes=classes
        )

    assert "accepted_urgency_classes" in errors_of(excinfo)
    location.refresh_from_db()
    assert location.accepted_urgency_classes == [1, 2, 3, 4, 5]


def test_scale_down_of_a_foreign_location_is_refused(actor, foreign_location) -> None:
    with pytest.raises(ValidationError) as excinfo:
        location_accepted_urgency_classes_set(
            actor=actor, location=foreign_location, urgency_classes=[1]
        )

    assert errors_of(excinfo) == {"location": ["Unknown location."]}
    foreign_location.refresh_from_db()
    assert foreign_location.accepted_urgency_classes == [1, 2, 3, 4, 5]


# --- Concurrency (PostgreSQL) ---------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_waits_for_the_first_and_is_refused(
    reference_data, planner, provider_org
) -> None:
    """The location row lock serialises creates: the second sees the first's offer."""
    actor = actor_for_user(planner)
    location = LocationFactory(provider=provider_org.provider)
    specialism = Specialism.objects.get(code="0305")
    first_created, release, second_done = threading.Event(), threading.Event(), threading.Event()
    outcome: list[str] = []

    def first() -> None:
        try:
            with translation.override("en"), transaction.atomic():
                create(actor, location, specialism)
                first_created.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            first_created.wait(10)
            with translation.override("en"):
                create(actor, location, specialism, slots=3)
            outcome.append("created")
        except ApplicationError:
            outcome.append("refused")
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_created.wait(10)
    assert not second_done.wait(0.5), "the second create waits for the first transaction"
    release.set()
    for thread in threads:
        thread.join(10)

    assert outcome == ["refused"]
    assert CapacityOffer.objects.get().slots == 10
