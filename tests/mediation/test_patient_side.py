"""The patient's side (issue 13): every error of the request in one pass (web and API), with an
error summary; separate budgets for accepted and invalid requests; the notice that a wait is
within the Treeknorm; "where do you wait now?" by city and as a filtered list; the status page's
offer details, confirmation steps, decline reasons and stages; Dutch dates in messages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.throttling import ScopedRateThrottle

from core.dates import date_display, month_display
from mediation.models import Case, CaseStatus, DeclineReason, OfferStatus
from mediation.serializers import DECLINE_REASON_HELP
from mediation.views.patient import request_stages
from providers.models import ProviderKind, Specialism
from tests.mediation.factories import CaseFactory, OfferFactory
from tests.mediation.test_api import REQUESTS_URL, amersfoort, request_payload
from tests.mediation.test_views import REQUEST_URL, form_data, status_url
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def rates(monkeypatch):
    """Small budgets: one accepted request, three invalid ones per client."""
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {"public": "1000/hour", "public_write": "1/hour", "public_invalid": "3/hour"},
    )


def seven_mistakes(insurer, location) -> dict:
    """A bad e-mail address (the form's own check) and six mistakes only the rules find."""
    today = timezone.localdate()
    return form_data(
        insurer,
        location,
        email="anna@",
        urgency_class="2",
        postcode="1000 AA",  # well-formed, not a known area
        waiting_since=(today + timedelta(days=3)).isoformat(),
        expected_date=(today - timedelta(days=3)).isoformat(),
        policy_number="#?!",
        consent=False,
    )


SEVEN_FIELDS = {
    "email",
    "urgency_class",
    "postcode",
    "waiting_since",
    "expected_date",
    "policy_number",
    "consent",
}


# --- 1. Every error at once -----------------------------------------------------------------------
def test_the_form_shows_every_error_in_one_pass_with_a_summary(english, insurer):
    response = english.post(REQUEST_URL, seven_mistakes(insurer, LocationFactory()))

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= SEVEN_FIELDS
    html = response.content.decode()
    summary = re.search(r'<div class="alert alert-danger error-summary"(.*?)</div>', html, re.S)
    assert summary is not None
    assert 'role="alert"' in summary.group(0) and 'tabindex="-1"' in summary.group(0)
    links = re.findall(r'<a href="#([^"]+)">', summary.group(1))
    # Each error links to its input; the radio group to its first button.
    assert {"id_email", "id_urgency_class_0", "id_postcode", "id_consent"} <= set(links)
    for target in links:
        assert f'id="{target}"' in html
    email = re.search(r'<input type="email" name="email"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in email and "id_email_error" in email
    assert not Case.objects.exists()


def test_a_field_the_form_cannot_read_keeps_one_message(english, insurer):
    response = english.post(REQUEST_URL, form_data(insurer, LocationFactory(), email="anna@"))

    assert response.context["form"].errors["email"] == ["Enter a valid email address."]


def test_the_api_names_every_field_in_error_at_once(api_client, insurer):
    today = timezone.localdate()
    payload = request_payload(
        insurer,
        LocationFactory(),
        email="anna@",
        urgency_class=2,
        postcode="1000 AA",
        waiting_since=(today + timedelta(days=3)).isoformat(),
        expected_date=(today - timedelta(days=3)).isoformat(),
        policy_number="#?!",
        consent=False,
    )

    response = api_client.post(REQUESTS_URL, payload)

    assert response.status_code == 400
    assert set(response.json()) >= SEVEN_FIELDS
    assert "huisartsenpost" in response.json()["urgency_class"][0]


def test_a_wrong_json_type_does_not_hide_the_other_errors(api_client, insurer):
    payload = request_payload(insurer, LocationFactory(), max_distance_km="50", consent=False)
    payload["email"] = "anna@"

    response = api_client.post(REQUESTS_URL, payload)

    assert response.status_code == 400
    assert {"max_distance_km", "email", "consent"} <= set(response.json())


# --- 2. Separate budgets ------------------------------------------------------------------------
def test_typos_on_the_form_do_not_spend_the_request_budget(english, insurer, rates):
    location = LocationFactory()
    bad = form_data(insurer, location, email="anna@")

    typos = [english.post(REQUEST_URL, bad).status_code for _ in range(3)]
    sent = english.post(REQUEST_URL, form_data(insurer, location))
    again = english.post(REQUEST_URL, form_data(insurer, location))

    assert typos == [400, 400, 400]
    assert sent.status_code == 302  # three typos and still room for the real request
    assert again.status_code == 429  # one accepted request per hour
    assert Case.objects.count() == 1


def test_a_client_that_keeps_sending_invalid_forms_is_held_back(english, insurer, rates):
    bad = form_data(insurer, LocationFactory(), email="anna@")
    for _ in range(3):
        english.post(REQUEST_URL, bad)

    response = english.post(REQUEST_URL, bad)

    assert response.status_code == 429
    form = response.context["form"]
    assert "email" not in form.errors  # no answers for a client that probes the form
    assert "too many requests" in " ".join(form.non_field_errors())


def test_api_budgets_accepted_and_invalid_requests_separately(api_client, insurer, rates):
    location = LocationFactory()
    bad = request_payload(insurer, location, consent=False)

    answers = [api_client.post(REQUESTS_URL, bad).status_code for _ in range(3)]
    answers.append(api_client.post(REQUESTS_URL, request_payload(insurer, location)).status_code)
    answers.append(api_client.post(REQUESTS_URL, bad).status_code)
    answers.append(api_client.post(REQUESTS_URL, request_payload(insurer, location)).status_code)

    assert answers == [400, 400, 400, 201, 429, 429]
    assert Case.objects.count() == 1


def test_the_web_form_and_the_api_share_the_accepted_budget(api_client, english, insurer, rates):
    location = LocationFactory()

    assert english.post(REQUEST_URL, form_data(insurer, location)).status_code == 302
    answer = api_client.post(REQUESTS_URL, request_payload(insurer, location))

    assert answer.status_code == 429


# --- 3. A wait within the norm ------------------------------------------------------------------
def within_norm_data(insurer, location, **overrides):
    today = timezone.localdate()
    return form_data(
        insurer,
        location,
        waiting_since=(today - timedelta(days=7)).isoformat(),
        expected_date=(today + timedelta(days=10)).isoformat(),  # 17 days in all; maximum 28
        **overrides,
    )


def test_a_wait_within_the_norm_is_pointed_out_before_sending(english, insurer):
    response = english.post(REQUEST_URL, within_norm_data(insurer, LocationFactory()))

    assert response.status_code == 200
    assert not Case.objects.exists()
    html = response.content.decode()
    assert "Your wait is within the Treeknorm" in html
    assert 'name="within_norm_confirmed"' in html
    assert "about 3 weeks in all" in html and "longer than 4 weeks" in html
    # The answers stay filled in.
    assert 'value="Anna de Vries"' in html


def test_the_patient_may_send_it_all_the_same(english, insurer):
    data = within_norm_data(insurer, LocationFactory(), within_norm_confirmed="on")

    response = english.post(REQUEST_URL, data)

    assert response.status_code == 302
    assert Case.objects.count() == 1


def test_without_an_appointment_the_current_locations_figure_counts(english, insurer):
    location = LocationFactory()
    WaitingTimeSeriesFactory(
        location=location, specialism=Specialism.objects.get(code="0305"), current_days=14
    )
    today = timezone.localdate()
    data = form_data(
        insurer,
        location,
        waiting_since=(today - timedelta(days=5)).isoformat(),
        expected_date="",
    )

    response = english.post(REQUEST_URL, data)

    assert response.status_code == 200
    assert "Your wait is within the Treeknorm" in response.content.decode()


def test_a_wait_above_the_norm_is_sent_without_a_notice(english, insurer):
    location = LocationFactory()
    WaitingTimeSeriesFactory(
        location=location, specialism=Specialism.objects.get(code="0305"), current_days=60
    )
    today = timezone.localdate()
    data = form_data(
        insurer, location, waiting_since=(today - timedelta(days=5)).isoformat(), expected_date=""
    )

    assert english.post(REQUEST_URL, data).status_code == 302


# --- 4. Where do you wait now? -------------------------------------------------------------------
def test_without_javascript_the_locations_are_a_select_grouped_by_city(english):
    LocationFactory(city="Zwolle", name="Isala Zwolle")
    LocationFactory(city="Almelo", name="ZGT Almelo")

    html = english.get(REQUEST_URL).content.decode()
    select = re.search(r'<select name="current_location".*?</select>', html, re.S).group(0)

    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    assert groups.index("Almelo") < groups.index("Zwolle")
    assert "data-location-field" in html
    assert f'data-locations-url="{reverse("mediation:request-locations")}"' in html


def test_the_location_list_puts_the_specialism_and_the_nearest_first(client):
    orthopaedics = Specialism.objects.get(code="0305")
    far = LocationFactory(name="Far With Figures", city="Groningen")
    far.latitude, far.longitude = 53.2, 6.56
    far.save()
    WaitingTimeSeriesFactory(location=far, specialism=orthopaedics)
    near = amersfoort(name="Near Without Figures")
    nearer = LocationFactory(name="Nearer With Figures", city="Utrecht")
    nearer.latitude, nearer.longitude = 52.09, 5.12
    nearer.save()
    WaitingTimeSeriesFactory(location=nearer, specialism=orthopaedics)

    body = client.get(
        reverse("mediation:request-locations"), {"specialism": "0305", "postcode": "3511 A"}
    ).json()

    names = [row["name"] for row in body["results"]]
    assert names.index("Nearer With Figures") < names.index("Far With Figures")
    assert names.index("Far With Figures") < names.index(near.name)
    first = body["results"][0]
    assert set(first) == {"code", "name", "city", "provider", "offers_specialism", "distance_km"}
    assert first["offers_specialism"] is True and first["distance_km"] < 5


def test_the_location_list_is_read_only(client):
    assert client.post(reverse("mediation:request-locations")).status_code == 405


def test_the_request_form_offers_only_specialisms_patients_wait_for(english):
    html = english.get(REQUEST_URL).content.decode()
    select = re.search(r'<select name="specialism".*?</select>', html, re.S).group(0)

    assert "Klinische chemie" not in select and "Niet nader gespecificeerd" not in select
    assert len(re.findall(r">Radiologie", select)) == 1


# --- 5. The status page --------------------------------------------------------------------------
def test_the_offer_says_how_much_sooner_what_kind_of_place_and_about_the_appointment(english):
    today = timezone.localdate()
    offer = OfferFactory(
        case__token="page-token",
        case__expected_date=today + timedelta(days=90),
        expected_days=20,
        location__provider__kind=ProviderKind.ZBC,
    )
    case = offer.case

    html = english.get(status_url(case)).content.decode()

    with translation.override("en"):
        day_month = f"{case.expected_date.day} {case.expected_date:%B}"
    assert f"10 weeks sooner than your appointment of {day_month}" in html
    assert "Independent treatment centre (ZBC)" in html
    assert "Keep your appointment at" in html and case.current_location.name in html
    assert case.expected_date.isoformat() not in html


def test_without_an_appointment_the_offer_makes_no_sooner_claim(english):
    offer = OfferFactory(case__token="page-token", case__expected_date=None)

    html = english.get(status_url(offer.case)).content.decode()

    assert "sooner than your appointment" not in html
    assert "You stay on the waiting list of" in html
    assert "about 3 weeks" in html


def test_accepting_asks_for_confirmation_without_javascript(english):
    offer = OfferFactory(case__token="page-token")
    case = offer.case

    page = english.get(status_url(case)).content.decode()
    link = re.search(r'<a class="btn btn-success" href="([^"]+)">Accept this offer</a>', page)
    assert link is not None
    confirm = english.get(status_url(case) + link.group(1).replace("&amp;", "&").split("#")[0])
    html = confirm.content.decode()

    assert "Do you accept the offer of" in html
    accept_url = reverse(
        "mediation:offer-accept",
        kwargs={"reference": case.reference, "token": "page-token", "pk": offer.pk},
    )
    assert f'action="{accept_url}"' in html  # only the confirmation step posts
    assert f'action="{accept_url}"' not in page
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


def test_withdrawing_asks_for_confirmation_without_javascript(english):
    case = CaseFactory(token="page-token")
    withdraw_url = reverse(
        "mediation:request-withdraw", kwargs={"reference": case.reference, "token": "page-token"}
    )

    page = english.get(status_url(case)).content.decode()
    confirm = english.get(status_url(case), {"confirm": "withdraw"}).content.decode()

    assert f'action="{withdraw_url}"' not in page
    assert "Do you want to withdraw your request?" in confirm
    assert f'action="{withdraw_url}"' in confirm


def test_optional_appears_once_per_field(english):
    offer = OfferFactory(case__token="page-token")

    html = english.get(status_url(offer.case), {"confirm": "withdraw"}).content.decode()

    assert html.count("(optional)") == 2  # the decline form's text and the withdraw reason
    assert "? (optional)" not in html
    for label in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S):
        assert label.count("optional") <= 1


@pytest.mark.parametrize(
    ("choice", "text", "stored"),
    [
        ("too_far", "", "Het ziekenhuis of de kliniek is te ver weg voor mij"),
        ("date", "Na de zomer kan ik wel", "De datum past mij niet — Na de zomer kan ik wel"),
        ("", "Eigen woorden", "Eigen woorden"),
        ("", "", ""),
    ],
)
def test_the_decline_reason_is_optional_chosen_or_written(english, choice, text, stored):
    offer = OfferFactory(case__token="page-token")
    url = reverse(
        "mediation:offer-decline",
        kwargs={"reference": offer.case.reference, "token": "page-token", "pk": offer.pk},
    )

    response = english.post(
        url, {f"offer-{offer.pk}-choice": choice, f"offer-{offer.pk}-reason": text}
    )

    assert response.status_code == 302
    offer.refresh_from_db()
    assert (offer.status, offer.decline_reason) == (OfferStatus.DECLINED, stored)


def test_the_apis_decline_reason_is_an_optional_string_listing_the_short_reasons(api_client):
    offer = OfferFactory(case__token="api-token")
    url = f"{REQUESTS_URL}{offer.case.reference}/offers/{offer.pk}/decline/"

    response = api_client.post(url, {}, HTTP_X_ACCESS_TOKEN="api-token")

    assert response.status_code == 200
    with translation.override("en"):
        for label in DeclineReason.labels:
            assert f"“{label}”" in DECLINE_REASON_HELP
    schema = api_client.get("/api/schema/?format=json").json()
    body = schema["components"]["schemas"]["OfferDeclineInputRequest"]
    assert body["properties"]["reason"]["type"] == "string"
    assert "reason" not in body.get("required", [])
    assert "Another reason" in body["properties"]["reason"]["description"]


@pytest.mark.parametrize(
    ("status", "states"),
    [
        (CaseStatus.SUBMITTED, ["done", "current", "todo", "todo", "todo"]),
        (CaseStatus.IN_PROGRESS, ["done", "done", "current", "todo", "todo"]),
        (CaseStatus.OFFERED, ["done", "done", "current", "todo", "todo"]),
        (CaseStatus.ACCEPTED, ["done", "done", "done", "done", "current"]),
        (CaseStatus.COMPLETED, ["done"] * 5),
    ],
)
def test_the_stages_of_a_request(status, states):
    case = CaseFactory.build(status=status)

    assert [stage.state for stage in request_stages(case)] == states


def test_the_status_page_shows_the_stages_as_an_accessible_list(english):
    case = CaseFactory(token="page-token", status=CaseStatus.IN_PROGRESS)

    html = english.get(status_url(case)).content.decode()

    stages = re.search(r'<ol class="request-stages".*?</ol>', html, re.S).group(0)
    assert stages.count("<li") == 5
    assert stages.count('aria-current="step"') == 1
    current = re.search(r'<li class="stage-current" aria-current="step">\s*([^<]+)', stages)
    assert current.group(1).strip() == "An offer for you"


# --- 7. Dates -------------------------------------------------------------------------------------
def test_dates_in_messages_are_dutch_and_lower_case():
    from datetime import date

    with translation.override("nl"):
        assert date_display(date(2026, 12, 6)) == "6 december 2026"
    with translation.override("en"):
        assert date_display(date(2026, 12, 6)) == "6 December 2026"
    with translation.override("nl"):
        assert month_display(date(2026, 3, 1)) == "maart 2026"


def test_an_offers_timeline_note_has_no_iso_date(mediator, insurer):
    from accounts.actors import actor_for_user
    from mediation.models import CaseEventKind
    from mediation.services.offers import offer_make
    from tests.mediation.test_api import matchable_case

    case, location = matchable_case(insurer, status=CaseStatus.IN_PROGRESS)
    with translation.override("nl"):
        offer = offer_make(
            case=case, actor=actor_for_user(mediator), location=location, expected_days=20
        )
    note = case.events.get(kind=CaseEventKind.OFFER_MADE).note

    assert offer.expected_date.isoformat() not in note
    with translation.override("nl"):
        assert date_display(offer.expected_date) in note
