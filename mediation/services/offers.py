"""Writes of offers: making one (optionally reserving a capacity slot), the patient's answer,
expiry, and the receiving provider's confirmation of the appointment (DESIGN §3.3; issue 4).

Rules kept here:

* An offer is made by a mediator of the case's insurer on a case that is submitted, in progress
  or already offered (more than one offer may be open at a time). Making one on a submitted case
  first moves it to ``in_progress`` (the offer is the first contact), then to ``offered``.
* The location is active, is not where the patient waits now, accepts the case's urgency class
  and, when a hospital setting is required, is not a ZBC. One open offer per location per case.
* A capacity offer reserves one slot: its row is locked (``select_for_update``) and the slot is
  refused when none remain, when its week has no working day left, or when it does not fit the
  case (location, specialism / treatment, kind, urgency class); the expected date is then the
  first Dutch working day of its week that is not before today
  (``mediation.matching.capacity_slot_date``). A slot is held while the offer is open or accepted
  and released when it is declined, expires or is withdrawn — so a slot is never given twice.
* The matching rules hold for offers too (DESIGN §3.3, ``mediation.matching.offer_rule_check``):
  an offer that does not shorten the patient's wait is refused; one that breaks another rule
  (gain below the margin, beyond the patient's distance, no current figure, above the Treeknorm
  while the gain is unknown, outside the class-3 window) needs the mediator's override reason,
  which is kept with the offer, on the timeline and in the audit trail.
* ``days_gained`` = the patient's remaining wait − the offer's expected wait (DESIGN §3.3);
  unknown (``None``) when the remaining wait is.
* Offers expire after ``offer_expiry_working_days`` (default 5) Dutch working days.
* Accepting one offer withdraws the case's other open offers; when the last open offer is
  declined or expires, the case goes back to ``in_progress``.
* The receiving provider's planner confirms the appointment date: the case is ``completed``,
  outcome ``placed``, with ``days_gained`` = remaining wait − (appointment date − today) (unknown
  when the remaining wait is), and a volume transfer is recorded in finance ("the money follows
  the patient", DESIGN §3.5), in the contracts of the appointment's year.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import Role
from core.dates import date_display
from core.errors import ApplicationError, raise_if
from core.working_days import add_working_days_to_moment
from finance.services import volume_transfer_record
from mediation.matching import (
    ABOVE_NORM,
    BEYOND_DISTANCE,
    GAIN_BELOW_MARGIN,
    NO_CURRENT_FIGURE,
    OUTSIDE_CLASS3_WINDOW,
    OfferRuleCheck,
    capacity_slot_date,
    class3_window_end,
    distance_km,
    rounded_km,
)
from mediation.models import (
    STAFF_ANSWER_CHANNELS,
    AnswerChannel,
    Case,
    CaseEventKind,
    CaseNotification,
    CaseOutcome,
    CaseStatus,
    NotificationKind,
    NotificationRecipient,
    Offer,
    OfferStatus,
    mediation_settings_for,
)
from mediation.selectors.matching import case_remaining_wait_days, offer_rules_for
from mediation.services.notifications import (
    notify_offer_accepted,
    notify_offer_declined,
    notify_offer_expired,
    notify_offer_expiring,
)
from mediation.services.transitions import (
    PATIENT_LABEL,
    SYSTEM_LABEL,
    actor_label,
    audit_case_change,
    case_lock,
    event_add,
    mediator_check,
    notification_queue,
    status_move,
    transition_check,
)
from providers.capacity.services import (
    capacity_hold_add,
    capacity_hold_keep,
    capacity_hold_release,
    capacity_lapsed_holds_reclaim,
    capacity_lock,
)
from providers.geography.points import postcode_point
from providers.models import (
    MAX_PLAUSIBLE_WAIT_DAYS,
    CapacityOffer,
    Location,
    ProviderKind,
    WaitingTimeKind,
)

# An appointment more than this far ahead is not plausible for a mediated patient.
MAX_APPOINTMENT_DAYS_AHEAD = 365
# Patients are reminded this long before an open offer expires.
EXPIRY_REMINDER_BEFORE = timedelta(hours=24)
MAX_REASON_LENGTH = 2000
# What a mediator records for the patient (``POST …/offers/{id}/answer/``, DESIGN §8).
ANSWER_DECISIONS = ("accept", "decline")


# --- Capacity slots ---------------------------------------------------------------------------
def _capacity_fit_errors(*, capacity: CapacityOffer, case: Case, location: Location) -> list[str]:
    if capacity.location_id != location.pk:
        return [_("This capacity offer belongs to another location.")]
    if capacity.kind != case.kind:
        return [_("This capacity offer is for another kind of care than the patient waits for.")]
    if case.kind == WaitingTimeKind.TREATMENT:
        if capacity.treatment_id != case.treatment_id:
            return [_("This capacity offer is for another treatment.")]
    elif capacity.specialism_id != case.specialism_id or capacity.treatment_id is not None:
        return [_("This capacity offer is for another specialism.")]
    if case.urgency_class not in (capacity.urgency_classes or []):
        return [
            _("This capacity offer does not take patients in urgency class %(value)d.")
            % {"value": case.urgency_class}
        ]
    return []


def _slot_reserve(
    *, capacity_pk: int, case: Case, location: Location, today: date, now: datetime
) -> tuple[CapacityOffer, date]:
    """Lock the capacity offer and check that one slot can be taken; return it with the slot's
    date (the first working day of its week not before today). Refused when it does not fit,
    its week has no working day left or no slot remains. Slots of offers whose time has passed
    are reclaimed first. Concurrent reservations wait on the row lock, so the last slot goes to
    exactly one of them; the caller takes it with ``capacity_hold_add`` once the offer exists."""
    capacity = capacity_lock(capacity_pk=capacity_pk)
    if capacity is None:
        raise ValidationError({"capacity_offer": _("Unknown capacity offer.")})
    errors = _capacity_fit_errors(capacity=capacity, case=case, location=location)
    if errors:
        raise ApplicationError(errors[0], field="capacity_offer")
    slot_date = capacity_slot_date(capacity.week_start, today=today)
    if slot_date is None:
        raise ApplicationError(
            _("The week of this capacity offer has no working day left; choose a later one."),
            field="capacity_offer",
        )
    capacity_lapsed_holds_reclaim(capacity=capacity, now=now)
    if capacity.slots - capacity.reserved_slots <= 0:
        raise ApplicationError(
            _("No slots are left in this capacity offer; another offer has taken the last one."),
            field="capacity_offer",
        )
    return capacity, slot_date


def _slot_release(offer: Offer) -> None:
    """Give the offer's reserved slot back (once; nothing when it was reclaimed already)."""
    if offer.capacity_offer_id is not None:
        capacity_hold_release(capacity_pk=offer.capacity_offer_id, holder=offer.hold_key)


