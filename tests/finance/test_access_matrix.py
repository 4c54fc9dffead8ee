"""Who sees and changes which money, for every kind of actor (DESIGN §5): an insurer sees only
its own contracts and arrangements, a provider only its own and read-only; foreign is 404."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.http import Http404
from django.urls import reverse

from accounts.actors import Actor, actor_for_api_key, actor_for_user
from accounts.models import Role
from accounts.permissions import get_object_or_404_for
from accounts.services import api_key_create
from finance.models import ArrangementStatus
from finance.permissions import (
    access_arrangement_for,
    access_claim_for,
    access_contract_for,
    arrangement_list_for,
    contract_list_for,
)
from tests.accounts.factories import (
    InsurerFactory,
    ProviderOrganisationFactory,
    RegulatorFactory,
    member,
)
from tests.finance.factories import ArrangementFactory, ContractFactory, CostClaimFactory

pytestmark = pytest.mark.django_db


@dataclass
class World:
    orgs: dict
    contracts: dict
    arrangements: dict
    members: dict
    api_keys: dict
    raw_keys: dict


@pytest.fixture
def world() -> World:
    orgs = {
        "A": InsurerFactory(uzovi="8301"),
        "B": InsurerFactory(uzovi="8302"),
        "P": ProviderOrganisationFactory(),
        "Q": ProviderOrganisationFactory(),
        "R": RegulatorFactory(),
    }
    contracts = {
        f"{i}{p}": ContractFactory(insurer=orgs[i], provider=orgs[p].provider)
        for i in "AB"
        for p in "PQ"
    }
    arrangements = {
        name: ArrangementFactory(
            contract=contract, kind="additional_costs", status=ArrangementStatus.AGREED
        )
        for name, contract in contracts.items()
    }
    roles_of = {
        "A": [Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN],
        "P": [Role.PLANNER, Role.PROVIDER_ADMIN],
        "R": [Role.REGULATOR],
    }
    members = {(n, r): member(r, orgs[n]) for n, roles in roles_of.items() for r in roles}
    api_keys, raw_keys = {}, {}
    for name in "APR":
        api_keys[name], raw_keys[name] = api_key_create(organisation=orgs[name], name="k")
    return World(orgs, contracts, arrangements, members, api_keys, raw_keys)


ACTORS = [
    ("user", "A", Role.MEDIATOR),
    ("user", "A", Role.CONTRACT_MANAGER),
    ("user", "A", Role.INSURER_ADMIN),
    ("user", "P", Role.PLANNER),
    ("user", "P", Role.PROVIDER_ADMIN),
    ("user", "R", Role.REGULATOR),
    ("key", "A", None),
    ("key", "P", None),
    ("key", "R", None),
]
INSURER_A = {"AP", "AQ"}
PROVIDER_P = {"AP", "BP"}
# Which contracts and arrangements each actor sees (None: the role may not read them at all: 403).
CONTRACTS = {
    ("user", "A", Role.MEDIATOR): INSURER_A,
    ("user", "A", Role.CONTRACT_MANAGER): INSURER_A,
    ("user", "A", Role.INSURER_ADMIN): INSURER_A,
    ("user", "P", Role.PLANNER): PROVIDER_P,
    ("user", "P", Role.PROVIDER_ADMIN): PROVIDER_P,
    ("user", "R", Role.REGULATOR): None,
    ("key", "A", None): INSURER_A,
    ("key", "P", None): PROVIDER_P,
    ("key", "R", None): None,
}
ARRANGEMENTS = {
    ("user", "A", Role.CONTRACT_MANAGER): INSURER_A,
    ("user", "P", Role.PLANNER): PROVIDER_P,
    ("key", "A", None): INSURER_A,
    ("key", "P", None): PROVIDER_P,
}
WRITERS = {("user", "A", Role.CONTRACT_MANAGER), ("key", "A", None)}


def _ids(spec) -> str:
    kind, org, role = spec
    return f"{kind}-{org}-{role or 'machine'}"


def _actor(world: World, spec) -> Actor:
    kind, org, role = spec
    if kind == "user":
        return actor_for_user(world.members[(org, role)])
    return actor_for_api_key(world.api_keys[org])


def _login(api_client, world: World, spec) -> None:
    kind, org, role = spec
    if kind == "user":
        api_client.force_authenticate(world.members[(org, role)])
    else:
        api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.raw_keys[org]}")


def _assert_scoped(queryset, objects: dict, expected: set) -> None:
    assert set(queryset.values_list("pk", flat=True)) == {
        obj.pk for name, obj in objects.items() if name in expected
    }
    for name, obj in objects.items():
        if name in expected:
            assert get_object_or_404_for(queryset, pk=obj.pk) == obj
        else:
            with pytest.raises(Http404):
                get_object_or_404_for(queryset, pk=obj.pk)


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_scoped_selectors(world: World, spec) -> None:
    actor = _actor(world, spec)
    _assert_scoped(contract_list_for(actor=actor), world.contracts, CONTRACTS[spec] or set())
    _assert_scoped(
        arrangement_list_for(actor=actor), world.arrangements, ARRANGEMENTS.get(spec) or set()
    )


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_access_helpers(world: World, spec) -> None:
    """The one access helper per object type: own is returned, foreign is 404 like missing."""
    actor = _actor(world, spec)
    contracts = CONTRACTS[spec] or set()
    arrangements = ARRANGEMENTS.get(spec) or set()
    claims = {name: CostClaimFactory(arrangement=a) for name, a in world.arrangements.items()}
    for name, contract in world.contracts.items():
        if name in contracts:
            assert access_contract_for(actor=actor, pk=contract.pk) == contract
        else:
            with pytest.raises(Http404):
                access_contract_for(actor=actor, pk=contract.pk)
    for name, arrangement in world.arrangements.items():
        claim = claims[name]
        if name in arrangements:
            assert access_arrangement_for(actor=actor, pk=arrangement.pk) == arrangement
            found = access_claim_for(actor=actor, arrangement_pk=arrangement.pk, pk=claim.pk)
            assert found == claim
            assert found.arrangement == arrangement
        else:
            with pytest.raises(Http404):
                access_arrangement_for(actor=actor, pk=arrangement.pk)
            with pytest.raises(Http404):
                access_claim_for(actor=actor, arrangement_pk=arrangement.pk, pk=claim.pk)
        # A claim of another arrangement is 404 under this one, even when both are readable.
        other = next(c for n, c in claims.items() if n != name)
        with pytest.raises(Http404):
            access_claim_for(actor=actor, arrangement_pk=arrangement.pk, pk=other.pk)
    with pytest.raises(Http404):
        access_contract_for(actor=actor, pk=0)
    with pytest.raises(Http404):
        access_arrangement_for(actor=actor, pk=0)


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_api_reads(api_client, world: World, spec) -> None:
    _login(api_client, world, spec)
    for path, objects, expected in [
        ("/api/v1/contracts/", world.contracts, CONTRACTS[spec]),
        ("/api/v1/arrangements/", world.arrangements, ARRANGEMENTS.get(spec)),
    ]:
        response = api_client.get(path)
        if expected is None:
            assert response.status_code == 403, path
            continue
        seen = {row["id"] for row in response.json()["results"]}
        assert seen == {obj.pk for name, obj in objects.items() if name in expected}, path
        for name, obj in objects.items():
            status = api_client.get(f"{path}{obj.pk}/").status_code
            assert status == (200 if name in expected else 404), (path, name)


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_api_writes(api_client, world: World, spec) -> None:
    _login(api_client, world, spec)
    for name, arrangement in world.arrangements.items():
        response = api_client.post(
            f"/api/v1/arrangements/{arrangement.pk}/payments/",
            {"date": "2026-04-01", "amount": "10.00", "kind": "advance"},
            format="json",
        )
        expected = 403 if spec not in WRITERS else 201 if name in INSURER_A else 404
        assert response.status_code == expected, name
    provider = world.orgs["Q"].provider
    response = api_client.post(
        "/api/v1/contracts/",
        {"provider": provider.agb_code, "year": 2030, "contract_value": "1.00"},
        format="json",
    )
    assert response.status_code == (201 if spec in WRITERS else 403)


@pytest.mark.parametrize("spec", [s for s in ACTORS if s[0] == "user"], ids=_ids)
def test_pages(client, world: World, spec) -> None:
    _kind, org, role = spec
    client.force_login(world.members[(org, role)])
    readable = ARRANGEMENTS.get(spec)
    overview = client.get(reverse("finance:arrangement-list"))
    assert overview.status_code == (200 if readable else 403)
    for name, contract in world.contracts.items():
        status = client.get(reverse("finance:contract-detail", args=[contract.pk])).status_code
        assert status == (403 if not readable else 200 if name in readable else 404), name
        arrangement = world.arrangements[name]
        status = client.post(
            reverse("finance:payment-create", args=[arrangement.pk]),
            {"kind": "advance", "date": "2026-04-01", "amount": "1"},
        ).status_code
        if spec in WRITERS:
            assert status == (302 if name in INSURER_A else 404), name
        else:
            assert status == 403, name
