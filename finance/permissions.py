"""Who may see which contracts (DESIGN §5): an insurer's mediators and contract managers see the
insurer's own contracts; a provider's planners and admins read their provider's own; nobody else
sees any (a foreign contract is 404)."""

from django.db.models import QuerySet

from accounts.actors import Actor
from accounts.models import Role
from accounts.permissions import scope_to_organisation
from finance.models import Contract

CONTRACT_READ_ROLES = (
    Role.MEDIATOR,
    Role.CONTRACT_MANAGER,
    Role.INSURER_ADMIN,
    Role.PLANNER,
    Role.PROVIDER_ADMIN,
)
CONTRACT_WRITE_ROLES = (Role.CONTRACT_MANAGER,)


def contract_list_for(*, actor: Actor) -> QuerySet[Contract]:
    if not actor.has_role(*CONTRACT_READ_ROLES):
        return Contract.objects.none()
    return scope_to_organisation(
        Contract.objects.select_related("insurer", "provider"),
        actor=actor,
        insurer_field="insurer",
        provider_field="provider",
    )