def _offer_end(offer: Offer, *, status: str, now: datetime, reason: str = "") -> None:
    """End an open (or accepted) offer and release its slot."""
    offer.status = status
    fields = ["status"]
    if status in (OfferStatus.DECLINED, OfferStatus.ACCEPTED):
        offer.responded_at = now
        fields.append("responded_at")
    if reason:
        offer.decline_reason = reason
        fields.append("decline_reason")
    offer.save(update_fields=fields)
    if status != OfferStatus.ACCEPTED:
        _slot_release(offer)


def offers_withdraw(*, case: Case, now: datetime, keep: Offer | None = None) -> int:
    """Withdraw the case's open and accepted offers (except ``keep``) and release their slots.
    Offers whose time has passed are recorded as expired instead. The caller holds the case
    lock."""
    _case_offers_lapse(case=case, now=now, move_case=False)
    offers = list(
        case.offers.select_for_update().filter(status__in=(OfferStatus.OPEN, OfferStatus.ACCEPTED))
    )
    if keep is not None:
        offers = [offer for offer in offers if offer.pk != keep.pk]
    for offer in offers:
        _offer_end(offer, status=OfferStatus.WITHDRAWN, now=now)
    return len(offers)


def _offer_lock(*, case: Case, offer: Offer) -> Offer:
    if offer.case_id != case.pk:
        raise ApplicationError(_("This offer belongs to another request."), field="offer")
    Offer.objects.select_for_update().filter(pk=offer.pk).values_list("pk", flat=True).first()
    offer.refresh_from_db()
    return offer


