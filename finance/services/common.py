"""Helpers shared by the finance services: who may write, who is named in the history, and
finance's own money helpers (``CENT``, ``MAX_AMOUNT``, ``money_errors``: an amount is euros in
whole cents that fits a 14-digit column). The settlement arithmetic stays pure in
:mod:`finance.settlement`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _

from accounts.actors import Actor
from finance.permissions import can_change_money

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # 14 digits, 2 of them cents


def require_contract_manager(actor: Actor) -> None:
    """Services guard themselves too: only an insurer's contract managers change money."""
    if not can_change_money(actor):
        raise PermissionDenied


def stamp(instance: models.Model, actor: Actor) -> None:
    """Name the actor in the django-simple-history row the next save writes. An API key has no
    user: its label (``api-key:<prefix>``) goes in the change reason, which the history shows."""
    target: Any = instance
    target._history_user = actor.user
    target._change_reason = actor.label


def money_errors(
    value: Any,
    *,
    allow_zero: bool = True,
    allow_negative: bool = False,
) -> list[str]:
    """Why ``value`` is not an acceptable amount in euros with cents (empty when it is)."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return [_("Enter an amount in euros, e.g. 1250.00.")]
    if not amount.is_finite():
        return [_("Enter an amount in euros, e.g. 1250.00.")]
    if amount != amount.quantize(CENT):
        return [_("Amounts are in whole cents: use at most two decimals.")]
    if abs(amount) > MAX_AMOUNT:
        return [_("This amount is too large.")]
    if amount < 0 and not allow_negative:
        return [_("The amount cannot be negative.")]
    if amount == 0 and not allow_zero:
        return [_("The amount must be more than zero.")]
    return []
