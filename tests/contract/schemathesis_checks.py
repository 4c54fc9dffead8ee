"""What the schema cannot say, and the check that holds the API to the rest.

The OpenAPI schema states every rule it can: types, formats, patterns, ranges, required fields,
choices. Some rules depend on data the schema does not hold: which codes exist (an insurer, a
location of your own), what today is (a birth date in the past, a waiting start not in the
future), the object's state (only a submitted plan can be reviewed) or another field (a treatment
belongs to its specialism). A request that is valid by the schema may still be refused with 400
for such a rule — but only naming the fields that rule is about.

:func:`beyond_schema_rejection` takes the place of schemathesis' ``positive_data_acceptance``
(which fails every such 400): a 400 to a schema-valid request passes when every field it names
is listed for that operation in :data:`RULES_BEYOND_SCHEMA`. A 400 naming any other field means
the schema lets through what the API refuses — the schema is wrong, and the check fails. Used by
the contract tests (``tests/contract/test_openapi_contract.py``) and by the large run in
``benchmarks/fuzz_api.py``, where ``SCHEMATHESIS_HOOKS=tests.contract.schemathesis_hooks``
registers it with the command line.
"""

from __future__ import annotations

import json
from typing import Any

# Why a field may be refused although the request is valid by the schema, per operation:
# codes that must exist (and be yours); dates judged against today; the object's state (a
# transition that its status does not allow: ``status``, ``offer`` or ``non_field_errors``);
# rules across fields. ``non_field_errors``: a rule about the whole request or the object.
_STATE = {"non_field_errors", "status"}
_PLAN_CONTENT = {"insurer", "period_start", "period_end", "measures", "lines", *_STATE}
RULES_BEYOND_SCHEMA: dict[str, set[str]] = {
    # Specialism codes must exist; a run is applied once, when it has finished.
    "POST /api/v1/assignment-runs/": {"specialisms"},
    "POST /api/v1/assignment-runs/{id}/apply/": _STATE,
    # Which codes and postcodes exist; a distance (and ordering by it) needs a postcode; a
    # treatment has waits of kind treatment only, and belongs to its specialism.
    "GET /api/v1/waiting-times/current/": {
        "specialism",
        "treatment",
        "region",
        "postcode",
        "max_distance_km",
        "ordering",
        "kind",
    },
    # Codes that must exist; a postcode we know; a treatment only with kind treatment, of the
    # specialism; born in the past (within 120 years), waiting not in the future, an
    # appointment not in the past nor before the waiting began.
    "POST /api/v1/mediation-requests/": {
        "insurer",
        "specialism",
        "treatment",
        "current_location",
        "postcode",
        "kind",
        "birth_date",
        "waiting_since",
        "expected_date",
    },
    # The state of the offer and the request.
    "POST /api/v1/mediation-requests/{reference}/offers/{id}/accept/": {"offer", *_STATE},
    "POST /api/v1/mediation-requests/{reference}/offers/{id}/decline/": {"offer", *_STATE},
    "POST /api/v1/mediation-requests/{reference}/withdraw/": _STATE,
    # The case's state; the location must exist, be active and not the one the patient waits
    # at; a capacity offer must exist, be of that location and have a free slot; the offer may
    # not make the wait longer; one that breaks another matching rule needs an override reason.
    "POST /api/v1/cases/{reference}/offers/": {
        "location",
        "capacity_offer",
        "expected_days",
        "override_reason",
        *_STATE,
    },
    "POST /api/v1/cases/{reference}/close/": _STATE,
    # The offer's and the case's state (open, not expired); a reason only with a refusal.
    "POST /api/v1/cases/{reference}/offers/{id}/answer/": {"offer", "reason", *_STATE},
    # A postcode we know, a plausible appointment not in the past nor before the waiting
    # began, an email address or a phone number kept, a note with a new urgency class; only
    # open cases.
    "PATCH /api/v1/cases/{reference}/": {
        "postcode",
        "expected_date",
        "email",
        "phone",
        "note",
        *_STATE,
    },
    # The location must be your own, codes must exist, a treatment fit its kind and
    # specialism; days or insufficient observations, not both; a peildatum not in the future.
    "POST /api/v1/waiting-times/": {
        "location",
        "specialism",
        "treatment",
        "kind",
        "days",
        "insufficient_observations",
        "reference_date",
        "non_field_errors",
    },
    # What the file holds (every error names its line and column).
    "POST /api/v1/waiting-times/import/": {"errors"},
    # Your own location, codes that exist, a treatment that fits; a week from this one on.
    "POST /api/v1/capacity-offers/": {
        "location",
        "specialism",
        "treatment",
        "kind",
        "week_start",
        "urgency_classes",
        "non_field_errors",
    },
    "PUT /api/v1/locations/{code}/status/": {"accepted_urgency_classes"},
    # The provider must exist; one contract per insurer, provider and year.
    "POST /api/v1/contracts/": {"provider", "year", "contract_value", "non_field_errors"},
    # The provider must exist and have a contract for the year; the kind decides which of
    # coverage percentage and budget is given.
    "POST /api/v1/arrangements/": {
        "provider",
        "year",
        "kind",
        "coverage_percentage",
        "budget",
        "non_field_errors",
    },
    "POST /api/v1/arrangements/{id}/agree/": _STATE,
    "POST /api/v1/arrangements/{id}/settle/": _STATE,
    # Claims belong to an additional-costs arrangement that is not settled; a claim recorded
    # as rejected needs its reason.
    "POST /api/v1/arrangements/{id}/claims/": {"rejection_reason", *_STATE},
    "POST /api/v1/arrangements/{id}/claims/{claim_pk}/approve/": _STATE,
    "POST /api/v1/arrangements/{id}/claims/{claim_pk}/reject/": _STATE,
    # Only a correction may be negative; the arrangement's state decides what may be booked.
    # A plausible payment date (DESIGN §7: from 1900 up to ten years after today).
    "POST /api/v1/arrangements/{id}/payments/": {"amount", "kind", "date", *_STATE},
    # A month of the contract year; the catch-up part at most the month's production; no
    # changes once an arrangement of the contract is settled.
    "POST /api/v1/arrangements/{id}/production/": {"month", "catch_up_amount", *_STATE},
    # The insurer must exist; the period's months in order and of a plausible length; lines
    # unique per specialism and class, with existing specialisms and months in the period;
    # only a draft (or one sent back) is edited or submitted, with at least one line.
    "POST /api/v1/plans/": _PLAN_CONTENT,
    "PUT /api/v1/plans/{id}/": _PLAN_CONTENT,
    "PATCH /api/v1/plans/{id}/": _PLAN_CONTENT,
    "POST /api/v1/plans/{id}/submit/": {"lines", *_STATE},
    # Only a submitted plan is reviewed; asking for changes needs a comment.
    "POST /api/v1/plans/{id}/review/": {"comment", *_STATE},
    "POST /api/v1/plans/{id}/close/": _STATE,
    # A month of the plan's period that has begun; lines of the plan.
    "POST /api/v1/plans/{id}/progress/": {"month", "lines", *_STATE},
    # The end date not before the start date; plausible dates (DESIGN §7: from 1900 up to ten
    # years after today, so the bound moves with the calendar and a schema cannot state it).
    "GET /api/v1/audit-events/": {"date_from", "date_to"},
    "GET /api/v1/capacity-offers/": {"week_from"},
    # The appointment not in the past nor more than a year ahead (judged against today); only an
    # accepted offer not yet confirmed can be confirmed.
    "POST /api/v1/incoming/{id}/confirm/": {"appointment_date", "offer", *_STATE},
    "POST /api/v1/waiting-lists/": {"errors"},
    "POST /api/v1/waiting-lists/import/": {"errors"},
    "POST /api/v1/proactive-scans/": {"specialisms", "non_field_errors"},
    "POST /api/v1/invitations/{reference}/accept/": {"location", *_STATE},
    "POST /api/v1/invitations/{reference}/decline/": _STATE,
}


def _names(body: Any) -> set[str]:
    """The field names an error body names; a list's errors are keyed by position."""
    if isinstance(body, list):
        return set().union(*(_names(item) for item in body)) if body else set()
    if not isinstance(body, dict):
        return {"<not a field-error object>"}
    names: set[str] = set()
    for key, value in body.items():
        if key.isdigit() and isinstance(value, dict):
            names |= _names(value)
        else:
            names.add(key)
    return names


def beyond_schema_rejection(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 400 to a schema-valid request names only fields whose rule the schema cannot state."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    allowed = RULES_BEYOND_SCHEMA.get(case.operation.label, set())
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    named = _names(body)
    unexpected = named - allowed
    if unexpected:
        raise AssertionError(
            f"A schema-valid request was refused for {sorted(unexpected)}: the schema should "
            f"state that rule (or, if it depends on data, list it in RULES_BEYOND_SCHEMA). "
            f"Answer: {response.content[:500]!r}"
        )
    return True
