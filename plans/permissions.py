"""Who may see and do what with plans (DESIGN §5).

* A provider's **planners** (and its API keys) see all of their own provider's plans, drafts
  included, and are the only ones who write them: lines, measures, submission, progress.
* An insurer's **contract managers** (and its API keys) see the plans addressed to their insurer
  once submitted (a draft is the provider's own until then), review and close them.
* The **regulator** sees the statuses and aggregates of every submitted plan, never the text of a
  review (the API gives it a serialiser without comments; the web UI only an overview).
* Anyone else, and every other organisation's plan: 404, exactly like a plan that does not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import get_object_or_404_for, scope_to_organisation
from plans.models import Plan, PlanStatus

PLAN_PROVIDER_ROLES = (Role.PLANNER,)
PLAN_INSURER_ROLES = (Role.CONTRACT_MANAGER,)
PLAN_REGULATOR_ROLES = (Role.REGULATOR,)
PLAN_READ_ROLES = (*PLAN_PROVIDER_ROLES, *PLAN_INSURER_ROLES, *PLAN_REGULATOR_ROLES)


def plan_list_for(*, actor: Actor) -> QuerySet[Plan]:
    """Every plan the actor may see (the role decides; see the module docstring)."""
    plans = Plan.objects.select_related("provider", "insurer")
    if actor.has_role(*PLAN_PROVIDER_ROLES):
        return scope_to_organisation(plans, actor=actor, provider_field="provider")
    if actor.has_role(*PLAN_INSURER_ROLES):
        return scope_to_organisation(plans, actor=actor, insurer_field="insurer").exclude(
            status=PlanStatus.DRAFT
        )
    if actor.has_role(*PLAN_REGULATOR_ROLES):
        return plans.exclude(status=PlanStatus.DRAFT)
    return plans.none()


def access_plan_for(
    *,
    actor: Actor,
    pk: int | str,
    require_owner: bool = False,
    require_reviewer: bool = False,
) -> Plan:
    """One plan the actor may see; any other (foreign, missing or a draft of someone else): 404.

    ``require_owner`` (to write it: the planner's own provider's plan) and ``require_reviewer``
    (to review it: a plan addressed to the contract manager's insurer) narrow that further; a plan
    the actor may only read is then a 404 too."""
    plan = get_object_or_404_for(plan_list_for(actor=actor), pk=pk)
    if require_owner and not is_plan_owner(actor=actor, plan=plan):
        raise Http404
    if require_reviewer and not is_plan_reviewer(actor=actor, plan=plan):
        raise Http404
    return plan


def is_plan_owner(*, actor: Actor, plan: Plan) -> bool:
    return (
        actor.has_role(*PLAN_PROVIDER_ROLES)
        and actor.provider_id is not None
        and actor.provider_id == plan.provider_id
    )


def is_plan_reviewer(*, actor: Actor, plan: Plan) -> bool:
    return (
        actor.has_role(*PLAN_INSURER_ROLES)
        and actor.is_insurer
        and actor.organisation is not None
        and actor.organisation.pk == plan.insurer_id
    )
