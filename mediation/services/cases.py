"""Writes of mediation cases: the request, its reference, first contact, assignment, notes,
withdrawal and closing (DESIGN §3.2, §3.3; issue 4).

Rules kept here, for the public form, the API and the mediators' phone intake alike:

* Mediation is for urgency classes 3, 4 and 5. Classes 1 and 2 are acute care: refused with a
  message that sends the patient to the treating specialist, the GP or the huisartsenpost.
* Explicit consent to share the data with a new provider is required; no BSN is asked or stored.
* The postcode must be a Dutch postcode whose PC4 area is known (it places the patient for the
  distance rule); specialism, treatment and current location must exist, be active and fit
  (a treatment is named exactly for kind ``treatment`` and belongs to the specialism).
* ``waiting_since`` is not in the future, nor before the date of birth; an appointment the
  patient already has (``expected_date``) is not in the past; both are plausible dates (from 1900,
  at most ten years ahead: ``core.dates``); the travel distance lies between 5 and 300 km.
* The reference ``ZB-<year>-<000001>`` is sequential per year and never handed out twice: the
  year's counter row is locked while it is raised.
* First contact is due ``first_contact_working_days`` (insurer setting, default 2) Dutch working
  days after submission.

Field errors raise Django's ``ValidationError`` keyed by field (the API answers 400 with that
shape); refused transitions raise ``ApplicationError``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor, actor_for_user
from accounts.models import AuditAction, Membership, Organisation, OrganisationKind, Role, User
from core.dates import plausible_date_errors
from core.errors import ApplicationError, raise_if
from core.working_days import add_working_days
from mediation.models import (
    CLOSE_OUTCOMES,
    OPEN_STATUSES,
    Case,
    CaseEventKind,
    CaseOutcome,
    CaseReferenceCounter,
    CaseStatus,
    Channel,
    ContactChannel,
    ContactResult,
    NotificationKind,
    NotificationRecipient,
    mediation_settings_for,
)
from mediation.services.notifications import notify_case_withdrawn
from mediation.services.offers import offers_withdraw
from mediation.services.transitions import (
    PATIENT_LABEL,
    actor_label,
    audit_case_change,
    case_lock,
    event_add,
    mediator_check,
    notification_queue,
    status_move,
    transition_check,
)
from providers.geography.points import postcode_area
from providers.geography.postcodes import normalise_postcode
from providers.models import (
    MEDIATED_URGENCY_CLASSES,
    Location,
    Specialism,
    Treatment,
    WaitingTimeKind,
)

MIN_DISTANCE_KM = 5
MAX_DISTANCE_KM = 300
# People older than this are not plausible patients; such a birth date is a typing error.
MAX_AGE_YEARS = 120
POLICY_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 .\-/]{0,31}$"
PHONE_PATTERN = r"^\+?[0-9 ()\-.]{8,20}$"
_POLICY_NUMBER = re.compile(POLICY_NUMBER_PATTERN)
_PHONE = re.compile(PHONE_PATTERN)


def access_token_digest(token: str) -> str:
    """SHA-256 hex digest of a patient's access token (the token has 256 bits of entropy)."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- References -----------------------------------------------------------------------------
def case_references_allocate(*, year: int, count: int = 1) -> list[str]:
    """The next ``count`` references of ``year`` (``ZB-2026-000123``), in order.

    The year's counter row is created if missing (a conflict-ignoring insert, so two first
    requests of a year do not collide) and then locked until the caller's transaction ends:
    concurrent requests wait for each other, so no number is handed out twice."""
    if count < 1:
        return []
    with transaction.atomic():
        CaseReferenceCounter.objects.bulk_create(
            [CaseReferenceCounter(year=year, last_number=0)], ignore_conflicts=True
        )
        counter = CaseReferenceCounter.objects.select_for_update().get(year=year)
        first = counter.last_number + 1
        counter.last_number += count
        counter.save(update_fields=["last_number"])
    return [f"ZB-{year}-{number:06d}" for number in range(first, first + count)]


# --- The request ----------------------------------------------------------------------------
def _resolve(model: Any, value: Any, *, lookup: str = "code") -> Any:
    """An instance given as an instance or by its natural code."""
    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value
    return model.objects.filter(**{lookup: str(value).strip()}).first()


