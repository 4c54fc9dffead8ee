"""Notifications to staff about their cases (issue 13): the in-app list with its unread count,
and a mail for each (``accounts.models.Notification`` is both the list entry and the mail's
outbox row).

Who is told what:

* a patient accepts an offer → the **planners of the receiving provider** (an incoming patient to
  schedule) and the case's **assigned mediator**;
* a patient declines an offer or withdraws the request → the assigned mediator (in the list only:
  the mail for these goes out already through the case mail outbox, ``CaseNotification``);
* an open offer is about to expire → the assigned mediator, once per offer; and when it has
  expired without an answer (in the list only: the case mail outbox mails it);
* every morning → each mediator, a digest of the overdue cases (no first contact by its due
  date) assigned to them or to nobody at their insurer, once per day.

Texts name a case by its reference only, never the patient (they go by mail). They are stored as
English message ids (``gettext_noop``) with parameters and translated when shown or mailed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_noop

from accounts.models import Membership, Notification, Role, User
from mediation.models import Case, Offer

logger = logging.getLogger(__name__)

PATIENT_INCOMING = "patient_incoming"
OFFER_ACCEPTED = "offer_accepted"
OFFER_DECLINED = "offer_declined"
CASE_WITHDRAWN = "case_withdrawn"
OFFER_EXPIRING = "offer_expiring"
OFFER_EXPIRED = "offer_expired"
OVERDUE_DIGEST = "overdue_digest"
# References named in one digest; the rest is counted.
DIGEST_MAX_REFERENCES = 10


def staff_notify(
    *,
    users: Iterable[User],
    kind: str,
    message: str,
    params: dict[str, Any],
    link: str = "",
    email: bool = True,
    dedupe_key: str = "",
) -> list[Notification]:
    """Write one notification per (active) user, in the caller's transaction; each one's mail is
    queued after the commit (``mediation.tasks.send_staff_mail``) and, should the broker be
    away, sent by the flush task later. With ``dedupe_key`` a user gets it at most once."""
    created = []
    for user in {user.pk: user for user in users if user.is_active}.values():
        fields = {
            "kind": kind,
            "message": message,
            "params": params,
            "link": link,
            "email_skipped": not email,
        }
        if dedupe_key:
            notification, is_new = Notification.objects.get_or_create(
                recipient=user, dedupe_key=dedupe_key, defaults=fields
            )
            if not is_new:
                continue
        else:
            notification = Notification.objects.create(recipient=user, **fields)
        created.append(notification)
    wanted = [notification.pk for notification in created if not notification.email_skipped]
    if wanted:
        transaction.on_commit(lambda: _enqueue(wanted))
    return created


def _enqueue(notification_ids: list[int]) -> None:
    # Imported here: mediation.tasks imports the services, this module among them.
    from mediation.tasks import send_staff_mail

    for pk in notification_ids:
        try:
            send_staff_mail.delay(pk)
        except Exception:  # a broker outage must not fail the request
            logger.warning("Could not enqueue staff mail %s; the outbox task will send it.", pk)


def _case_link(case: Case) -> str:
    return reverse("mediation:case-detail", args=[case.reference])


def _assigned(case: Case) -> list[User]:
    return [case.assigned_to] if case.assigned_to_id and case.assigned_to else []


def receiving_planners(*, offer: Offer) -> list[User]:
    """The active planners of the provider where the offer's location is."""
    return list(
        User.objects.filter(
            is_active=True,
            membership__role=Role.PLANNER,
            membership__organisation__provider_id=offer.location.provider_id,
        )
    )


def notify_offer_accepted(*, case: Case, offer: Offer) -> None:
    params = {"reference": case.reference, "location": offer.location.name}
    staff_notify(
        users=receiving_planners(offer=offer),
        kind=PATIENT_INCOMING,
        message=gettext_noop(
            "Case %(reference)s: a patient accepted a place at %(location)s. "
            "Confirm the appointment date."
        ),
        params=params,
        link=reverse("mediation:incoming-list"),
    )
    staff_notify(
        users=_assigned(case),
        kind=OFFER_ACCEPTED,
        message=gettext_noop("Case %(reference)s: the patient accepted the offer at %(location)s."),
        params=params,
        link=_case_link(case),
    )


