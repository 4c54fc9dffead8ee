"""The capacity API (DESIGN §8): contract, errors and access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent, Role
from providers.capacity.selectors import week_start_of
from providers.models import CapacityOffer, Location, Specialism
from tests.accounts.factories import member
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/capacity-offers/"


def next_monday():
    return week_start_of(timezone.localdate()) + timedelta(weeks=1)


@pytest.fixture
def api(api_client):
    api_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return api_client


@pytest.fixture
def location(provider_org):
    return LocationFactory(provider=provider_org.provider)


@pytest.fixture
def foreign_location(other_provider_org):
    return LocationFactory(provider=other_provider_org.provider)


@pytest.fixture
def as_planner(api, planner):
    api.force_authenticate(planner)
    return api


def body(location: Location, /, **overrides):
    values = {
        "location": location.code,
        "specialism": "0305",
        "treatment": None,
        "kind": "first_visit",
        "week_start": next_monday().isoformat(),
        "slots": 12,
        "urgency_classes": [3, 4, 5],
    }
    values.update(overrides)
    return values


# --- POST: the contract ---------------------------------------------------------------------------
def test_create_answers_201_with_the_offer_and_remaining(as_planner, location) -> None:
    response = as_planner.post(URL, body(location), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    offer = CapacityOffer.objects.get()
    assert data["id"] == offer.pk
    assert data["location"] == location.code
    assert data["specialism"] == "0305"
    assert data["treatment"] is None
    assert data["kind"] == "first_visit"
    assert data["week_start"] == next_monday().isoformat()
    assert data["slots"] == 12
    assert data["reserved_slots"] == 0
    assert data["remaining"] == 12
    assert data["urgency_classes"] == [3, 4, 5]
    assert set(data) == {
        "id",
        "location",
        "specialism",
        "treatment",
        "kind",
        "week_start",
        "slots",
        "reserved_slots",
        "remaining",
        "urgency_classes",
        "created_at",
    }


def test_create_for_a_treatment(as_planner, location) -> None:
    response = as_planner.post(
        URL,
        body(location, kind="treatment", treatment="total-knee-replacement"),
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["treatment"] == "total-knee-replacement"


def test_treatment_may_be_left_out_for_a_first_visit(as_planner, location) -> None:
    data = body(location)
    del data["treatment"]

    assert as_planner.post(URL, data, format="json").status_code == 201


def test_create_is_audited_with_where_it_came_from(as_planner, location) -> None:
    as_planner.post(URL, body(location), format="json", REMOTE_ADDR="192.0.2.7")

    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="providers.capacityoffer")
    assert event.client_ip == "192.0.2.7"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"week_start": "2026-13-01"}, "week_start"),
        ({"slots": 0}, "slots"),
        ({"slots": 501}, "slots"),
        ({"slots": "many"}, "slots"),
        ({"urgency_classes": []}, "urgency_classes"),
        ({"urgency_classes": [6]}, "urgency_classes"),
        ({"urgency_classes": "3"}, "urgency_classes"),
        ({"kind": "surgery"}, "kind"),
        ({"specialism": "9999"}, "specialism"),
        ({"specialism": "305"}, "specialism"),
        ({"treatment": "no-such-treatment", "kind": "treatment"}, "treatment"),
        ({"kind": "treatment"}, "treatment"),
        ({"treatment": "total-knee-replacement"}, "treatment"),
        ({"kind": "treatment", "treatment": "cataract"}, "treatment"),
        ({"location": "99999999"}, "location"),
        ({"location": None}, "location"),
    ],
)
def test_invalid_input_is_400_naming_the_field(as_planner, location, overrides, field) -> None:
    response = as_planner.post(URL, body(location, **overrides), format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert all(isinstance(m, str) for m in response.json()[field])
    assert not CapacityOffer.objects.exists()


@pytest.mark.parametrize("days", [1, 2, 3, 4, 5, 6])
def test_a_week_that_does_not_start_on_monday_is_400(as_planner, location, days) -> None:
    response = as_planner.post(
        URL,
        body(location, week_start=(next_monday() + timedelta(days=days)).isoformat()),
        format="json",
    )

    assert response.status_code == 400
    assert "Monday" in response.json()["week_start"][0]


def test_a_past_week_is_400(as_planner, location) -> None:
    last_week = week_start_of(timezone.localdate()) - timedelta(weeks=1)
    response = as_planner.post(URL, body(location, week_start=last_week.isoformat()), format="json")

    assert response.status_code == 400
    assert "over" in response.json()["week_start"][0]


def test_missing_fields_are_400_each(as_planner) -> None:
    response = as_planner.post(URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {
        "location",
        "specialism",
        "kind",
        "week_start",
        "slots",
        "urgency_classes",
    }


def test_a_duplicate_is_400_with_a_non_field_error(as_planner, location) -> None:
    assert as_planner.post(URL, body(location), format="json").status_code == 201

    response = as_planner.post(URL, body(location, slots=3), format="json")

    assert response.status_code == 400
    assert "already an offer" in response.json()["non_field_errors"][0]
    assert CapacityOffer.objects.get().slots == 12


def test_a_foreign_location_is_400_exactly_like_an_unknown_one(
    as_planner, location, foreign_location
) -> None:
    foreign = as_planner.post(URL, body(location, location=foreign_location.code), format="json")
    unknown = as_planner.post(URL, body(location, location="99999998"), format="json")

    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json() == {"location": ["Unknown location."]}
    assert foreign_location.provider.name not in foreign.content.decode()
    assert not CapacityOffer.objects.exists()


def test_a_foreign_location_is_unknown_in_dutch_too(api, planner, foreign_location) -> None:
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    api.force_authenticate(planner)
    foreign = api.post(URL, body(foreign_location), format="json")
    unknown = api.post(URL, body(foreign_location, location="99999998"), format="json")

    assert foreign.status_code == 400
    assert foreign.json() == unknown.json()


# --- Access -------------------------------------------------------------------------------------
def test_anonymous_is_401(api, location) -> None:
    assert api.post(URL, body(location), format="json").status_code == 401
    assert api.get(URL).status_code == 401


@pytest.mark.parametrize(
    "fixture", ["mediator", "contract_manager", "insurer_admin", "provider_admin", "regulator"]
)
def test_other_roles_are_403(request, api, location, fixture) -> None:
    api.force_authenticate(request.getfixturevalue(fixture))

    assert api.post(URL, body(location), format="json").status_code == 403
    assert api.get(URL).status_code == 403
    assert not CapacityOffer.objects.exists()


def test_a_provider_api_key_works(api, api_key_for, provider_org, location) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(provider_org)}")

    response = api.post(URL, body(location), format="json")

    assert response.status_code == 201
    assert CapacityOffer.objects.get().created_by.startswith("api-key:")
    assert api.get(URL).json()["count"] == 1


@pytest.mark.parametrize("kind", ["insurer", "regulator_org"])
def test_insurer_and_regulator_api_keys_are_403(request, api, api_key_for, location, kind) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(request.getfixturevalue(kind))}")

    assert api.post(URL, body(location), format="json").status_code == 403
    assert api.get(URL).status_code == 403


# --- GET: own offers only, filters ----------------------------------------------------------------
@pytest.fixture
def offers(as_planner, location, other_provider_org, foreign_location, provider_org):
    """Two own offers at two locations in two weeks, and one of another provider."""
    second = LocationFactory(provider=provider_org.provider)
    as_planner.post(URL, body(location), format="json")
    later = (next_monday() + timedelta(weeks=2)).isoformat()
    as_planner.post(URL, body(second, week_start=later, slots=4), format="json")
    other = member(Role.PLANNER, other_provider_org)
    as_planner.force_authenticate(other)
    assert as_planner.post(URL, body(foreign_location), format="json").status_code == 201
    as_planner.force_authenticate(None)
    return {"location": location, "second": second, "later": later}


def test_list_shows_only_own_offers_earliest_week_first(api, planner, offers) -> None:
    api.force_authenticate(planner)

    response = api.get(URL)

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 2
    assert [row["location"] for row in data["results"]] == [
        offers["location"].code,
        offers["second"].code,
    ]
    assert [row["remaining"] for row in data["results"]] == [12, 4]


def test_list_filters_by_week_and_location(api, planner, offers) -> None:
    api.force_authenticate(planner)

    by_week = api.get(URL, {"week_from": offers["later"]}).json()
    by_location = api.get(URL, {"location": offers["location"].code}).json()

    assert [row["week_start"] for row in by_week["results"]] == [offers["later"]]
    assert [row["location"] for row in by_location["results"]] == [offers["location"].code]


def test_list_filter_on_a_foreign_location_shows_nothing(
    api, planner, offers, foreign_location
) -> None:
    api.force_authenticate(planner)

    assert api.get(URL, {"location": foreign_location.code}).json()["count"] == 0


@pytest.mark.parametrize("params", [{"week_from": "next week"}, {"location": "abc"}])
def test_bad_filters_are_400(as_planner, params) -> None:
    assert as_planner.get(URL, params).status_code == 400


# --- Scale-down status: PUT /api/v1/locations/{code}/status/ -------------------------------
def status_url(location: Location) -> str:
    return f"/api/v1/locations/{location.code}/status/"


def test_status_put_sets_the_accepted_classes(as_planner, location) -> None:
    response = as_planner.put(
        status_url(location), {"accepted_urgency_classes": [3, 1, 2]}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {
        "code": location.code,
        "name": location.name,
        "accepted_urgency_classes": [1, 2, 3],
    }
    location.refresh_from_db()
    assert location.accepted_urgency_classes == [1, 2, 3]
    assert as_planner.get(status_url(location)).json()["accepted_urgency_classes"] == [1, 2, 3]


@pytest.mark.parametrize("classes", [[], [0], [7], "1,2", None])
def test_status_put_validates(as_planner, location, classes) -> None:
    response = as_planner.put(
        status_url(location), {"accepted_urgency_classes": classes}, format="json"
    )

    assert response.status_code == 400
    assert "accepted_urgency_classes" in response.json()


def test_status_of_a_foreign_location_is_404_like_a_missing_one(
    as_planner, foreign_location
) -> None:
    put = as_planner.put(status_url(foreign_location), {"accepted_urgency_classes": [1]})
    get = as_planner.get(status_url(foreign_location))
    missing = as_planner.put(
        "/api/v1/locations/99999998/status/", {"accepted_urgency_classes": [1]}
    )

    assert put.status_code == get.status_code == missing.status_code == 404
    assert put.json() == missing.json()
    foreign_location.refresh_from_db()
    assert foreign_location.accepted_urgency_classes == [1, 2, 3, 4, 5]


def test_status_access(api, mediator, location, api_key_for, provider_org) -> None:
    assert api.get(status_url(location)).status_code == 401
    api.force_authenticate(mediator)
    assert api.put(status_url(location), {"accepted_urgency_classes": [1]}).status_code == 403
    api.force_authenticate(None)
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(provider_org)}")
    response = api.put(status_url(location), {"accepted_urgency_classes": [1, 2, 3]}, format="json")
    assert response.status_code == 200


# --- OpenAPI ------------------------------------------------------------------------------------
def test_the_schema_documents_the_capacity_endpoints(api) -> None:
    schema = api.get("/api/schema/", {"format": "json"}).json()

    post = schema["paths"]["/api/v1/capacity-offers/"]["post"]
    assert set(post["responses"]) >= {"201", "400", "401", "403"}
    request_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request_schema = schema["components"]["schemas"][request_ref.rsplit("/", 1)[1]]
    assert set(request_schema["required"]) == {
        "location",
        "specialism",
        "kind",
        "week_start",
        "slots",
        "urgency_classes",
    }
    assert "treatment" in request_schema["properties"]
    response_ref = post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    response_schema = schema["components"]["schemas"][response_ref.rsplit("/", 1)[1]]
    assert {"id", "remaining"} <= set(response_schema["required"])
    get_params = {
        p["name"] for p in schema["paths"]["/api/v1/capacity-offers/"]["get"]["parameters"]
    }
    assert {"week_from", "location"} <= get_params
    assert "put" in schema["paths"]["/api/v1/locations/{code}/status/"]


def test_specialism_codes_keep_their_leading_zero(as_planner, location) -> None:
    Specialism.objects.get(code="0305")
    response = as_planner.post(URL, body(location, specialism=305), format="json")

    assert response.status_code == 400
    assert "specialism" in response.json()
