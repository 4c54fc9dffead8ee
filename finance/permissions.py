"""Who may see and change which money (DESIGN §5).

* Contracts: an insurer's mediators (matching prefers contracted providers), contract managers
  and admins see the insurer's own contracts; a provider's planners and admins read their
  provider's own.
* Arrangements, with their production, claims and payments: the insurer's contract managers
  (who also change them) and the provider's planners (read only).
* Nobody else sees any; a foreign contract or arrangement is 404, exactly like a missing one.

Every object lookup on a user-facing path goes through one ``access_<thing>_for`` helper here
(STYLE.md): ``access_contract_for``, ``access_arrangement_for`` and ``access_claim_for``.

An insurer's API key acts as mediator and contract manager, a provider's as planner.
"""

from typing import Any

from django.db.models import QuerySet

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import get_object_or_404_for, scope_to_organisation
from finance.models import Arrangement, Contract, CostClaim

CONTRACT_READ_ROLES = (
    Role.MEDIATOR,
    Role.CONTRACT_MANAGER,
    Role.INSURER_ADMIN,
    Role.PLANNER,
    Role.PROVIDER_ADMIN,
)
CONTRACT_WRITE_ROLES = (Role.CONTRACT_MANAGER,)
ARRANGEMENT_READ_ROLES = (Role.CONTRACT_MANAGER, Role.PLANNER)
ARRANGEMENT_WRITE_ROLES = (Role.CONTRACT_MANAGER,)
# The finance pages: the insurer's contract managers and the provider's planners.
FINANCE_PAGE_ROLES = ARRANGEMENT_READ_ROLES


def contract_list_for(*, actor: Actor) -> QuerySet[Contract]:
    if not actor.has_role(*CONTRACT_READ_ROLES):
        return Contract.objects.none()
    return scope_to_organisation(
        Contract.objects.select_related("insurer", "provider"),
        actor=actor,
        insurer_field="insurer",
        provider_field="provider",
    )


def access_contract_for(*, actor: Actor, pk: Any) -> Contract:
    return get_object_or_404_for(contract_list_for(actor=actor), pk=pk)


def arrangement_list_for(*, actor: Actor) -> QuerySet[Arrangement]:
    if not actor.has_role(*ARRANGEMENT_READ_ROLES):
        return Arrangement.objects.none()
    return scope_to_organisation(
        Arrangement.objects.select_related("contract__insurer", "contract__provider"),
        actor=actor,
        insurer_field="contract__insurer",
        provider_field="contract__provider",
    )


def access_arrangement_for(*, actor: Actor, pk: Any) -> Arrangement:
    return get_object_or_404_for(arrangement_list_for(actor=actor), pk=pk)


def access_claim_for(*, actor: Actor, arrangement_pk: Any, pk: Any) -> CostClaim:
    """A cost claim of the actor's arrangement ``arrangement_pk``: 404 when the arrangement is
    foreign or missing, or the claim belongs to another arrangement. ``claim.arrangement`` is the
    arrangement already read (no second query)."""
    arrangement = access_arrangement_for(actor=actor, pk=arrangement_pk)
    return get_object_or_404_for(arrangement.claims.all(), pk=pk)


def can_change_money(actor: Actor) -> bool:
    """Contract managers of an insurer change contracts and arrangements; everyone else reads."""
    return actor.is_insurer and actor.has_role(*ARRANGEMENT_WRITE_ROLES)
