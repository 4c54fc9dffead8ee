"""Invitations of the proactive scan: the patient's answer, reminder, lapse and letter
(DESIGN §3.6, issue 15).

* The patient reaches an invitation with its reference and secret token (only SHA-256 is kept;
  the reminder mail carries a second token, both open the page). A wrong token, an unknown
  reference and an anonymised entry are all 404, alike.
* **Opt in** (one click): a case with channel ``proactive`` is opened for the patient through
  :func:`mediation.services.cases.case_create` — the same rules and first-contact due date as
  any case — with the invitation's opt-in as the consent to share the data with the new provider
  (the page says so). The chosen alternative (the best one unless the patient chose another) is
  recorded on the invitation and on the case's timeline, so the case reaches the work queue
  already matched. The entry is linked to the case; the same token then reads the case.
* **Decline**, with an optional reason; "do not approach me again" withdraws the consent to be
  approached (the scan then counts the entry as ``no_consent``).
* No answer: **one reminder** after ``invitation_reminder_days`` (insurer setting, default 7),
  then the invitation **lapses** after ``invitation_lapse_days`` (default 14). An invitation past
  its lapse moment reads as lapsed everywhere at once, whether the job has recorded it or not.
* **Letter**: for a patient without email the mediator prints a letter; printing issues a new
  token (the previous link stops working), like the case letters.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction, Role
from accounts.services import audit_record
from core.errors import ApplicationError
from mediation.models import (
    Case,
    CaseEventKind,
    CaseNotification,
    Channel,
    NotificationKind,
    mediation_settings_for,
)
from mediation.services.cases import access_token_digest, case_create
from mediation.services.transitions import PATIENT_LABEL, event_add
from mediation.waiting_lists.models import (
    Invitation,
    InvitationChannel,
    InvitationMail,
    InvitationMailKind,
    InvitationStatus,
)
from mediation.waiting_lists.scan import invitation_mails_dispatch, invitation_token_digest
from providers.models import Location

NO_CONTACT = "no_contact"


def access_invitation_for(*, reference: str, token: str) -> Invitation:
    """The patient's invitation by reference and secret token; 404 otherwise (constant-time
    comparison, the digest computed also when the reference is unknown)."""
    if not reference or not token or len(token) > 200 or len(reference) > 20:
        raise Http404
    invitation = (
        Invitation.objects.select_related(
            "entry__specialism", "entry__treatment", "entry__location__provider", "insurer", "case"
        )
        .filter(reference=reference.strip().upper(), entry__anonymised_at__isnull=True)
        .first()
    )
    digest = invitation_token_digest(token)
    if invitation is None:
        raise Http404
    matches = hmac.compare_digest(invitation.access_token_hash, digest)
    if invitation.reminder_token_hash:
        matches = hmac.compare_digest(invitation.reminder_token_hash, digest) or matches
    if not matches:
        raise Http404
    return invitation


def invitation_lapse_moment(invitation: Invitation) -> datetime:
    days = mediation_settings_for(invitation.insurer).invitation_lapse_days
    return invitation.created_at + timedelta(days=days)


def invitation_is_open(invitation: Invitation, *, now: datetime) -> bool:
    """Invited, and not past its lapse moment."""
    return (
        invitation.status == InvitationStatus.INVITED and invitation_lapse_moment(invitation) > now
    )


def invitation_opened(*, invitation: Invitation, now: datetime | None = None) -> Invitation:
    """Record the first time the patient opened the invitation (for the cohort view); records
    the lapse when its time has passed."""
    now = now or timezone.now()
    invitations_lapse(now=now, invitation=invitation)
    if invitation.opened_at is None:
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now
    return invitation


def _open_check(invitation: Invitation, *, now: datetime) -> None:
    if invitation.status == InvitationStatus.OPTED_IN:
        raise ApplicationError(_("You have already accepted this invitation."), field="status")
    if invitation.status == InvitationStatus.DECLINED:
        raise ApplicationError(_("You have already declined this invitation."), field="status")
    if not invitation_is_open(invitation, now=now):
        raise ApplicationError(
            _("This invitation has expired. Contact your health insurer if you still want help."),
            field="status",
        )
    if invitation.entry.closed_on is not None:
        raise ApplicationError(
            _("You are no longer on the waiting list, so this invitation no longer applies."),
            field="status",
        )


def _locked(invitation: Invitation) -> Invitation:
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("entry__specialism", "entry__treatment", "entry__location", "insurer")
        .get(pk=invitation.pk)
    )


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    token: str,
    location: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Opt in: open a case with channel ``proactive`` for the patient, already matched with the
    chosen alternative (the best one unless ``location`` names another of the invitation's).
    ``token``: the token the patient came with; it then reads the case too."""
    now = now or timezone.now()
    invitation = _locked(invitation)
    _open_check(invitation, now=now)
    alternatives = invitation.alternatives or []
    if not alternatives:
        raise ApplicationError(_("This invitation has no alternatives."), field="location")
    chosen = alternatives[0]
    if location:
        found = [alt for alt in alternatives if alt["location"] == location]
        if not found:
            raise ApplicationError(
                _("Choose one of the hospitals or clinics of this invitation."), field="location"
            )
        chosen = found[0]
    entry = invitation.entry
    settings_row = mediation_settings_for(invitation.insurer)
    try:
        case, case_token = _case_from_entry(
            invitation, entry=entry, settings_row=settings_row, now=now
        )
    except ValidationError as exc:
        # The entry was checked at upload; what can fail now (a location closed since, …) is
        # for the mediators, not for the patient to fix.
        raise ApplicationError(
            _(
                "We could not open your request online. Please call your health insurer: "
                "we will help you by phone."
            ),
            field="status",
        ) from exc
    del case_token
    _case_matched(invitation, case=case, token=token, chosen=chosen, now=now)
    return case


