"""The demo cases: about 200, every status, plausible timelines, idempotent, no mail."""

import itertools
import random
from decimal import Decimal

import pytest
from django.core import mail
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role
from mediation.models import Case, CaseEvent, CaseNotification, CaseStatus, Offer, OfferStatus
from portal.demo.mediation import STATUS_MIX, seed_demo_cases
from providers.models import CapacityOffer
from tests.accounts.factories import InsurerFactory, ProviderOrganisationFactory, member
from tests.mediation.factories import CapacityOfferFactory, CaseFactory
from tests.providers.factories import (
    LocationFactory,
    ProviderFactory,
    SpecialismFactory,
    WaitingTimeSeriesFactory,
)

# Tasks run in process (as in tests/mediation), so that a mail sent by seeding would show in the
# outbox.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


@pytest.fixture
def demo_world():
    """Two demo insurers with the demo mediator, five demo hospitals around Utrecht reporting one
    specialism, the demo planner at one of them, and capacity at two."""
    insurers = [InsurerFactory(is_demo=True), InsurerFactory(is_demo=True)]
    mediator = member(Role.MEDIATOR, insurers[0], username="bemiddelaar", first_name="Sanne")
    specialism = SpecialismFactory()
    locations = []
    for n, (lat, lon, days) in enumerate(
        [
            (52.09, 5.12, 120),
            (52.16, 5.39, 30),
            (52.01, 5.10, 45),
            (52.10, 5.25, 25),
            (51.98, 5.30, 90),
        ]
    ):
        provider = ProviderFactory(is_demo=True)
        location = LocationFactory(
            provider=provider,
            latitude=Decimal(str(lat)),
            longitude=Decimal(str(lon)),
            postcode="3511AB",
        )
        WaitingTimeSeriesFactory(location=location, specialism=specialism, current_days=days)
        locations.append(location)
        if n == 1:
            organisation = ProviderOrganisationFactory(provider=provider)
            member(Role.PLANNER, organisation, username="planner")
    for location in locations[1:3]:
        CapacityOfferFactory(location=location, specialism=specialism, slots=20)
    return insurers, mediator


def test_about_200_cases_in_every_status(demo_world):
    insurers, mediator = demo_world
    bystander = CaseFactory()  # a real insurer's case is never touched
    made = seed_demo_cases(rng=random.Random(7), today=timezone.localdate(), insurers=insurers)
    assert made == sum(STATUS_MIX.values()) == 200
    cases = Case.objects.filter(insurer__in=insurers)
    assert cases.count() == 200
    counts = {status: cases.filter(status=status).count() for status in CaseStatus.values}
    assert counts == {str(status): count for status, count in STATUS_MIX.items()}
    assert Case.objects.filter(pk=bystander.pk).exists()
    # Nobody is mailed by seeding.
    assert mail.outbox == [] and not CaseNotification.objects.exists()

    now = timezone.now()
    assert not CaseEvent.objects.filter(at__gt=now).exists()
    assert cases.filter(events__kind="created").distinct().count() == 200
    assert cases.overdue(today=timezone.localdate()).exists()
    assert cases.filter(assigned_to=mediator).exists()
    # Submission within the last ~3 months.
    earliest = cases.order_by("submitted_at").first().submitted_at
    assert (now - earliest).days <= 100
    # Every case's timeline is in order and starts with its submission.
    for case in cases.prefetch_related("events"):
        events = list(case.events.all())
        assert events[0].kind == "created" and events[0].at == case.submitted_at
        assert all(a.at <= b.at for a, b in itertools.pairwise(events))
        if case.status != CaseStatus.SUBMITTED and case.first_contact_at:
            assert case.first_contact_at >= case.submitted_at

    completed = cases.filter(status=CaseStatus.COMPLETED)
    gains = list(completed.values_list("days_gained", flat=True))
    assert all(g is not None for g in gains)
    assert sum(30 <= g <= 80 for g in gains) >= 0.6 * len(gains)
    assert completed.filter(outcome="placed", appointment_date__isnull=False).count() == len(gains)
    assert set(cases.filter(status="closed").values_list("outcome", flat=True)) - {""}
    # Open offers are still open, accepted ones await the planner, and some hold a slot.
    assert not Offer.objects.filter(status=OfferStatus.OPEN, expires_at__lte=now).exists()
    assert Offer.objects.filter(case__status="accepted", status="accepted").count() == 18
    assert Offer.objects.filter(
        case__status="accepted",
        location__provider__organisation__memberships__user__username="planner",
    ).exists()
    held = Offer.objects.filter(
        capacity_offer__isnull=False, status__in=("open", "accepted")
    ).count()
    assert held > 0
    assert CapacityOffer.objects.aggregate(n=Sum("reserved_slots"))["n"] == held


def test_seeding_again_replaces_the_demo_cases(demo_world):
    insurers, _mediator = demo_world
    seed_demo_cases(rng=random.Random(7), today=timezone.localdate(), insurers=insurers)
    seed_demo_cases(rng=random.Random(8), today=timezone.localdate(), insurers=insurers)
    assert Case.objects.count() == 200
    held = Offer.objects.filter(
        capacity_offer__isnull=False, status__in=("open", "accepted")
    ).count()
    # The first run's slots were given back before the second took its own.
    assert CapacityOffer.objects.aggregate(n=Sum("reserved_slots"))["n"] == held
    references = list(Case.objects.values_list("reference", flat=True))
    assert len(set(references)) == 200


def test_without_demo_supply_nothing_is_made():
    assert (
        seed_demo_cases(
            rng=random.Random(1),
            today=timezone.localdate(),
            insurers=[InsurerFactory(is_demo=True)],
        )
        == 0
    )