def _urgency_errors(value: Any) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [_("Choose the urgency class your specialist gave you (3, 4 or 5).")]
    if value in (1, 2):
        return [
            _(
                "Urgency class %(value)s is urgent care, which we cannot mediate: it must be "
                "arranged quickly and in your region. Please contact your treating specialist "
                "straight away, or your GP; in the evening, at night or at the weekend, the "
                "huisartsenpost (out-of-hours GP service)."
            )
            % {"value": value}
        ]
    if value not in MEDIATED_URGENCY_CLASSES:
        return [_("Urgency classes are 1 to 5; mediation is for classes 3, 4 and 5.")]
    return []


def _birth_date_errors(value: date | None, *, today: date) -> list[str]:
    if value is None:
        return [_("Enter the patient's date of birth.")]
    if value > today:
        return [_("The date of birth cannot be in the future.")]
    if value.year < today.year - MAX_AGE_YEARS:
        return [
            _("Check the date of birth: it is more than %(years)d years ago.")
            % {"years": MAX_AGE_YEARS}
        ]
    return []


# A request's fields as ``case_create`` takes them, and those that ``case_request_check`` judges.
CASE_REQUEST_FIELDS = (
    "insurer",
    "policy_number",
    "full_name",
    "birth_date",
    "email",
    "phone",
    "postcode",
    "specialism",
    "treatment",
    "kind",
    "urgency_class",
    "current_location",
    "waiting_since",
    "expected_date",
    "max_distance_km",
    "hospital_setting_required",
    "consent",
)
CASE_REQUEST_CHECKED_FIELDS = tuple(
    name for name in CASE_REQUEST_FIELDS if name != "hospital_setting_required"
)


@dataclass(frozen=True, slots=True)
class CaseRequest:
    """A request that passed every rule: its values normalised and its codes resolved."""

    insurer: Organisation
    policy_number: str
    full_name: str
    email: str
    phone: str
    postcode: str
    specialism: Specialism
    treatment: Treatment | None
    current_location: Location


