"""``GET /api/v1/audit-events/``: the insurer_admin reads the own organisation's trail with every
field and filter; the regulator reads that access happened, without patient or person content;
everyone else is refused. Reading the trail is recorded in it."""

from __future__ import annotations

from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from accounts.actors import actor_for_api_key, actor_for_user
from accounts.models import AuditAction, AuditEvent, AuditOutcome, Role
from accounts.services import api_key_create, audit_record
from tests.accounts.factories import member

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit-events/"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PATIENT_FIELDS = {"case_reference", "object_id", "detail", "actor", "client_ip", "user_agent"}


def record_at(when: datetime, **kwargs) -> AuditEvent:
    with mock.patch("django.utils.timezone.now", return_value=when):
        return audit_record(**kwargs)


@pytest.fixture
def trail(insurer, other_insurer, mediator):
    """Events of our insurer (a mediator reading cases on three days, a failed login) and one of
    another insurer about a case with the same kind of reference."""
    actor = actor_for_user(mediator)
    foreign_mediator = member(Role.MEDIATOR, other_insurer)
    return {
        "early": record_at(
            datetime(2026, 3, 1, 23, 30, tzinfo=AMSTERDAM),
            actor=actor,
            action=AuditAction.VIEW,
            object_type="mediation.case",
            object_id="11",
            case_reference="ZB-2026-000011",
            detail={"page": "case"},
        ),
        "middle": record_at(
            datetime(2026, 3, 2, 0, 15, tzinfo=AMSTERDAM),
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="mediation.case",
            object_id="12",
            case_reference="ZB-2026-000012",
        ),
        "late": record_at(
            datetime(2026, 3, 5, 12, 0, tzinfo=AMSTERDAM),
            actor=actor,
            action=AuditAction.LOGIN_FAILED,
            outcome=AuditOutcome.FAILURE,
        ),
        "foreign": record_at(
            datetime(2026, 3, 2, 9, 0, tzinfo=AMSTERDAM),
            actor=actor_for_user(foreign_mediator),
            action=AuditAction.VIEW,
            object_type="mediation.case",
            object_id="99",
            case_reference="ZB-2026-000099",
        ),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def as_admin(api_client, insurer_admin):
    api_client.force_authenticate(insurer_admin)
    return api_client


def test_admin_reads_own_trail_newest_first_with_every_field(api_client, insurer_admin, trail):
    response = as_admin(api_client, insurer_admin).get(URL, {"date_to": "2026-03-31"})

    assert ids(response) == [trail["late"].pk, trail["middle"].pk, trail["early"].pk]
    body = response.json()
    assert body["count"] == 3 and body["next"] is None and body["previous"] is None
    early = body["results"][-1]
    assert early["case_reference"] == "ZB-2026-000011"
    assert early["object_id"] == "11"
    assert early["detail"] == {"page": "case"}
    assert early["actor"] == trail["early"].actor_label
    assert early["role"] == Role.MEDIATOR
    assert early["occurred_at"].startswith("2026-03-01T23:30:00")


def test_admin_never_sees_another_insurers_events(api_client, insurer_admin, trail):
    client = as_admin(api_client, insurer_admin)

    assert trail["foreign"].pk not in ids(client.get(URL, {"page_size": 500}))
    assert ids(client.get(URL, {"case_reference": "ZB-2026-000099"})) == []
    assert ids(client.get(URL, {"object_id": "99"})) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "view"}, ["early"]),
        ({"action": "update"}, ["middle"]),
        ({"outcome": "failure"}, ["late"]),
        ({"case_reference": "zb-2026-000012 "}, ["middle"]),
        ({"object_type": "mediation.case", "object_id": "11"}, ["early"]),
        # Dates are whole days in Dutch time, both ends included.
        ({"date_from": "2026-03-02", "date_to": "2026-03-02"}, ["middle"]),
        ({"date_from": "2026-03-01", "date_to": "2026-03-01"}, ["early"]),
        ({"date_from": "2026-03-03"}, ["late"]),
        ({"role": "mediator", "date_to": "2026-03-01"}, ["early"]),
    ],
)
def test_admin_filters(api_client, insurer_admin, trail, query, expected):
    response = as_admin(api_client, insurer_admin).get(URL, query)

    assert ids(response) == [trail[name].pk for name in expected]


