"""The tenancy matrix, extended to plans: every role (and every kind of API key) against plans of
its own and of other organisations (DESIGN §5).

A provider sees only its own plans (drafts included); an insurer only the plans addressed to it,
once submitted; the regulator every submitted plan, as statuses and aggregates without review
texts; anyone else's plan is 404, exactly like a missing one. Planners cannot review, contract
managers cannot edit lines, and roles without plans get 403."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.http import Http404
from django.urls import reverse

from accounts.actors import actor_for_api_key, actor_for_user
from accounts.models import Role
from accounts.services import api_key_create
from plans.permissions import access_plan_for, plan_list_for
from plans.services.lifecycle import plan_request_changes
from tests.accounts.factories import (
    InsurerFactory,
    ProviderOrganisationFactory,
    RegulatorFactory,
    member,
)
from tests.plans.factories import actor, approved_plan, make_plan, submitted_plan

pytestmark = pytest.mark.django_db

REVIEW_TEXT = "REVIEW-TEXT-OF-INSURER-A"


@dataclass
class World:
    orgs: dict
    users: dict
    keys: dict
    plans: dict


@pytest.fixture
def world() -> World:
    orgs = {
        "A": InsurerFactory(name="Insurer A", uzovi="8301"),
        "B": InsurerFactory(name="Insurer B", uzovi="8302"),
        "P": ProviderOrganisationFactory(),
        "Q": ProviderOrganisationFactory(),
        "R": RegulatorFactory(name="Regulator R"),
    }
    roles_of = {
        "A": [Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN],
        "B": [Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN],
        "P": [Role.PLANNER, Role.PROVIDER_ADMIN],
        "Q": [Role.PLANNER, Role.PROVIDER_ADMIN],
        "R": [Role.REGULATOR],
    }
    users = {(o, role): member(role, orgs[o]) for o, roles in roles_of.items() for role in roles}
    keys = {o: api_key_create(organisation=org, name=f"key {o}") for o, org in orgs.items()}

    def planner(o):
        return users[(o, Role.PLANNER)]

    def manager(o):
        return users[(o, Role.CONTRACT_MANAGER)]

    pa = submitted_plan(planner("P"), orgs["A"])
    plan_request_changes(actor=actor(manager("A")), plan=pa, comment=REVIEW_TEXT)
    plans = {
        "PA": pa,  # changes requested, with a review comment
        "PB": make_plan(planner("P"), orgs["B"]),  # a draft
        "QA": approved_plan(planner("Q"), manager("A"), orgs["A"]),
        "QB": submitted_plan(planner("Q"), orgs["B"]),
    }
    return World(orgs=orgs, users=users, keys=keys, plans=plans)


# Who sees which plan (None: the role has no access to plans at all → 403).
VISIBLE = {
    ("A", Role.CONTRACT_MANAGER): {"PA", "QA"},
    ("B", Role.CONTRACT_MANAGER): {"QB"},
    ("P", Role.PLANNER): {"PA", "PB"},
    ("Q", Role.PLANNER): {"QA", "QB"},
    ("R", Role.REGULATOR): {"PA", "QA", "QB"},
    ("A", Role.MEDIATOR): None,
    ("A", Role.INSURER_ADMIN): None,
    ("P", Role.PROVIDER_ADMIN): None,
}
# A regulator's key acts with the regulator's machine role.
KEY_VISIBLE = {
    "A": {"PA", "QA"},
    "B": {"QB"},
    "P": {"PA", "PB"},
    "Q": {"QA", "QB"},
    "R": {"PA", "QA", "QB"},
}


def names(world: World, plans) -> set[str]:
    by_id = {plan.pk: name for name, plan in world.plans.items()}
    return {by_id[plan.pk] for plan in plans}


def _id(value) -> str:
    """Stable test ids (a set's order differs between xdist workers)."""
    return str(sorted(value)) if isinstance(value, set) else str(value)


@pytest.mark.parametrize(("who", "expected"), VISIBLE.items(), ids=_id)
def test_selector_scope_per_role(world, who, expected) -> None:
    visible = names(world, plan_list_for(actor=actor_for_user(world.users[who])))
    assert visible == (expected or set())


# Which plans a role may write (its provider's own) and review (addressed to its insurer).
OWNED = {"P": {"PA", "PB"}, "Q": {"QA", "QB"}}
REVIEWED = {"A": {"PA", "QA"}, "B": {"QB"}}


@pytest.mark.parametrize(("who", "expected"), VISIBLE.items(), ids=_id)
def test_access_plan_for_per_role(world, who, expected) -> None:
    """One plan: what the list shows, and narrowed to the owner's or the reviewer's plans; any
    other is 404, like a missing one."""
    actor = actor_for_user(world.users[who])
    org, role = who
    wanted = {
        "read": expected or set(),
        "owner": OWNED.get(org, set()) if role == Role.PLANNER else set(),
        "reviewer": REVIEWED.get(org, set()) if role == Role.CONTRACT_MANAGER else set(),
    }
    missing = max(plan.pk for plan in world.plans.values()) + 1
    for mode, allowed in wanted.items():
        flags = {"require_owner": mode == "owner", "require_reviewer": mode == "reviewer"}
        for name, plan in world.plans.items():
            if name in allowed:
                assert access_plan_for(actor=actor, pk=plan.pk, **flags) == plan, (mode, name)
            else:
                with pytest.raises(Http404):
                    access_plan_for(actor=actor, pk=plan.pk, **flags)
        with pytest.raises(Http404):
            access_plan_for(actor=actor, pk=missing, **flags)


@pytest.mark.parametrize(("org", "expected"), KEY_VISIBLE.items())
def test_selector_scope_per_api_key(world, org, expected) -> None:
    api_key, _raw = world.keys[org]
    assert names(world, plan_list_for(actor=actor_for_api_key(api_key))) == expected


def _id(value) -> str:
    """Stable test ids (a set's order differs between xdist workers)."""
    return str(sorted(value)) if isinstance(value, set) else str(value)


@pytest.mark.parametrize(("who", "expected"), VISIBLE.items(), ids=_id)
def test_api_detail_per_role_and_plan(api_client, world, who, expected) -> None:
    api_client.force_authenticate(world.users[who])
    for name, plan in world.plans.items():
        response = api_client.get(f"/api/v1/plans/{plan.pk}/")
        if expected is None:
            assert response.status_code == 403, (who, name)
        elif name in expected:
            assert response.status_code == 200, (who, name)
            assert response.json()["id"] == plan.pk
        else:
            assert response.status_code == 404, (who, name)
    list_response = api_client.get("/api/v1/plans/")
    if expected is None:
        assert list_response.status_code == 403
    else:
        assert {item["id"] for item in list_response.json()["results"]} == {
            world.plans[name].pk for name in expected
        }


@pytest.mark.parametrize(("org", "expected"), KEY_VISIBLE.items())
def test_api_detail_per_api_key(api_client, world, org, expected) -> None:
    _key, raw = world.keys[org]
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    for name, plan in world.plans.items():
        status = api_client.get(f"/api/v1/plans/{plan.pk}/").status_code
        assert status == (200 if name in expected else 404), (org, name)


def _id(value) -> str:
    """Stable test ids (a set's order differs between xdist workers)."""
    return str(sorted(value)) if isinstance(value, set) else str(value)


@pytest.mark.parametrize(("who", "expected"), VISIBLE.items(), ids=_id)
def test_web_detail_per_role_and_plan(client, world, who, expected) -> None:
    client.force_login(world.users[who])
    for name, plan in world.plans.items():
        status = client.get(reverse("plans:plan-detail", args=[plan.pk])).status_code
        if expected is None or who[1] == Role.REGULATOR:
            assert status == 403, (who, name)  # the regulator has the overview, not plan pages
        else:
            assert status == (200 if name in expected else 404), (who, name)


def test_review_texts_reach_provider_and_insurer_but_never_the_regulator(
    api_client, client, world
) -> None:
    plan = world.plans["PA"]
    for who in (("P", Role.PLANNER), ("A", Role.CONTRACT_MANAGER)):
        api_client.force_authenticate(world.users[who])
        assert REVIEW_TEXT in api_client.get(f"/api/v1/plans/{plan.pk}/").content.decode()

    regulator = world.users[("R", Role.REGULATOR)]
    api_client.force_authenticate(regulator)
    detail = api_client.get(f"/api/v1/plans/{plan.pk}/")
    assert detail.json()["status"] == "changes_requested"
    assert REVIEW_TEXT not in detail.content.decode()
    assert REVIEW_TEXT not in api_client.get("/api/v1/plans/").content.decode()
    client.force_login(regulator)
    assert REVIEW_TEXT not in client.get(reverse("plans:plan-overview")).content.decode()


def test_planners_cannot_review_or_close(api_client, client, world) -> None:
    planner = world.users[("Q", Role.PLANNER)]
    plan = world.plans["QB"]
    api_client.force_authenticate(planner)
    assert (
        api_client.post(f"/api/v1/plans/{plan.pk}/review/", {"decision": "approve"}).status_code
        == 403
    )
    assert api_client.post(f"/api/v1/plans/{world.plans['QA'].pk}/close/", {}).status_code == 403
    client.force_login(planner)
    assert client.get(reverse("plans:plan-review", args=[plan.pk])).status_code == 403
    assert (
        client.post(
            reverse("plans:plan-review", args=[plan.pk]), {"decision": "approve"}
        ).status_code
        == 403
    )
    assert client.get(reverse("plans:plan-inbox")).status_code == 403
    assert client.get(reverse("plans:plan-portfolio")).status_code == 403
    plan.refresh_from_db()
    assert plan.status == "submitted"


def test_contract_managers_cannot_edit_lines(api_client, client, world) -> None:
    manager = world.users[("A", Role.CONTRACT_MANAGER)]
    plan = world.plans["PA"]  # changes requested: editable, but only by its provider
    api_client.force_authenticate(manager)
    response = api_client.patch(
        f"/api/v1/plans/{plan.pk}/",
        {"lines": [{"specialism": "0305", "urgency_class": 4, "backlog": 1}]},
        format="json",
    )
    assert response.status_code == 403
    assert api_client.post(f"/api/v1/plans/{plan.pk}/submit/", {}).status_code == 403
    client.force_login(manager)
    for name in ("plan-lines", "plan-upload", "plan-edit", "plan-template", "plan-progress"):
        assert client.get(reverse(f"plans:{name}", args=[plan.pk])).status_code == 403, name
    assert plan.lines.get().backlog == 120


def test_writes_to_another_providers_plan_are_404(api_client, client, world) -> None:
    stranger = world.users[("Q", Role.PLANNER)]
    plan = world.plans["PA"]
    api_client.force_authenticate(stranger)
    assert api_client.post(f"/api/v1/plans/{plan.pk}/submit/", {}).status_code == 404
    assert api_client.patch(f"/api/v1/plans/{plan.pk}/", {}, format="json").status_code == 404
    client.force_login(stranger)
    for name in ("plan-lines", "plan-upload", "plan-template", "plan-export", "plan-progress"):
        assert client.get(reverse(f"plans:{name}", args=[plan.pk])).status_code == 404, name
    assert client.post(reverse("plans:plan-submit", args=[plan.pk])).status_code == 404
    assert client.post(reverse("plans:plan-delete", args=[world.plans["PB"].pk])).status_code == 404


def test_another_insurers_contract_manager_cannot_review(api_client, world) -> None:
    api_client.force_authenticate(world.users[("B", Role.CONTRACT_MANAGER)])
    plan = world.plans["QA"]
    assert api_client.post(f"/api/v1/plans/{plan.pk}/close/", {}).status_code == 404