# --- Making an offer --------------------------------------------------------------------------
def _location_errors(*, location: Location | None, case: Case, now: datetime) -> list[str]:
    if location is None or not location.is_active:
        return [_("Unknown location.")]
    if location.pk == case.current_location_id:
        return [_("The patient already waits at this location.")]
    if case.urgency_class not in (location.accepted_urgency_classes or []):
        return [
            _("This location does not take patients in urgency class %(value)d at the moment.")
            % {"value": case.urgency_class}
        ]
    if case.hospital_setting_required and location.provider.kind == ProviderKind.ZBC:
        return [_("The patient needs a hospital setting; a ZBC cannot be offered.")]
    if case.offers.filter(location=location, status=OfferStatus.OPEN, expires_at__gt=now).exists():
        return [_("An open offer for this location already exists.")]
    return []


def _location_resolve(value: Location | str) -> Location | None:
    found = Location.objects.select_related("provider")
    if isinstance(value, Location):
        return found.filter(pk=value.pk).first()
    return found.filter(code=str(value or "").strip()).first()


def _exact_distance(case: Case, location: Location) -> float | None:
    """The great-circle distance from the patient's PC4 point (``None``: area unknown)."""
    point = postcode_point(case.postcode)
    if point is None:
        return None
    return distance_km(point[0], point[1], float(location.latitude), float(location.longitude))


def _longer_wait_message(check: OfferRuleCheck, *, expected_days: int) -> str:
    if check.remaining_wait_days is not None:
        return _(
            "This offer does not shorten the patient's wait: the expected wait of %(expected)d "
            "days is not shorter than the remaining wait of %(remaining)d days."
        ) % {"expected": expected_days, "remaining": check.remaining_wait_days}
    if check.current_wait_days is not None:
        return _(
            "This offer does not shorten the patient's wait: the expected wait of %(expected)d "
            "days is not shorter than the %(current)d days published by the location where the "
            "patient waits now."
        ) % {"expected": expected_days, "current": check.current_wait_days}
    return _(
        "This offer cannot be shown to shorten the patient's wait: there is no published wait "
        "or Treeknorm to compare with. Record the patient's appointment date first."
    )


def _rule_text(
    code: str,
    *,
    check: OfferRuleCheck,
    case: Case,
    expected_days: int,
    expected_date: date,
    distance: Decimal | None,
) -> str:
    """One broken matching rule of an offer (``mediation.matching.OFFER_RULES``) as a translated
    phrase with its figures, for the mediator's error message and the timeline."""
    if code == GAIN_BELOW_MARGIN:
        return _("%(days)d days gained, less than the margin of %(margin)d days") % {
            "days": check.days_gained or 0,
            "margin": check.margin_days,
        }
    if code == ABOVE_NORM:
        if check.norm_max_days is None:
            return _("no Treeknorm is known to check the expected wait against")
        return _(
            "the expected wait of %(days)d days is above the Treeknorm maximum of %(max)d days"
        ) % {"days": expected_days, "max": check.norm_max_days}
    if code == BEYOND_DISTANCE:
        return _("%(km)s km away, beyond the %(max)s km the patient travels") % {
            "km": number_format(distance or 0, decimal_pos=1),
            "max": number_format(case.max_distance_km),
        }
    if code == NO_CURRENT_FIGURE:
        return _(
            "the location has no current waiting time for this care (none, too few "
            "observations, or older than 28 days)"
        )
    assert code == OUTSIDE_CLASS3_WINDOW, code
    return _("care expected on %(date)s, after the class-3 window that ends on %(end)s") % {
        "date": date_display(expected_date),
        "end": date_display(class3_window_end(case.waiting_since)),
    }