def case_request_check(
    *,
    insurer: Organisation | str | None,
    policy_number: str | None,
    full_name: str | None,
    birth_date: date | None,
    email: str | None = "",
    phone: str | None = "",
    postcode: str | None,
    specialism: Specialism | str | None,
    treatment: Treatment | str | None = None,
    kind: str | None,
    urgency_class: int | None,
    current_location: Location | str | None,
    waiting_since: date | None,
    expected_date: date | None = None,
    max_distance_km: int | None,
    consent: bool | None,
    channel: str,
    actor: Actor | None = None,
    today: date,
) -> CaseRequest:
    """Check a request against every rule of the module docstring and report every field error
    at once (one ``ValidationError`` keyed by field). Writes nothing, so that a form whose own
    type checks failed can still show the patient the rules' errors of its other fields in the
    same pass (issue 13): a field given as ``None`` because its input could not be read is
    reported as missing, which the caller leaves out when it has its own message for it."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if channel not in Channel.values:
        raise ApplicationError(_("Unknown channel."), field="channel")
    staff = channel in (Channel.PHONE, Channel.PROACTIVE)
    insurer_obj = _resolve(Organisation, insurer, lookup="uzovi")
    if insurer_obj is None or insurer_obj.kind != OrganisationKind.INSURER:
        error("insurer", _("Choose your health insurer."))
    elif staff and actor is not None and actor.organisation != insurer_obj:
        error("insurer", _("You can only enter requests for your own insurer."))

    policy_number = (policy_number or "").strip()
    if not policy_number:
        error("policy_number", _("Enter the policy number from the insurance card."))
    elif not _POLICY_NUMBER.match(policy_number):
        error("policy_number", _("A policy number has at most 32 letters and digits."))

    full_name = " ".join((full_name or "").split())
    if not full_name:
        error("full_name", _("Enter the patient's name."))
    elif len(full_name) > 200:
        error("full_name", _("The name is too long (at most 200 characters)."))

    for message in _birth_date_errors(birth_date, today=today):
        error("birth_date", message)

    email = (email or "").strip()
    phone = (phone or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            error("email", _("Enter a valid email address."))
    elif channel in (Channel.WEB, Channel.API):
        error("email", _("Enter your email address: we send the link to your request there."))
    if phone and not _PHONE.match(phone):
        error("phone", _("Enter a phone number of 8 to 20 digits, e.g. 06 12345678."))
    if not email and not phone and "email" not in errors:
        error("phone", _("Enter an email address or a phone number."))

    normalised_postcode = ""
    try:
        normalised_postcode = normalise_postcode(postcode or "")
    except ValidationError as exc:
        error("postcode", exc.messages[0])
    else:
        if postcode_area(normalised_postcode) is None:
            error("postcode", _("We do not know this postcode; check it, e.g. 1234 AB."))

    specialism_obj = _resolve(Specialism, specialism)
    if specialism_obj is None or not specialism_obj.is_active:
        error("specialism", _("Choose the specialism you are waiting for."))

    if kind not in WaitingTimeKind.values:
        error(
            "kind", _("Choose what you are waiting for: a first visit, diagnostics or treatment.")
        )

    treatment_obj = _resolve(Treatment, treatment)
    if treatment not in (None, "") and (treatment_obj is None or not treatment_obj.is_active):
        error("treatment", _("Unknown treatment."))
    elif kind == WaitingTimeKind.TREATMENT:
        if treatment_obj is None:
            error("treatment", _("Choose the treatment you are waiting for."))
        elif specialism_obj is not None and treatment_obj.specialism_id != specialism_obj.pk:
            error(
                "treatment",
                _("%(treatment)s does not belong to the specialism %(specialism)s.")
                % {"treatment": treatment_obj.name, "specialism": specialism_obj.name},
            )
    elif treatment_obj is not None and kind in WaitingTimeKind.values:
        error(
            "treatment",
            _("Only name a treatment when you are waiting for a treatment (not for a %(kind)s).")
            % {"kind": WaitingTimeKind(kind).label.lower()},
        )

    for message in _urgency_errors(urgency_class):
        error("urgency_class", message)

    location_obj = _resolve(Location, current_location)
    if location_obj is None or not location_obj.is_active:
        error("current_location", _("Choose the hospital or clinic where you are waiting now."))

    if waiting_since is None:
        error("waiting_since", _("Enter since when you have been waiting."))
    elif waiting_since > today:
        error("waiting_since", _("The date you started waiting cannot be in the future."))
    elif plausible := plausible_date_errors(waiting_since, today=today):
        error("waiting_since", plausible[0])
    elif birth_date is not None and waiting_since < birth_date:
        error(
            "waiting_since", _("The date you started waiting cannot be before the date of birth.")
        )
    if expected_date is not None:
        if expected_date < today:
            error(
                "expected_date",
                _("This date has passed: leave it empty if you have no appointment yet."),
            )
        elif plausible := plausible_date_errors(expected_date, today=today):
            error("expected_date", plausible[0])
        elif waiting_since is not None and expected_date < waiting_since:
            error("expected_date", _("The appointment cannot be before you started waiting."))

    if isinstance(max_distance_km, bool) or not isinstance(max_distance_km, int):
        error("max_distance_km", _("Enter how far you can travel, in km."))
    elif not MIN_DISTANCE_KM <= max_distance_km <= MAX_DISTANCE_KM:
        error(
            "max_distance_km",
            _("Choose a travel distance between %(min)d and %(max)d km.")
            % {"min": MIN_DISTANCE_KM, "max": MAX_DISTANCE_KM},
        )

    if consent is not True:
        error(
            "consent",
            _(
                "We can only mediate with your consent to share your details with the new "
                "hospital or clinic."
            ),
        )

    raise_if(errors)
    assert insurer_obj is not None and specialism_obj is not None and location_obj is not None
    return CaseRequest(
        insurer=insurer_obj,
        policy_number=policy_number,
        full_name=full_name,
        email=email,
        phone=phone,
        postcode=normalised_postcode,
        specialism=specialism_obj,
        treatment=treatment_obj,
        current_location=location_obj,
    )


@transaction.atomic
def case_create(
    *,
    insurer: Organisation | str | None,
    policy_number: str,
    full_name: str,
    birth_date: date | None,
    email: str = "",
    phone: str = "",
    postcode: str,
    specialism: Specialism | str | None,
    treatment: Treatment | str | None = None,
    kind: str,
    urgency_class: int | None,
    current_location: Location | str | None,
    waiting_since: date | None,
    expected_date: date | None = None,
    max_distance_km: int | None,
    hospital_setting_required: bool = False,
    consent: bool,
    channel: str,
    actor: Actor | None = None,
    request: Any = None,
    now: datetime | None = None,
) -> tuple[Case, str]:
    """Open a case; return it with the patient's access token (shown once, stored hashed).

    ``insurer`` (UZOVI), ``specialism`` and ``treatment`` (codes) and ``current_location``
    (location code) may be given as instances or as their natural codes. ``channel`` is ``web``
    or ``api`` for the patient's own request (``actor`` ``None``) and ``phone`` for a mediator
    entering it (``actor`` the mediator; audited). Every field error is reported at once.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    if channel not in Channel.values:
        raise ApplicationError(_("Unknown channel."), field="channel")
    # A proactive case is opened by the patient's own opt-in on an invitation (no actor), or
    # by a mediator on the patient's behalf.
    staff = channel == Channel.PHONE or (channel == Channel.PROACTIVE and actor is not None)
    if staff and (actor is None or not actor.has_role(Role.MEDIATOR)):
        raise PermissionDenied(_("Only a mediator enters a request for a patient."))
    checked = case_request_check(
        insurer=insurer,
        policy_number=policy_number,
        full_name=full_name,
        birth_date=birth_date,
        email=email,
        phone=phone,
        postcode=postcode,
        specialism=specialism,
        treatment=treatment,
        kind=kind,
        urgency_class=urgency_class,
        current_location=current_location,
        waiting_since=waiting_since,
        expected_date=expected_date,
        max_distance_km=max_distance_km,
        consent=consent,
        channel=channel,
        actor=actor,
        today=today,
    )
    insurer_obj, specialism_obj = checked.insurer, checked.specialism
    treatment_obj, location_obj = checked.treatment, checked.current_location
    policy_number, full_name = checked.policy_number, checked.full_name
    email, phone, normalised_postcode = checked.email, checked.phone, checked.postcode
    assert waiting_since is not None and isinstance(max_distance_km, int)
    assert isinstance(urgency_class, int)

    settings_row = mediation_settings_for(insurer_obj)
    token = secrets.token_urlsafe(32)
    (reference,) = case_references_allocate(year=today.year)
    user = actor.user if staff and actor is not None else None
    # A request taken by phone is the work of the mediator who took it (issue 13).
    assigned_to = user if channel == Channel.PHONE else None
    case = Case.objects.create(
        reference=reference,
        insurer=insurer_obj,
        channel=channel,
        status=CaseStatus.SUBMITTED,
        policy_number=policy_number,
        full_name=full_name,
        birth_date=birth_date,
        email=email,
        phone=phone,
        postcode=normalised_postcode,
        specialism=specialism_obj,
        treatment=treatment_obj if kind == WaitingTimeKind.TREATMENT else None,
        kind=kind,
        urgency_class=urgency_class,
        current_location=location_obj,
        waiting_since=waiting_since,
        expected_date=expected_date,
        max_distance_km=max_distance_km,
        hospital_setting_required=bool(hospital_setting_required),
        consent_at=now,
        access_token_hash=access_token_digest(token),
        submitted_at=now,
        first_contact_due=add_working_days(today, settings_row.first_contact_working_days),
        created_by=user,
        assigned_to=assigned_to,
    )
    label = actor_label(actor) if staff and actor is not None else PATIENT_LABEL
    event_add(
        case=case,
        kind=CaseEventKind.CREATED,
        at=now,
        label=label,
        user=user,
        to_status=CaseStatus.SUBMITTED,
        note=str(Channel(channel).label),
    )
    if assigned_to is not None:
        event_add(
            case=case,
            kind=CaseEventKind.ASSIGNED,
            at=now,
            label=label,
            user=user,
            note=assigned_to.get_full_name() or assigned_to.get_username(),
        )
    if staff and actor is not None:
        audit_case_change(
            actor=actor,
            case=case,
            operation="case_create",
            request=request,
            action=AuditAction.CREATE,
            detail={"channel": channel},
        )
    notification_queue(
        case=case,
        kind=NotificationKind.REQUEST_RECEIVED,
        recipient=NotificationRecipient.PATIENT,
        secret=token,
    )
    return case, token