def test_filter_by_user(api_client, insurer_admin, trail, mediator):
    client = as_admin(api_client, insurer_admin)

    assert ids(client.get(URL, {"user": mediator.username})) == [
        trail["late"].pk,
        trail["middle"].pk,
        trail["early"].pk,
    ]
    assert ids(client.get(URL, {"user": "somebody-else"})) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_to"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"action": "peek"}, "action"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api_client, insurer_admin, trail, query, field):
    response = as_admin(api_client, insurer_admin).get(URL, query)

    assert response.status_code == 400
    assert field in response.json()


def test_pagination(api_client, insurer_admin, trail):
    client = as_admin(api_client, insurer_admin)

    first = client.get(URL, {"page_size": 2, "date_to": "2026-03-31"}).json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == [trail["early"].pk]


def test_reading_the_trail_is_recorded(api_client, insurer_admin, insurer, trail):
    as_admin(api_client, insurer_admin).get(URL, {"case_reference": "ZB-2026-000011"})

    event = AuditEvent.objects.get(action=AuditAction.LIST, object_type="accounts.auditevent")
    assert event.actor == insurer_admin
    assert event.organisation == insurer
    assert event.detail == {"filters": {"case_reference": "ZB-2026-000011"}, "channel": "api"}


def test_regulator_sees_all_organisations_without_patient_or_person_content(
    api_client, regulator, trail
):
    api_client.force_authenticate(regulator)

    response = api_client.get(URL, {"date_to": "2026-03-31"})

    assert set(ids(response)) == {event.pk for event in trail.values()}
    for row in response.json()["results"]:
        assert set(row) == {
            "id",
            "occurred_at",
            "role",
            "organisation",
            "action",
            "object_type",
            "outcome",
        }
        assert not PATIENT_FIELDS & set(row)


def test_regulator_cannot_single_out_a_case_or_person(api_client, regulator, trail, mediator):
    """Filters on case, object or user are not the regulator's: they are ignored, so the answer
    says nothing about whether such a case or person exists."""
    api_client.force_authenticate(regulator)
    everything = set(ids(api_client.get(URL, {"date_to": "2026-03-31"})))

    for query in (
        {"case_reference": "ZB-2026-000011"},
        {"object_id": "11"},
        {"user": mediator.username},
    ):
        assert set(ids(api_client.get(URL, {**query, "date_to": "2026-03-31"}))) == everything


@pytest.mark.parametrize("name", ["user", "case_reference", "object_id"])
@pytest.mark.parametrize("value", ["", "a\x00b"])
def test_the_regulators_ignored_filters_are_still_checked(api_client, regulator, name, value):
    """Ignored for the regulator, but a parameter like any other: the schema's rules (not
    empty, no NUL) hold for every role, so a malformed one is a 400 naming it."""
    api_client.force_authenticate(regulator)

    response = api_client.get(URL, {name: value})

    assert response.status_code == 400
    assert list(response.json()) == [name]


def test_regulator_filters_by_organisation_code_and_action(
    api_client, regulator, trail, other_insurer
):
    api_client.force_authenticate(regulator)

    response = api_client.get(URL, {"organisation": other_insurer.uzovi, "action": "view"})

    assert ids(response) == [trail["foreign"].pk]


@pytest.mark.parametrize(
    "role", [Role.MEDIATOR, Role.CONTRACT_MANAGER, Role.PLANNER, Role.PROVIDER_ADMIN]
)
def test_other_roles_are_403(api_client, role, insurer, provider_org):
    organisation = provider_org if role in (Role.PLANNER, Role.PROVIDER_ADMIN) else insurer
    api_client.force_authenticate(member(role, organisation))

    assert api_client.get(URL).status_code == 403


def test_insurer_api_key_is_403(api_client, insurer, api_key_for):
    """An insurer's key acts as mediator and contract manager, not as administrator."""
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(insurer)}")

    assert api_client.get(URL).status_code == 403


def test_anonymous_is_401(api_client):
    assert api_client.get(URL).status_code == 401


def test_api_key_events_are_labelled_with_the_key(api_client, insurer_admin, insurer):
    api_key, _raw = api_key_create(organisation=insurer, name="EPD")
    audit_record(actor=actor_for_api_key(api_key), action=AuditAction.LIST)

    response = as_admin(api_client, insurer_admin).get(URL, {"user": f"api-key:{api_key.prefix}"})

    rows = response.json()["results"]
    assert len(rows) == 1
    assert rows[0]["role"] == "contract_manager,mediator"