@transaction.atomic
def offer_make(
    *,
    case: Case,
    actor: Actor,
    location: Location | str,
    expected_days: int | None = None,
    capacity_offer: CapacityOffer | int | None = None,
    note: str = "",
    override_reason: str = "",
    request: Any = None,
    now: datetime | None = None,
) -> Offer:
    """Offer the patient a location, either with the expected wait there (``expected_days``) or
    by reserving one slot of a ``capacity_offer`` (whose week then gives the expected date; any
    ``expected_days`` given with it is not used). ``location`` may be a location or its code,
    ``capacity_offer`` an offer or its id. An offer that does not shorten the patient's wait is
    refused; one that breaks another matching rule needs ``override_reason`` (DESIGN §3.3). The
    patient is told by mail."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    mediator_check(actor=actor, case=case)
    case_lock(case)
    _case_offers_lapse(case=case, now=now)
    if case.status not in (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS, CaseStatus.OFFERED):
        transition_check(case=case, to_status=CaseStatus.OFFERED)  # raises for this status

    location_obj = _location_resolve(location)
    errors = _location_errors(location=location_obj, case=case, now=now)
    if errors:
        raise ValidationError({"location": errors})
    assert location_obj is not None
    location = location_obj
    note = (note or "").strip()
    if len(note) > MAX_REASON_LENGTH:
        raise ValidationError({"note": _("A note has at most 2000 characters.")})
    override_reason = (override_reason or "").strip()
    if len(override_reason) > MAX_REASON_LENGTH:
        raise ValidationError({"override_reason": _("At most 2000 characters, please.")})

    capacity: CapacityOffer | None = None
    if capacity_offer is not None and capacity_offer != "":
        capacity_pk = (
            capacity_offer.pk if isinstance(capacity_offer, CapacityOffer) else capacity_offer
        )
        try:
            capacity_pk = int(capacity_pk)
        except (TypeError, ValueError):
            raise ValidationError({"capacity_offer": _("Unknown capacity offer.")}) from None
        capacity, expected_date = _slot_reserve(
            capacity_pk=capacity_pk, case=case, location=location, today=today, now=now
        )
        expected_days = (expected_date - today).days
    else:
        if isinstance(expected_days, bool) or not isinstance(expected_days, int):
            raise ValidationError(
                {"expected_days": _("Give the expected wait in days, or reserve a capacity slot.")}
            )
        if not 0 <= expected_days <= MAX_PLAUSIBLE_WAIT_DAYS:
            raise ValidationError(
                {
                    "expected_days": _("The expected wait lies between 0 and %(max)d days.")
                    % {"max": MAX_PLAUSIBLE_WAIT_DAYS}
                }
            )
        expected_date = today + timedelta(days=expected_days)

    exact_distance = _exact_distance(case, location)
    distance = None if exact_distance is None else rounded_km(exact_distance)
    check = offer_rules_for(
        case=case,
        location_id=location.pk,
        expected_days=expected_days,
        distance=exact_distance,
        today=today,
    )
    if check.longer_wait:
        # Raised after the slot was taken: the transaction rolls the reservation back.
        raise ValidationError(
            {
                "capacity_offer" if capacity else "expected_days": _longer_wait_message(
                    check, expected_days=expected_days
                )
            }
        )
    broken = [
        _rule_text(
            code,
            check=check,
            case=case,
            expected_days=expected_days,
            expected_date=expected_date,
            distance=distance,
        )
        for code in check.broken
    ]
    if broken and not override_reason:
        raise ValidationError(
            {
                "override_reason": _(
                    "This offer breaks the matching rules (%(rules)s). Give a reason to "
                    "override them, or choose another offer."
                )
                % {"rules": "; ".join(broken)}
            }
        )

    label = actor_label(actor)
    if case.status == CaseStatus.SUBMITTED:
        # The offer is the first contact with the patient.
        case.first_contact_at = case.first_contact_at or now
        status_move(
            case=case,
            to_status=CaseStatus.IN_PROGRESS,
            at=now,
            label=label,
            user=actor.user,
            extra_fields=("first_contact_at",),
        )
    settings_row = mediation_settings_for(case.insurer)
    offer = Offer.objects.create(
        case=case,
        location=location,
        capacity_offer=capacity,
        expected_days=expected_days,
        expected_date=expected_date,
        distance_km=distance,
        days_gained=check.days_gained,
        override_reason=override_reason,
        overridden_rules=list(check.broken),
        status=OfferStatus.OPEN,
        expires_at=add_working_days_to_moment(
            timezone.localtime(now), settings_row.offer_expiry_working_days
        ),
        made_by=actor.user,
        made_at=now,
        note=note,
    )
    if capacity is not None:
        capacity_hold_add(capacity=capacity, holder=offer.hold_key, until=offer.expires_at)
    event_note = _("%(location)s, expected %(date)s") % {
        "location": location.name,
        "date": date_display(expected_date),
    }
    if note:
        event_note = f"{event_note} — {note}"
    if broken:
        event_note += "\n" + _("Matching rules overridden (%(rules)s): %(reason)s") % {
            "rules": "; ".join(broken),
            "reason": override_reason,
        }
    if case.status == CaseStatus.IN_PROGRESS:
        status_move(
            case=case,
            to_status=CaseStatus.OFFERED,
            at=now,
            label=label,
            user=actor.user,
            kind=CaseEventKind.OFFER_MADE,
            note=event_note,
            offer=offer,
        )
    else:
        event_add(
            case=case,
            kind=CaseEventKind.OFFER_MADE,
            at=now,
            label=label,
            user=actor.user,
            note=event_note,
            offer=offer,
        )
    audit_case_change(
        actor=actor,
        case=case,
        operation="offer_make",
        request=request,
        detail={
            "offer": offer.pk,
            "location": location.code,
            "capacity_offer": offer.capacity_offer_id,
            "overridden_rules": list(check.broken),
            "override_reason": override_reason,
        },
    )
    notification_queue(
        case=case,
        offer=offer,
        kind=NotificationKind.OFFER_MADE,
        recipient=NotificationRecipient.PATIENT,
    )
    return offer


# --- The patient's answer ---------------------------------------------------------------------
def _answer_label(*, recorded_by: Actor | None, channel: str) -> tuple[str, Any]:
    """Who answered, for the timeline, and the staff user who took the answer (if any)."""
    if recorded_by is None:
        return PATIENT_LABEL, None
    return actor_label(recorded_by), recorded_by.user


def _answer_note(*, text: str, recorded_by: Actor | None, channel: str) -> str:
    if recorded_by is None:
        return text
    taken = _("Answer given %(channel)s, recorded by %(mediator)s.") % {
        "channel": AnswerChannel(channel).label,
        "mediator": actor_label(recorded_by),
    }
    return f"{text} — {taken}" if text else taken


@transaction.atomic
def offer_accept(
    *,
    case: Case,
    offer: Offer,
    now: datetime | None = None,
    recorded_by: Actor | None = None,
    channel: str = AnswerChannel.WEB,
) -> Offer:
    """The patient accepts an open offer (``offered → accepted``); the case's other open offers
    are withdrawn and their slots released. The receiving provider then sees the patient.

    ``recorded_by`` is the mediator who took the answer by phone or letter (``channel``)."""
    now = now or timezone.now()
    case_lock(case)
    offer = _offer_lock(case=case, offer=offer)
    if offer.status != OfferStatus.OPEN:
        raise ApplicationError(
            _("This offer is %(status)s; it can no longer be accepted.")
            % {"status": OfferStatus(offer.status).label.lower()},
            field="offer",
        )
    if offer.expires_at <= now:
        raise ApplicationError(_("This offer has expired."), field="offer")
    transition_check(case=case, to_status=CaseStatus.ACCEPTED)
    if offer.capacity_offer_id is not None and not capacity_hold_keep(
        capacity_pk=offer.capacity_offer_id, holder=offer.hold_key
    ):
        # The hold lapsed and its slot went to another patient (it cannot have, while the
        # offer had time left; kept as the invariant that a slot is never given twice).
        raise ApplicationError(_("This offer has expired."), field="offer")
    offer.answer_channel = channel
    offer.answered_by = recorded_by.user if recorded_by is not None else None
    offer.save(update_fields=["answer_channel", "answered_by"])
    _offer_end(offer, status=OfferStatus.ACCEPTED, now=now)
    offers_withdraw(case=case, now=now, keep=offer)
    label, user = _answer_label(recorded_by=recorded_by, channel=channel)
    status_move(
        case=case,
        to_status=CaseStatus.ACCEPTED,
        at=now,
        label=label,
        user=user,
        kind=CaseEventKind.OFFER_ACCEPTED,
        note=_answer_note(text=offer.location.name, recorded_by=recorded_by, channel=channel),
        offer=offer,
    )
    notify_offer_accepted(case=case, offer=offer)
    return offer


def _back_in_progress_if_none_open(*, case: Case, now: datetime, label: str) -> None:
    if (
        case.status == CaseStatus.OFFERED
        and not case.offers.filter(status=OfferStatus.OPEN, expires_at__gt=now).exists()
    ):
        status_move(case=case, to_status=CaseStatus.IN_PROGRESS, at=now, label=label)


@transaction.atomic
def offer_decline(
    *,
    case: Case,
    offer: Offer,
    reason: str,
    now: datetime | None = None,
    recorded_by: Actor | None = None,
    channel: str = AnswerChannel.WEB,
) -> Offer:
    """The patient declines an open offer, saying why if they wish (the reason is optional,
    DESIGN §3.3 and §8); its slot is released. With no open offer left the case goes back to
    ``in_progress``. The assigned mediator is told (unless a mediator took the answer).

    ``recorded_by`` is the mediator who took the answer by phone or letter (``channel``)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": _("At most 2000 characters, please.")})
    case_lock(case)
    offer = _offer_lock(case=case, offer=offer)
    if offer.status != OfferStatus.OPEN:
        raise ApplicationError(
            _("This offer is %(status)s; it can no longer be declined.")
            % {"status": OfferStatus(offer.status).label.lower()},
            field="offer",
        )
    if offer.expires_at <= now:
        raise ApplicationError(_("This offer has expired."), field="offer")
    if case.status != CaseStatus.OFFERED:
        raise ApplicationError(
            _("This request is %(status)s; its offers can no longer be answered.")
            % {"status": CaseStatus(case.status).label.lower()},
            field="status",
        )
    offer.answer_channel = channel
    offer.answered_by = recorded_by.user if recorded_by is not None else None
    offer.save(update_fields=["answer_channel", "answered_by"])
    _offer_end(offer, status=OfferStatus.DECLINED, now=now, reason=reason)
    label, user = _answer_label(recorded_by=recorded_by, channel=channel)
    event_add(
        case=case,
        kind=CaseEventKind.OFFER_DECLINED,
        at=now,
        label=label,
        user=user,
        note=_answer_note(text=reason, recorded_by=recorded_by, channel=channel),
        offer=offer,
    )
    _back_in_progress_if_none_open(case=case, now=now, label=label)
    if case.assigned_to_id and recorded_by is None:
        notification_queue(
            case=case,
            offer=offer,
            kind=NotificationKind.OFFER_DECLINED,
            recipient=NotificationRecipient.MEDIATOR,
        )
    notify_offer_declined(case=case, offer=offer)
    return offer