# --- Staff work on a case ------------------------------------------------------------------
@transaction.atomic
def case_start(
    *,
    case: Case,
    actor: Actor,
    note: str = "",
    result: str = ContactResult.REACHED,
    channel: str = "",
    request: Any = None,
    now: datetime | None = None,
) -> Case:
    """First contact: a mediator records trying to reach the patient of a submitted case, how
    (``channel``: phone, email, letter) and with what ``result``.

    ``reached`` starts the work (``submitted → in_progress``) and records when the first contact
    was made (the SLA of DESIGN §3.3). ``not_reached`` only goes on the timeline: the case keeps
    its first-contact obligation (it is not contacted, and turns overdue as before)."""
    now = now or timezone.now()
    mediator_check(actor=actor, case=case)
    errors: dict[str, list[str]] = {}
    if result not in ContactResult.values:
        errors["result"] = [_("Say whether you reached the patient.")]
    if channel and channel not in ContactChannel.values:
        errors["channel"] = [_("Choose how you contacted the patient: phone, email or letter.")]
    if result == ContactResult.NOT_REACHED and not channel:
        errors["channel"] = [_("Choose how you tried to reach the patient.")]
    raise_if(errors)
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("A note has at most 2000 characters.")})
    case_lock(case)
    if case.status != CaseStatus.SUBMITTED:
        # offered → in_progress exists in the map, but only for declined or expired offers.
        raise ApplicationError(
            _("Work on this case has already started (it is %(status)s).")
            % {"status": CaseStatus(case.status).label.lower()},
            field="status",
        )
    how = str(ContactChannel(channel).label) if channel else ""
    if result == ContactResult.NOT_REACHED:
        event_add(
            case=case,
            kind=CaseEventKind.CONTACT_ATTEMPTED,
            at=now,
            label=actor_label(actor),
            user=actor.user,
            note=" — ".join(
                part for part in (_("Tried %(channel)s.") % {"channel": how}, note) if part
            ),
        )
        audit_case_change(
            actor=actor,
            case=case,
            operation="case_contact_attempt",
            request=request,
            detail={"result": result, "channel": channel},
        )
        return case
    fields: tuple[str, ...] = ()
    if case.first_contact_at is None:
        case.first_contact_at = now
        case.first_contact_channel = channel
        fields = ("first_contact_at", "first_contact_channel")
    status_move(
        case=case,
        to_status=CaseStatus.IN_PROGRESS,
        at=now,
        label=actor_label(actor),
        user=actor.user,
        kind=CaseEventKind.CONTACT_RECORDED,
        note=" — ".join(
            part
            for part in ((_("Reached %(channel)s.") % {"channel": how}) if how else "", note)
            if part
        ),
        extra_fields=fields,
    )
    audit_case_change(
        actor=actor,
        case=case,
        operation="case_start",
        request=request,
        detail={"result": result, "channel": channel},
    )
    return case