def _case_from_entry(
    invitation: Invitation, *, entry: Any, settings_row: Any, now: datetime
) -> tuple[Case, str]:
    return case_create(
        insurer=invitation.insurer,
        policy_number=entry.policy_number,
        full_name=entry.full_name,
        birth_date=entry.birth_date,
        email=entry.email,
        phone=entry.phone,
        postcode=entry.postcode,
        specialism=entry.specialism,
        treatment=entry.treatment,
        kind=entry.kind,
        urgency_class=entry.urgency_class,
        current_location=entry.location,
        waiting_since=entry.waiting_since,
        expected_date=entry.expected_date
        if entry.expected_date and entry.expected_date >= timezone.localdate(now)
        else None,
        max_distance_km=max(int(settings_row.scan_distance_km), 5),
        consent=True,
        channel=Channel.PROACTIVE,
        now=now,
    )


def _case_matched(
    invitation: Invitation, *, case: Case, token: str, chosen: dict[str, Any], now: datetime
) -> None:
    """The opted-in case, already matched: the invitation's token opens it, the chosen
    alternative is on its timeline and the invitation, the entry is linked to it."""
    # The invitation's token opens the case; the first mail carries that link, not another.
    case.access_token_hash = access_token_digest(token)
    case.save(update_fields=["access_token_hash", "updated_at"])
    CaseNotification.objects.filter(
        case=case, kind=NotificationKind.REQUEST_RECEIVED, sent_at__isnull=True
    ).update(secret=token)
    event_add(
        case=case,
        kind=CaseEventKind.NOTE,
        at=now,
        label=PATIENT_LABEL,
        note=_(
            "Opted in from invitation %(reference)s (proactive scan). Chosen: %(name)s, "
            "%(city)s (%(code)s), expected wait %(days)s days."
        )
        % {
            "reference": invitation.reference,
            "name": chosen.get("location_name", ""),
            "city": chosen.get("city", ""),
            "code": chosen["location"],
            "days": chosen.get("expected_days"),
        },
    )
    invitation.status = InvitationStatus.OPTED_IN
    invitation.answered_at = now
    invitation.case = case
    invitation.chosen_location = Location.objects.filter(code=chosen["location"]).first()
    if invitation.opened_at is None:
        invitation.opened_at = now
    invitation.save(update_fields=["status", "answered_at", "case", "chosen_location", "opened_at"])
    type(invitation.entry).objects.filter(pk=invitation.entry_id).update(case=case)


