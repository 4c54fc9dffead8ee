"""The API keeps to its OpenAPI contract, for every operation and every role that may call it.

schemathesis generates requests from our own schema — schema-valid ones and schema-violating ones
— and sends them through the WSGI app as each role: anonymous, a patient with the access token of
their request, a provider's and an insurer's API key, and the staff sessions of the roles that may
call the operation (DESIGN §5). Every answer is checked against the schema (status code, content
type, headers, body), a schema-violating request must be refused, nothing may answer 500, and a
400 to a schema-valid request may only name fields whose rule the schema cannot state
(``tests/contract/schemathesis_checks.py``). The role's own objects (its case, plan, contract,
arrangement, claim, location, region) are the path parameters, so that requests reach the
services rather than a 404.

A few examples per operation and role keep this quick; ``benchmarks/fuzz_api.py`` runs the same
checks with thousands of requests against a live server (figures in benchmarks/RESULTS.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from rest_framework.throttling import ScopedRateThrottle
from schemathesis import GenerationMode
from schemathesis.checks import ignored_auth, positive_data_acceptance

from accounts.models import Role
from mediation.models import AssignmentRun, CaseStatus, OfferStatus, ProactiveScan
from tests.accounts.factories import member
from tests.contract.schemathesis_checks import RULES_BEYOND_SCHEMA, beyond_schema_rejection
from tests.finance.factories import ArrangementFactory, ContractFactory, CostClaimFactory
from tests.mediation.factories import OfferFactory
from tests.plans.factories import submitted_plan
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection_open")]

ANONYMOUS = ("anonymous",)
PATIENT = ("patient",)
PLANNERS = ("provider-key", "planner")
MEDIATORS = ("insurer-key", "mediator")
CONTRACT_MANAGERS = ("insurer-key", "contract-manager")
FINANCE_READERS = (*CONTRACT_MANAGERS, *PLANNERS)
CONTRACT_READERS = (*FINANCE_READERS, "mediator", "insurer-admin", "provider-admin")
PLAN_READERS = (*PLANNERS, *CONTRACT_MANAGERS, "regulator")
REPORT_READERS = ("insurer-key", "mediator", "contract-manager", "insurer-admin", "regulator")

# Who may call what (DESIGN §5); every operation of the schema is here.
CALLERS: dict[str, tuple[str, ...]] = {
    "GET /api/v1/specialisms/": ANONYMOUS,
    "GET /api/v1/treatments/": ANONYMOUS,
    "GET /api/v1/regions/": ANONYMOUS,
    "GET /api/v1/norms/": ANONYMOUS,
    "GET /api/v1/insurers/": ANONYMOUS,
    "GET /api/v1/providers/": ANONYMOUS,
    "GET /api/v1/waiting-times/current/": ANONYMOUS,
    "POST /api/v1/mediation-requests/": ANONYMOUS,
    "GET /api/v1/mediation-requests/{reference}/": PATIENT,
    "POST /api/v1/mediation-requests/{reference}/offers/{id}/accept/": PATIENT,
    "POST /api/v1/mediation-requests/{reference}/offers/{id}/decline/": PATIENT,
    "POST /api/v1/mediation-requests/{reference}/withdraw/": PATIENT,
    "POST /api/v1/waiting-times/": PLANNERS,
    "POST /api/v1/waiting-times/import/": PLANNERS,
    "GET /api/v1/waiting-times/imports/{id}/": PLANNERS,
    "GET /api/v1/capacity-offers/": PLANNERS,
    "POST /api/v1/capacity-offers/": PLANNERS,
    "GET /api/v1/locations/{code}/status/": PLANNERS,
    "PUT /api/v1/locations/{code}/status/": PLANNERS,
    "GET /api/v1/cases/": MEDIATORS,
    "GET /api/v1/cases/{reference}/": MEDIATORS,
    "GET /api/v1/cases/{reference}/matches/": MEDIATORS,
    "POST /api/v1/cases/{reference}/offers/": MEDIATORS,
    "POST /api/v1/cases/{reference}/close/": MEDIATORS,
    "PATCH /api/v1/cases/{reference}/": MEDIATORS,
    "POST /api/v1/cases/{reference}/offers/{id}/answer/": MEDIATORS,
    "POST /api/v1/assignment-runs/": MEDIATORS,
    "GET /api/v1/assignment-runs/{id}/": MEDIATORS,
    "GET /api/v1/assignment-runs/{id}/proposals/": MEDIATORS,
    "POST /api/v1/assignment-runs/{id}/apply/": MEDIATORS,
    "GET /api/v1/incoming/": PLANNERS,
    "POST /api/v1/incoming/{id}/confirm/": PLANNERS,
    "GET /api/v1/contracts/": CONTRACT_READERS,
    "GET /api/v1/contracts/{id}/": CONTRACT_READERS,
    "POST /api/v1/contracts/": CONTRACT_MANAGERS,
    "GET /api/v1/arrangements/": FINANCE_READERS,
    "GET /api/v1/arrangements/{id}/": FINANCE_READERS,
    "GET /api/v1/arrangements/{id}/claims/": FINANCE_READERS,
    "GET /api/v1/arrangements/{id}/payments/": FINANCE_READERS,
    "GET /api/v1/arrangements/{id}/production/": FINANCE_READERS,
    "POST /api/v1/arrangements/": CONTRACT_MANAGERS,
    "POST /api/v1/arrangements/{id}/agree/": CONTRACT_MANAGERS,
    "POST /api/v1/arrangements/{id}/settle/": CONTRACT_MANAGERS,
    "POST /api/v1/arrangements/{id}/claims/": CONTRACT_MANAGERS,
    "POST /api/v1/arrangements/{id}/claims/{claim_pk}/approve/": CONTRACT_MANAGERS,
    "POST /api/v1/arrangements/{id}/claims/{claim_pk}/reject/": CONTRACT_MANAGERS,
    "POST /api/v1/arrangements/{id}/payments/": CONTRACT_MANAGERS,
    "POST /api/v1/arrangements/{id}/production/": CONTRACT_MANAGERS,
    "GET /api/v1/plans/": PLAN_READERS,
    "GET /api/v1/plans/{id}/": PLAN_READERS,
    "POST /api/v1/plans/": PLANNERS,
    "PUT /api/v1/plans/{id}/": PLANNERS,
    "PATCH /api/v1/plans/{id}/": PLANNERS,
    "POST /api/v1/plans/{id}/submit/": PLANNERS,
    "POST /api/v1/plans/{id}/progress/": PLANNERS,
    "POST /api/v1/plans/{id}/review/": CONTRACT_MANAGERS,
    "POST /api/v1/plans/{id}/close/": CONTRACT_MANAGERS,
    "GET /api/v1/reports/regions/{code}/": REPORT_READERS,
    "GET /api/v1/reports/national/": REPORT_READERS,
    "GET /api/v1/audit-events/": ("insurer-admin", "regulator"),
    "GET /api/v1/waiting-lists/": (*PLANNERS, *MEDIATORS),
    "POST /api/v1/waiting-lists/": PLANNERS,
    "POST /api/v1/waiting-lists/import/": PLANNERS,
    "POST /api/v1/proactive-scans/": MEDIATORS,
    "GET /api/v1/proactive-scans/{id}/": MEDIATORS,
    "GET /api/v1/invitations/{reference}/": PATIENT,
    "POST /api/v1/invitations/{reference}/accept/": PATIENT,
    "POST /api/v1/invitations/{reference}/decline/": PATIENT,
}
SESSION_ROLES = {
    "mediator": Role.MEDIATOR,
    "contract-manager": Role.CONTRACT_MANAGER,
    "insurer-admin": Role.INSURER_ADMIN,
    "planner": Role.PLANNER,
    "provider-admin": Role.PROVIDER_ADMIN,
    "regulator": Role.REGULATOR,
}
PATIENT_TOKEN = "contract-test-token"
CSRF_TOKEN = "c" * 32
EXAMPLES = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 2}
# The test sends the role's credentials itself (401 and 403 are the access matrices' subject).
EXCLUDED_CHECKS = [positive_data_acceptance, ignored_auth]


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    cookies: dict[str, dict[str, str]]
    path_parameters: dict[str, dict[str, object]]


def _session_cookies(user) -> dict[str, str]:
    """The cookies of a staff member logged in (as the login page leaves them), with CSRF's."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {"sessionid": str(session.session_key), "csrftoken": CSRF_TOKEN}