@transaction.atomic
def offer_answer_record(
    *,
    case: Case,
    offer: Offer,
    actor: Actor,
    decision: str,
    channel: str,
    reason: str = "",
    request: Any = None,
    now: datetime | None = None,
) -> Offer:
    """A mediator records the answer a patient gave by phone or letter (DESIGN §3.3: patients
    without email are reached that way): the same rules as the patient's own answer, audited
    with the channel, and on the timeline as taken by the mediator."""
    now = now or timezone.now()
    mediator_check(actor=actor, case=case)
    errors: dict[str, list[str]] = {}
    if decision not in ANSWER_DECISIONS:
        errors["decision"] = [_("Choose the patient's answer: accept or decline.")]
    if channel not in STAFF_ANSWER_CHANNELS:
        errors["channel"] = [_("Say how the patient answered: by phone or by letter.")]
    if decision == "accept" and (reason or "").strip():
        errors["reason"] = [_("A reason is only given when the patient declines.")]
    raise_if(errors)
    if decision == "accept":
        offer = offer_accept(case=case, offer=offer, now=now, recorded_by=actor, channel=channel)
    else:
        offer = offer_decline(
            case=case, offer=offer, reason=reason, now=now, recorded_by=actor, channel=channel
        )
    audit_case_change(
        actor=actor,
        case=case,
        operation="offer_answer_record",
        request=request,
        obj=offer,
        detail={"offer": offer.pk, "decision": decision, "channel": channel},
    )
    return offer


