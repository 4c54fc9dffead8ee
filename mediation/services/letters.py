"""The printed letter for a patient without email (DESIGN §3.3: reached by phone or letter).

A letter carries the patient's status link, whose secret token only exists hashed
(``Case.access_token_hash``); the token given at the request is gone. So printing a letter issues
a **new** token: its hash replaces the old one and the letter shows the new link. Any earlier
link (an earlier letter, the first email) stops working — the page that prints says so, and the
timeline records it. Only a mediator of the case's insurer does this, on an open case that is not
anonymised; it is audited as a change (the new link) and as a staff read of the case's data (the
letter shows it).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.services import audit_record
from core.errors import ApplicationError
from mediation.models import Case, CaseEventKind
from mediation.services.cases import access_token_digest
from mediation.services.transitions import (
    actor_label,
    audit_case_change,
    case_lock,
    event_add,
    mediator_check,
)


@transaction.atomic
def case_letter_issue(
    *, case: Case, actor: Actor, request: Any = None, now: datetime | None = None
) -> str:
    """Issue a new status-link token for a printed letter and return it (shown once, on the
    letter); the previous token no longer opens the status page."""
    now = now or timezone.now()
    mediator_check(actor=actor, case=case)
    case_lock(case)
    if case.anonymised_at is not None or not case.is_open:
        raise ApplicationError(
            _("This case is finished; there is nothing to write to the patient about."),
            field="status",
        )
    token = secrets.token_urlsafe(32)
    case.access_token_hash = access_token_digest(token)
    case.save(update_fields=["access_token_hash", "updated_at"])
    event_add(
        case=case,
        kind=CaseEventKind.LETTER_PRINTED,
        at=now,
        label=actor_label(actor),
        user=actor.user,
        note=_("A new status link was made for the letter; earlier links no longer work."),
    )
    audit_case_change(actor=actor, case=case, operation="case_letter_issue", request=request)
    audit_record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=case,
        case_reference=case.reference,
        request=request,
        detail={"page": "case_letter"},
    )
    return token
