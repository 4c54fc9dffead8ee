"""The tenancy matrix of waiting-list entries and scans (issue 15, DESIGN §5): every role and
every kind of API key against the entries of two providers' lists for two insurers' insured, and
two insurers' scans. A provider sees its own list, an insurer its own insured's entries on every
list, nobody else anything; another organisation's object is a 404 like a missing one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from accounts.actors import actor_for_api_key, actor_for_user
from accounts.models import Role
from accounts.permissions import get_object_or_404_for
from accounts.services import api_key_create
from mediation.waiting_lists.models import ProactiveScan, WaitingListEntry
from mediation.waiting_lists.selectors import proactive_scans_for, waiting_list_entries_for
from tests.accounts.factories import (
    InsurerFactory,
    ProviderOrganisationFactory,
    RegulatorFactory,
    member,
)
from tests.providers.factories import LocationFactory, SpecialismFactory

pytestmark = pytest.mark.django_db

ROLES_OF = {
    "A": [Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN],
    "P": [Role.PLANNER, Role.PROVIDER_ADMIN],
    "R": [Role.REGULATOR],
}
ACTORS = [("user", org, role) for org, roles in ROLES_OF.items() for role in roles] + [
    ("key", org, None) for org in "APR"
]
# Entries are named insurer + provider: "AP" is an insured of A on P's list.
EXPECTED_ENTRIES = {
    ("user", "A", Role.MEDIATOR): {"AP", "AQ"},
    ("user", "P", Role.PLANNER): {"AP", "BP"},
    ("key", "A", None): {"AP", "AQ"},
    ("key", "P", None): {"AP", "BP"},
}
EXPECTED_SCANS = {("user", "A", Role.MEDIATOR): {"A"}, ("key", "A", None): {"A"}}


@pytest.fixture
def world():
    orgs = {
        "A": InsurerFactory(uzovi="8301"),
        "B": InsurerFactory(uzovi="8302"),
        "P": ProviderOrganisationFactory(),
        "Q": ProviderOrganisationFactory(),
        "R": RegulatorFactory(),
    }
    specialism = SpecialismFactory()
    today = timezone.localdate()
    entries = {}
    for insurer in "AB":
        for provider in "PQ":
            entries[insurer + provider] = WaitingListEntry.objects.create(
                provider=orgs[provider].provider,
                external_id=f"{insurer}{provider}",
                location=LocationFactory(provider=orgs[provider].provider),
                insurer=orgs[insurer],
                policy_number=f"P{insurer}{provider}",
                full_name="Patiënt",
                birth_date=today.replace(year=1970),
                postcode="3511AB",
                specialism=specialism,
                kind="first_visit",
                urgency_class=4,
                waiting_since=today - timedelta(days=50),
                consent_date=today - timedelta(days=10),
            )
    scans = {
        name: ProactiveScan.objects.create(insurer=orgs[name], trigger="api", scan_date=today)
        for name in "AB"
    }
    members = {
        (org, role): member(role, orgs[org]) for org, roles in ROLES_OF.items() for role in roles
    }
    keys = {org: api_key_create(organisation=orgs[org], name=f"key {org}")[0] for org in "APR"}
    return {"entries": entries, "scans": scans, "members": members, "keys": keys}


def _actor(world, spec):
    kind, org, role = spec
    return (
        actor_for_user(world["members"][(org, role)])
        if kind == "user"
        else actor_for_api_key(world["keys"][org])
    )


def _assert_scoped(queryset, visible, invisible) -> None:
    assert set(queryset.values_list("pk", flat=True)) == {obj.pk for obj in visible}
    for obj in invisible:
        with pytest.raises(Http404):
            get_object_or_404_for(queryset, pk=obj.pk)


@pytest.mark.parametrize("spec", ACTORS, ids=lambda s: f"{s[0]}-{s[1]}-{s[2] or 'machine'}")
def test_waiting_list_entries(world, spec) -> None:
    expected = EXPECTED_ENTRIES.get(spec, set())
    visible = [e for name, e in world["entries"].items() if name in expected]
    invisible = [e for name, e in world["entries"].items() if name not in expected]
    _assert_scoped(waiting_list_entries_for(actor=_actor(world, spec)), visible, invisible)


@pytest.mark.parametrize("spec", ACTORS, ids=lambda s: f"{s[0]}-{s[1]}-{s[2] or 'machine'}")
def test_proactive_scans(world, spec) -> None:
    expected = EXPECTED_SCANS.get(spec, set())
    visible = [s for name, s in world["scans"].items() if name in expected]
    invisible = [s for name, s in world["scans"].items() if name not in expected]
    _assert_scoped(proactive_scans_for(actor=_actor(world, spec)), visible, invisible)