def notify_offer_declined(*, case: Case, offer: Offer) -> None:
    staff_notify(
        users=_assigned(case),
        kind=OFFER_DECLINED,
        message=gettext_noop("Case %(reference)s: the patient declined the offer at %(location)s."),
        params={"reference": case.reference, "location": offer.location.name},
        link=_case_link(case),
        email=False,  # mailed by the case outbox (``mediator_offer_declined``)
    )


def notify_case_withdrawn(*, case: Case) -> None:
    staff_notify(
        users=_assigned(case),
        kind=CASE_WITHDRAWN,
        message=gettext_noop("Case %(reference)s: the patient withdrew the request."),
        params={"reference": case.reference},
        link=_case_link(case),
        email=False,  # mailed by the case outbox (``mediator_case_withdrawn``)
    )


def notify_offer_expiring(*, offer: Offer) -> None:
    case = offer.case
    staff_notify(
        users=_assigned(case),
        kind=OFFER_EXPIRING,
        message=gettext_noop(
            "Case %(reference)s: the offer at %(location)s expires within a day without an answer."
        ),
        params={"reference": case.reference, "location": offer.location.name},
        link=_case_link(case),
        dedupe_key=f"{OFFER_EXPIRING}:{offer.pk}",
    )


def notify_offer_expired(*, offer: Offer) -> None:
    case = offer.case
    staff_notify(
        users=_assigned(case),
        kind=OFFER_EXPIRED,
        message=gettext_noop(
            "Case %(reference)s: the offer at %(location)s expired without an answer."
        ),
        params={"reference": case.reference, "location": offer.location.name},
        link=_case_link(case),
        email=False,  # mailed by the case outbox (``mediator_offer_expired``)
        dedupe_key=f"{OFFER_EXPIRED}:{offer.pk}",
    )


@transaction.atomic
def overdue_digest_send(*, today: date) -> int:
    """Each active mediator gets one digest a day of the overdue cases (open, no first contact,
    due before ``today``) assigned to them or to nobody at their insurer; a mediator with none
    gets nothing. Idempotent per day. Returns how many digests were written."""
    overdue: dict[tuple[int, int | None], list[str]] = defaultdict(list)
    for insurer_id, assigned_id, reference in (
        Case.objects.overdue(today=today)  # type: ignore[attr-defined]
        .order_by("first_contact_due", "reference")
        .values_list("insurer_id", "assigned_to_id", "reference")
    ):
        overdue[(insurer_id, assigned_id)].append(reference)
    if not overdue:
        return 0
    insurers = {insurer_id for insurer_id, _assigned in overdue}
    memberships = Membership.objects.filter(
        role=Role.MEDIATOR, organisation_id__in=insurers, user__is_active=True
    ).select_related("user")
    written = 0
    link = reverse("mediation:case-list") + "?overdue=1"
    for membership in memberships:
        mine = overdue.get((membership.organisation_id, membership.user_id), [])
        nobodys = overdue.get((membership.organisation_id, None), [])
        references = mine + nobodys
        if not references:
            continue
        shown = ", ".join(references[:DIGEST_MAX_REFERENCES])
        if len(references) > DIGEST_MAX_REFERENCES:
            shown += " …"
        written += len(
            staff_notify(
                users=[membership.user],
                kind=OVERDUE_DIGEST,
                message=gettext_noop(
                    "Overdue first contact: %(mine)d of your cases and %(unassigned)d unassigned "
                    "cases (%(references)s)."
                ),
                params={"mine": len(mine), "unassigned": len(nobodys), "references": shown},
                link=link,
                dedupe_key=f"{OVERDUE_DIGEST}:{today.isoformat()}",
            )
        )
    return written