# --- Expiry -----------------------------------------------------------------------------------
# An offer's time passing is a fact for every reader at once: ``Offer.is_lapsed_at`` says so,
# its slot hold lapses with it (``providers.CapacityHold``), accepting refuses it and a new offer
# of the same location is allowed. Recording it (status, timeline, slot counter, case back in
# progress) happens on the next read or write of the case, or by the periodic job, whichever
# comes first; telling the patient and the mediator is the periodic job's.
def _offer_lapse(*, case: Case, offer: Offer) -> None:
    """Record the expiry of one lapsed offer (the caller holds the case and offer locks); the
    timeline says when it expired, not when this ran."""
    at = offer.expires_at
    _offer_end(offer, status=OfferStatus.EXPIRED, now=at)
    event_add(
        case=case,
        kind=CaseEventKind.OFFER_EXPIRED,
        at=at,
        label=SYSTEM_LABEL,
        note=offer.location.name,
        offer=offer,
    )


def _case_offers_lapse(*, case: Case, now: datetime, move_case: bool = True) -> int:
    """Record the expiry of the locked case's offers whose time has passed; return how many.
    With ``move_case`` an offered case with no open offer left goes back to ``in_progress``."""
    offers = list(
        case.offers.select_for_update()
        .filter(status=OfferStatus.OPEN, expires_at__lte=now)
        .order_by("expires_at", "pk")
    )
    for offer in offers:
        _offer_lapse(case=case, offer=offer)
    if offers and move_case:
        _back_in_progress_if_none_open(case=case, now=offers[-1].expires_at, label=SYSTEM_LABEL)
    return len(offers)


