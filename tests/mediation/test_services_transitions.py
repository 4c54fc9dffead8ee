"""The case state machine: one map, and every service refuses every transition it does not allow."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.actors import actor_for_user
from accounts.models import Role
from core.errors import ApplicationError
from mediation.models import CaseStatus, OfferStatus
from mediation.services.cases import case_close, case_start, case_withdraw
from mediation.services.offers import (
    appointment_confirm,
    offer_accept,
    offer_decline,
    offer_make,
)
from mediation.services.transitions import TRANSITIONS, transition_allowed
from tests.accounts.factories import ProviderOrganisationFactory, member
from tests.mediation.factories import CaseFactory, OfferFactory, offerable_location
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db

S = CaseStatus
ALLOWED = {
    (S.SUBMITTED, S.IN_PROGRESS),
    (S.SUBMITTED, S.CLOSED),
    (S.IN_PROGRESS, S.OFFERED),
    (S.IN_PROGRESS, S.CLOSED),
    (S.OFFERED, S.ACCEPTED),
    (S.OFFERED, S.IN_PROGRESS),
    (S.OFFERED, S.CLOSED),
    (S.ACCEPTED, S.COMPLETED),
    (S.ACCEPTED, S.CLOSED),
}


@pytest.mark.parametrize("from_status", S.values)
@pytest.mark.parametrize("to_status", S.values)
def test_the_map_allows_exactly_the_designed_transitions(from_status, to_status):
    assert transition_allowed(from_status=from_status, to_status=to_status) is (
        (from_status, to_status) in ALLOWED
    )


def test_the_map_covers_every_status_and_final_statuses_lead_nowhere():
    assert set(TRANSITIONS) == set(S.values)
    assert TRANSITIONS[S.COMPLETED] == TRANSITIONS[S.CLOSED] == frozenset()


def _case_in(status, insurer, planner_org):
    outcome = {"completed": "placed", "closed": "no_alternative"}.get(status, "")
    case = CaseFactory(insurer=insurer, status=status, outcome=outcome)
    # An offer in the state the service under test needs: open for answers, accepted for the
    # planner's confirmation (at the planner's provider).
    location = LocationFactory(provider=planner_org.provider)
    offer_status = OfferStatus.ACCEPTED if status == S.ACCEPTED else OfferStatus.OPEN
    offer = OfferFactory(case=case, location=location, status=offer_status)
    return case, offer


# Each service, the statuses it may start from, and the status it leaves the case in.
SERVICES = {
    "case_start": ({S.SUBMITTED}, S.IN_PROGRESS),
    "offer_make": ({S.SUBMITTED, S.IN_PROGRESS, S.OFFERED}, S.OFFERED),
    "offer_accept": ({S.OFFERED}, S.ACCEPTED),
    "offer_decline": ({S.OFFERED}, S.IN_PROGRESS),
    "appointment_confirm": ({S.ACCEPTED}, S.COMPLETED),
    "case_close": ({S.SUBMITTED, S.IN_PROGRESS, S.OFFERED, S.ACCEPTED}, S.CLOSED),
    "case_withdraw": ({S.SUBMITTED, S.IN_PROGRESS, S.OFFERED, S.ACCEPTED}, S.CLOSED),
}


def _run(name, *, case, offer, mediator, planner):
    actor = actor_for_user(mediator)
    if name == "case_start":
        case_start(case=case, actor=actor)
    elif name == "offer_make":
        offer_make(case=case, actor=actor, location=offerable_location(case), expected_days=5)
    elif name == "offer_accept":
        offer_accept(case=case, offer=offer)
    elif name == "offer_decline":
        offer_decline(case=case, offer=offer, reason="Te ver weg")
    elif name == "appointment_confirm":
        appointment_confirm(
            offer=offer,
            actor=actor_for_user(planner),
            appointment_date=timezone.localdate() + timedelta(days=10),
        )
    elif name == "case_close":
        case_close(case=case, actor=actor, outcome="out_of_scope")
    elif name == "case_withdraw":
        case_withdraw(case=case)


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("service", SERVICES)
def test_every_service_refuses_every_transition_it_does_not_allow(
    service, status, insurer, mediator
):
    planner_org = ProviderOrganisationFactory()
    planner = member(Role.PLANNER, planner_org)
    case, offer = _case_in(status, insurer, planner_org)
    allowed_from, to_status = SERVICES[service]
    events_before = case.events.count()
    if status in allowed_from:
        _run(service, case=case, offer=offer, mediator=mediator, planner=planner)
        case.refresh_from_db()
        assert case.status == to_status
        assert case.events.count() > events_before
    else:
        with pytest.raises(ApplicationError):
            _run(service, case=case, offer=offer, mediator=mediator, planner=planner)
        case.refresh_from_db()
        assert case.status == status
        assert case.events.count() == events_before
