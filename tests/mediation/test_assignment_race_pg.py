"""A race on PostgreSQL (real row locks, one connection per thread): applying an assignment run
while another mediator offers the last slot of a proposed capacity offer. Exactly one of them
gets the slot; if the run loses, its proposal is skipped and listed, and its other proposals are
applied."""

import threading

import pytest
from django.db import connection, connections

from accounts.actors import actor_for_user
from accounts.models import Role
from core.errors import ApplicationError
from mediation.models import AssignmentRun, CaseStatus, Offer
from mediation.services.assignment import assignment_part_solve, assignment_run_start
from mediation.services.offers import offer_make
from providers.models import CapacityOffer
from tests.accounts.factories import member
from tests.mediation.factories import CaseFactory
from tests.mediation.test_assignment_api import scarce_fixture  # noqa: F401 - "scarce"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.mark.django_db(transaction=True)
def test_apply_and_another_offer_race_for_the_last_slot(
    reference_data, insurer, mediator, scarce, monkeypatch
):
    import mediation.services.assignment as services

    parts: list[int] = []
    monkeypatch.setattr(services, "_dispatch", parts.extend)
    actor = actor_for_user(mediator)
    run = assignment_run_start(actor=actor, specialisms=["0305"], dry_run=True)
    for part_id in parts:
        assignment_part_solve(part_id=part_id)
    run = AssignmentRun.objects.get(pk=run.pk)
    third = CaseFactory(
        insurer=insurer, specialism=scarce["urgent"].specialism, status=CaseStatus.IN_PROGRESS
    )
    other_actor = actor_for_user(member(Role.MEDIATOR, insurer))
    capacity = scarce["capacity"]
    barrier = threading.Barrier(2, timeout=20)
    outcomes: dict[str, object] = {}

    def apply() -> None:
        try:
            barrier.wait()
            outcomes["apply"] = services.assignment_run_apply(actor=actor, run=run)
        except Exception as exc:  # reported in the assertion below
            outcomes["apply"] = exc
        finally:
            connections.close_all()

    def other() -> None:
        try:
            barrier.wait()
            offer_make(
                case=third, actor=other_actor, location=capacity.location,
                capacity_offer=capacity.pk,
            )  # fmt: skip
            outcomes["other"] = "made"
        except ApplicationError as exc:
            outcomes["other"] = f"refused:{exc.field}"
        except Exception as exc:  # reported in the assertion below
            outcomes["other"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=apply), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    result = outcomes["apply"]
    assert isinstance(result, dict), result
    made = {row["case"] for row in result["offers"]}
    skipped = {row["case"] for row in result["skipped"]}
    assert scarce["first"].reference in made  # the proposal without a slot is applied anyway
    if outcomes["other"] == "made":
        assert skipped == {scarce["urgent"].reference}
    else:
        assert outcomes["other"] == "refused:capacity_offer"
        assert scarce["urgent"].reference in made and not skipped
    assert CapacityOffer.objects.get(pk=capacity.pk).reserved_slots == 1  # taken once
    assert Offer.objects.filter(capacity_offer=capacity).count() == 1