def _assignable(user: User, case: Case) -> bool:
    return Membership.objects.filter(
        user=user, organisation_id=case.insurer_id, role=Role.MEDIATOR, user__is_active=True
    ).exists()


@transaction.atomic
def case_assign(
    *,
    case: Case,
    user: User | None,
    actor: Actor | None = None,
    request: Any = None,
    now: datetime | None = None,
) -> Case:
    """Assign an open case to a mediator of its insurer (``user``), or unassign it (``None``).

    ``actor`` is who does it; without one the user assigns the case to themselves."""
    now = now or timezone.now()
    if actor is None:
        if user is None:
            raise ApplicationError(_("Say who assigns the case."))
        actor = actor_for_user(user)
    mediator_check(actor=actor, case=case)
    case_lock(case)
    if case.status not in OPEN_STATUSES:
        raise ApplicationError(_("This case is finished; it can no longer be assigned."))
    if user is not None and not _assignable(user, case):
        raise ValidationError({"assigned_to": _("Choose a mediator of this insurer.")})
    if case.assigned_to_id == (user.pk if user else None):
        return case
    case.assigned_to = user
    case.save(update_fields=["assigned_to", "updated_at"])
    event_add(
        case=case,
        kind=CaseEventKind.ASSIGNED,
        at=now,
        label=actor_label(actor),
        user=actor.user,
        note=(user.get_full_name() or user.get_username()) if user else _("Unassigned"),
    )
    audit_case_change(
        actor=actor,
        case=case,
        operation="case_assign",
        request=request,
        detail={"assigned_to": user.get_username() if user else None},
    )
    return case


# Cases assigned in one go from the work queue (one page of it at most).
BULK_ASSIGN_MAX = 100