def offers_lapse(*, now: datetime, case: Case | None = None) -> int:
    """Record the expiry of open offers whose time has passed — of ``case`` (which is then
    reloaded), or of every case — without telling anyone (the periodic job does). Readers of a
    case call this first, so that what they show and what they do next agree with the clock.
    Each case in its own transaction; idempotent."""
    due = Offer.objects.filter(status=OfferStatus.OPEN, expires_at__lte=now)
    if case is not None:
        if not due.filter(case_id=case.pk).exists():
            return 0
        with transaction.atomic():
            case_lock(case)
            return _case_offers_lapse(case=case, now=now)
    lapsed = 0
    for case_pk in sorted(set(due.values_list("case_id", flat=True))):
        with transaction.atomic():
            lapsed += _case_offers_lapse(case=case_lock(Case(pk=case_pk)), now=now)
    return lapsed


# Expired offers older than this are not looked at again for a missing notification.
EXPIRY_NOTICE_WINDOW = timedelta(days=30)


def offer_expire_due(*, now: datetime) -> int:
    """The periodic job: record every lapsed offer (:func:`offers_lapse`) and tell the patient
    and the assigned mediator of each expired offer not told yet; return how many were told.
    Idempotent: an offer's expiry is told once (its ``offer_expired`` notification)."""
    offers_lapse(now=now)
    told = CaseNotification.objects.filter(
        offer_id=OuterRef("pk"),
        kind=NotificationKind.OFFER_EXPIRED,
        recipient=NotificationRecipient.PATIENT,
    )
    due = list(
        Offer.objects.filter(
            status=OfferStatus.EXPIRED,
            expires_at__lte=now,
            expires_at__gt=now - EXPIRY_NOTICE_WINDOW,
        )
        .exclude(Exists(told))
        .order_by("expires_at", "pk")
        .values_list("pk", "case_id")
    )
    notified = 0
    for offer_pk, case_pk in due:
        with transaction.atomic():
            case = case_lock(Case(pk=case_pk))
            offer = Offer.objects.select_for_update().get(pk=offer_pk)
            if CaseNotification.objects.filter(
                offer=offer,
                kind=NotificationKind.OFFER_EXPIRED,
                recipient=NotificationRecipient.PATIENT,
            ).exists():
                continue
            notification_queue(
                case=case,
                offer=offer,
                kind=NotificationKind.OFFER_EXPIRED,
                recipient=NotificationRecipient.PATIENT,
            )
            if case.assigned_to_id:
                notification_queue(
                    case=case,
                    offer=offer,
                    kind=NotificationKind.OFFER_EXPIRED,
                    recipient=NotificationRecipient.MEDIATOR,
                )
                notify_offer_expired(offer=offer)
            notified += 1
    return notified


def offer_remind_expiring(*, now: datetime) -> int:
    """Remind patients once of an open offer that expires within 24 hours; return how many."""
    due = list(
        Offer.objects.filter(
            status=OfferStatus.OPEN,
            reminder_sent_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + EXPIRY_REMINDER_BEFORE,
        ).values_list("pk", flat=True)
    )
    reminded = 0
    for offer_pk in due:
        with transaction.atomic():
            offer = (
                Offer.objects.select_for_update(of=("self",))
                .select_related("case__assigned_to", "location")
                .get(pk=offer_pk)
            )
            if offer.status != OfferStatus.OPEN or offer.reminder_sent_at is not None:
                continue
            offer.reminder_sent_at = now
            offer.save(update_fields=["reminder_sent_at"])
            notification_queue(
                case=offer.case,
                offer=offer,
                kind=NotificationKind.OFFER_EXPIRING,
                recipient=NotificationRecipient.PATIENT,
            )
            notify_offer_expiring(offer=offer)
            reminded += 1
    return reminded


