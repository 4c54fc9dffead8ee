"""Crafted inputs through the real HTTP interface (issue 12, item 6; DESIGN §7): deep JSON, OPTIONS
with a non-JSON format, a plan for year 9999, and implausible dates (year 1, year 9999) in every
place a person or a system sends a date. Each is refused with a 4xx that names what is wrong —
never a 500 — in the API and, where there is one, in the web form that does the same."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework import parsers
from rest_framework.test import APIClient

from core.parsers import DepthLimitedJSONParser
from finance.models import Contract, Payment
from mediation.models import Case, CaseStatus, OfferStatus
from plans.models import Plan
from providers.models import Region, WaitingTimeReport
from tests.accounts.factories import member
from tests.contract.test_public_surface import named_urls
from tests.finance.factories import ArrangementFactory, ContractFactory
from tests.mediation.factories import CaseFactory, OfferFactory
from tests.mediation.test_api import request_payload
from tests.mediation.test_views import form_data
from tests.providers.factories import LocationFactory, ProviderFactory
from tests.providers.test_waiting_time_apis import body as waiting_time_body

pytestmark = pytest.mark.django_db

YEAR_1 = "0001-01-01"
YEAR_9999 = "9999-12-31"
IMPLAUSIBLE_DAYS = [YEAR_1, YEAR_9999]


@pytest.fixture
def api() -> APIClient:
    # A 500 must come back as a response, so that the test can say which input caused it.
    client = APIClient(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def web(client):
    client.raise_request_exception = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def as_user(client, user):
    client.force_authenticate(user)
    return client


def deep(levels: int, *, opening: str = "[", closing: str = "]") -> str:
    return opening * levels + closing * levels


# --- Deeply nested JSON --------------------------------------------------------------------------
NESTINGS = [
    deep(1000),
    deep(100_000),
    '{"a":' * 1000 + "1" + "}" * 1000,
    '{"full_name": ' + deep(1000) + "}",
    "[" * 1000,  # never closed
]


@pytest.mark.parametrize("payload", NESTINGS, ids=["arrays", "100k", "objects", "field", "open"])
def test_deep_json_on_the_anonymous_request_endpoint_is_400(api, payload):
    response = api.post("/api/v1/mediation-requests/", payload, content_type="application/json")

    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("planner", "/api/v1/plans/"),
        ("planner", "/api/v1/waiting-times/"),  # its own parser list
        ("planner", "/api/v1/capacity-offers/"),
        ("contract_manager", "/api/v1/contracts/"),
        ("mediator", "/api/v1/cases/{reference}/offers/"),
    ],
)
def test_deep_json_on_staff_endpoints_is_400(api, role, url, insurer, provider_org):
    organisation = provider_org if role == "planner" else insurer
    as_user(api, member(role, organisation))
    url = url.format(reference=CaseFactory(insurer=insurer).reference)

    response = api.post(url, deep(1000), content_type="application/json")

    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_every_api_view_reads_json_with_the_nesting_limit():
    """A view that names its own parsers must not bring DRF's unlimited JSON parser back."""
    views = [
        pattern.callback.cls
        for pattern in _all_patterns(get_resolver())
        if hasattr(pattern.callback, "cls")
    ]
    assert len(views) > 30
    unlimited = [
        view.__name__
        for view in views
        if any(
            issubclass(parser, parsers.JSONParser)
            and not issubclass(parser, DepthLimitedJSONParser)
            for parser in view.parser_classes
        )
    ]
    assert unlimited == []


def _all_patterns(resolver) -> list:
    found = []
    for entry in resolver.url_patterns:
        found += _all_patterns(entry) if isinstance(entry, URLResolver) else [entry]
    return found


def test_brackets_inside_strings_are_text_not_nesting(api, insurer):
    """A name full of brackets is an odd name, not a deep document: the request is read and
    answered on its merits (here: the name is too long)."""
    location = LocationFactory()
    payload = request_payload(insurer, location, full_name=deep(600))

    response = api.post("/api/v1/mediation-requests/", payload, format="json")

    assert response.status_code == 400
    assert "full_name" in response.json()


def test_the_web_form_takes_brackets_as_text(web, insurer):
    location = LocationFactory()
    response = web.post(
        "/bemiddeling/aanvragen/", form_data(insurer, location, full_name=deep(100))
    )
    # Read as a form (no JSON parser is involved): the name is stored as written.
    assert response.status_code == 302
    assert Case.objects.get().full_name == deep(100)