@pytest.fixture
def world(insurer, provider_org, regulator_org, api_key_for, monkeypatch) -> World:
    """Every role with its credentials, and each role's own objects."""
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {"public": "100000/hour", "public_write": "100000/hour", "public_invalid": "100000/hour"},
    )
    provider = provider_org.provider
    location = LocationFactory(provider=provider)
    WaitingTimeSeriesFactory(location=location)
    offer = OfferFactory(case__insurer=insurer, case__token=PATIENT_TOKEN)
    # A patient who accepted a place at the provider: on its incoming list.
    incoming = OfferFactory(
        location=location,
        status=OfferStatus.ACCEPTED,
        responded_at=timezone.now(),
        case__insurer=insurer,
        case__status=CaseStatus.ACCEPTED,
    )
    members = {
        name: member(
            role, regulator_org if role == Role.REGULATOR else _org(role, insurer, provider_org)
        )
        for name, role in SESSION_ROLES.items()
    }
    plan = submitted_plan(members["planner"], insurer)
    # A finished assignment run of the insurer with one proposal (its case is the patient's).
    run = AssignmentRun.objects.create(insurer=insurer, status="succeeded", progress=100)
    contract = ContractFactory(insurer=insurer, provider=provider)
    claim = CostClaimFactory(arrangement__contract=contract)
    ArrangementFactory(contract=contract)
    scan = ProactiveScan.objects.create(
        insurer=insurer, trigger="api", scan_date=timezone.localdate()
    )

    insurer_objects = {
        "reference": offer.case.reference,
        "id": None,  # per path: the plan, the contract or the arrangement
        "claim_pk": claim.pk,
        "code": provider.region.code,
    }
    provider_objects = {"code": location.code}
    headers = {
        "anonymous": {},
        "patient": {"X-Access-Token": PATIENT_TOKEN},
        "provider-key": {"Authorization": f"Api-Key {api_key_for(provider_org)}"},
        "insurer-key": {"Authorization": f"Api-Key {api_key_for(insurer)}"},
        **{name: {"X-CSRFToken": CSRF_TOKEN} for name in members},
    }
    cookies = {name: _session_cookies(user) for name, user in members.items()}
    ids = {
        "plans": plan.pk,
        "contracts": contract.pk,
        "arrangements": claim.arrangement.pk,
        "cases": offer.pk,  # the offer of .../cases/{reference}/offers/{id}/answer/
        "incoming": incoming.pk,
        "assignment-runs": run.pk,
        "proactive-scans": scan.pk,
    }
    path_parameters = {
        "anonymous": {},
        "patient": {"reference": offer.case.reference, "id": offer.pk},
        "provider-key": {**provider_objects, "ids": ids},
        "planner": {**provider_objects, "ids": ids},
        "provider-admin": {"ids": ids},
        "insurer-key": {**insurer_objects, "ids": ids},
        "mediator": {**insurer_objects, "ids": ids},
        "contract-manager": {**insurer_objects, "ids": ids},
        "insurer-admin": {**insurer_objects, "ids": ids},
        "regulator": {"code": provider.region.code, "ids": ids},
    }
    return World(headers=headers, cookies=cookies, path_parameters=path_parameters)


