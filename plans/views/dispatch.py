"""The plans page: one address, a page per role."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from accounts.actors import Actor
from accounts.permissions import view_role_required
from plans.permissions import PLAN_INSURER_ROLES, PLAN_PROVIDER_ROLES, PLAN_READ_ROLES
from plans.views.insurer import plan_inbox_page
from plans.views.provider import plan_list_page
from plans.views.regulator import plan_overview_page


@view_role_required(*PLAN_READ_ROLES)
def plan_list(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    """The plans page of the actor's role: a planner's plans, a contract manager's inbox, the
    regulator's overview."""
    if actor.has_role(*PLAN_PROVIDER_ROLES):
        return plan_list_page(request, actor=actor)
    if actor.has_role(*PLAN_INSURER_ROLES):
        return plan_inbox_page(request, actor=actor)
    return plan_overview_page(request, actor=actor)
