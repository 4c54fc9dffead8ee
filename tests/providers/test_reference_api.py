"""The public reference endpoints (DESIGN §8): contract, pagination, filters and access."""

import json
import re

import pytest
from drf_spectacular.validation import validate_schema

from providers.models import ProviderKind, Region, Specialism
from tests.providers.factories import LocationFactory, ProviderFactory

pytestmark = pytest.mark.django_db

PUBLIC_LISTS = [
    "/api/v1/specialisms/",
    "/api/v1/treatments/",
    "/api/v1/regions/",
    "/api/v1/norms/",
    "/api/v1/providers/",
]


def assert_page(body: dict) -> None:
    assert set(body) == {"count", "next", "previous", "results"}


class TestSpecialisms:
    def test_codes_are_strings_with_their_leading_zero(self, api_client):
        response = api_client.get("/api/v1/specialisms/")
        assert response.status_code == 200
        body = response.json()
        assert_page(body)
        assert body["count"] == 33
        assert {"code": "0305", "name": "Orthopedie"} in body["results"]
        assert [row["code"] for row in body["results"]] == sorted(
            row["code"] for row in body["results"]
        )

    def test_page_size_is_honoured(self, api_client):
        body = api_client.get("/api/v1/specialisms/", {"page_size": 10}).json()
        assert body["count"] == 33
        assert len(body["results"]) == 10
        assert body["previous"] is None
        assert "page=2" in body["next"] and "page_size=10" in body["next"]

        last = api_client.get("/api/v1/specialisms/", {"page_size": 10, "page": 4}).json()
        assert len(last["results"]) == 3
        assert last["next"] is None

    def test_page_size_is_capped_at_500_and_defaults_to_50(self, api_client):
        Specialism.objects.bulk_create(
            Specialism(code=f"{5000 + n:04d}", name=f"Test {n}") for n in range(520)
        )
        body = api_client.get("/api/v1/specialisms/", {"page_size": 1000}).json()
        assert body["count"] == 553
        assert len(body["results"]) == 500

        default = api_client.get("/api/v1/specialisms/").json()
        assert len(default["results"]) == 50

    def test_inactive_specialisms_are_not_listed(self, api_client):
        Specialism.objects.filter(code="0300").update(is_active=False)
        body = api_client.get("/api/v1/specialisms/").json()
        assert body["count"] == 32
        assert "0300" not in {row["code"] for row in body["results"]}


class TestTreatments:
    def test_treatments_with_specialism_codes_and_settings(self, api_client):
        body = api_client.get("/api/v1/treatments/", {"page_size": 500}).json()
        assert_page(body)
        assert body["count"] >= 30
        for row in body["results"]:
            assert set(row) == {"code", "name", "specialism", "setting"}
            assert re.fullmatch(r"\d{4}", row["specialism"])
            assert row["setting"] in {"day", "inpatient"}
        assert {
            "code": "cataract",
            "name": "Staaroperatie",
            "specialism": "0301",
            "setting": "day",
        } in body["results"]
        assert {
            "code": "total-hip-replacement",
            "name": "Totale heupprothese",
            "specialism": "0305",
            "setting": "inpatient",
        } in body["results"]

    def test_filter_by_specialism(self, api_client):
        body = api_client.get("/api/v1/treatments/", {"specialism": "0301"}).json()
        assert body["count"] >= 3
        assert {row["specialism"] for row in body["results"]} == {"0301"}
        assert "cataract" in {row["code"] for row in body["results"]}
        assert "total-knee-replacement" not in {row["code"] for row in body["results"]}

    def test_filter_by_a_specialism_without_treatments_gives_an_empty_page(self, api_client):
        body = api_client.get("/api/v1/treatments/", {"specialism": "0389"}).json()
        assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_norms_are_the_four_treeknormen(api_client):
    body = api_client.get("/api/v1/norms/").json()
    assert_page(body)
    rows = {(row["kind"], row["setting"]): row for row in body["results"]}
    assert set(rows) == {
        ("first_visit", ""),
        ("diagnostics", ""),
        ("treatment", "day"),
        ("treatment", "inpatient"),
    }
    assert rows[("treatment", "inpatient")] == {
        "kind": "treatment",
        "setting": "inpatient",
        "target_days": 35,
        "max_days": 49,
        "target_percentage": 80,
    }
    assert (rows[("first_visit", "")]["target_days"], rows[("first_visit", "")]["max_days"]) == (
        21,
        28,
    )
    assert rows[("treatment", "day")]["max_days"] == 42


def test_regions_with_their_neighbours(api_client):
    body = api_client.get("/api/v1/regions/").json()
    assert_page(body)
    assert body["count"] == 10
    regions = {row["code"]: row for row in body["results"]}
    assert regions["NAZL"]["name"] == "Netwerk Acute Zorg Limburg"
    assert sorted(regions["NAZL"]["neighbours"]) == ["NAZB", "NAZO"]
    for code, row in regions.items():
        for neighbour in row["neighbours"]:
            assert code in regions[neighbour]["neighbours"]


