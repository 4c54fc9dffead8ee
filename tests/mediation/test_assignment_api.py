"""Assignment runs through the API (issue 16): start, status and figures next to the baseline,
proposals with reasons, apply (once; the race where another offer takes the proposed slot
first), access (mediators and the insurer's key only; a foreign run is 404) and auditing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.actors import actor_for_user
from accounts.models import AuditEvent, Role
from mediation.models import AssignmentProposal, AssignmentRun, Case, CaseStatus, Offer
from mediation.services.assignment import assignment_proposals_select, assignment_run_apply
from mediation.services.offers import offer_make
from providers.models import CapacityOffer, Specialism
from tests.accounts.factories import member
from tests.mediation.factories import CapacityOfferFactory, CaseFactory
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]
ORTHOPAEDICS = "0305"


def _near_utrecht(**kwargs):
    return LocationFactory(
        postcode="3811AA",
        city="Amersfoort",
        latitude=Decimal("52.156000"),
        longitude=Decimal("5.387000"),
        **kwargs,
    )


@pytest.fixture(name="scarce")
def scarce_fixture(insurer):
    """One capacity slot next week at location A (published wait 60 days), location B nearby
    at 20 days, and two patients in Utrecht with 90 days to go: the first to ask (class 5) and a
    class-3 patient who has waited 30 days — only the slot brings them inside 42 days."""
    orthopaedics = Specialism.objects.get(code=ORTHOPAEDICS)
    slot_location = _near_utrecht(name="Locatie A")
    other = _near_utrecht(name="Locatie B")
    WaitingTimeSeriesFactory(location=slot_location, specialism=orthopaedics, current_days=60)
    WaitingTimeSeriesFactory(location=other, specialism=orthopaedics, current_days=20)
    capacity = CapacityOfferFactory(location=slot_location, specialism=orthopaedics, slots=1)
    now = timezone.now()
    first = CaseFactory(
        insurer=insurer,
        specialism=orthopaedics,
        urgency_class=5,
        submitted_at=now - timedelta(hours=2),
    )
    urgent = CaseFactory(
        insurer=insurer,
        specialism=orthopaedics,
        urgency_class=3,
        waiting_since=timezone.localdate() - timedelta(days=30),
        submitted_at=now - timedelta(hours=1),
    )
    return {"capacity": capacity, "first": first, "urgent": urgent, "other": other}


def _start(client, **body):
    return client.post(reverse("api-assignment-runs"), body, format="json")


def _as(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_a_dry_run_proposes_the_slot_to_the_class3_patient(
    api_client, mediator, scarce, django_capture_on_commit_callbacks
):
    client = _as(api_client, mediator)
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(client, specialisms=[ORTHOPAEDICS], dry_run=True)
    assert response.status_code == 202
    run_id = response.json()["id"]
    assert response.headers["Location"].endswith(f"/assignment-runs/{run_id}/")

    run = client.get(reverse("api-assignment-run", args=[run_id])).json()
    assert run["status"] == "succeeded" and run["progress"] == 100
    assert (run["cases"], run["placed"], run["unassigned"]) == (2, 2, 0)
    assert run["class3_inside_window"] == 1
    # First come, first served gave the slot to the first patient: class 3 left outside.
    assert run["baseline"]["class3_inside_window"] == 0
    assert run["baseline"]["placed"] == 2
    assert run["per_specialism"][0]["specialism"] == ORTHOPAEDICS

    proposals = client.get(reverse("api-assignment-run-proposals", args=[run_id])).json()
    assert proposals["count"] == 2
    by_case = {row["case"]: row for row in proposals["results"]}
    urgent = by_case[scarce["urgent"].reference]
    assert urgent["capacity_offer"] == scarce["capacity"].pk
    assert urgent["reasons"][0]["code"] == "assigned_slot"
    assert {"code", "text", "params"} <= set(urgent["reasons"][1])
    first = by_case[scarce["first"].reference]
    assert first["location"] == scarce["other"].code and first["capacity_offer"] is None
    assert first["days_gained"] == 70 and first["within_norm"] is True
    assert AuditEvent.objects.filter(detail__page="api_assignment_proposals").exists()
    # A dry run makes no offer.
    assert not Offer.objects.exists()


def test_apply_makes_the_offers_once(
    api_client, mediator, scarce, django_capture_on_commit_callbacks
):
    client = _as(api_client, mediator)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = _start(client, dry_run=True).json()["id"]
    response = client.post(reverse("api-assignment-run-apply", args=[run_id]))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert len(body["offers"]) == 2 and body["skipped"] == []
    offer = Offer.objects.get(case=scarce["urgent"])
    assert offer.capacity_offer == scarce["capacity"]
    scarce["capacity"].refresh_from_db()
    assert scarce["capacity"].reserved_slots == 1
    assert Case.objects.get(pk=scarce["first"].pk).status == CaseStatus.OFFERED
    # Audited per case (offer_make).
    assert AuditEvent.objects.filter(
        case_reference=scarce["urgent"].reference, detail__operation="offer_make"
    ).exists()
    again = client.post(reverse("api-assignment-run-apply", args=[run_id]))
    assert again.status_code == 400
    assert Offer.objects.count() == 2


def test_a_slot_taken_before_apply_is_skipped_and_listed(
    api_client, mediator, insurer, scarce, django_capture_on_commit_callbacks
):
    client = _as(api_client, mediator)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = _start(client).json()["id"]
    # Meanwhile another mediator offers the last slot to a third patient.
    third = CaseFactory(insurer=insurer, specialism=scarce["urgent"].specialism)
    offer_make(
        case=third,
        actor=actor_for_user(member(Role.MEDIATOR, insurer)),
        location=scarce["capacity"].location,
        capacity_offer=scarce["capacity"].pk,
    )
    response = client.post(reverse("api-assignment-run-apply", args=[run_id]))
    assert response.status_code == 200
    body = response.json()
    assert [row["case"] for row in body["skipped"]] == [scarce["urgent"].reference]
    assert "laatste plek" in body["skipped"][0]["reason"]  # the slot has gone (Dutch UI)
    assert [row["case"] for row in body["offers"]] == [scarce["first"].reference]
    assert not Offer.objects.filter(case=scarce["urgent"]).exists()
    proposal = AssignmentProposal.objects.get(run_id=run_id, case=scarce["urgent"])
    assert proposal.skipped_reason
    assert CapacityOffer.objects.get(pk=scarce["capacity"].pk).reserved_slots == 1


def test_a_deselected_proposal_is_not_applied(mediator, scarce, django_capture_on_commit_callbacks):
    from mediation.services.assignment import assignment_run_start

    actor = actor_for_user(mediator)
    with django_capture_on_commit_callbacks(execute=True):
        run = assignment_run_start(actor=actor, specialisms=None, dry_run=True)
    proposal = AssignmentProposal.objects.get(run=run, case=scarce["first"])
    assert assignment_proposals_select(actor=actor, run=run, selected={proposal.pk: False}) == 1
    run.refresh_from_db()
    result = assignment_run_apply(actor=actor, run=run)
    assert [row["case"] for row in result["offers"]] == [scarce["urgent"].reference]
    assert not Offer.objects.filter(case=scarce["first"]).exists()


def test_a_run_that_is_not_dry_applies_itself(
    api_client, api_key_for, insurer, scarce, django_capture_on_commit_callbacks
):
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(insurer)}")
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(api_client, specialisms=[ORTHOPAEDICS], dry_run=False)
    assert response.status_code == 202
    run = AssignmentRun.objects.get(pk=response.json()["id"])
    assert run.applied_at is not None
    assert Offer.objects.filter(case__in=[scarce["first"], scarce["urgent"]]).count() == 2


def test_an_unknown_specialism_is_refused(api_client, mediator):
    response = _start(_as(api_client, mediator), specialisms=["9999x"])
    assert response.status_code == 400
    assert "specialisms" in response.json()


def test_a_run_of_another_insurer_is_not_found(
    api_client, mediator, other_insurer, scarce, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = _start(_as(api_client, mediator)).json()["id"]
    stranger = member(Role.MEDIATOR, other_insurer)
    client = _as(api_client, stranger)
    assert client.get(reverse("api-assignment-run", args=[run_id])).status_code == 404
    assert client.get(reverse("api-assignment-run-proposals", args=[run_id])).status_code == 404
    assert client.post(reverse("api-assignment-run-apply", args=[run_id])).status_code == 404
    assert not Offer.objects.exists()
    # The other insurer's run sees none of these cases, but reads the same shared slots.
    with django_capture_on_commit_callbacks(execute=True):
        own = _start(client).json()["id"]
    assert client.get(reverse("api-assignment-run", args=[own])).json()["cases"] == 0


@pytest.mark.parametrize("role", [Role.CONTRACT_MANAGER, Role.INSURER_ADMIN])
def test_other_insurer_roles_may_not(api_client, insurer, role):
    client = _as(api_client, member(role, insurer))
    assert _start(client).status_code == 403


def test_providers_regulators_and_anonymous_may_not(
    api_client, planner, regulator, api_key_for, provider_org
):
    assert _start(api_client).status_code == 401
    assert _start(_as(api_client, planner)).status_code == 403
    assert _start(_as(api_client, regulator)).status_code == 403
    api_client.force_authenticate(None)
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(provider_org)}")
    assert _start(api_client).status_code == 403


def test_opted_in_waiting_list_patients_take_part_like_any_open_case(
    insurer, mediator, scarce, django_capture_on_commit_callbacks
):
    from mediation.models import Channel
    from mediation.services.assignment import assignment_run_start

    Case.objects.filter(pk=scarce["urgent"].pk).update(channel=Channel.PROACTIVE)
    # A closed case does not take part.
    CaseFactory(
        insurer=insurer,
        specialism=scarce["urgent"].specialism,
        status=CaseStatus.CLOSED,
        outcome="withdrawn",
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = assignment_run_start(actor=actor_for_user(mediator), specialisms=[ORTHOPAEDICS])
    run.refresh_from_db()
    assert run.figures["cases"] == 2
    proposal = AssignmentProposal.objects.get(run=run, case=scarce["urgent"])
    assert proposal.capacity_offer_id == scarce["capacity"].pk


def test_a_part_whose_worker_died_is_handed_out_again(mediator, scarce, monkeypatch):
    """A worker killed while solving leaves its part running: after the lease the dispatch job
    makes it pending and queues it again, and a late result of the old worker is dropped."""
    from django.db import transaction

    from mediation.services import assignment as services

    queued: list[int] = []
    monkeypatch.setattr(services, "_dispatch", queued.extend)
    run = services.assignment_run_start(
        actor=actor_for_user(mediator), specialisms=None, dry_run=True
    )
    (part,) = run.parts.all()
    old = services._claim(part.pk)  # the worker that will die
    assert old is not None
    assert services.assignment_parts_dispatch(now=timezone.now()) == 0  # within the lease

    later = timezone.now() + services.PART_LEASE + timedelta(minutes=1)
    assert services.assignment_parts_dispatch(now=later) == 1
    assert queued == [part.pk]
    assert services.assignment_part_solve(part_id=part.pk) == "succeeded"
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert AssignmentProposal.objects.filter(run=run).count() == 2

    # The old worker comes back: its claim is no longer the part's, so it writes nothing.
    with transaction.atomic():
        assert not services._still_ours(old)