@transaction.atomic
def invitation_decline(
    *,
    invitation: Invitation,
    reason: str = "",
    no_contact: bool = False,
    now: datetime | None = None,
) -> Invitation:
    """Decline, with an optional reason; ``no_contact`` withdraws the consent to be approached."""
    now = now or timezone.now()
    invitation = _locked(invitation)
    _open_check(invitation, now=now)
    invitation.status = InvitationStatus.DECLINED
    invitation.answered_at = now
    invitation.decline_reason = (reason or "").strip()[:2000]
    if invitation.opened_at is None:
        invitation.opened_at = now
    invitation.save(update_fields=["status", "answered_at", "decline_reason", "opened_at"])
    if no_contact:
        type(invitation.entry).objects.filter(pk=invitation.entry_id).update(
            consent_withdrawn_at=now
        )
    return invitation


def invitations_lapse(*, now: datetime, invitation: Invitation | None = None) -> int:
    """Record the lapse of invitations past their lapse moment (of one, or of all); idempotent."""
    invited = Invitation.objects.filter(status=InvitationStatus.INVITED)
    if invitation is not None:
        invited = invited.filter(pk=invitation.pk)
    lapsed = 0
    by_insurer = invited.values_list("insurer_id", flat=True).distinct()
    for insurer_id in list(by_insurer):
        days = (
            mediation_settings_for(invitation.insurer).invitation_lapse_days
            if invitation is not None
            else _setting(insurer_id, "invitation_lapse_days")
        )
        lapsed += invited.filter(
            insurer_id=insurer_id, created_at__lte=now - timedelta(days=days)
        ).update(status=InvitationStatus.LAPSED, lapsed_at=now)
    if invitation is not None and lapsed:
        invitation.refresh_from_db()
    return lapsed


def _setting(insurer_id: int, name: str) -> int:
    from accounts.models import Organisation

    return int(getattr(mediation_settings_for(Organisation(pk=insurer_id)), name))


def invitations_remind(*, now: datetime) -> int:
    """Send the one reminder of invitations by mail with no answer after the reminder period
    (before their lapse); each reminder carries a new link token (the first link keeps
    working). Returns the number reminded."""
    reminded = 0
    due = Invitation.objects.filter(
        status=InvitationStatus.INVITED,
        channel=InvitationChannel.EMAIL,
        reminded_at__isnull=True,
    )
    for insurer_id in list(due.values_list("insurer_id", flat=True).distinct()):
        remind_days = _setting(insurer_id, "invitation_reminder_days")
        lapse_days = _setting(insurer_id, "invitation_lapse_days")
        ids = list(
            due.filter(
                insurer_id=insurer_id,
                created_at__lte=now - timedelta(days=remind_days),
                created_at__gt=now - timedelta(days=lapse_days),
            ).values_list("pk", flat=True)[:5000]
        )
        mail_ids: list[int] = []
        for pk in ids:
            with transaction.atomic():
                token = secrets.token_urlsafe(32)
                if not Invitation.objects.filter(pk=pk, reminded_at__isnull=True).update(
                    reminded_at=now, reminder_token_hash=invitation_token_digest(token)
                ):
                    continue
                mail = InvitationMail.objects.create(
                    invitation_id=pk, kind=InvitationMailKind.REMINDER, secret=token
                )
                mail_ids.append(mail.pk)
                reminded += 1
        if mail_ids:
            invitation_mails_dispatch(ids=mail_ids)
    return reminded


@transaction.atomic
def invitation_letter_issue(
    *, invitation: Invitation, actor: Actor, request: Any = None, now: datetime | None = None
) -> str:
    """A new link token for a printed letter (earlier links stop working); audited as a staff
    read of the patient's data and a change of the link."""
    now = now or timezone.now()
    if (
        not actor.has_role(Role.MEDIATOR)
        or actor.organisation is None
        or actor.organisation.pk != invitation.insurer_id
    ):
        raise Http404
    invitation = _locked(invitation)
    if not invitation_is_open(invitation, now=now):
        raise ApplicationError(
            _("This invitation is no longer open; there is nothing to print."), field="status"
        )
    token = secrets.token_urlsafe(32)
    Invitation.objects.filter(pk=invitation.pk).update(
        access_token_hash=invitation_token_digest(token),
        reminder_token_hash="",
        letter_printed_at=now,
    )
    audit_record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=invitation,
        request=request,
        detail={"page": "invitation_letter"},
    )
    return token