class TestProviders:
    @pytest.fixture
    def providers(self):
        limburg = Region.objects.get(code="NAZL")
        brabant = Region.objects.get(code="NAZB")
        umc = ProviderFactory(
            agb_code="06020502", name="Testumc", kind=ProviderKind.UMC, region=limburg
        )
        LocationFactory(
            provider=umc,
            code="06029999",
            name="Hoofdlocatie",
            postcode="6229HX",
            city="Maastricht",
            latitude="50.833000",
            longitude="5.710000",
        )
        LocationFactory(provider=umc, code="06029998", is_active=False)
        zbc = ProviderFactory(agb_code="22220001", kind=ProviderKind.ZBC, region=brabant)
        LocationFactory(provider=zbc, code="22220002", postcode="5611AB", city="Eindhoven")
        hospital = ProviderFactory(agb_code="06010001", kind=ProviderKind.HOSPITAL, region=limburg)
        return umc, zbc, hospital

    def test_shape_with_locations(self, api_client, providers):
        body = api_client.get("/api/v1/providers/").json()
        assert_page(body)
        assert body["count"] == 3
        umc = next(row for row in body["results"] if row["agb_code"] == "06020502")
        assert umc == {
            "agb_code": "06020502",
            "name": "Testumc",
            "kind": "umc",
            "region": "NAZL",
            "locations": [
                {
                    "code": "06029999",
                    "name": "Hoofdlocatie",
                    "postcode": "6229 HX",
                    "city": "Maastricht",
                    "latitude": 50.833,
                    "longitude": 5.71,
                }
            ],
        }

    def test_filter_by_region(self, api_client, providers):
        body = api_client.get("/api/v1/providers/", {"region": "NAZL"}).json()
        assert {row["agb_code"] for row in body["results"]} == {"06020502", "06010001"}

    def test_filter_by_kind(self, api_client, providers):
        body = api_client.get("/api/v1/providers/", {"kind": "zbc"}).json()
        assert [row["agb_code"] for row in body["results"]] == ["22220001"]
        assert body["results"][0]["region"] == "NAZB"

    def test_filters_combine(self, api_client, providers):
        body = api_client.get("/api/v1/providers/", {"region": "NAZL", "kind": "hospital"}).json()
        assert [row["agb_code"] for row in body["results"]] == ["06010001"]

    def test_a_few_queries_however_many_providers(
        self, api_client, providers, django_assert_max_num_queries
    ):
        for _ in range(5):
            LocationFactory()
        with django_assert_max_num_queries(4):
            response = api_client.get("/api/v1/providers/")
        assert response.json()["count"] == 8


class TestAccess:
    @pytest.mark.parametrize("url", PUBLIC_LISTS)
    def test_anonymous_callers_may_read(self, api_client, url):
        response = api_client.get(url)
        assert response.status_code == 200
        assert_page(response.json())

    @pytest.mark.parametrize("url", PUBLIC_LISTS)
    def test_an_invalid_api_key_is_refused_even_on_public_endpoints(self, api_client, url):
        response = api_client.get(url, HTTP_AUTHORIZATION="Api-Key zb_nope.nope")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Api-Key"

    def test_a_valid_api_key_may_read(self, api_client, api_key_for, insurer):
        response = api_client.get(
            "/api/v1/specialisms/", HTTP_AUTHORIZATION=f"Api-Key {api_key_for(insurer)}"
        )
        assert response.status_code == 200

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_reference_lists_are_read_only(self, api_client, method):
        response = getattr(api_client, method)("/api/v1/specialisms/", {"code": "0999"})
        assert response.status_code == 405
        assert not Specialism.objects.filter(code="0999").exists()


class TestSchemaAndDocs:
    def test_schema_is_a_valid_openapi_document_with_the_reference_paths(self, api_client):
        response = api_client.get("/api/schema/", {"format": "json"})
        assert response.status_code == 200
        schema = json.loads(response.content)
        validate_schema(schema)
        for url in PUBLIC_LISTS:
            assert url in schema["paths"]
        parameters = {
            parameter["name"]
            for parameter in schema["paths"]["/api/v1/treatments/"]["get"]["parameters"]
        }
        assert {"specialism", "page", "page_size"} <= parameters

    def test_schema_is_served_as_yaml_by_default(self, api_client):
        response = api_client.get("/api/schema/")
        assert response.status_code == 200
        assert response.content.startswith(b"openapi: 3.")

    def test_swagger_ui_is_served_locally_without_a_cdn(self, api_client):
        response = api_client.get("/api/docs/")
        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="swagger-ui"' in html
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
        assert urls, "expected the page to load its assets"
        for url in urls:
            assert url.startswith("/"), f"external asset {url}"
        assert not re.search(r"https?://(?!testserver)", html)
        assert "cdn" not in html.lower()

        script = api_client.get("/api/docs/", {"script": ""})
        assert script.status_code == 200
        assert not re.search(r"https?://(?!testserver)", script.content.decode())
