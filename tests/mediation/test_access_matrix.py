"""The tenancy matrix (tests/accounts/test_tenancy_matrix.py) extended to mediation: every role
and every kind of API key against own and foreign cases, incoming patients, patient tokens and the
audit events that reading a case leaves. Nothing of another organisation is ever visible; looking
it up is a 404 exactly like a missing object; a role that may not act is 403 (DESIGN §5)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.actors import Actor, actor_for_api_key, actor_for_user
from accounts.models import AuditAction, AuditEvent, Role
from accounts.permissions import get_object_or_404_for
from accounts.services import api_key_create
from mediation.models import CaseStatus, OfferStatus
from mediation.permissions import (
    access_case_for,
    access_incoming_offer_for,
    access_patient_case_for,
    access_patient_offer_for,
)
from mediation.selectors.cases import case_list_for, incoming_offer_list_for
from tests.accounts.factories import (
    InsurerFactory,
    ProviderOrganisationFactory,
    RegulatorFactory,
    member,
)
from tests.mediation.factories import OfferFactory
from tests.mediation.test_api import amersfoort

pytestmark = pytest.mark.django_db


@dataclass
class World:
    """Insurers A and B, providers P and Q, regulator R; a case of each insurer, accepted at a
    location of each provider (so each provider has one incoming patient)."""

    orgs: dict
    members: dict
    api_keys: dict
    raw_keys: dict
    cases: dict
    offers: dict


ROLES_OF = {
    "A": [Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN],
    "B": [Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.INSURER_ADMIN],
    "P": [Role.PLANNER, Role.PROVIDER_ADMIN],
    "Q": [Role.PLANNER, Role.PROVIDER_ADMIN],
    "R": [Role.REGULATOR],
}


@pytest.fixture
def world() -> World:
    orgs = {
        "A": InsurerFactory(name="Insurer A", uzovi="8301"),
        "B": InsurerFactory(name="Insurer B", uzovi="8302"),
        "P": ProviderOrganisationFactory(),
        "Q": ProviderOrganisationFactory(),
        "R": RegulatorFactory(name="Regulator R"),
    }
    members = {
        (name, role): member(role, orgs[name]) for name, roles in ROLES_OF.items() for role in roles
    }
    api_keys, raw_keys = {}, {}
    for name, org in orgs.items():
        api_keys[name], raw_keys[name] = api_key_create(organisation=org, name=f"key {name}")
    offers = {
        insurer: OfferFactory(
            case__insurer=orgs[insurer],
            case__status=CaseStatus.ACCEPTED,
            case__token=f"token-{insurer}",
            location=amersfoort(provider=orgs[provider].provider),
            status=OfferStatus.ACCEPTED,
            responded_at=timezone.now(),
        )
        for insurer, provider in (("A", "P"), ("B", "Q"))
    }
    cases = {name: offer.case for name, offer in offers.items()}
    return World(orgs, members, api_keys, raw_keys, cases, offers)


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
# Which cases each actor works (as names into world.cases); absent: may not work cases (403).
CASE_ACCESS = {("user", "A", Role.MEDIATOR): {"A"}, ("key", "A", None): {"A"}}
# Whose incoming patients each actor sees; absent: none.
INCOMING_ACCESS = {("user", "P", Role.PLANNER): {"A"}, ("key", "P", None): {"A"}}


def _ids(spec) -> str:
    kind, org, role = spec
    return f"{kind}-{org}-{role or 'machine'}"


def _actor(world: World, spec) -> Actor:
    kind, org, role = spec
    if kind == "user":
        return actor_for_user(world.members[(org, role)])
    return actor_for_api_key(world.api_keys[org])


def _authenticate(api_client, world: World, spec) -> None:
    kind, org, role = spec
    if kind == "user":
        api_client.force_authenticate(world.members[(org, role)])
    else:
        api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.raw_keys[org]}")


# --- Selectors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_case_selector(world: World, spec) -> None:
    expected = CASE_ACCESS.get(spec, set())
    queryset = case_list_for(actor=_actor(world, spec))

    assert set(queryset.values_list("reference", flat=True)) == {
        world.cases[name].reference for name in expected
    }
    for name, case in world.cases.items():
        if name in expected:
            assert get_object_or_404_for(queryset, reference=case.reference) == case
        else:
            with pytest.raises(Http404):
                get_object_or_404_for(queryset, reference=case.reference)


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_incoming_selector(world: World, spec) -> None:
    expected = INCOMING_ACCESS.get(spec, set())
    queryset = incoming_offer_list_for(actor=_actor(world, spec), today=timezone.localdate())

    assert set(queryset.values_list("pk", flat=True)) == {
        world.offers[name].pk for name in expected
    }


# --- Access helpers (mediation.permissions) ------------------------------------------------------
@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_access_case_for(world: World, spec) -> None:
    actor = _actor(world, spec)
    expected = CASE_ACCESS.get(spec, set())

    for name, case in world.cases.items():
        if name in expected:
            found = access_case_for(actor=actor, reference=case.reference.lower(), request=None)
            assert found == case
        else:
            with pytest.raises(Http404):
                access_case_for(actor=actor, reference=case.reference, request=None)
    with pytest.raises(Http404):
        access_case_for(actor=actor, reference="ZB-2026-999999", request=None)


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_access_incoming_offer_for(world: World, spec) -> None:
    actor = _actor(world, spec)
    expected = INCOMING_ACCESS.get(spec, set())

    for name, offer in world.offers.items():
        if name in expected:
            assert access_incoming_offer_for(actor=actor, pk=offer.pk, request=None) == offer
        else:
            with pytest.raises(Http404):
                access_incoming_offer_for(actor=actor, pk=offer.pk, request=None)
    with pytest.raises(Http404):
        access_incoming_offer_for(
            actor=actor, pk=max(o.pk for o in world.offers.values()) + 1, request=None
        )


@pytest.mark.parametrize("owner", ["A", "B"])
@pytest.mark.parametrize("token_of", ["A", "B"])
def test_access_patient_case_and_offer_for(world: World, owner, token_of) -> None:
    case = world.cases[owner]

    if owner == token_of:
        assert access_patient_case_for(reference=case.reference, token=f"token-{token_of}") == case
    else:
        with pytest.raises(Http404):
            access_patient_case_for(reference=case.reference, token=f"token-{token_of}")
    for name, offer in world.offers.items():
        if name == owner:
            assert access_patient_offer_for(case=case, pk=offer.pk) == offer
        else:  # another patient's offer, through this patient's case
            with pytest.raises(Http404):
                access_patient_offer_for(case=case, pk=offer.pk)


def test_access_patient_case_for_refuses_an_anonymised_case(world: World) -> None:
    case = world.cases["A"]
    case.anonymised_at = timezone.now()
    case.save(update_fields=["anonymised_at"])

    with pytest.raises(Http404):
        access_patient_case_for(reference=case.reference, token="token-A")


# --- The API --------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_cases_api(api_client, world: World, spec) -> None:
    _authenticate(api_client, world, spec)
    expected = CASE_ACCESS.get(spec)

    listing = api_client.get("/api/v1/cases/")
    if expected is None:
        assert listing.status_code == 403
    else:
        assert listing.status_code == 200
        assert {row["reference"] for row in listing.json()["results"]} == {
            world.cases[name].reference for name in expected
        }
    for name, case in world.cases.items():
        for path in ("", "matches/"):
            response = api_client.get(f"/api/v1/cases/{case.reference}/{path}")
            if expected is None:
                assert response.status_code == 403, (spec, name, path)
            elif name in expected:
                assert response.status_code == 200, (spec, name, path)
            else:
                assert response.status_code == 404, (spec, name, path)
        close = api_client.post(
            f"/api/v1/cases/{case.reference}/close/", {"outcome": "out_of_scope"}
        )
        if expected is None:
            assert close.status_code == 403
        elif name not in expected:
            assert close.status_code == 404
    # Nothing of the other insurer was closed.
    world.cases["B"].refresh_from_db()
    assert world.cases["B"].status == CaseStatus.ACCEPTED


def test_cases_api_anonymous_is_401(api_client, world: World) -> None:
    response = api_client.get(f"/api/v1/cases/{world.cases['A'].reference}/")

    assert response.status_code == 401


@pytest.mark.parametrize("owner", ["A", "B"])
@pytest.mark.parametrize("token_of", ["A", "B"])
def test_patient_token_opens_only_its_own_case(api_client, world: World, owner, token_of) -> None:
    case = world.cases[owner]

    response = api_client.get(
        f"/api/v1/mediation-requests/{case.reference}/", HTTP_X_ACCESS_TOKEN=f"token-{token_of}"
    )

    assert response.status_code == (200 if owner == token_of else 404)


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_staff_credentials_do_not_open_a_patients_request(api_client, world: World, spec) -> None:
    """The patient endpoints answer to the case's token only, whoever else asks: without one
    it is 401 (missing credentials), with another case's 404."""
    _authenticate(api_client, world, spec)
    url = f"/api/v1/mediation-requests/{world.cases['A'].reference}/"

    assert api_client.get(url).status_code == 401
    assert api_client.get(url, HTTP_X_ACCESS_TOKEN="token-B").status_code == 404