@transaction.atomic
def case_assign_bulk(
    *,
    cases: list[Case],
    user: User,
    actor: Actor,
    request: Any = None,
    now: datetime | None = None,
) -> int:
    """Assign several cases of the actor's insurer to one mediator: all or none (one refused case
    refuses the batch, naming it). Each case is assigned, put on its timeline and audited as by
    :func:`case_assign`; returns how many changed hands."""
    if not cases:
        raise ValidationError({"references": _("Tick the cases to assign.")})
    if len(cases) > BULK_ASSIGN_MAX:
        raise ValidationError(
            {"references": _("Assign at most %(max)d cases at a time.") % {"max": BULK_ASSIGN_MAX}}
        )
    changed = 0
    for case in cases:
        before = case.assigned_to_id
        try:
            case_assign(case=case, user=user, actor=actor, request=request, now=now)
        except ApplicationError as exc:
            raise ApplicationError(
                f"{case.reference}: {exc.message}",
                field="references",
            ) from exc
        changed += before != user.pk
    return changed


@transaction.atomic
def case_note_add(
    *, case: Case, actor: Actor, note: str, request: Any = None, now: datetime | None = None
) -> Case:
    """Put a mediator's note on the timeline (any case that is not anonymised)."""
    now = now or timezone.now()
    mediator_check(actor=actor, case=case)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write a note.")})
    if len(note) > 4000:
        raise ValidationError({"note": _("A note has at most 4000 characters.")})
    case_lock(case)
    if case.anonymised_at is not None:
        raise ApplicationError(_("This case has been anonymised; notes can no longer be added."))
    event_add(
        case=case,
        kind=CaseEventKind.NOTE,
        at=now,
        label=actor_label(actor),
        user=actor.user,
        note=note,
    )
    audit_case_change(actor=actor, case=case, operation="case_note_add", request=request)
    return case


def _offers_release(*, case: Case, now: datetime) -> None:
    """Withdraw the case's open and accepted offers and give their slots back."""
    offers_withdraw(case=case, now=now)


@transaction.atomic
def case_close(
    *,
    case: Case,
    actor: Actor,
    outcome: str,
    note: str = "",
    request: Any = None,
    now: datetime | None = None,
) -> Case:
    """Close an open case with an outcome (any open status → ``closed``). Its open or accepted
    offers are withdrawn and their reserved slots released; the patient is told."""
    now = now or timezone.now()
    mediator_check(actor=actor, case=case)
    if outcome not in CLOSE_OUTCOMES:
        raise ValidationError(
            {"outcome": _("Choose an outcome: a case is only placed by confirming an appointment.")}
        )
    case_lock(case)
    transition_check(case=case, to_status=CaseStatus.CLOSED)
    _offers_release(case=case, now=now)
    case.outcome = outcome
    case.closed_at = now
    status_move(
        case=case,
        to_status=CaseStatus.CLOSED,
        at=now,
        label=actor_label(actor),
        user=actor.user,
        note=" — ".join(
            part for part in (str(CaseOutcome(outcome).label), (note or "").strip()) if part
        ),
        extra_fields=("outcome", "closed_at"),
    )
    audit_case_change(
        actor=actor, case=case, operation="case_close", request=request, detail={"outcome": outcome}
    )
    notification_queue(
        case=case, kind=NotificationKind.CASE_CLOSED, recipient=NotificationRecipient.PATIENT
    )
    return case


@transaction.atomic
def case_withdraw(*, case: Case, reason: str = "", now: datetime | None = None) -> Case:
    """The patient withdraws the request (any open status → ``closed``, outcome ``withdrawn``);
    open or accepted offers are withdrawn and their slots released; the mediator is told."""
    now = now or timezone.now()
    case_lock(case)
    if case.status not in OPEN_STATUSES:
        raise ApplicationError(_("This request is already finished."))
    transition_check(case=case, to_status=CaseStatus.CLOSED)
    _offers_release(case=case, now=now)
    case.outcome = CaseOutcome.WITHDRAWN
    case.closed_at = now
    status_move(
        case=case,
        to_status=CaseStatus.CLOSED,
        at=now,
        label=PATIENT_LABEL,
        note=(reason or "").strip()[:2000],
        extra_fields=("outcome", "closed_at"),
    )
    if case.assigned_to_id:
        notification_queue(
            case=case,
            kind=NotificationKind.CASE_WITHDRAWN,
            recipient=NotificationRecipient.MEDIATOR,
        )
    notify_case_withdrawn(case=case)
    return case
