"""The audit of a page that lists patients (NEN 7513), shared by the mediators' work queue and the
receiving provider's incoming patients."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.services import audit_record


def audit_list(
    request: HttpRequest, actor: Actor, *, object_type: str, references: list[str], page: str
) -> None:
    """A list that shows patients' data is a read of each of them (NEN 7513)."""
    if references:
        audit_record(
            actor=actor,
            action=AuditAction.LIST,
            object_type=object_type,
            request=request,
            detail={"page": page, "references": references},
        )
