"""Corrections of a case's details by a mediator (issue 13; ``PATCH /api/v1/cases/{reference}/``).

Rules kept here:

* Only what the patient can tell the mediator later is corrected: contact details (``email``,
  ``phone``), ``postcode``, ``max_distance_km``, the appointment at the current provider
  (``expected_date``), ``hospital_setting_required`` and the ``urgency_class``. Who the patient
  is, what they wait for and since when are the request itself and are not changed here.
* Each value is checked as at intake (``mediation.services.cases``): a valid email address, a
  phone number of 8 to 20 digits, a known Dutch postcode, a distance of 5 to 300 km, an
  appointment that is not in the past nor before ``waiting_since`` and plausible (``core.dates``),
  urgency class 3, 4 or 5 (1 and 2 are refused with the acute-care message). A case keeps an
  email address or a phone number.
* A finished (completed or closed) or anonymised case is not corrected any more.
* The change is audited naming the fields, never their values (the audit trail holds no patient
  data beyond the reference), and goes on the timeline with the mediator's ``note``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from core.dates import plausible_date_errors
from core.errors import ApplicationError, raise_if
from mediation.models import OPEN_STATUSES, Case, CaseEventKind
from mediation.services.cases import (
    _PHONE,
    MAX_DISTANCE_KM,
    MIN_DISTANCE_KM,
    _urgency_errors,
)
from mediation.services.transitions import (
    actor_label,
    audit_case_change,
    case_lock,
    event_add,
    mediator_check,
)
from providers.geography.points import postcode_area
from providers.geography.postcodes import normalise_postcode

# The fields a mediator may correct, in the order the timeline names them.
EDITABLE_FIELDS = (
    "email",
    "phone",
    "postcode",
    "max_distance_km",
    "expected_date",
    "hospital_setting_required",
    "urgency_class",
)
MAX_NOTE_LENGTH = 2000


def _clean(case: Case, changes: dict[str, Any], *, today: date) -> dict[str, Any]:
    """The changes, normalised; every field error at once."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    for field in unknown:
        error(field, _("This field cannot be corrected."))
    if "email" in changes:
        email = (changes["email"] or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                error("email", _("Enter a valid email address."))
        cleaned["email"] = email
    if "phone" in changes:
        phone = (changes["phone"] or "").strip()
        if phone and not _PHONE.match(phone):
            error("phone", _("Enter a phone number of 8 to 20 digits, e.g. 06 12345678."))
        cleaned["phone"] = phone
    if "email" in cleaned or "phone" in cleaned:
        email = cleaned.get("email", case.email)
        phone = cleaned.get("phone", case.phone)
        if not email and not phone and "email" not in errors and "phone" not in errors:
            error("phone", _("Keep an email address or a phone number to reach the patient."))
    if "postcode" in changes:
        try:
            postcode = normalise_postcode(changes["postcode"] or "")
        except ValidationError as exc:
            error("postcode", exc.messages[0])
        else:
            if postcode_area(postcode) is None:
                error("postcode", _("We do not know this postcode; check it, e.g. 1234 AB."))
            cleaned["postcode"] = postcode
    if "max_distance_km" in changes:
        distance = changes["max_distance_km"]
        if isinstance(distance, bool) or not isinstance(distance, int):
            error("max_distance_km", _("Enter how far the patient can travel, in km."))
        elif not MIN_DISTANCE_KM <= distance <= MAX_DISTANCE_KM:
            error(
                "max_distance_km",
                _("Choose a travel distance between %(min)d and %(max)d km.")
                % {"min": MIN_DISTANCE_KM, "max": MAX_DISTANCE_KM},
            )
        cleaned["max_distance_km"] = distance
    if "expected_date" in changes:
        expected = changes["expected_date"]
        if expected is not None:
            if not isinstance(expected, date):
                error("expected_date", _("Enter a date."))
            elif expected < today:
                error(
                    "expected_date",
                    _("This date has passed: leave it empty if the patient has no appointment."),
                )
            elif plausible := plausible_date_errors(expected, today=today):
                error("expected_date", plausible[0])
            elif expected < case.waiting_since:
                error(
                    "expected_date",
                    _("The appointment cannot be before the patient started waiting."),
                )
        cleaned["expected_date"] = expected
    if "hospital_setting_required" in changes:
        value = changes["hospital_setting_required"]
        if not isinstance(value, bool):
            error("hospital_setting_required", _("Answer yes or no."))
        cleaned["hospital_setting_required"] = value
    if "urgency_class" in changes:
        for message in _urgency_errors(changes["urgency_class"]):
            error("urgency_class", message)
        cleaned["urgency_class"] = changes["urgency_class"]
    raise_if(errors)
    return cleaned


@transaction.atomic
def case_update(
    *,
    case: Case,
    actor: Actor,
    changes: dict[str, Any],
    note: str = "",
    request: Any = None,
    now: datetime | None = None,
) -> Case:
    """Correct some of ``EDITABLE_FIELDS`` of an open case; return it. Unchanged values are
    ignored; when nothing changes, nothing is written."""
    now = now or timezone.now()
    mediator_check(actor=actor, case=case)
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": _("A note has at most 2000 characters.")})
    case_lock(case)
    if case.anonymised_at is not None:
        raise ApplicationError(
            _("This case has been anonymised; its details can no longer be corrected."),
            field="status",
        )
    if case.status not in OPEN_STATUSES:
        raise ApplicationError(
            _("This case is finished; its details can no longer be corrected."), field="status"
        )
    cleaned = _clean(case, changes, today=timezone.localdate(now))
    changed = [
        field
        for field in EDITABLE_FIELDS
        if field in cleaned and getattr(case, field) != cleaned[field]
    ]
    if not changed:
        return case
    if "urgency_class" in changed and not note:
        raise ValidationError(
            {"note": _("Say who gave the new urgency class (a note is required for it).")}
        )
    for field in changed:
        setattr(case, field, cleaned[field])
    case.save(update_fields=[*changed, "updated_at"])
    names = ", ".join(
        str(getattr(Case._meta.get_field(field), "verbose_name", field)) for field in changed
    )
    event_add(
        case=case,
        kind=CaseEventKind.CASE_UPDATED,
        at=now,
        label=actor_label(actor),
        user=actor.user,
        note=" — ".join(part for part in (names, note) if part),
    )
    audit_case_change(
        actor=actor, case=case, operation="case_update", request=request, detail={"fields": changed}
    )
    return case
