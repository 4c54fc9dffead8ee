"""The case state machine (DESIGN §3.3, issue 4), the timeline writer and the staff checks that
every mediation service shares.

One map holds every allowed status change; each transition has one service (``cases.py``,
``offers.py``) that checks it here, writes a :class:`CaseEvent` and, for staff, an audit event.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction, Role, User
from accounts.services import audit_record
from core.errors import ApplicationError
from mediation.models import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseNotification,
    CaseStatus,
    Offer,
)

# Every allowed status change. ``closed`` is reachable from every open status (with an outcome);
# ``completed`` and ``closed`` are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.SUBMITTED: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.CLOSED}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.OFFERED, CaseStatus.CLOSED}),
    CaseStatus.OFFERED: frozenset({CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.CLOSED}),
    CaseStatus.ACCEPTED: frozenset({CaseStatus.COMPLETED, CaseStatus.CLOSED}),
    CaseStatus.COMPLETED: frozenset(),
    CaseStatus.CLOSED: frozenset(),
}

logger = logging.getLogger(__name__)

PATIENT_LABEL = "patient"
SYSTEM_LABEL = "system"


def transition_allowed(*, from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def transition_check(*, case: Case, to_status: str) -> None:
    """Refuse (``ApplicationError``) a status change that the map does not allow."""
    if not transition_allowed(from_status=case.status, to_status=to_status):
        raise ApplicationError(
            _("A case that is %(from)s cannot become %(to)s.")
            % {
                "from": CaseStatus(case.status).label,
                "to": CaseStatus(to_status).label,
            },
            field="status",
        )


def case_lock(case: Case) -> Case:
    """Lock the case row for the rest of the transaction and reload ``case`` from it, so that
    two concurrent changes of one case are serialised and each sees the other's result."""
    if not transaction.get_connection().in_atomic_block:  # pragma: no cover - programming error
        raise RuntimeError("case_lock needs a transaction")
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).first()
    case.refresh_from_db()
    return case


def actor_label(actor: Actor) -> str:
    """How a staff actor appears on the timeline: the user's full name, else the username; an
    API key as its organisation's system."""
    if actor.user is not None:
        return actor.user.get_full_name() or actor.user.get_username()
    return actor.label


def event_add(
    *,
    case: Case,
    kind: str,
    at: datetime,
    label: str,
    user: User | None = None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    offer: Offer | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        at=at,
        actor=user,
        actor_label=label[:200],
        from_status=from_status,
        to_status=to_status,
        note=note,
        offer=offer,
    )


def status_move(
    *,
    case: Case,
    to_status: str,
    at: datetime,
    label: str,
    user: User | None = None,
    kind: str = CaseEventKind.STATUS_CHANGED,
    note: str = "",
    offer: Offer | None = None,
    extra_fields: tuple[str, ...] = (),
) -> CaseEvent:
    """Check the transition, save the new status (with ``extra_fields`` set by the caller) and
    put it on the timeline."""
    transition_check(case=case, to_status=to_status)
    from_status = case.status
    case.status = to_status
    case.save(update_fields=["status", "updated_at", *extra_fields])
    return event_add(
        case=case,
        kind=kind,
        at=at,
        label=label,
        user=user,
        from_status=from_status,
        to_status=to_status,
        note=note,
        offer=offer,
    )


def mediator_check(*, actor: Actor, case: Case) -> None:
    """Staff changes of a case are for mediators (or the insurer's API key) of the case's insurer.

    Views resolve access first (a foreign case is 404 there); this is the service's own guard."""
    if not (
        actor.is_authenticated
        and actor.has_role(Role.MEDIATOR)
        and actor.organisation is not None
        and actor.organisation.pk == case.insurer_id
    ):
        raise PermissionDenied(_("Only a mediator of the patient's insurer may do this."))


def audit_case_change(
    *,
    actor: Actor,
    case: Case,
    operation: str,
    request: Any = None,
    action: str = AuditAction.UPDATE,
    detail: dict[str, Any] | None = None,
    obj: Any = None,
) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=obj if obj is not None else case,
        case_reference=case.reference,
        request=request,
        detail={"operation": operation, **(detail or {})},
    )


def notification_queue(
    *,
    case: Case,
    kind: str,
    recipient: str,
    offer: Offer | None = None,
    secret: str = "",
) -> CaseNotification:
    """Write an outbox row and send it after the commit (``mediation.tasks.send_case_mail``).

    If the broker is unreachable the row stays unsent and the beat task sends it later."""
    notification = CaseNotification.objects.create(
        case=case, offer=offer, kind=kind, recipient=recipient, secret=secret
    )

    def enqueue() -> None:
        # Imported here: mediation.tasks imports the services, this module among them.
        from mediation.tasks import send_case_mail

        try:
            send_case_mail.delay(notification.pk)
        except Exception:  # a broker outage must not fail the request
            logger.warning(
                "Could not enqueue mail %s; the outbox task will send it.", notification.pk
            )

    transaction.on_commit(enqueue)
    return notification