# --- OPTIONS with a format that is not JSON ------------------------------------------------------
def _concrete(pattern: str) -> str:
    """A path for a URL pattern, with a placeholder value for each path parameter."""
    for converter, value in (
        ("<int:pk>", "1"),
        ("<int:claim_pk>", "1"),
        ("<int:number>", "1"),
        ("<str:reference>", "ZB-2026-000001"),
        ("<str:token>", "x"),
        ("<str:code>", "01"),
        ("<str:prefix>", "x"),
        ("<str:decision>", "approve"),
        ("<str:transition>", "agree"),
    ):
        pattern = pattern.replace(converter, value)
    assert "<" not in pattern, pattern
    return "/" + pattern


def test_options_on_the_regional_report_with_csv_is_answered_in_json(api, regulator):
    code = Region.objects.order_by("code").first().code
    as_user(api, regulator)
    url = f"/api/v1/reports/regions/{code}/"

    asked_by_query = api.options(f"{url}?format=csv")
    asked_by_header = api.options(url, HTTP_ACCEPT="text/csv")
    plain = api.options(url)

    for response in (asked_by_query, asked_by_header):
        assert response.status_code == 406
        assert response["Content-Type"].startswith("application/json")
        assert "JSON" in response.json()["detail"]
    assert plain.status_code == 200
    assert plain.json()["name"]
    # GET still gives the CSV.
    assert api.get(f"{url}?format=csv")["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize(
    "asked", [{"path": "?format=csv"}, {"HTTP_ACCEPT": "text/csv"}, {"HTTP_ACCEPT": "text/html"}]
)
def test_options_on_any_url_is_never_a_server_error(
    api, asked, regulator, mediator, contract_manager, insurer_admin, planner, provider_admin
):
    """Every named URL of the site, anonymous and in every staff role."""
    users = [None, regulator, mediator, contract_manager, insurer_admin, planner, provider_admin]
    query = asked.get("path", "")
    headers = {key: value for key, value in asked.items() if key != "path"}
    urls = [_concrete(line.split()[1]) + query for line in named_urls()]
    failures = []
    for user in users:
        api.logout()
        if user is not None:
            api.force_login(user)  # a staff session: the web pages and the API alike
        for url in urls:
            status = api.options(url, **headers).status_code
            if status >= 500:
                failures.append((url, user and user.username, status))
    assert failures == []


def test_options_on_the_api_docs_page(api):
    response = api.options("/api/docs/")
    assert response.status_code == 200
    assert "GET" in response["Allow"]


