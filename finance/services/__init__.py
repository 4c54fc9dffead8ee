"""Writes of the finance app. Other apps import from here, e.g.
``from finance.services import volume_transfer_record``."""

from finance.services.arrangements import (
    CLAIM_TRANSITIONS,
    TRANSITIONS,
    arrangement_agree,
    arrangement_create,
    arrangement_settle,
    arrangement_update,
    cost_claim_approve,
    cost_claim_reject,
    cost_claim_submit,
    payment_record,
    production_record,
)
from finance.services.contracts import contract_create, contract_update
from finance.services.transfers import tariff_for, volume_transfer_record

__all__ = [
    "CLAIM_TRANSITIONS",
    "TRANSITIONS",
    "arrangement_agree",
    "arrangement_create",
    "arrangement_settle",
    "arrangement_update",
    "contract_create",
    "contract_update",
    "cost_claim_approve",
    "cost_claim_reject",
    "cost_claim_submit",
    "payment_record",
    "production_record",
    "tariff_for",
    "volume_transfer_record",
]
