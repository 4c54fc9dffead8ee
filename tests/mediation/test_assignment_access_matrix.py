"""The access matrix of assignment runs (extends tests/mediation/test_access_matrix.py): every
role and every kind of API key against a run of its own insurer and of another. Mediators and
the insurer's key read and apply their own insurer's runs; another insurer's run is 404 exactly
like a missing one (and audited as refused); every other role is 403 (DESIGN §5)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, AuditOutcome, Role
from accounts.services import api_key_create
from mediation.models import AssignmentRun
from tests.accounts.factories import (
    InsurerFactory,
    ProviderOrganisationFactory,
    RegulatorFactory,
    member,
)

pytestmark = pytest.mark.django_db

ROLES_OF = {
    "A": [Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN],
    "B": [Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN],
    "P": [Role.PLANNER, Role.PROVIDER_ADMIN],
    "R": [Role.REGULATOR],
}
ENDPOINTS = [
    ("get", "api-assignment-run"),
    ("get", "api-assignment-run-proposals"),
    ("post", "api-assignment-run-apply"),
]


@pytest.fixture
def orgs():
    return {
        "A": InsurerFactory(name="Insurer A", uzovi="8401"),
        "B": InsurerFactory(name="Insurer B", uzovi="8402"),
        "P": ProviderOrganisationFactory(),
        "R": RegulatorFactory(name="Regulator R"),
    }


def _expected(org: str, role: str | None, run_owner: str) -> int:
    if role not in (Role.MEDIATOR, None) or org in ("P", "R"):
        return 403
    return 200 if org == run_owner else 404


CASES = [
    (org, role, owner, method, name)
    for org, roles in ROLES_OF.items()
    for role in [*roles, None]  # None: the organisation's API key
    for owner in "AB"
    for method, name in ENDPOINTS
]


@pytest.mark.parametrize(("org", "role", "owner", "method", "name"), CASES)
def test_assignment_run_access(api_client, orgs, org, role, owner, method, name):
    run = AssignmentRun.objects.create(insurer=orgs[owner], status="succeeded", progress=100)
    if role is None:
        _key, raw = api_key_create(organisation=orgs[org], name="key")
        api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    else:
        api_client.force_authenticate(member(role, orgs[org]))
    response = getattr(api_client, method)(reverse(name, args=[run.pk]))
    expected = _expected(org, role, owner)
    assert response.status_code == expected, (org, role, owner, name, response.content)
    if expected == 404:
        assert AuditEvent.objects.filter(
            outcome=AuditOutcome.DENIED, object_type="mediation.assignmentrun"
        ).exists()


def test_a_missing_run_is_404_like_a_foreign_one(api_client, orgs):
    api_client.force_authenticate(member(Role.MEDIATOR, orgs["A"]))
    assert api_client.get(reverse("api-assignment-run", args=[999_999])).status_code == 404
