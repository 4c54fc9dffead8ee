"""Reads of mediation cases for staff: the mediators' work queue, a case's offers and timeline,
and the receiving provider's incoming patients. (The outcomes dashboard is
``mediation.selectors.outcomes``.)

Access (DESIGN §5): a case is seen only by the mediators of its insurer (an insurer's API key acts
as mediator); a receiving provider's planners see only the scheduling data of patients who
accepted an offer at one of their locations. Anything else is an empty queryset. Looking up one
object (404 when it is not yours, exactly like a missing one) is ``mediation.permissions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Case as Switch
from django.db.models import F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import scope_to_organisation
from mediation.models import Case, CaseStatus, Offer, OfferStatus

# Who works the cases (an insurer's API key holds the mediator role too).
CASE_ROLES = (Role.MEDIATOR,)
# Who receives placed patients.
INCOMING_ROLES = (Role.PLANNER,)
# Confirmed appointments stay on the incoming list this long, for the planner's reference.
INCOMING_CONFIRMED_DAYS = 30


# --- Cases ---------------------------------------------------------------------------------------
def case_list_for(*, actor: Actor) -> QuerySet[Case]:
    """The cases an actor may see: its own insurer's, for mediators; nothing for anyone else."""
    if not actor.has_role(*CASE_ROLES):
        return Case.objects.none()
    return scope_to_organisation(
        Case.objects.select_related(
            "specialism",
            "treatment",
            "current_location",
            "current_location__provider",
            "assigned_to",
            "insurer",
        ),
        actor=actor,
        insurer_field="insurer",
    )


def case_queue_for(
    *,
    actor: Actor,
    today: date,
    statuses: Iterable[str] | None = None,
    specialism_code: str | None = None,
    urgency_class: int | None = None,
    overdue: bool | None = None,
    assigned_to_id: int | None = None,
) -> QuerySet[Case]:
    """The work queue: the actor's cases, filtered, **overdue first**, then by first-contact due
    date, urgency class (3 before 4 and 5, DESIGN §3.2) and the oldest request.

    ``overdue``: ``True`` only overdue cases, ``False`` only cases that are not, ``None`` both.
    Every case carries ``is_overdue``."""
    cases = case_list_for(actor=actor).with_overdue(today=today)  # type: ignore[attr-defined]
    if statuses:
        cases = cases.filter(status__in=list(statuses))
    if specialism_code:
        cases = cases.filter(specialism__code=specialism_code)
    if urgency_class is not None:
        cases = cases.filter(urgency_class=urgency_class)
    if overdue is not None:
        cases = cases.filter(is_overdue=overdue)
    if assigned_to_id is not None:
        cases = cases.filter(assigned_to_id=assigned_to_id)
    return cases.order_by(
        F("is_overdue").desc(), "first_contact_due", "urgency_class", "submitted_at", "id"
    )


def case_timeline(*, case: Case) -> QuerySet:
    return case.events.select_related("actor", "offer", "offer__location").order_by("at", "id")


def case_offer_list(*, case: Case) -> QuerySet[Offer]:
    return case.offers.select_related(
        "location", "location__provider", "capacity_offer", "made_by"
    ).order_by("-made_at", "-id")


# --- Receiving provider --------------------------------------------------------------------------
def incoming_offer_list_for(*, actor: Actor, today: date) -> QuerySet[Offer]:
    """Accepted offers at the planner's own locations: those awaiting an appointment date first
    (earliest expected date first), then those confirmed in the last 30 days."""
    if not actor.has_role(*INCOMING_ROLES) or actor.provider_id is None:
        return Offer.objects.none()
    since = timezone.now() - timedelta(days=INCOMING_CONFIRMED_DAYS)
    return (
        Offer.objects.filter(
            location__provider_id=actor.provider_id,
            status=OfferStatus.ACCEPTED,
            case__anonymised_at__isnull=True,
        )
        .filter(
            Q(case__status=CaseStatus.ACCEPTED)
            | Q(case__status=CaseStatus.COMPLETED, confirmed_at__gte=since)
        )
        .select_related("case", "case__specialism", "case__treatment", "location")
        .annotate(
            awaiting=Switch(
                When(case__status=CaseStatus.ACCEPTED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("awaiting", "expected_date", "id")
    )