# --- Plans: the period and the forecast ----------------------------------------------------------
def plan_body(start: str, end: str, *, backlog: int = 1200) -> dict:
    return {
        "insurer": "8101",
        "period_start": start,
        "period_end": end,
        "lines": [
            {
                "specialism": "0305",
                "urgency_class": 4,
                "backlog": backlog,
                "planned": [{"month": f"{start[:4]}-{m:02d}", "volume": 1} for m in range(1, 13)],
            }
        ],
    }


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("9999-01", "9999-12", "period_start"),  # its forecast ran past year 9999 (was a 500)
        ("0001-01", "0001-12", "period_start"),
        ("1900-01", "1900-12", "period_start"),
        ("2099-01", "2099-12", "period_start"),
    ],
)
def test_an_implausible_plan_period_is_400(api, planner, insurer, start, end, field):
    as_user(api, planner)

    response = api.post("/api/v1/plans/", plan_body(start, end), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Plan.objects.exists()


def test_a_plausible_plan_that_clears_beyond_any_horizon_has_no_projection(api, planner, insurer):
    """1,000,000 patients at one a month: a projection in the year 85,000 is not a month."""
    as_user(api, planner)
    year = timezone.localdate().year
    body = plan_body(f"{year}-01", f"{year}-12", backlog=1_000_000)

    response = api.post("/api/v1/plans/", body, format="json")

    assert response.status_code == 201, response.json()
    forecast = response.json()["forecast"]
    assert forecast["projected_clearance_month"] is None
    assert forecast["on_track"] is False


def test_the_plan_form_refuses_year_9999(web, planner, insurer):
    web.force_login(planner)
    response = web.post(
        reverse("plans:plan-create"),
        {"insurer": insurer.uzovi, "period_start": "9999-01", "period_end": "9999-12"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["period_start"]
    assert not Plan.objects.exists()


# --- Mediation requests: waiting since, the appointment -----------------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("waiting_since", YEAR_1),
        ("waiting_since", "1899-12-31"),
        ("waiting_since", YEAR_9999),
        ("expected_date", YEAR_9999),
        ("birth_date", YEAR_1),
        ("birth_date", YEAR_9999),
    ],
)
def test_implausible_dates_in_a_mediation_request_are_400(api, insurer, field, value):
    payload = request_payload(insurer, LocationFactory(), **{field: value})

    response = api.post("/api/v1/mediation-requests/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Case.objects.exists()


def test_waiting_since_before_the_birth_date_is_400(api, insurer):
    payload = request_payload(
        insurer, LocationFactory(), birth_date="1990-05-01", waiting_since="1985-01-01"
    )
    response = api.post("/api/v1/mediation-requests/", payload, format="json")
    assert response.status_code == 400
    assert "waiting_since" in response.json()


@pytest.mark.parametrize(
    ("field", "value"), [("waiting_since", YEAR_1), ("expected_date", YEAR_9999)]
)
def test_the_request_form_refuses_implausible_dates(web, insurer, field, value):
    response = web.post(
        "/bemiddeling/aanvragen/", form_data(insurer, LocationFactory(), **{field: value})
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Case.objects.exists()


def test_the_phone_intake_refuses_implausible_dates(web, mediator, insurer):
    web.force_login(mediator)
    data = form_data(insurer, LocationFactory(), email="", waiting_since=YEAR_1)
    data.pop("insurer")

    response = web.post(reverse("mediation:case-create-phone"), data)

    assert response.status_code == 400
    assert response.context["form"].errors["waiting_since"]
    assert not Case.objects.exists()


# --- Waiting times: the peildatum (API, CSV, web) ------------------------------------------------
@pytest.fixture
def reporting_planner(planner, provider_org):
    LocationFactory(provider=provider_org.provider, code="06020502")
    return planner


@pytest.mark.parametrize("value", [YEAR_1, "1899-12-31", YEAR_9999])
def test_an_implausible_peildatum_is_400(api, reporting_planner, value):
    as_user(api, reporting_planner)

    response = api.post(
        "/api/v1/waiting-times/", waiting_time_body(reference_date=value), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["reference_date"]
    assert not WaitingTimeReport.objects.exists()


@pytest.mark.parametrize("value", [YEAR_1, "01-01-0001", YEAR_9999])
def test_an_implausible_peildatum_in_a_csv_is_400(api, reporting_planner, value):
    as_user(api, reporting_planner)
    content = (
        "location,specialism,treatment,kind,days,insufficient_observations,reference_date\n"
        f"06020502,0305,,first_visit,30,,{value}\n"
    )
    upload = SimpleUploadedFile("w.csv", content.encode(), content_type="text/csv")

    response = api.post("/api/v1/waiting-times/import/", {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["reference_date"]
    assert not WaitingTimeReport.objects.exists()


def test_the_waiting_time_grid_refuses_an_implausible_peildatum(web, reporting_planner):
    web.force_login(reporting_planner)
    api = APIClient()
    api.force_authenticate(reporting_planner)
    assert api.post("/api/v1/waiting-times/", waiting_time_body(), format="json").status_code == 201
    series = WaitingTimeReport.objects.get().series

    response = web.post(
        reverse("providers:waiting-time-list"),
        {"reference_date": YEAR_1, f"days_{series.pk}": "31"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["reference_date"]
    assert WaitingTimeReport.objects.count() == 1


# --- Capacity offers: the week, and the list's filter ---------------------------------------------
@pytest.mark.parametrize("week_start", [YEAR_1, "9999-12-27"])  # both Mondays
def test_an_implausible_capacity_week_is_400(api, reporting_planner, week_start):
    as_user(api, reporting_planner)
    payload = {
        "location": "06020502",
        "specialism": "0305",
        "treatment": None,
        "kind": "first_visit",
        "week_start": week_start,
        "slots": 3,
        "urgency_classes": [3, 4, 5],
    }
    response = api.post("/api/v1/capacity-offers/", payload, format="json")
    assert response.status_code == 400
    assert "week_start" in response.json()


@pytest.mark.parametrize("value", IMPLAUSIBLE_DAYS)
def test_an_implausible_week_filter_is_400(api, reporting_planner, value):
    as_user(api, reporting_planner)
    response = api.get("/api/v1/capacity-offers/", {"week_from": value})
    assert response.status_code == 400
    assert "week_from" in response.json()


# --- Finance: contract years, production months, payment dates ----------------------------------
@pytest.fixture
def cm_api(api, contract_manager):
    return as_user(api, contract_manager)


@pytest.mark.parametrize("year", [1, 1999, timezone.localdate().year + 11, 2100, 9999])
def test_an_implausible_contract_year_is_400(cm_api, year):
    provider = ProviderFactory()
    response = cm_api.post(
        "/api/v1/contracts/",
        {"provider": provider.agb_code, "year": year, "contract_value": "1.00"},
        format="json",
    )
    assert response.status_code == 400
    assert "year" in response.json()
    assert not Contract.objects.exists()


def test_the_contract_form_refuses_an_implausible_year(web, contract_manager):
    web.force_login(contract_manager)
    provider = ProviderFactory()
    response = web.post(
        reverse("finance:contract-create"),
        {"provider": provider.pk, "year": "2100", "contract_value": "1"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["year"]
    assert not Contract.objects.exists()


@pytest.fixture
def agreed(insurer, provider_org):
    contract = ContractFactory(
        insurer=insurer, provider=provider_org.provider, year=2026, contract_value=Decimal("10")
    )
    return ArrangementFactory(contract=contract, kind="additional_costs", status="agreed")


@pytest.mark.parametrize("month", ["0000-01", "0001-01", "9999-12"])
def test_an_implausible_production_month_is_400(cm_api, agreed, month):
    response = cm_api.post(
        f"/api/v1/arrangements/{agreed.pk}/production/",
        {"month": month, "amount": "1.00"},
        format="json",
    )
    assert response.status_code == 400
    assert "month" in response.json()


@pytest.mark.parametrize("day", IMPLAUSIBLE_DAYS)
def test_an_implausible_payment_date_is_400(cm_api, agreed, day):
    response = cm_api.post(
        f"/api/v1/arrangements/{agreed.pk}/payments/",
        {"date": day, "amount": "1.00", "kind": "advance"},
        format="json",
    )
    assert response.status_code == 400
    assert "date" in response.json()
    assert not Payment.objects.exists()


def test_the_payment_form_refuses_an_implausible_date(web, contract_manager, agreed):
    web.force_login(contract_manager)
    response = web.post(
        reverse("finance:payment-create", args=[agreed.pk]),
        {"kind": "advance", "date": YEAR_9999, "amount": "1"},
    )
    assert response.status_code == 400
    assert "Check the year: it must lie between 1900 and" in response.content.decode()
    assert not Payment.objects.exists()


# --- The audit trail's date filters ---------------------------------------------------------------
@pytest.mark.parametrize(("field", "value"), [("date_from", YEAR_1), ("date_to", YEAR_9999)])
def test_implausible_audit_filter_dates_are_400(api, insurer_admin, regulator, field, value):
    for user in (insurer_admin, regulator):
        as_user(api, user)
        response = api.get("/api/v1/audit-events/", {field: value})
        assert response.status_code == 400
        assert field in response.json()


@pytest.mark.parametrize(("field", "value"), [("date_from", YEAR_1), ("date_to", YEAR_9999)])
def test_the_audit_page_refuses_implausible_dates(web, insurer_admin, field, value):
    web.force_login(insurer_admin)
    for name in ("accounts:audit-events", "accounts:audit-events-export"):
        response = web.get(reverse(name), {field: value})
        assert response.status_code == 400
        assert response.context["filter_form"].errors[field]


# --- Appointments ---------------------------------------------------------------------------------
def test_an_appointment_in_year_9999_is_refused(web, planner, provider_org):
    """The receiving planner's confirmation (web only): a far date is named, not a 500."""
    offer = OfferFactory(
        location=LocationFactory(provider=provider_org.provider),
        status=OfferStatus.ACCEPTED,
        responded_at=timezone.now(),
        case__status=CaseStatus.ACCEPTED,
    )
    web.force_login(planner)

    response = web.post(
        reverse("mediation:incoming-confirm", args=[offer.pk]),
        {f"offer-{offer.pk}-appointment_date": YEAR_9999},
    )

    assert response.status_code == 400
    offer.refresh_from_db()
    assert offer.appointment_date is None


def test_a_plausible_date_is_still_taken(cm_api, agreed):
    """The guard is not a wall: today, and ten years from now, are fine."""
    today = timezone.localdate()
    for day in (today, today + timedelta(days=365 * 10 - 3), date(1900, 1, 1)):
        response = cm_api.post(
            f"/api/v1/arrangements/{agreed.pk}/payments/",
            {"date": day.isoformat(), "amount": "1.00", "kind": "advance"},
            format="json",
        )
        assert response.status_code == 201, (day, response.json())