# --- The web pages --------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [s for s in ACTORS if s[0] == "user"], ids=_ids)
def test_case_pages(client, world: World, spec) -> None:
    _kind, org, role = spec
    client.force_login(world.members[(org, role)])
    expected = CASE_ACCESS.get(spec)

    assert client.get(reverse("mediation:case-list")).status_code == (
        403 if expected is None else 200
    )
    for name, case in world.cases.items():
        response = client.get(reverse("mediation:case-detail", args=[case.reference]))
        if expected is None:
            assert response.status_code == 403
        else:
            assert response.status_code == (200 if name in expected else 404)


@pytest.mark.parametrize("spec", [s for s in ACTORS if s[0] == "user"], ids=_ids)
def test_incoming_pages(client, world: World, spec) -> None:
    _kind, org, role = spec
    client.force_login(world.members[(org, role)])
    expected = INCOMING_ACCESS.get(spec)

    page = client.get(reverse("mediation:incoming-list"))
    assert page.status_code == (403 if expected is None else 200)
    for name, offer in world.offers.items():
        response = client.post(
            reverse("mediation:incoming-confirm", args=[offer.pk]),
            {f"offer-{offer.pk}-appointment_date": ""},
        )
        if expected is None:
            assert response.status_code == 403
        else:
            # Own: the form answers (400: no date given); foreign: 404.
            assert response.status_code == (400 if name in expected else 404)
            assert (world.cases[name].full_name in page.content.decode()) == (name in expected)


