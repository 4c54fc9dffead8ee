"""The lifecycle of a plan (DESIGN §3.4): who may act on a plan in which status, and one service
per transition, checked against :data:`TRANSITIONS`.

``draft → submitted → (changes_requested → submitted)* → approved → closed``. Anything else raises
``ApplicationError`` (400). Only a plan's own provider's planners submit it; only the contract
managers of the addressed insurer approve, send back or close it. A submission needs at least one
line and stores an immutable snapshot as a new version; requesting changes needs a comment. Every
transition is a :class:`~plans.models.PlanTransition` (who, when, comment) and an audit event.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.services import audit_record
from core.errors import ApplicationError
from plans.models import EDITABLE_STATUSES, Plan, PlanStatus, PlanTransition, PlanVersion
from plans.permissions import is_plan_owner, is_plan_reviewer
from plans.selectors.plans import plan_snapshot

MAX_COMMENT_LENGTH = 5_000

# The lifecycle (DESIGN §3.4): action → (statuses it may start from, status it leads to).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (
        frozenset({PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED}),
        PlanStatus.SUBMITTED,
    ),
    "request_changes": (frozenset({PlanStatus.SUBMITTED}), PlanStatus.CHANGES_REQUESTED),
    "approve": (frozenset({PlanStatus.SUBMITTED}), PlanStatus.APPROVED),
    "close": (frozenset({PlanStatus.APPROVED}), PlanStatus.CLOSED),
}


# --- Who may act, on a plan in which status -----------------------------------------------------
def require_owner(*, actor: Actor, plan: Plan) -> None:
    if not is_plan_owner(actor=actor, plan=plan):
        raise PermissionDenied


def require_reviewer(*, actor: Actor, plan: Plan) -> None:
    if not is_plan_reviewer(actor=actor, plan=plan):
        raise PermissionDenied


def require_editable(plan: Plan) -> None:
    if plan.status not in EDITABLE_STATUSES:
        raise ApplicationError(
            _(
                "Only a draft or a plan with changes requested can be changed; this plan is "
                "%(status)s."
            )
            % {"status": plan.get_status_display().lower()}
        )


def plan_locked(plan: Plan) -> Plan:
    """The plan re-read and locked for the rest of the transaction (a write starts with this)."""
    return Plan.objects.select_for_update().select_related("provider", "insurer").get(pk=plan.pk)


# --- Transitions --------------------------------------------------------------------------------
def record_transition(
    *, plan: Plan, actor: Actor, from_status: str, comment: str = ""
) -> PlanTransition:
    organisation = actor.organisation
    return PlanTransition.objects.create(
        plan=plan,
        from_status=from_status,
        to_status=plan.status,
        version=plan.version,
        comment=comment,
        actor=actor.user,
        actor_label=actor.label
        if actor.user is None
        else (actor.user.get_full_name() or actor.label),
        organisation_label=organisation.name if organisation else "",
    )


def _refusal(action: str) -> str:
    # The messages are listed for translation here (gettext needs literal strings).
    return {
        "submit": _(
            "Only a draft or a plan with changes requested can be submitted; this plan is "
            "%(status)s."
        ),
        "request_changes": _(
            "Only a submitted plan can be sent back for changes; this plan is %(status)s."
        ),
        "approve": _("Only a submitted plan can be approved; this plan is %(status)s."),
        "close": _("Only an approved plan can be closed; this plan is %(status)s."),
    }[action]


def _comment_clean(comment: str | None) -> str:
    text = (comment or "").strip()
    if "\x00" in text:
        raise ValidationError({"comment": [_("The text contains a NUL character.")]})
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            {
                "comment": [
                    _("Keep the comment under %(max)d characters.") % {"max": MAX_COMMENT_LENGTH}
                ]
            }
        )
    return text


def _transition(*, plan: Plan, action: str, actor: Actor, comment: str, request: Any) -> Plan:
    allowed_from, to_status = TRANSITIONS[action]
    if plan.status not in allowed_from:
        raise ApplicationError(_refusal(action) % {"status": plan.get_status_display().lower()})
    from_status = plan.status
    plan.status = to_status
    now = timezone.now()
    if to_status == PlanStatus.SUBMITTED:
        plan.version += 1
        plan.submitted_at = now
        PlanVersion.objects.create(
            plan=plan,
            number=plan.version,
            snapshot=plan_snapshot(plan=plan),
            submitted_at=now,
            submitted_by=actor.label,
        )
    elif to_status in (PlanStatus.APPROVED, PlanStatus.CHANGES_REQUESTED):
        plan.decided_at = now
    plan.updated_at = now
    plan.save(update_fields=["status", "version", "submitted_at", "decided_at", "updated_at"])
    record_transition(plan=plan, actor=actor, from_status=from_status, comment=comment)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=plan,
        request=request,
        detail={"transition": [from_status, to_status], "version": plan.version},
    )
    return plan


@transaction.atomic
def plan_submit(*, actor: Actor, plan: Plan, comment: str = "", request: Any = None) -> Plan:
    """Send the plan to its insurer as a new version (a snapshot that stays readable)."""
    require_owner(actor=actor, plan=plan)
    plan = plan_locked(plan)
    comment = _comment_clean(comment)
    if plan.status in TRANSITIONS["submit"][0] and not plan.lines.exists():
        raise ApplicationError(
            _("Add at least one line before you submit the plan."), field="lines"
        )
    return _transition(plan=plan, action="submit", actor=actor, comment=comment, request=request)


@transaction.atomic
def plan_approve(*, actor: Actor, plan: Plan, comment: str = "", request: Any = None) -> Plan:
    require_reviewer(actor=actor, plan=plan)
    plan = plan_locked(plan)
    return _transition(
        plan=plan, action="approve", actor=actor, comment=_comment_clean(comment), request=request
    )


@transaction.atomic
def plan_request_changes(*, actor: Actor, plan: Plan, comment: str, request: Any = None) -> Plan:
    """Send the plan back to the provider, saying what has to change (a comment is required)."""
    require_reviewer(actor=actor, plan=plan)
    plan = plan_locked(plan)
    comment = _comment_clean(comment)
    if not comment:
        raise ValidationError({"comment": [_("Say what has to change: a comment is required.")]})
    return _transition(
        plan=plan, action="request_changes", actor=actor, comment=comment, request=request
    )


def plan_review(
    *, actor: Actor, plan: Plan, decision: str, comment: str = "", request: Any = None
) -> Plan:
    """The insurer's decision on a submitted plan: ``approve`` or ``request_changes``."""
    if decision == "approve":
        return plan_approve(actor=actor, plan=plan, comment=comment, request=request)
    if decision == "request_changes":
        return plan_request_changes(actor=actor, plan=plan, comment=comment, request=request)
    raise ValidationError({"decision": [_("Choose approve or request_changes.")]})


@transaction.atomic
def plan_close(*, actor: Actor, plan: Plan, comment: str = "", request: Any = None) -> Plan:
    """End an approved plan (its period is over, or it is replaced by a new one)."""
    require_reviewer(actor=actor, plan=plan)
    plan = plan_locked(plan)
    return _transition(
        plan=plan, action="close", actor=actor, comment=_comment_clean(comment), request=request
    )
