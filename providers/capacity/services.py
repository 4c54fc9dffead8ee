"""Writes of capacity offers and of a location's scale-down status (DESIGN §3.2, §3.3).

Rules kept here, for the API and the web UI alike:

* An offer covers one week, given by its Monday, of this week or later (at most a year ahead);
  it has 1 to ``MAX_SLOTS_PER_OFFER`` slots and a non-empty set of urgency classes (1–5).
* ``kind == "treatment"`` needs a treatment, and that treatment belongs to the given specialism;
  first visits and diagnostics have none.
* One offer per location × specialism × treatment × kind × week: a second one is refused, so that
  ``remaining`` is never split over two rows; the planner edits the existing one instead.
* Reserved slots belong to patients: an offer is withdrawn only while nothing is reserved, and its
  slots never drop below what is reserved. Past weeks are history and no longer change.
* Planners write only for their own provider's locations (``providers.permissions``).

Field errors raise ``ValidationError`` keyed by field; refusals that concern the offer as a whole
(a duplicate, a reserved or past offer) raise ``ApplicationError``. Both are answered 400. Every
change is recorded in the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.services import audit_record
from core.dates import date_display
from core.errors import ApplicationError, raise_if
from providers.capacity.selectors import week_start_of
from providers.models import (
    URGENCY_CLASSES,
    CapacityHold,
    CapacityOffer,
    Location,
    Specialism,
    Treatment,
    WaitingTimeKind,
)
from providers.permissions import capacity_offer_list_for, location_list_for_reporting

# One offer is one location's free capacity for one week; more than this is a typing error.
MAX_SLOTS_PER_OFFER = 500
MAX_WEEKS_AHEAD = 52


def urgency_classes_clean(values: Iterable[Any] | None, *, field: str) -> list[int]:
    """``values`` as a sorted list without duplicates; refused when empty or outside 1–5."""
    values = list(values or [])
    if not values:
        raise ValidationError({field: _("Choose at least one urgency class.")})
    if any(
        isinstance(value, bool) or not isinstance(value, int) or value not in URGENCY_CLASSES
        for value in values
    ):
        raise ValidationError({field: _("Urgency classes are the numbers 1 to 5.")})
    return sorted(set(values))


def _own_location(*, actor: Actor, location: Location) -> Location:
    """The location, locked: it serialises concurrent writes for one location (the duplicate
    check below relies on it). Foreign and unknown locations get the same message."""
    own = (
        location_list_for_reporting(actor=actor)
        .select_for_update(of=("self",))
        .filter(pk=location.pk)
        .first()
    )
    if own is None:
        raise ValidationError({"location": _("Unknown location.")})
    return own


def _week_errors(week_start: date, *, today: date) -> list[str]:
    if week_start.weekday() != 0:
        return [
            _("A capacity offer covers one week: give its Monday (%(date)s is a %(weekday)s).")
            % {"date": date_display(week_start), "weekday": date_format(week_start, "l")}
        ]
    if week_start < week_start_of(today):
        return [_("This week is over: offer capacity for this week or a later one.")]
    if week_start > week_start_of(today) + timedelta(weeks=MAX_WEEKS_AHEAD):
        return [_("Offer capacity at most %(weeks)d weeks ahead.") % {"weeks": MAX_WEEKS_AHEAD}]
    return []


def _slots_errors(slots: int, *, reserved: int = 0) -> list[str]:
    if slots < 1:
        return [_("Offer at least 1 slot.")]
    if slots > MAX_SLOTS_PER_OFFER:
        return [_("Offer at most %(max)d slots in one week.") % {"max": MAX_SLOTS_PER_OFFER}]
    if slots < reserved:
        return [
            ngettext(
                "%(reserved)d slot is already reserved for a patient: offer at least %(reserved)d.",
                "%(reserved)d slots are already reserved for patients: offer at least "
                "%(reserved)d.",
                reserved,
            )
            % {"reserved": reserved}
        ]
    return []


def _treatment_errors(
    *, kind: str, specialism: Specialism, treatment: Treatment | None
) -> list[str]:
    if kind == WaitingTimeKind.TREATMENT:
        if treatment is None:
            return [_("Choose the treatment this capacity is for.")]
        if treatment.specialism_id != specialism.pk:
            return [
                _("%(treatment)s belongs to specialism %(own)s, not to %(given)s.")
                % {
                    "treatment": treatment.name,
                    "own": treatment.specialism.code,
                    "given": specialism.code,
                }
            ]
    elif treatment is not None:
        return [
            _(
                "Only capacity of the kind “treatment” is for a treatment: leave the treatment "
                "empty for first visits and diagnostics."
            )
        ]
    return []


def _offer_detail(offer: CapacityOffer) -> dict[str, Any]:
    return {
        "location": offer.location.code,
        "specialism": offer.specialism.code,
        "treatment": offer.treatment.code if offer.treatment else None,
        "kind": offer.kind,
        "week_start": offer.week_start.isoformat(),
        "slots": offer.slots,
        "reserved_slots": offer.reserved_slots,
        "urgency_classes": offer.urgency_classes,
    }


@transaction.atomic
def capacity_offer_create(
    *,
    actor: Actor,
    location: Location,
    specialism: Specialism,
    treatment: Treatment | None,
    kind: str,
    week_start: date,
    slots: int,
    urgency_classes: Iterable[int],
    today: date | None = None,
    request: Any = None,
) -> CapacityOffer:
    today = today or timezone.localdate()
    location = _own_location(actor=actor, location=location)
    if not location.is_active:
        raise ValidationError({"location": _("This location is no longer active.")})
    errors: dict[str, list[str]] = {
        "kind": [] if kind in WaitingTimeKind.values else [_("Unknown kind.")],
        "week_start": _week_errors(week_start, today=today),
        "slots": _slots_errors(slots),
        "treatment": _treatment_errors(kind=kind, specialism=specialism, treatment=treatment),
    }
    try:
        classes = urgency_classes_clean(urgency_classes, field="urgency_classes")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    raise_if(errors)

    duplicate = CapacityOffer.objects.filter(
        location=location,
        specialism=specialism,
        treatment=treatment,
        kind=kind,
        week_start=week_start,
    ).first()
    if duplicate is not None:
        raise ApplicationError(
            ngettext(
                "There is already an offer for this location, specialism, treatment and kind in "
                "the week of %(week)s (%(slots)d slot). Change that offer instead of adding a "
                "second one.",
                "There is already an offer for this location, specialism, treatment and kind in "
                "the week of %(week)s (%(slots)d slots). Change that offer instead of adding a "
                "second one.",
                duplicate.slots,
            )
            % {"week": date_format(week_start, "j F Y"), "slots": duplicate.slots}
        )

    offer = CapacityOffer.objects.create(
        location=location,
        specialism=specialism,
        treatment=treatment,
        kind=kind,
        week_start=week_start,
        slots=slots,
        urgency_classes=classes,
        created_by=actor.label,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=offer,
        request=request,
        detail=_offer_detail(offer),
    )
    return offer


def _locked_own_offer(*, actor: Actor, offer: CapacityOffer) -> CapacityOffer:
    """Re-read under a row lock: mediation reserves slots under the same lock, so the reserved
    count checked here is the one that counts."""
    locked = (
        capacity_offer_list_for(actor=actor)
        .select_for_update(of=("self",))
        .filter(pk=offer.pk)
        .first()
    )
    if locked is None:
        # Callers look offers up through the scoped selector (404); this is the invariant.
        raise PermissionDenied
    # Slots of offers the patients let expire are free again, recorded or not.
    capacity_lapsed_holds_reclaim(capacity=locked, now=timezone.now())
    return locked


@transaction.atomic
def capacity_offer_update(
    *,
    actor: Actor,
    offer: CapacityOffer,
    slots: int,
    urgency_classes: Iterable[int],
    today: date | None = None,
    request: Any = None,
) -> CapacityOffer:
    """Change the slots and urgency classes of an offer of this week or later."""
    today = today or timezone.localdate()
    offer = _locked_own_offer(actor=actor, offer=offer)
    if offer.week_start < week_start_of(today):
        raise ApplicationError(_("The week of this offer is over; it can no longer be changed."))
    errors: dict[str, list[str]] = {"slots": _slots_errors(slots, reserved=offer.reserved_slots)}
    try:
        classes = urgency_classes_clean(urgency_classes, field="urgency_classes")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    raise_if(errors)

    changes: dict[str, list[Any]] = {}
    if slots != offer.slots:
        changes["slots"] = [offer.slots, slots]
    if classes != offer.urgency_classes:
        changes["urgency_classes"] = [offer.urgency_classes, classes]
    if not changes:
        return offer
    offer.slots = slots
    offer.urgency_classes = classes
    offer.save(update_fields=["slots", "urgency_classes"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=offer,
        request=request,
        detail={"changes": changes, "reserved_slots": offer.reserved_slots},
    )
    return offer


@transaction.atomic
def capacity_offer_withdraw(
    *, actor: Actor, offer: CapacityOffer, today: date | None = None, request: Any = None
) -> None:
    """Remove an offer, which is only possible while none of its slots is reserved."""
    today = today or timezone.localdate()
    offer = _locked_own_offer(actor=actor, offer=offer)
    if offer.week_start < week_start_of(today):
        raise ApplicationError(_("The week of this offer is over; it can no longer be withdrawn."))
    if offer.reserved_slots:
        raise ApplicationError(
            ngettext(
                "%(reserved)d slot of this offer is already reserved for a patient, so it cannot "
                "be withdrawn. Reduce its slots to %(reserved)d instead.",
                "%(reserved)d slots of this offer are already reserved for patients, so it "
                "cannot be withdrawn. Reduce its slots to %(reserved)d instead.",
                offer.reserved_slots,
            )
            % {"reserved": offer.reserved_slots}
        )
    detail = _offer_detail(offer)
    pk = offer.pk
    offer.delete()
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        object_type="providers.capacityoffer",
        object_id=str(pk),
        request=request,
        detail=detail,
    )


@transaction.atomic
def location_accepted_urgency_classes_set(
    *,
    actor: Actor,
    location: Location,
    urgency_classes: Iterable[int],
    request: Any = None,
) -> Location:
    """Set which urgency classes a location accepts now (scale-down status, DESIGN §3.2).

    During a surge a hospital may accept only the urgent classes (e.g. 1–3); matching then
    proposes the location for patients in the accepted classes only.
    """
    location = _own_location(actor=actor, location=location)
    classes = urgency_classes_clean(urgency_classes, field="accepted_urgency_classes")
    previous = sorted(location.accepted_urgency_classes or [])
    if classes == previous:
        return location
    location.accepted_urgency_classes = classes
    location.save(update_fields=["accepted_urgency_classes"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=location,
        request=request,
        detail={
            "accepted_urgency_classes": [previous, classes],
            "scale_down": classes != list(URGENCY_CLASSES),
        },
    )
    return location


# --- Holds of single slots (for mediation offers) ---------------------------------------------
# Every change of holds first locks the capacity offer's row (``capacity_lock``), so reservations,
# releases and reclaims of one offer are serialised and always take their locks in one order.
def capacity_lock(*, capacity_pk: int) -> CapacityOffer | None:
    return CapacityOffer.objects.select_for_update().filter(pk=capacity_pk).first()


def capacity_lapsed_holds_reclaim(*, capacity: CapacityOffer, now: datetime) -> int:
    """Delete the locked ``capacity``'s holds whose time has passed and give their slots back;
    return how many. Their slots already read as free; this makes the counter say so too."""
    lapsed = list(capacity.holds.filter(until__lte=now).values_list("pk", flat=True))
    if not lapsed:
        return 0
    deleted, _detail = CapacityHold.objects.filter(pk__in=lapsed).delete()
    capacity.reserved_slots = max(0, capacity.reserved_slots - deleted)
    capacity.save(update_fields=["reserved_slots"])
    return deleted


def capacity_hold_add(
    *, capacity: CapacityOffer, holder: str, until: datetime | None
) -> CapacityHold:
    """Take one slot of the locked ``capacity`` for ``holder`` until ``until``. The caller has
    checked that a slot remains (after :func:`capacity_lapsed_holds_reclaim`)."""
    capacity.reserved_slots += 1
    capacity.save(update_fields=["reserved_slots"])
    return CapacityHold.objects.create(capacity_offer=capacity, holder=holder, until=until)


def capacity_hold_keep(*, capacity_pk: int, holder: str) -> bool:
    """Hold ``holder``'s slot without a time limit from now on; ``False`` when the hold is gone
    (it lapsed and was reclaimed), so the slot is no longer the holder's."""
    capacity_lock(capacity_pk=capacity_pk)
    return (
        CapacityHold.objects.filter(capacity_offer_id=capacity_pk, holder=holder).update(until=None)
        == 1
    )


def capacity_hold_release(*, capacity_pk: int, holder: str) -> bool:
    """Give ``holder``'s slot back (once: a hold already reclaimed or released changes nothing)."""
    capacity = capacity_lock(capacity_pk=capacity_pk)
    if capacity is None:
        return False
    deleted, _detail = CapacityHold.objects.filter(
        capacity_offer_id=capacity_pk, holder=holder
    ).delete()
    if deleted:
        capacity.reserved_slots = max(0, capacity.reserved_slots - deleted)
        capacity.save(update_fields=["reserved_slots"])
    return bool(deleted)
