"""GET /api/v1/waiting-times/current/ (DESIGN §8): shape, validation, pagination and access."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from providers.models import PostcodeArea, ProviderKind, Specialism, Treatment, WaitingTimeKind
from tests.providers.factories import LocationFactory, ProviderFactory, WaitingTimeSeriesFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/waiting-times/current/"


@pytest.fixture
def api_client(api_client):
    """In English, so that the messages checked here do not depend on the Dutch translation."""
    api_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return api_client


@pytest.fixture
def utrecht():
    return PostcodeArea.objects.get(pk="3511")


def location_near(area, *, north_km: float = 0, **kwargs):
    return LocationFactory(
        latitude=Decimal(f"{float(area.latitude) + north_km / 111.195:.6f}"),
        longitude=area.longitude,
        **kwargs,
    )


@pytest.fixture
def orthopedics():
    return Specialism.objects.get(code="0305")


def test_item_shape_is_exactly_the_contract(api_client, utrecht, orthopedics):
    provider = ProviderFactory(agb_code="06010101", name="Ziekenhuis Zuid", kind=ProviderKind.UMC)
    location = location_near(
        utrecht, north_km=12.34, provider=provider, code="06020202", name="Zuid", city="Zeist"
    )
    reference_date = timezone.localdate() - timedelta(days=3)
    WaitingTimeSeriesFactory(
        location=location,
        specialism=orthopedics,
        current_days=30,
        current_reference_date=reference_date,
    )

    response = api_client.get(URL, {"specialism": "0305", "postcode": "3511 AB"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    assert body["results"] == [
        {
            "location": {
                "code": "06020202",
                "name": "Zuid",
                "city": "Zeist",
                "provider": {"agb_code": "06010101", "name": "Ziekenhuis Zuid", "kind": "umc"},
            },
            "specialism": "0305",
            "treatment": None,
            "kind": "first_visit",
            "days": 30,
            "insufficient_observations": False,
            "norm_days": 28,
            "exceeds_norm": True,
            "reference_date": reference_date.isoformat(),
            "stale": False,
            "distance_km": 12.3,
            "source": "provider",
        }
    ]


def test_treatment_insufficient_observations_stale_and_no_postcode(api_client, utrecht):
    knee = Treatment.objects.get(code="total-knee-replacement")
    WaitingTimeSeriesFactory(
        location=location_near(utrecht),
        treatment=knee,
        current_days=None,
        current_insufficient_observations=True,
        current_reference_date=timezone.localdate() - timedelta(days=29),
    )

    (item,) = api_client.get(URL, {"treatment": "total-knee-replacement"}).json()["results"]

    assert item["specialism"] == "0305"
    assert item["treatment"] == "total-knee-replacement"
    assert item["kind"] == "treatment"
    assert (item["days"], item["insufficient_observations"]) == (None, True)
    assert (item["norm_days"], item["exceeds_norm"]) == (49, None)  # inpatient
    assert item["stale"] is True
    assert item["distance_km"] is None


def test_filters_and_ordering(api_client, utrecht, orthopedics):
    near_slow = WaitingTimeSeriesFactory(
        location=location_near(utrecht, north_km=5), specialism=orthopedics, current_days=50
    )
    far_quick = WaitingTimeSeriesFactory(
        location=location_near(utrecht, north_km=40), specialism=orthopedics, current_days=10
    )
    WaitingTimeSeriesFactory(
        location=location_near(utrecht, north_km=90), specialism=orthopedics, current_days=1
    )
    base = {"specialism": "0305", "postcode": "3511AB", "max_distance_km": 50}

    by_days = api_client.get(URL, base).json()["results"]
    by_distance = api_client.get(URL, {**base, "ordering": "distance"}).json()["results"]

    assert [item["location"]["code"] for item in by_days] == [
        far_quick.location.code,
        near_slow.location.code,
    ]
    assert [item["location"]["code"] for item in by_distance] == [
        near_slow.location.code,
        far_quick.location.code,
    ]
    assert api_client.get(URL, {**base, "kind": "diagnostics"}).json()["count"] == 0
    assert api_client.get(URL, {**base, "provider_kind": "zbc"}).json()["count"] == 0
    region = near_slow.location.provider.region.code
    assert api_client.get(URL, {"region": region}).json()["count"] == 1


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"specialism": "9999"}, "specialism", "Unknown specialism code."),
        ({"specialism": "305"}, "specialism", "4 digits"),
        ({"treatment": "no-such-treatment"}, "treatment", "Unknown treatment code."),
        ({"region": "NOWHERE"}, "region", "Unknown region code."),
        ({"postcode": "1000"}, "postcode", "Unknown postcode."),
        ({"postcode": "12345"}, "postcode", "Enter a Dutch postcode"),
        ({"postcode": "1234 SS"}, "postcode", "SS is not used"),
        ({"max_distance_km": 10}, "max_distance_km", "needs a postcode"),
        ({"ordering": "distance"}, "ordering", "needs a postcode"),
        ({"ordering": "name"}, "ordering", "not a valid choice"),
        ({"postcode": "3511", "max_distance_km": 0.5}, "max_distance_km", "greater than"),
        ({"postcode": "3511", "max_distance_km": 301}, "max_distance_km", "less than"),
        ({"postcode": "3511", "max_distance_km": "nan"}, "max_distance_km", "valid number"),
        ({"kind": "surgery"}, "kind", "not a valid choice"),
        ({"provider_kind": "clinic"}, "provider_kind", "not a valid choice"),
        ({"treatment": "cataract", "kind": "first_visit"}, "kind", "kind treatment"),
        ({"treatment": "cataract", "specialism": "0305"}, "treatment", "does not belong"),
        ({"treatment": "cata\x00ract"}, "treatment", "Null characters"),
    ],
)
def test_validation_errors_name_the_field(api_client, query, field, message):
    response = api_client.get(URL, query)

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {field}
    assert message in body[field][0]


def test_unknown_postcode_is_told_apart_from_a_malformed_one(api_client):
    assert api_client.get(URL, {"postcode": "1000 AA"}).json() == {
        "postcode": ["Unknown postcode."]
    }


def test_pagination(api_client, utrecht, orthopedics):
    for km in range(7):
        WaitingTimeSeriesFactory(
            location=location_near(utrecht, north_km=km), specialism=orthopedics, current_days=km
        )

    first = api_client.get(URL, {"specialism": "0305", "page_size": 3}).json()
    last = api_client.get(URL, {"specialism": "0305", "page_size": 3, "page": 3}).json()

    assert first["count"] == 7
    assert [item["days"] for item in first["results"]] == [0, 1, 2]
    assert first["previous"] is None and "page=2" in first["next"]
    assert [item["days"] for item in last["results"]] == [6]
    assert last["next"] is None
    assert api_client.get(URL, {"specialism": "0305", "page": 9}).status_code == 404


def test_public_but_a_bad_api_key_is_refused(api_client):
    assert api_client.get(URL).status_code == 200

    response = api_client.get(URL, HTTP_AUTHORIZATION="Api-Key not-a-real-key")

    assert response.status_code == 401


def test_throttled(api_client, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "2/minute"})
    statuses = [api_client.get(URL).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_documented_in_the_schema(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/waiting-times/current/"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}

    assert {
        "specialism",
        "treatment",
        "kind",
        "postcode",
        "max_distance_km",
        "region",
        "provider_kind",
        "ordering",
        "page",
        "page_size",
    } <= set(parameters)
    assert parameters["ordering"]["enum"] == ["days", "distance"]
    assert (parameters["max_distance_km"]["minimum"], parameters["max_distance_km"]["maximum"]) == (
        1,
        300,
    )
    assert operation["security"][-1] == {}  # anonymous access
    item = schema["components"]["schemas"]["WaitingTimeCurrentOutput"]
    assert set(item["properties"]) == {
        "location",
        "specialism",
        "treatment",
        "kind",
        "days",
        "insufficient_observations",
        "norm_days",
        "exceeds_norm",
        "reference_date",
        "stale",
        "distance_km",
        "source",
    }
    assert set(operation["responses"]) >= {"200", "400", "401", "404", "429"}


def test_kind_filter_values(api_client, utrecht, orthopedics):
    location = location_near(utrecht)
    for kind in (WaitingTimeKind.FIRST_VISIT, WaitingTimeKind.DIAGNOSTICS):
        WaitingTimeSeriesFactory(location=location, specialism=orthopedics, kind=kind)

    body = api_client.get(URL, {"kind": "diagnostics"}).json()

    assert [item["kind"] for item in body["results"]] == ["diagnostics"]


def test_the_fast_representation_matches_the_documented_fields(utrecht, orthopedics):
    """The output serializer builds its items by hand for speed; its declared fields (which
    document the schema) must give exactly the same items."""
    from rest_framework import serializers

    from providers.search.selectors import waiting_time_current_list
    from providers.search.serializers import WaitingTimeCurrentOutputSerializer

    knee = Treatment.objects.get(code="total-knee-replacement")
    WaitingTimeSeriesFactory(location=location_near(utrecht, north_km=3), specialism=orthopedics)
    WaitingTimeSeriesFactory(
        location=location_near(utrecht, north_km=7),
        treatment=knee,
        current_days=None,
        current_insufficient_observations=True,
    )
    rows = waiting_time_current_list(specialism_code="0305", postcode="3511")

    class FieldByField(WaitingTimeCurrentOutputSerializer):
        to_representation = serializers.Serializer.to_representation

    def plain(data):
        return json.loads(json.dumps(data))

    assert plain(WaitingTimeCurrentOutputSerializer(rows, many=True).data) == plain(
        FieldByField(rows, many=True).data
    )