def _org(role: str, insurer, provider_org):
    return provider_org if role in (Role.PLANNER, Role.PROVIDER_ADMIN) else insurer


def _path_parameters(world: World, role: str, path: str) -> dict[str, object]:
    given_values = dict(world.path_parameters[role])
    ids = given_values.pop("ids", {})
    resource = path.removeprefix("/api/v1/").split("/", 1)[0]
    if resource in ids:
        given_values["id"] = ids[resource]
    return {
        name: value
        for name, value in given_values.items()
        if value is not None and f"{{{name}}}" in path
    }


# Who may see 401: no credentials, or a patient's token left out (the header is generated too).
UNAUTHENTICATED = {"anonymous", "patient"}
CASES = [(label, role) for label, roles in CALLERS.items() for role in roles]


def test_every_operation_has_its_callers(schema) -> None:
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert labels == set(CALLERS)
    assert set(RULES_BEYOND_SCHEMA) <= labels


@pytest.mark.parametrize(("label", "role"), CASES, ids=[f"{role}:{label}" for label, role in CASES])
def test_operation_keeps_to_its_schema(schema, world, label, role) -> None:
    operation = schema.find_operation_by_label(label)
    headers = world.headers[role]
    cookies = world.cookies.get(role)
    path_parameters = _path_parameters(world, role, operation.path)

    for mode, examples in EXAMPLES.items():
        # Schema-violating requests vary the path too (an own object's id is a valid one).
        fixed = path_parameters if mode == GenerationMode.POSITIVE else {}

        @given(case=operation.as_strategy(mode, path_parameters=fixed or None))
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case) -> None:
            response = case.call(headers=headers, cookies=cookies)
            assert response.status_code < 500, response.text
            # The role's credentials are good and it may call the operation: a refusal would
            # leave the operation untested.
            assert response.status_code != 401 or role in UNAUTHENTICATED, response.text
            assert response.status_code != 403, response.text
            case.validate_response(
                response,
                excluded_checks=EXCLUDED_CHECKS,
                additional_checks=[beyond_schema_rejection],
            )

        check()
