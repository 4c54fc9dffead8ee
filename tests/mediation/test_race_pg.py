"""Races on PostgreSQL (real row locks, one connection per thread): the last slot of a capacity
offer goes to exactly one offer, and concurrent requests never share a reference."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.actors import actor_for_user
from core.errors import ApplicationError
from mediation.models import CaseStatus, Offer
from mediation.services.cases import case_create
from mediation.services.offers import offer_make
from tests.mediation.factories import (
    CapacityOfferFactory,
    CaseFactory,
    case_request,
    current_figure_for,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.mark.django_db(transaction=True)
def test_two_offers_race_for_the_last_slot_and_exactly_one_gets_it(
    reference_data, insurer, mediator
):
    actor = actor_for_user(mediator)
    first_case = CaseFactory(insurer=insurer, status=CaseStatus.IN_PROGRESS)
    second_case = CaseFactory(
        insurer=insurer,
        status=CaseStatus.IN_PROGRESS,
        specialism=first_case.specialism,
    )
    capacity = CapacityOfferFactory(specialism=first_case.specialism, slots=1, reserved_slots=0)
    current_figure_for(first_case, capacity.location)  # no matching rule broken
    barrier = threading.Barrier(2, timeout=20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def make(case) -> None:
        try:
            barrier.wait()
            offer_make(
                case=case, actor=actor, location=capacity.location, capacity_offer=capacity.pk
            )
            result = "made"
        except ApplicationError as exc:
            result = f"refused:{exc.field}"
        except Exception as exc:  # reported in the assertion below
            result = f"error:{exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=make, args=(case,)) for case in (first_case, second_case)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["made", "refused:capacity_offer"]
    capacity.refresh_from_db()
    assert capacity.reserved_slots == 1  # the one slot, taken once
    assert Offer.objects.filter(capacity_offer=capacity).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_get_distinct_sequential_references(reference_data, insurer):
    """The year's counter row is locked while a reference is allocated: no number twice, no gap."""
    requests = [case_request(insurer=insurer) for _ in range(4)]
    barrier = threading.Barrier(len(requests), timeout=20)
    references: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def submit(data) -> None:
        try:
            barrier.wait()
            case, _token = case_create(**data)
            with lock:
                references.append(case.reference)
        except Exception as exc:  # reported in the assertion below
            with lock:
                errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(data,)) for data in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    year = timezone.localdate().year
    assert sorted(references) == [f"ZB-{year}-{n:06d}" for n in range(1, 5)]
