"""Writes of assignment runs (DESIGN §3.7, issue 16): start a run, solve its parts, select
proposals, apply.

* :func:`assignment_run_start` creates the run with one part per specialism and queues one task
  per part (after commit) — independent sub-problems that any number of workers can share.
* :func:`assignment_part_solve` (the task's body) claims a part with a conditional update
  (``pending`` → ``running``), so a duplicated or retried message does nothing twice; it reads
  the part's input (``mediation.selectors.assignment``), solves it (``mediation.assignment``),
  stores the proposals and the figures next to the greedy baseline's, and adds its share to the
  run under the run's row lock; the last part finishes the run.
* :func:`assignment_run_apply` is the mediator's confirmation (DESIGN §3.7): once per run, each
  selected proposal becomes an offer through ``offer_make`` — which reserves a capacity slot
  under the capacity offer's row lock and checks the matching rules again — each in its own
  transaction; a proposal whose slot has gone, whose case is no longer open or already has an
  open offer, or that no longer meets the rules is skipped and listed with why.

``dry_run``: a dry run only proposes; the mediator reviews, deselects and applies it later (or
never). A run started with ``dry_run`` false is applied by itself as soon as every part has
succeeded, as its starter: the request to start it was the confirmation.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor, actor_for_api_key, actor_for_user
from accounts.models import AuditAction, Role
from accounts.services import audit_record
from core.errors import ApplicationError
from mediation import assignment
from mediation.assignment_models import (
    AssignmentProposal,
    AssignmentRun,
    AssignmentRunPart,
    AssignmentRunStatus,
)
from mediation.models import Case, Offer, OfferStatus
from mediation.selectors.assignment import (
    ASSIGNABLE_STATUSES,
    assignment_input_for,
    assignment_specialisms,
)
from mediation.services.offers import offer_make
from mediation.services.transitions import case_lock
from providers.models import Specialism

logger = logging.getLogger(__name__)

FIGURE_KEYS = (
    "cases",
    "placed",
    "placed_within_norm",
    "unassigned",
    "days_gained",
    "capacity_slots",
    "class3_cases",
    "class3_inside_window",
)
MAX_SPECIALISMS = 200


def _mediator_check(*, actor: Actor) -> None:
    if not (actor.is_authenticated and actor.has_role(Role.MEDIATOR) and actor.organisation):
        raise PermissionDenied(_("Only a mediator of an insurer may do this."))


def _zero() -> dict[str, int]:
    return dict.fromkeys(FIGURE_KEYS, 0)


def assignment_run_start(
    *, actor: Actor, specialisms: list[str] | None = None, dry_run: bool = True
) -> AssignmentRun:
    """Start a run for the actor's insurer over the named specialisms (codes), or over every
    specialism with open cases when none are named; its parts run as Celery tasks."""
    _mediator_check(actor=actor)
    assert actor.organisation is not None
    codes = sorted({code.strip() for code in specialisms or [] if code and code.strip()})
    if len(codes) > MAX_SPECIALISMS:
        raise ValidationError({"specialisms": _("Name at most 200 specialisms.")})
    found = assignment_specialisms(insurer=actor.organisation, codes=codes or None)
    unknown = sorted(set(codes) - {specialism.code for specialism in found})
    if unknown:
        raise ValidationError(
            {"specialisms": _("Unknown specialism: %(codes)s.") % {"codes": ", ".join(unknown)}}
        )
    with transaction.atomic():
        run = AssignmentRun.objects.create(
            insurer=actor.organisation,
            created_by=actor.user,
            api_key=actor.api_key,
            specialisms=codes,
            dry_run=dry_run,
            figures=_zero(),
            baseline=_zero(),
        )
        parts = AssignmentRunPart.objects.bulk_create(
            [AssignmentRunPart(run=run, specialism=specialism) for specialism in found]
        )
        if not parts:
            run.status = AssignmentRunStatus.SUCCEEDED
            run.progress = 100
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "progress", "finished_at"])
        else:
            part_ids = [part.pk for part in parts]
            transaction.on_commit(lambda: _dispatch(part_ids))
    return run


def _dispatch(part_ids: list[int]) -> None:
    from mediation.tasks import assignment_part_run

    for part_id in part_ids:
        try:
            assignment_part_run.delay(part_id)
        except Exception:
            logger.warning("assignment part %s not queued; the dispatch job will", part_id)


def _claim(part_id: int) -> AssignmentRunPart | None:
    claimed = AssignmentRunPart.objects.filter(
        pk=part_id, status=AssignmentRunStatus.PENDING
    ).update(status=AssignmentRunStatus.RUNNING, claimed_at=timezone.now())
    if not claimed:
        return None
    part = AssignmentRunPart.objects.select_related("run", "run__insurer", "specialism").get(
        pk=part_id
    )
    AssignmentRun.objects.filter(pk=part.run_id, status=AssignmentRunStatus.PENDING).update(
        status=AssignmentRunStatus.RUNNING, progress=1
    )
    return part


def _proposal_row(
    *, run: AssignmentRun, part: AssignmentRunPart, proposal: assignment.Proposal
) -> AssignmentProposal:
    candidate = proposal.candidate
    return AssignmentProposal(
        run=run,
        part=part,
        case_id=proposal.case_id,
        location_id=candidate.location_id if candidate else None,
        capacity_offer_id=candidate.capacity_offer_id if candidate else None,
        expected_days=candidate.expected_days if candidate else None,
        days_gained=candidate.days_gained if candidate else None,
        within_norm=bool(candidate and candidate.within_norm),
        distance_km=candidate.distance_km if candidate else None,
        outside_class3_window=bool(candidate and candidate.outside_class3_window),
        reasons=list(proposal.reasons),
        selected=candidate is not None,
    )


def assignment_part_solve(*, part_id: int) -> str:
    """Solve one part (idempotent: only a ``pending`` part is taken). Returns what happened."""
    part = _claim(part_id)
    if part is None:
        return "not pending"
    run = part.run
    started = time.perf_counter()
    try:
        cases, supply, _references = assignment_input_for(
            insurer=run.insurer, specialism=part.specialism, today=timezone.localdate()
        )
        proposals = assignment.solve(cases, supply)
        baseline = assignment.greedy(cases, supply)
        with transaction.atomic():
            if not _still_ours(part):
                return "taken over"
            AssignmentProposal.objects.filter(part=part).delete()
            AssignmentProposal.objects.bulk_create(
                [_proposal_row(run=run, part=part, proposal=p) for p in proposals],
                batch_size=1000,
            )
            part.figures = assignment.figures(cases, proposals)
            part.baseline = assignment.figures(cases, baseline)
            part.seconds = round(time.perf_counter() - started, 3)
            part.status = AssignmentRunStatus.SUCCEEDED
            part.save(update_fields=["figures", "baseline", "seconds", "status"])
    except Exception as exc:
        logger.exception("assignment part %s failed", part_id)
        part.status = AssignmentRunStatus.FAILED
        part.error = str(exc)[:2000]
        AssignmentRunPart.objects.filter(
            pk=part.pk, status=AssignmentRunStatus.RUNNING, claimed_at=part.claimed_at
        ).update(status=part.status, error=part.error)
    finished = _run_progress(run_id=run.pk)
    if finished:
        _apply_if_not_dry(run_id=run.pk)
    return part.status


def _still_ours(part: AssignmentRunPart) -> bool:
    """Whether the part is still running under this worker's claim (locked until the commit): a
    part handed out again after ``PART_LEASE`` belongs to its new worker, and the old one's late
    result is dropped instead of written over it."""
    current = AssignmentRunPart.objects.select_for_update().filter(pk=part.pk).first()
    return (
        current is not None
        and current.status == AssignmentRunStatus.RUNNING
        and current.claimed_at == part.claimed_at
    )


def _run_progress(*, run_id: int) -> bool:
    """Add up the parts under the run's row lock; finish the run when every part has. Returns
    whether this call finished it."""
    with transaction.atomic():
        run = AssignmentRun.objects.select_for_update().get(pk=run_id)
        if run.is_finished:
            return False
        parts = list(run.parts.all())
        done = [p for p in parts if p.status in (AssignmentRunStatus.SUCCEEDED, "failed")]
        figures, baseline = _zero(), _zero()
        for part in done:
            for key in FIGURE_KEYS:
                figures[key] += int(part.figures.get(key, 0))
                baseline[key] += int(part.baseline.get(key, 0))
        run.figures, run.baseline = figures, baseline
        run.progress = max(1, min(100, round(100 * len(done) / max(len(parts), 1))))
        fields = ["figures", "baseline", "progress"]
        if len(done) == len(parts):
            failed = [p for p in parts if p.status == AssignmentRunStatus.FAILED]
            run.status = AssignmentRunStatus.FAILED if failed else AssignmentRunStatus.SUCCEEDED
            run.error = "; ".join(f"{p.specialism_id}: {p.error}" for p in failed)[:2000]
            run.finished_at = timezone.now()
            fields += ["status", "error", "finished_at"]
        run.save(update_fields=fields)
        return run.is_finished


def _run_actor(run: AssignmentRun) -> Actor:
    if run.api_key is not None:
        return actor_for_api_key(run.api_key)
    return actor_for_user(run.created_by)


def _apply_if_not_dry(*, run_id: int) -> None:
    run = AssignmentRun.objects.get(pk=run_id)
    if run.dry_run or run.status != AssignmentRunStatus.SUCCEEDED:
        return
    try:
        assignment_run_apply(actor=_run_actor(run), run=run)
    except (ApplicationError, PermissionDenied) as exc:
        logger.warning("assignment run %s not applied: %s", run_id, exc)


# --- Review and apply ----------------------------------------------------------------------------
def _run_check(*, actor: Actor, run: AssignmentRun) -> None:
    _mediator_check(actor=actor)
    if actor.organisation is None or actor.organisation.pk != run.insurer_id:
        raise PermissionDenied(_("Only a mediator of the run's insurer may do this."))


@transaction.atomic
def assignment_proposals_select(
    *, actor: Actor, run: AssignmentRun, selected: dict[int, bool]
) -> int:
    """Select or deselect proposals of a run that has not been applied (``{id: selected}``);
    returns how many changed. Proposals without a location stay unselected."""
    _run_check(actor=actor, run=run)
    run = AssignmentRun.objects.select_for_update().get(pk=run.pk)
    if run.applied_at is not None:
        raise ApplicationError(_("This run has been applied; its proposals no longer change."))
    changed = 0
    for value in (True, False):
        ids = [pk for pk, wanted in selected.items() if wanted is value]
        if ids:
            changed += (
                AssignmentProposal.objects.filter(run=run, pk__in=ids, location__isnull=False)
                .exclude(selected=value)
                .update(selected=value)
            )
    return changed


def _skip_reason(case: Case) -> str | None:
    if case.status not in ASSIGNABLE_STATUSES:
        return _("The case is no longer open for an offer (status: %(status)s).") % {
            "status": case.get_status_display()
        }
    if Offer.objects.filter(case=case, status=OfferStatus.OPEN).exists():
        return _("The case already has an open offer.")
    return None


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            return " ".join(m for messages in exc.message_dict.values() for m in messages)
        return " ".join(exc.messages)
    return str(exc)


def assignment_run_apply(
    *, actor: Actor, run: AssignmentRun, request: Any = None
) -> dict[str, list[dict[str, Any]]]:
    """Apply a finished run once: an offer per selected proposal, each in its own transaction
    (``offer_make``: slot reserved under the capacity offer's row lock, rules checked again,
    audited per case); what cannot be offered any more is skipped and listed with why."""
    _run_check(actor=actor, run=run)
    with transaction.atomic():
        run = AssignmentRun.objects.select_for_update().get(pk=run.pk)
        if run.status != AssignmentRunStatus.SUCCEEDED:
            raise ApplicationError(_("Only a finished run can be applied."))
        if run.applied_at is not None:
            raise ApplicationError(_("This run has already been applied."))
        run.applied_at = timezone.now()
        run.applied_by = actor.user
        run.save(update_fields=["applied_at", "applied_by"])
    made: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    note = _("Proposed by assignment run #%(run)d.") % {"run": run.pk}
    proposals = (
        AssignmentProposal.objects.filter(run=run, selected=True, location__isnull=False)
        .select_related("case", "location")
        .order_by("id")
    )
    for proposal in proposals:
        reason: str | None = None
        try:
            with transaction.atomic():
                case = case_lock(proposal.case)
                reason = _skip_reason(case)
                if reason is None:
                    offer = offer_make(
                        case=case,
                        actor=actor,
                        location=proposal.location,  # type: ignore[arg-type]
                        expected_days=proposal.expected_days,
                        capacity_offer=proposal.capacity_offer_id,
                        note=note,
                        request=request,
                    )
        except (ApplicationError, ValidationError, PermissionDenied) as exc:
            reason = _error_text(exc)
        if reason is None:
            proposal.offer = offer
            proposal.save(update_fields=["offer"])
            made.append(
                {"proposal": proposal.pk, "case": proposal.case.reference, "offer": offer.pk}
            )
        else:
            proposal.skipped_reason = reason
            proposal.save(update_fields=["skipped_reason"])
            skipped.append(
                {"proposal": proposal.pk, "case": proposal.case.reference, "reason": reason}
            )
            audit_record(
                actor=actor,
                action=AuditAction.VIEW,
                obj=proposal.case,
                case_reference=proposal.case.reference,
                request=request,
                detail={"operation": "assignment_apply_skipped", "run": run.pk, "reason": reason},
            )
    result = {"offers": made, "skipped": skipped}
    AssignmentRun.objects.filter(pk=run.pk).update(apply_result=result)
    run.apply_result = result
    return result


# A part is solved in seconds (the largest specialism of 100,000 national cases: under 10 s); one
# still running after this lost its worker.
PART_LEASE = timedelta(minutes=30)


def assignment_parts_dispatch(*, now: datetime | None = None) -> int:
    """Queue again the parts still pending some minutes after their run started (a lost broker
    message) and the parts still running ``PART_LEASE`` after a worker took them (a worker that
    died: its claim lapses, the part is pending again); returns how many."""
    now = now or timezone.now()
    lapsed = AssignmentRunPart.objects.filter(
        status=AssignmentRunStatus.RUNNING, claimed_at__lt=now - PART_LEASE
    ).update(status=AssignmentRunStatus.PENDING, claimed_at=None)
    if lapsed:
        logger.warning("%s assignment part(s) lost their worker; queued again", lapsed)
    ids = list(
        AssignmentRunPart.objects.filter(
            status=AssignmentRunStatus.PENDING, run__created_at__lt=now - timedelta(minutes=5)
        ).values_list("pk", flat=True)
    )
    _dispatch(ids)
    return len(ids)


def specialism_choices() -> list[Specialism]:
    return list(Specialism.objects.order_by("code"))
