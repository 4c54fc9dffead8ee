"""Reads of mediation cases for staff: the mediators' work queue, a case's offers and timeline,
and the receiving provider's incoming patients. (The outcomes dashboard is
``mediation.selectors.outcomes``.)

Access (DESIGN §5): a case is seen only by the mediators of its insurer (an insurer's API key acts
as mediator); a receiving provider's planners see only the scheduling data of patients who
accepted an offer at one of their locations. Anything else is an empty queryset. Looking up one
object (404 when it is not yours, exactly like a missing one) is ``mediation.permissions``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Case as Switch
from django.db.models import (
    F,
    IntegerField,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Role, User
from accounts.permissions import scope_to_organisation
from mediation.models import Case, CaseEvent, CaseStatus, Offer, OfferStatus

# Who works the cases (an insurer's API key holds the mediator role too).
CASE_ROLES = (Role.MEDIATOR,)
# Who receives placed patients.
INCOMING_ROLES = (Role.PLANNER,)
# Confirmed appointments stay on the incoming list this long, for the planner's reference.
INCOMING_CONFIRMED_DAYS = 30
# The longest search text taken; anything longer is cut (a reference or a name is far shorter).
SEARCH_MAX_LENGTH = 100
SEARCH_MAX_WORDS = 5
_REFERENCE = re.compile(r"^ZB-\d{4}-\d{6}$", re.IGNORECASE)


def _nulls_last(field: str) -> tuple[OrderBy, ...]:
    return (F(field).asc(nulls_last=True),)


def _nulls_last_desc(field: str) -> tuple[OrderBy, ...]:
    return (F(field).desc(nulls_last=True),)


# The work queue's sortable columns (``?sort=<key>``, ``-<key>`` descending): a whitelist, so that
# a query parameter never names a database column. Each key ends on ``id`` for a stable order
# across pages; a case without the value (no open offer, no event) comes last either way.
QUEUE_SORTS: dict[str, tuple[object, ...]] = {
    "reference": ("reference",),
    "-reference": ("-reference",),
    "urgency": ("urgency_class", "first_contact_due"),
    "-urgency": ("-urgency_class", "first_contact_due"),
    "due": ("first_contact_due", "urgency_class"),
    "-due": ("-first_contact_due", "urgency_class"),
    # Days waited: the longest waiter first is "-waited" (the earliest ``waiting_since``).
    "waited": ("-waiting_since",),
    "-waited": ("waiting_since",),
    "expires": _nulls_last("offer_expires_at"),
    "-expires": _nulls_last_desc("offer_expires_at"),
    "activity": _nulls_last("last_activity_at"),
    "-activity": _nulls_last_desc("last_activity_at"),
}
# Sorting by these needs the activity annotations (``with_activity``).
ACTIVITY_SORTS = {"expires", "-expires", "activity", "-activity"}


def case_search_condition(search: str) -> Q:
    """Free text over reference, name, policy number and email, case-insensitively (issue 13).

    A whole reference (``ZB-2026-000123``) is looked up exactly, on its unique index. Otherwise
    every word must occur in one of the four fields ("jan jansen" finds "Jan de Jansen"); at most
    five words of the first 100 characters count. Anonymised cases have blank fields and so are
    never found by their former name."""
    text = " ".join((search or "").split())[:SEARCH_MAX_LENGTH]
    if not text:
        return Q()
    if _REFERENCE.match(text):
        return Q(reference=text.upper())
    condition = Q()
    for word in text.split()[:SEARCH_MAX_WORDS]:
        condition &= (
            Q(reference__icontains=word)
            | Q(full_name__icontains=word)
            | Q(policy_number__icontains=word)
            | Q(email__icontains=word)
        )
    return condition


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
    search: str = "",
    sort: str = "",
    with_activity: bool = False,
) -> QuerySet[Case]:
    """The work queue: the actor's cases, filtered, **overdue first**, then by first-contact due
    date, urgency class (3 before 4 and 5, DESIGN §3.2) and the oldest request.

    ``overdue``: ``True`` only overdue cases, ``False`` only cases that are not, ``None`` both.
    ``search``: free text (:func:`case_search_condition`). ``sort``: a key of
    :data:`QUEUE_SORTS` instead of the default order (an unknown key is the default order).
    ``with_activity`` annotates ``offer_expires_at`` (the earliest expiry of the case's open
    offers) and ``last_activity_at`` (its latest timeline event). Every case carries
    ``is_overdue``."""
    cases = case_list_for(actor=actor).with_overdue(today=today)  # type: ignore[attr-defined]
    if search:
        cases = cases.filter(case_search_condition(search))
    if with_activity or sort in ACTIVITY_SORTS:
        cases = cases.annotate(
            offer_expires_at=Subquery(
                Offer.objects.filter(case=OuterRef("pk"), status=OfferStatus.OPEN)
                .order_by("expires_at")
                .values("expires_at")[:1]
            ),
            last_activity_at=Subquery(
                CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-at").values("at")[:1]
            ),
        )
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
    if sort in QUEUE_SORTS:
        return cases.order_by(*QUEUE_SORTS[sort], "id")  # type: ignore[misc]
    return cases.order_by(
        F("is_overdue").desc(), "first_contact_due", "urgency_class", "submitted_at", "id"
    )


def case_assignees_for(*, actor: Actor) -> QuerySet[User]:
    """The colleagues a case of the actor's insurer can be assigned to: its active mediators."""
    if not actor.has_role(*CASE_ROLES) or actor.organisation is None:
        return User.objects.none()
    return User.objects.filter(
        is_active=True,
        membership__organisation=actor.organisation,
        membership__role=Role.MEDIATOR,
    ).order_by("first_name", "last_name", "username")


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
