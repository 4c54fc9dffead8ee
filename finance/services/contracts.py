"""Writes of purchase contracts (DESIGN §3.5): an insurer's contract managers record the contract
with a provider for a year and its value (the revenue ceiling).

One contract per insurer, provider and year, a year from 2000 up to ten years ahead. The value
can be changed (the history keeps every earlier value) until an arrangement of the contract has
been settled: its settlement was computed from that value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.services import audit_record
from core.dates import plausible_last_year, plausible_year_errors
from core.errors import ApplicationError, raise_if
from finance.models import FIRST_CONTRACT_YEAR, ArrangementStatus, Contract
from finance.services.common import money_errors, require_contract_manager, stamp
from providers.models import Provider


def _year_errors(year: Any) -> list[str]:
    """A contract year from 2000 up to ten years ahead (``core.dates``)."""
    today = timezone.localdate()
    if isinstance(year, bool) or not isinstance(year, int):
        return [
            _("Enter a year between %(min)d and %(max)d.")
            % {"min": FIRST_CONTRACT_YEAR, "max": plausible_last_year(today=today)}
        ]
    return plausible_year_errors(year, today=today, first=FIRST_CONTRACT_YEAR)


@transaction.atomic
def contract_create(
    *,
    actor: Actor,
    provider: Provider,
    year: int,
    contract_value: Decimal,
    request: Any = None,
) -> Contract:
    """Record the actor's insurer's purchase contract with ``provider`` for ``year``."""
    require_contract_manager(actor)
    raise_if(
        {
            "year": _year_errors(year),
            "contract_value": money_errors(contract_value),
        }
    )
    insurer = actor.organisation
    assert insurer is not None
    if Contract.objects.filter(insurer=insurer, provider=provider, year=year).exists():
        raise ValidationError(
            {
                "year": _(
                    "There is already a contract with %(provider)s for %(year)d: change its "
                    "value instead."
                )
                % {"provider": provider.name, "year": year}
            }
        )
    contract = Contract(
        insurer=insurer, provider=provider, year=year, contract_value=Decimal(contract_value)
    )
    stamp(contract, actor)
    contract.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=contract,
        request=request,
        detail={"provider": provider.agb_code, "year": year, "contract_value": str(contract_value)},
    )
    return contract


@transaction.atomic
def contract_update(
    *, actor: Actor, contract: Contract, contract_value: Decimal, request: Any = None
) -> Contract:
    """Change the contract value, unless an arrangement of the contract is settled."""
    require_contract_manager(actor)
    contract = Contract.objects.select_for_update().get(pk=contract.pk, insurer=actor.organisation)
    raise_if({"contract_value": money_errors(contract_value)})
    if contract.arrangements.filter(status=ArrangementStatus.SETTLED).exists():
        raise ApplicationError(
            _(
                "An arrangement of this contract has been settled on its value, so the value "
                "can no longer change."
            ),
            field="contract_value",
        )
    if contract.contract_value == Decimal(contract_value):
        return contract
    previous = contract.contract_value
    contract.contract_value = Decimal(contract_value)
    stamp(contract, actor)
    contract.save(update_fields=["contract_value"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=contract,
        request=request,
        detail={"contract_value": [str(previous), str(contract.contract_value)]},
    )
    return contract