# --- The receiving provider -------------------------------------------------------------------
def _planner_check(*, actor: Actor, offer: Offer) -> None:
    if not (
        actor.is_authenticated
        and actor.has_role(Role.PLANNER)
        and actor.provider_id is not None
        and actor.provider_id == offer.location.provider_id
    ):
        raise PermissionDenied(_("Only a planner of the receiving provider may confirm this."))


@transaction.atomic
def appointment_confirm(
    *,
    offer: Offer,
    actor: Actor,
    appointment_date: date | None,
    request: Any = None,
    now: datetime | None = None,
) -> Offer:
    """The receiving provider's planner confirms the appointment of an accepted offer
    (``accepted → completed``, outcome ``placed``), recording the days gained and the volume
    transfer between the providers. The patient is told."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    offer = Offer.objects.select_related("location__provider").get(pk=offer.pk)
    _planner_check(actor=actor, offer=offer)
    case = case_lock(Case(pk=offer.case_id))
    offer = _offer_lock(case=case, offer=offer)
    if offer.status != OfferStatus.ACCEPTED:
        raise ApplicationError(_("Only an accepted offer can be confirmed."), field="offer")
    transition_check(case=case, to_status=CaseStatus.COMPLETED)
    if appointment_date is None:
        raise ValidationError({"appointment_date": _("Enter the date of the appointment.")})
    if appointment_date < today:
        raise ValidationError({"appointment_date": _("The appointment cannot be in the past.")})
    if appointment_date > today + timedelta(days=MAX_APPOINTMENT_DAYS_AHEAD):
        raise ValidationError(
            {
                "appointment_date": _("The appointment is more than %(days)d days ahead.")
                % {"days": MAX_APPOINTMENT_DAYS_AHEAD}
            }
        )
    remaining = case_remaining_wait_days(case=case, today=today)
    # Unknown when the patient's remaining wait is (overdue without a date): never made up.
    days_gained = None if remaining is None else remaining - (appointment_date - today).days

    offer.appointment_date = appointment_date
    offer.confirmed_at = now
    offer.confirmed_by = actor.user
    offer.save(update_fields=["appointment_date", "confirmed_at", "confirmed_by"])

    case.outcome = CaseOutcome.PLACED
    case.completed_at = now
    case.appointment_date = appointment_date
    case.days_gained = days_gained
    provider = offer.location.provider
    status_move(
        case=case,
        to_status=CaseStatus.COMPLETED,
        at=now,
        label=f"{actor_label(actor)} ({provider.name})",
        user=actor.user,
        kind=CaseEventKind.APPOINTMENT_CONFIRMED,
        note=(
            _("Appointment on %(date)s at %(location)s; %(days)d days gained.")
            if days_gained is not None
            else _("Appointment on %(date)s at %(location)s; days gained unknown.")
        )
        % {
            "date": date_display(appointment_date),
            "location": offer.location.name,
            "days": days_gained,
        },
        offer=offer,
        extra_fields=("outcome", "completed_at", "appointment_date", "days_gained"),
    )
    audit_case_change(
        actor=actor,
        case=case,
        operation="appointment_confirm",
        request=request,
        obj=offer,
        detail={"appointment_date": appointment_date.isoformat(), "days_gained": days_gained},
    )
    from_provider = case.current_location.provider
    if from_provider.pk != provider.pk:
        volume_transfer_record(
            insurer=case.insurer,
            from_provider=from_provider,
            to_provider=provider,
            specialism=case.specialism,
            treatment=case.treatment,
            case_reference=case.reference,
            completed_on=today,
            care_date=appointment_date,
        )
    notification_queue(
        case=case,
        offer=offer,
        kind=NotificationKind.APPOINTMENT_CONFIRMED,
        recipient=NotificationRecipient.PATIENT,
    )
    return offer
