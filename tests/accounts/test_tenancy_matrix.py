"""The tenancy matrix: every role (and every kind of API key) against own and foreign objects of
every type the access layer scopes. Nothing of another organisation is ever visible, and looking it
up is a 404, exactly like a missing object (DESIGN §5)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.http import Http404
from django.urls import reverse

from accounts.actors import Actor, actor_for_api_key, actor_for_user
from accounts.models import ApiKey, AuditAction, Membership, Role
from accounts.permissions import (
    api_key_list_for,
    audit_event_list_for,
    get_object_or_404_for,
    member_list_for,
)
from accounts.services import api_key_create, audit_record
from finance.permissions import contract_list_for
from providers.permissions import location_list_for_reporting
from tests.accounts.factories import (
    InsurerFactory,
    ProviderOrganisationFactory,
    RegulatorFactory,
    member,
)
from tests.finance.factories import ContractFactory
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db


@dataclass
class World:
    """Insurers A and B, providers P and Q, regulator R, and objects owned by each."""

    orgs: dict
    contracts: dict
    api_keys: dict
    raw_keys: dict
    members: dict
    audit_events: dict
    locations: dict


@pytest.fixture
def world() -> World:
    orgs = {
        "A": InsurerFactory(name="Insurer A", uzovi="8201"),
        "B": InsurerFactory(name="Insurer B", uzovi="8202"),
        "P": ProviderOrganisationFactory(),
        "Q": ProviderOrganisationFactory(),
        "R": RegulatorFactory(name="Regulator R"),
    }
    contracts = {
        f"{i}{p}": ContractFactory(insurer=orgs[i], provider=orgs[p].provider)
        for i in "AB"
        for p in "PQ"
    }
    api_keys, raw_keys = {}, {}
    for name, org in orgs.items():
        api_keys[name], raw_keys[name] = api_key_create(organisation=org, name=f"key {name}")
    roles_of = {
        "A": [Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN],
        "B": [Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN],
        "P": [Role.PLANNER, Role.PROVIDER_ADMIN],
        "Q": [Role.PLANNER, Role.PROVIDER_ADMIN],
        "R": [Role.REGULATOR],
    }
    members = {
        (name, role): member(role, orgs[name]) for name, roles in roles_of.items() for role in roles
    }
    audit_events = {
        name: audit_record(
            actor=actor_for_user(members[(name, roles_of[name][0])]),
            action=AuditAction.VIEW,
            object_type="mediation.case",
            object_id="1",
            case_reference=f"ZB-2026-{index:06d}",
        )
        for index, name in enumerate(orgs, start=1)
    }
    locations = {
        name: [LocationFactory(provider=orgs[name].provider) for _ in range(2)] for name in "PQ"
    }
    return World(orgs, contracts, api_keys, raw_keys, members, audit_events, locations)


# Actor specification: ("user", org, role) or ("key", org).
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


def _actor(world: World, spec: tuple) -> Actor:
    kind, org, role = spec
    if kind == "user":
        return actor_for_user(world.members[(org, role)])
    return actor_for_api_key(world.api_keys[org])


def _ids(spec) -> str:
    kind, org, role = spec
    return f"{kind}-{org}-{role or 'machine'}"


# Expected visible objects per actor, as names into the world.
EXPECTED_CONTRACTS = {
    ("user", "A", Role.MEDIATOR): {"AP", "AQ"},
    ("user", "A", Role.CONTRACT_MANAGER): {"AP", "AQ"},
    ("user", "A", Role.INSURER_ADMIN): {"AP", "AQ"},
    ("user", "P", Role.PLANNER): {"AP", "BP"},
    ("user", "P", Role.PROVIDER_ADMIN): {"AP", "BP"},
    ("user", "R", Role.REGULATOR): set(),
    ("key", "A", None): {"AP", "AQ"},
    ("key", "P", None): {"AP", "BP"},
    ("key", "R", None): set(),
}
ADMINS = {("user", "A", Role.INSURER_ADMIN): "A", ("user", "P", Role.PROVIDER_ADMIN): "P"}
EXPECTED_AUDIT = {
    ("user", "A", Role.INSURER_ADMIN): {"A"},
    ("user", "R", Role.REGULATOR): {"A", "B", "P", "Q", "R"},
    ("key", "R", None): {"A", "B", "P", "Q", "R"},
}
EXPECTED_LOCATIONS = {("user", "P", Role.PLANNER): "P", ("key", "P", None): "P"}


def _assert_scoped(queryset, visible: list, invisible: list) -> None:
    assert set(queryset.values_list("pk", flat=True)) == {obj.pk for obj in visible}
    for obj in visible:
        assert get_object_or_404_for(queryset, pk=obj.pk) == obj
    for obj in invisible:
        with pytest.raises(Http404):
            get_object_or_404_for(queryset, pk=obj.pk)


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_contracts(world: World, spec) -> None:
    expected = EXPECTED_CONTRACTS[spec]
    visible = [c for name, c in world.contracts.items() if name in expected]
    invisible = [c for name, c in world.contracts.items() if name not in expected]
    _assert_scoped(contract_list_for(actor=_actor(world, spec)), visible, invisible)


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_api_keys(world: World, spec) -> None:
    own = ADMINS.get(spec)
    visible = [world.api_keys[own]] if own else []
    invisible = [key for name, key in world.api_keys.items() if name != own]
    _assert_scoped(api_key_list_for(actor=_actor(world, spec)), visible, invisible)


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_members(world: World, spec) -> None:
    own = ADMINS.get(spec)
    memberships = Membership.objects.all()
    visible = [m for m in memberships if own and m.organisation_id == world.orgs[own].pk]
    invisible = [m for m in memberships if m not in visible]
    _assert_scoped(member_list_for(actor=_actor(world, spec)), visible, invisible)


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_audit_events(world: World, spec) -> None:
    expected = EXPECTED_AUDIT.get(spec, set())
    # Scope the comparison to the fixture's events (creating keys and members adds none, but
    # login signals in other tests might).
    queryset = audit_event_list_for(actor=_actor(world, spec)).filter(
        pk__in=[e.pk for e in world.audit_events.values()]
    )
    visible = [e for name, e in world.audit_events.items() if name in expected]
    invisible = [e for name, e in world.audit_events.items() if name not in expected]
    _assert_scoped(queryset, visible, invisible)


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_locations_for_reporting(world: World, spec) -> None:
    own = EXPECTED_LOCATIONS.get(spec)
    visible = world.locations[own] if own else []
    invisible = [loc for name, locs in world.locations.items() if name != own for loc in locs]
    _assert_scoped(location_list_for_reporting(actor=_actor(world, spec)), visible, invisible)


def test_actor_without_organisation_sees_nothing(world: World) -> None:
    from tests.accounts.factories import UserFactory

    operator = actor_for_user(UserFactory(is_superuser=True, is_staff=True))
    assert not contract_list_for(actor=operator).exists()
    assert not api_key_list_for(actor=operator).exists()
    assert not audit_event_list_for(actor=operator).exists()
    assert not location_list_for_reporting(actor=operator).exists()


# --- The same matrix through HTTP -------------------------------------------------------------
@pytest.mark.parametrize("spec", [s for s in ACTORS if s[0] == "user"], ids=_ids)
def test_api_key_revoke_page(client, world: World, spec) -> None:
    _kind, org, role = spec
    client.force_login(world.members[(org, role)])
    for name, api_key in world.api_keys.items():
        url = reverse("accounts:api-key-revoke", args=[api_key.prefix])
        response = client.post(url)
        if spec not in ADMINS:
            assert response.status_code == 403
        elif name == ADMINS[spec]:
            assert response.status_code == 302
            api_key.refresh_from_db()
            assert api_key.revoked_at is not None
        else:
            assert response.status_code == 404, (spec, name)
            api_key.refresh_from_db()
            assert api_key.revoked_at is None
    missing = client.post(reverse("accounts:api-key-revoke", args=["zb_00000000"]))
    assert missing.status_code == (404 if spec in ADMINS else 403)


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_audit_events_api(api_client, world: World, spec) -> None:
    kind, org, role = spec
    if kind == "user":
        api_client.force_authenticate(world.members[(org, role)])
    else:
        api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.raw_keys[org]}")
    response = api_client.get("/api/v1/audit-events/", {"page_size": 500})
    expected = EXPECTED_AUDIT.get(spec)
    if expected is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    seen_refs = {row.get("case_reference") for row in response.json()["results"]}
    fixture_ids = {e.pk for e in world.audit_events.values()}
    seen_ids = {row["id"] for row in response.json()["results"]} & fixture_ids
    assert seen_ids == {world.audit_events[name].pk for name in expected}
    if Role.REGULATOR in _actor(world, spec).roles:
        # The regulator sees that access happened, never which patient.
        assert seen_refs == {None}
        assert all(
            "detail" not in row and "object_id" not in row for row in response.json()["results"]
        )
    else:
        assert "ZB-2026-000001" in seen_refs


def test_audit_events_api_anonymous_is_401(api_client) -> None:
    response = api_client.get("/api/v1/audit-events/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_revoked_key_is_401_everywhere(api_client, world: World) -> None:
    from accounts.services import api_key_revoke

    api_key_revoke(api_key=world.api_keys["A"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.raw_keys['A']}")
    assert api_client.get("/api/v1/insurers/").status_code == 401
    assert api_client.get("/api/v1/audit-events/").status_code == 401


def test_key_of_one_organisation_cannot_be_used_with_anothers_prefix(api_client, world) -> None:
    secret_of_a = world.raw_keys["A"].split(".", 1)[1]
    forged = f"{world.api_keys['B'].prefix}.{secret_of_a}"
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {forged}")
    assert api_client.get("/api/v1/insurers/").status_code == 401
    assert ApiKey.objects.filter(last_used_at__isnull=False).count() == 0
