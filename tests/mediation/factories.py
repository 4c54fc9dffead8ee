"""Factories of the mediation app.

``CaseFactory()`` is a valid, freshly submitted case of a new insurer: a first visit in a test
specialism, urgency class 4, waiting at a new location (``LocationFactory``, Utrecht) since 60 days,
with an appointment there in 90 days (``expected_date``: a remaining wait of 90 days).
Pass ``token="..."`` to know the patient's access token (only its SHA-256 is stored).
"""

import hashlib
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from core.working_days import add_working_days
from mediation.models import Case, CaseEvent, CaseEventKind, CaseStatus, Channel, Offer, OfferStatus
from providers.models import CapacityHold, CapacityOffer
from tests.accounts.factories import InsurerFactory
from tests.providers.factories import LocationFactory, SpecialismFactory


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    class Params:
        token = factory.Sequence(lambda n: f"test-token-{n}")

    reference = factory.Sequence(lambda n: f"ZB-{timezone.now().year}-{900_000 + n:06d}")
    insurer = factory.SubFactory(InsurerFactory)
    channel = Channel.WEB
    status = CaseStatus.SUBMITTED
    outcome = ""
    policy_number = factory.Sequence(lambda n: f"P{100_000_000 + n}")
    full_name = factory.Sequence(lambda n: f"Patiënt {n}")
    birth_date = factory.LazyFunction(lambda: timezone.localdate().replace(year=1970))
    email = factory.Sequence(lambda n: f"patient{n}@example.org")
    phone = "0612345678"
    postcode = "3511AB"
    specialism = factory.SubFactory(SpecialismFactory)
    treatment = None
    kind = factory.LazyAttribute(lambda o: "treatment" if o.treatment else "first_visit")
    urgency_class = 4
    current_location = factory.SubFactory(LocationFactory)
    waiting_since = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    # The appointment the patient already has: a remaining wait of 90 days.
    expected_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=90))
    max_distance_km = 50
    hospital_setting_required = False
    consent_at = factory.LazyFunction(timezone.now)
    access_token_hash = factory.LazyAttribute(lambda o: token_hash(o.token))
    assigned_to = None
    submitted_at = factory.LazyFunction(timezone.now)
    first_contact_due = factory.LazyAttribute(
        lambda o: add_working_days(timezone.localtime(o.submitted_at).date(), 2)
    )


class OfferFactory(factory.django.DjangoModelFactory):
    """An open offer on a case in status ``offered``: 20 days from now, 40 days gained."""

    class Meta:
        model = Offer
        skip_postgeneration_save = True

    case = factory.SubFactory(CaseFactory, status=CaseStatus.OFFERED)
    location = factory.SubFactory(
        LocationFactory,
        postcode="3811AA",
        city="Amersfoort",
        latitude=Decimal("52.156000"),
        longitude=Decimal("5.387000"),
    )
    capacity_offer = None
    expected_days = 20
    expected_date = factory.LazyAttribute(
        lambda o: timezone.localdate() + timedelta(days=o.expected_days)
    )
    distance_km = Decimal("19.0")
    days_gained = 40
    status = OfferStatus.OPEN
    made_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.made_at + timedelta(days=7))
    made_by = None
    note = ""

    @factory.post_generation
    def slot_hold(self, create, extracted, **kwargs):
        """An offer with a capacity offer holds its slot (``providers.CapacityHold``), as
        ``offer_make`` leaves it; the capacity's ``reserved_slots`` is the test's to set."""
        if create and self.capacity_offer_id and self.status in ("open", "accepted"):
            CapacityHold.objects.create(
                capacity_offer_id=self.capacity_offer_id,
                holder=self.hold_key,
                until=self.expires_at if self.status == "open" else None,
            )


class CaseEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseEvent

    case = factory.SubFactory(CaseFactory)
    at = factory.LazyFunction(timezone.now)
    actor = None
    actor_label = "system"
    kind = CaseEventKind.CREATED
    from_status = ""
    to_status = CaseStatus.SUBMITTED
    note = ""


class CapacityOfferFactory(factory.django.DjangoModelFactory):
    """A capacity offer of next week with 2 slots, fitting ``CaseFactory``'s kind of case once
    given the case's specialism (``specialism=case.specialism``)."""

    class Meta:
        model = CapacityOffer

    location = factory.SubFactory(LocationFactory)
    specialism = factory.SubFactory(SpecialismFactory)
    treatment = None
    kind = factory.LazyAttribute(lambda o: "treatment" if o.treatment else "first_visit")
    week_start = factory.LazyFunction(
        lambda: (
            timezone.localdate()
            - timedelta(days=timezone.localdate().weekday())
            + timedelta(weeks=1)
        )
    )
    slots = 2
    reserved_slots = 0
    urgency_classes = factory.LazyFunction(lambda: [3, 4, 5])


def case_request(**overrides):
    """Valid keyword arguments of ``mediation.services.cases.case_create`` for a web request
    (pass ``insurer``, or one is made)."""
    today = timezone.localdate()
    data = {
        "insurer": overrides.pop("insurer", None) or InsurerFactory(),
        "policy_number": "123456789",
        "full_name": "Jan  de Vries",
        "birth_date": today.replace(year=today.year - 60),
        "email": "jan@example.org",
        "phone": "06 12345678",
        "postcode": "3511 ab",
        "specialism": None,
        "treatment": None,
        "kind": "first_visit",
        "urgency_class": 4,
        "current_location": None,
        "waiting_since": today - timedelta(days=70),
        "expected_date": None,
        "max_distance_km": 50,
        "hospital_setting_required": False,
        "consent": True,
        "channel": "web",
    }
    data.update(overrides)
    if data["specialism"] is None:
        data["specialism"] = SpecialismFactory()
    if data["current_location"] is None:
        data["current_location"] = LocationFactory()
    return data


def current_figure_for(case: Case, location, *, days: int = 20):
    """A current figure (reported today) at ``location`` for what the case's patient waits for:
    an offer there then breaks no matching rule for lack of one (DESIGN §3.3, issue 13)."""
    from tests.providers.factories import WaitingTimeSeriesFactory

    return WaitingTimeSeriesFactory(
        location=location,
        specialism=case.specialism,
        treatment=case.treatment if case.kind == "treatment" else None,
        kind=case.kind,
        current_days=days,
    )


def offerable_location(case: Case, **location):
    """A location in Amersfoort (about 20 km from the factory patient in Utrecht) with a current
    figure of the case's subject: offering it breaks no matching rule."""
    values = {
        "postcode": "3811AA",
        "city": "Amersfoort",
        "latitude": Decimal("52.156000"),
        "longitude": Decimal("5.387000"),
        **location,
    }
    found = LocationFactory(**values)
    current_figure_for(case, found)
    return found