# --- Audit events of case reads -------------------------------------------------------------------
def test_reading_a_case_is_audited_for_the_own_organisation_only(api_client, world: World) -> None:
    case = world.cases["A"]
    api_client.force_authenticate(world.members[("A", Role.MEDIATOR)])
    api_client.get(f"/api/v1/cases/{case.reference}/")
    event = AuditEvent.objects.get(action=AuditAction.VIEW, case_reference=case.reference)
    assert event.organisation == world.orgs["A"]

    def audit_ids(user) -> set[int]:
        api_client.force_authenticate(user)
        response = api_client.get("/api/v1/audit-events/", {"page_size": 500})
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert event.pk in audit_ids(world.members[("A", Role.INSURER_ADMIN)])
    assert event.pk not in audit_ids(world.members[("B", Role.INSURER_ADMIN)])
    api_client.force_authenticate(world.members[("R", Role.REGULATOR)])
    rows = api_client.get("/api/v1/audit-events/", {"page_size": 500}).json()["results"]
    (seen,) = [row for row in rows if row["id"] == event.pk]
    assert "case_reference" not in seen and "detail" not in seen and "actor" not in seen
    assert case.reference not in str(rows)


@pytest.mark.parametrize(
    "spec",
    [s for s in ACTORS if s not in CASE_ACCESS and s[0] == "user"],
    ids=_ids,
)
def test_refused_reads_leave_no_case_in_the_trail(client, world: World, spec) -> None:
    _kind, org, role = spec
    client.force_login(world.members[(org, role)])

    client.get(reverse("mediation:case-detail", args=[world.cases["A"].reference]))

    assert not AuditEvent.objects.filter(case_reference=world.cases["A"].reference).exists()


# --- Aggregates: the national report and how insurers mediate (issue 14) ------------------------
# Who reads the national report (API): insurer staff and keys, the regulator and its key.
NATIONAL_REPORT_ACCESS = {spec for spec in ACTORS if spec[1] in ("A", "R")}


@pytest.mark.parametrize("spec", ACTORS, ids=_ids)
def test_national_report_api(api_client, world: World, spec) -> None:
    _authenticate(api_client, world, spec)

    for params in ({}, {"format": "csv"}):
        response = api_client.get(reverse("api-national-report"), params)

        assert response.status_code == (200 if spec in NATIONAL_REPORT_ACCESS else 403)


def test_national_report_api_anonymous_is_401(api_client, world: World) -> None:
    assert api_client.get(reverse("api-national-report")).status_code == 401


@pytest.mark.parametrize("spec", [s for s in ACTORS if s[0] == "user"], ids=_ids)
def test_outcome_pages(client, world: World, spec) -> None:
    """Insurer staff read their own insurer's dashboard; the regulator reads the insurers'
    aggregates (never a case); the national report page is for both."""
    _kind, org, role = spec
    client.force_login(world.members[(org, role)])

    own = client.get(reverse("mediation:outcomes")).status_code
    aggregate = client.get(reverse("mediation:regulator-outcomes")).status_code
    national = client.get(reverse("providers:national-report")).status_code

    assert own == (200 if org == "A" else 403)
    assert aggregate == (200 if role == Role.REGULATOR else 403)
    assert national == (200 if org in ("A", "R") else 403)


def test_the_regulators_aggregate_names_no_patient_and_no_case(client, world: World) -> None:
    client.force_login(world.members[("R", Role.REGULATOR)])

    html = client.get(reverse("mediation:regulator-outcomes")).content.decode()

    for case in world.cases.values():
        assert case.reference not in html
        assert case.full_name not in html
        assert case.policy_number not in html
        assert case.email not in html
    assert not AuditEvent.objects.filter(
        case_reference__in=[c.reference for c in world.cases.values()]
    ).exists()
