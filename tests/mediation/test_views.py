"""The mediation pages: the patient's form, confirmation and status page (without JavaScript:
plain forms), the mediators' work queue, case page and phone intake, the planners' incoming
patients, the outcomes dashboard and the insurer's settings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import AuditAction, AuditEvent, AuditOutcome, Role
from mediation.models import (
    Case,
    CaseOutcome,
    CaseStatus,
    Channel,
    MediationSettings,
    Offer,
    OfferStatus,
)
from tests.accounts.factories import member
from tests.mediation.factories import CaseFactory, OfferFactory
from tests.mediation.test_api import amersfoort, matchable_case, request_payload
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db

REQUEST_URL = "/bemiddeling/aanvragen/"


@pytest.fixture
def english(client):
    """Page text in English, so the checks do not depend on the Dutch catalogue."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def form_data(insurer, location, **overrides) -> dict:
    data = request_payload(insurer, location, **overrides)
    data = {key: value for key, value in data.items() if value is not None}
    for flag in ("consent", "hospital_setting_required"):
        if data.get(flag):
            data[flag] = "on"
        else:
            data.pop(flag, None)
    return data


def test_url_names_and_paths():
    assert reverse("mediation:request-create") == REQUEST_URL
    assert (
        reverse("mediation:request-status", kwargs={"reference": "ZB-2026-000001", "token": "t"})
        == "/bemiddeling/status/ZB-2026-000001/t/"
    )
    for name in ("case-list", "incoming-list", "outcomes", "settings", "case-create-phone"):
        reverse(f"mediation:{name}")


# --- The patient's request ------------------------------------------------------------------------
def test_form_is_prefilled_from_the_waiting_time_search_link(english):
    response = english.get(
        REQUEST_URL,
        {
            "postcode": "3511 AB",
            "specialism": "0301",
            "treatment": "cataract",
            "kind": "treatment",
            "max_distance_km": "25",
        },
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form["postcode"].value() == "3511 AB"
    assert form["specialism"].value() == "0301"
    assert form["treatment"].value() == "cataract"
    assert form["kind"].value() == "treatment"
    assert form["max_distance_km"].value() == "25"
    html = response.content.decode()
    assert '<option value="cataract" selected>' in html
    assert "huisartsenpost" in html  # the urgent-care note comes before the form


def test_submitting_the_form_leads_to_the_confirmation_and_status_page(
    english, insurer, django_capture_on_commit_callbacks
):
    location = LocationFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = english.post(REQUEST_URL, form_data(insurer, location))

    assert response.status_code == 302
    assert response["Location"] == reverse("mediation:request-confirmation")
    case = Case.objects.get()
    assert case.channel == Channel.WEB
    confirmation = english.get(response["Location"])
    html = confirmation.content.decode()
    assert case.reference in html
    status_url = re.search(r'href="(/bemiddeling/status/[^"]+)" id="status-link"', html).group(1)
    assert confirmation["Referrer-Policy"] == "same-origin"  # the secret link stays on the site
    status = english.get(status_url)
    assert status.status_code == 200
    assert "Submitted" in status.content.decode()
    assert status["X-Robots-Tag"].startswith("noindex")


def test_confirmation_without_a_request_goes_to_the_form(english):
    response = english.get(reverse("mediation:request-confirmation"))

    assert response.status_code == 302
    assert response["Location"] == REQUEST_URL


@pytest.mark.parametrize("urgency_class", ["1", "2"])
def test_urgent_classes_are_refused_next_to_the_field(english, insurer, urgency_class):
    response = english.post(
        REQUEST_URL, form_data(insurer, LocationFactory(), urgency_class=urgency_class)
    )

    assert response.status_code == 400
    errors = response.context["form"].errors["urgency_class"]
    assert "huisartsenpost" in errors[0]
    assert not Case.objects.exists()


def test_consent_is_required(english, insurer):
    response = english.post(REQUEST_URL, form_data(insurer, LocationFactory(), consent=False))

    assert response.status_code == 400
    assert "consent" in response.context["form"].errors
    html = response.content.decode()
    assert 'aria-invalid="true"' in html


def test_form_errors_keep_the_input(english, insurer):
    response = english.post(
        REQUEST_URL, form_data(insurer, LocationFactory(), postcode="9999 ZZ", full_name="Bo")
    )

    assert response.status_code == 400
    assert "postcode" in response.context["form"].errors
    assert 'value="Bo"' in response.content.decode()


def test_the_form_shares_the_apis_throttle(english, insurer, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", {"public_write": "1/hour", "public_invalid": "5/hour"}
    )
    location = LocationFactory()

    first = english.post(REQUEST_URL, form_data(insurer, location))
    second = english.post(REQUEST_URL, form_data(insurer, location))

    assert first.status_code == 302
    assert second.status_code == 429
    assert Case.objects.count() == 1


# --- The patient's status page --------------------------------------------------------------------
@pytest.fixture
def offered():
    offer = OfferFactory(case__token="page-token")
    return offer.case, offer, "page-token"


PAGE_TOKEN = "page-token"


def status_url(case, token=PAGE_TOKEN) -> str:
    return reverse("mediation:request-status", kwargs={"reference": case.reference, "token": token})


def test_status_page_shows_the_offer_with_weeks_distance_and_expiry(english, offered):
    case, offer, _token = offered

    html = english.get(status_url(case)).content.decode()

    assert offer.location.name in html
    assert "about 3 weeks" in html  # 20 days, rounded up
    assert "19 km" in html
    assert "Answer before" in html
    assert "Accept this offer" in html and "Decline this offer" in html


@pytest.mark.parametrize("token", ["wrong", "x" * 300])
def test_status_page_with_a_wrong_token_is_404(client, offered, token):
    case, offer, _token = offered

    assert client.get(status_url(case, token)).status_code == 404
    accept = reverse(
        "mediation:offer-accept",
        kwargs={"reference": case.reference, "token": token, "pk": offer.pk},
    )
    assert client.post(accept).status_code == 404


def test_unknown_reference_is_404(client):
    assert client.get("/bemiddeling/status/ZB-2026-000404/whatever/").status_code == 404


def test_accept_on_the_status_page(english, offered):
    case, offer, token = offered

    response = english.post(
        reverse(
            "mediation:offer-accept",
            kwargs={"reference": case.reference, "token": token, "pk": offer.pk},
        ),
        follow=True,
    )

    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    assert "You accepted the offer" in response.content.decode()


def test_accept_needs_post_and_csrf(offered):
    from django.test import Client

    case, offer, token = offered
    url = reverse(
        "mediation:offer-accept",
        kwargs={"reference": case.reference, "token": token, "pk": offer.pk},
    )
    strict = Client(enforce_csrf_checks=True)

    assert strict.get(url).status_code == 405
    assert strict.post(url).status_code == 403
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


def test_decline_without_a_reason_is_accepted(english, offered):
    """The reason is optional (DESIGN §3.3)."""
    case, offer, token = offered
    url = reverse(
        "mediation:offer-decline",
        kwargs={"reference": case.reference, "token": token, "pk": offer.pk},
    )

    response = english.post(url, {f"offer-{offer.pk}-reason": ""})

    assert response.status_code == 302
    offer.refresh_from_db()
    assert (offer.status, offer.decline_reason) == (OfferStatus.DECLINED, "")


def test_withdraw_on_the_status_page(english, offered):
    case, _offer, token = offered

    response = english.post(
        reverse("mediation:request-withdraw", kwargs={"reference": case.reference, "token": token}),
        {"reason": ""},
        follow=True,
    )

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.outcome == CaseOutcome.WITHDRAWN
    assert "You withdrew your request" in response.content.decode()


# --- Mediators: work queue ------------------------------------------------------------------------
def test_work_queue_own_cases_overdue_first(english, mediator, insurer, other_insurer):
    today = timezone.localdate()
    fresh = CaseFactory(insurer=insurer, full_name="Fleur Fris")
    late = CaseFactory(
        insurer=insurer, full_name="Laura Laat", first_contact_due=today - timedelta(days=2)
    )
    foreign = CaseFactory(insurer=other_insurer, full_name="Vera Vreemd")
    english.force_login(mediator)

    response = english.get(reverse("mediation:case-list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(late.reference) < html.index(fresh.reference)
    assert foreign.reference not in html and "Vera Vreemd" not in html
    assert "1 overdue" in html
    event = AuditEvent.objects.get(action=AuditAction.LIST, object_type="mediation.case")
    assert event.detail["references"] == [late.reference, fresh.reference]


def test_work_queue_filters_work_without_javascript_and_with_htmx(english, mediator, insurer):
    CaseFactory(insurer=insurer, urgency_class=3, full_name="Drie")
    CaseFactory(insurer=insurer, urgency_class=5, full_name="Vijf")
    english.force_login(mediator)
    url = reverse("mediation:case-list")

    plain = english.get(url, {"urgency_class": "3"}).content.decode()
    partial = english.get(url, {"urgency_class": "5"}, HTTP_HX_REQUEST="true").content.decode()

    assert "Drie" in plain and "Vijf" not in plain
    assert "<html" not in partial and "Vijf" in partial and "Drie" not in partial


def test_assigned_to_me_filter_and_assign_button(english, mediator, insurer):
    case = CaseFactory(insurer=insurer, full_name="Toe Wijzen")
    english.force_login(mediator)
    url = reverse("mediation:case-list")
    assert "Toe Wijzen" not in english.get(url, {"mine": "on"}).content.decode()

    response = english.post(
        reverse("mediation:case-assign", args=[case.reference]), {"next": f"{url}?mine=on"}
    )

    assert response.status_code == 302 and response["Location"] == f"{url}?mine=on"
    case.refresh_from_db()
    assert case.assigned_to == mediator
    assert "Toe Wijzen" in english.get(url, {"mine": "on"}).content.decode()


def test_assign_ignores_a_foreign_next_url(english, mediator, insurer):
    case = CaseFactory(insurer=insurer)
    english.force_login(mediator)

    response = english.post(
        reverse("mediation:case-assign", args=[case.reference]), {"next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("mediation:case-detail", args=[case.reference])


# --- Mediators: the case page ---------------------------------------------------------------------
def test_case_page_shows_patient_timeline_and_matches_with_reasons(english, mediator, insurer):
    case, location = matchable_case(insurer)
    english.force_login(mediator)

    response = english.get(reverse("mediation:case-detail", args=[case.reference]))

    html = response.content.decode()
    assert response.status_code == 200
    assert case.full_name in html and case.policy_number in html
    assert location.name in html
    assert "70 days sooner: expected wait 20 days instead of 90 days remaining." in html
    assert "Not contracted by the insurer this year." in html
    assert "Within the Treeknorm maximum of" in html
    event = AuditEvent.objects.get(action=AuditAction.VIEW, case_reference=case.reference)
    assert event.actor == mediator and event.detail == {"page": "case_detail"}


@pytest.mark.parametrize(("days_late", "badge"), [(1, True), (0, False)])
def test_case_page_marks_an_overdue_first_contact(english, mediator, insurer, days_late, badge):
    today = timezone.localdate()
    case = CaseFactory(insurer=insurer, first_contact_due=today - timedelta(days=days_late))
    english.force_login(mediator)

    response = english.get(reverse("mediation:case-detail", args=[case.reference]))

    assert response.context["is_overdue"] is badge
    assert ("First contact overdue" in response.content.decode()) is badge


def test_foreign_case_page_is_404_and_only_a_denied_attempt(client, mediator, other_insurer):
    foreign = CaseFactory(insurer=other_insurer)
    client.force_login(mediator)

    for name in ("case-detail",):
        assert client.get(reverse(f"mediation:{name}", args=[foreign.reference])).status_code == 404
    for name in ("case-assign", "case-start", "case-offer", "case-note", "case-close"):
        response = client.post(reverse(f"mediation:{name}", args=[foreign.reference]))
        assert response.status_code == 404, name
    outcomes = AuditEvent.objects.filter(case_reference=foreign.reference).values_list(
        "outcome", flat=True
    )
    assert list(outcomes) == [AuditOutcome.DENIED] * 6


def test_make_offer_from_a_match(english, mediator, insurer):
    case, location = matchable_case(insurer)
    english.force_login(mediator)
    prefix = f"match-{location.code}"

    response = english.post(
        reverse("mediation:case-offer", args=[case.reference]),
        {
            "form_prefix": prefix,
            f"{prefix}-location": location.code,
            f"{prefix}-expected_days": "20",
            f"{prefix}-note": "Graag snel reageren",
        },
        follow=True,
    )

    offer = Offer.objects.get()
    assert offer.location == location and offer.expected_days == 20 and offer.days_gained == 70
    assert offer.note == "Graag snel reageren"
    case.refresh_from_db()
    assert case.status == CaseStatus.OFFERED
    assert "Offer made" in response.content.decode()


def test_make_offer_errors_are_shown(english, mediator, insurer):
    case, _location = matchable_case(insurer)
    english.force_login(mediator)

    response = english.post(
        reverse("mediation:case-offer", args=[case.reference]),
        {
            "form_prefix": "other",
            "other-location": case.current_location.code,
            "other-expected_days": "5",
        },
        follow=True,
    )

    assert "The patient already waits at this location." in response.content.decode()
    assert not Offer.objects.exists()


def test_case_page_of_a_long_waiter_says_the_wait_and_gain_are_unknown(english, mediator, insurer):
    """Issue 13: not "remaining 0, no location meets the rules", but candidates with an unknown
    gain, explained."""
    from tests.mediation.test_api import long_waiting_case

    case, location = long_waiting_case(insurer)
    english.force_login(mediator)

    response = english.get(reverse("mediation:case-detail", args=[case.reference]))

    html = response.content.decode()
    assert response.context["remaining_days"] is None
    assert response.context["remaining_unknown"] is True
    remaining = re.search(r'id="remaining-wait">(.*?)</dd>', html, re.S)
    assert remaining and "unknown" in remaining.group(1) and "0 days" not in remaining.group(1)
    assert "No location currently meets the rules" not in html
    assert [candidate.location_code for candidate in response.context["matches"]] == [location.code]
    assert "days gained: unknown" in html
    assert "Days gained unknown: the patient has waited 170 days" in html
    assert "The patient's remaining wait is unknown" in html


def test_case_page_marks_matches_outside_the_class3_window(english, mediator, insurer):
    today = timezone.localdate()
    case, _location = matchable_case(insurer, urgency_class=3, waiting_since=today - timedelta(30))
    english.force_login(mediator)

    response = english.get(reverse("mediation:case-detail", args=[case.reference]))

    html = response.content.decode()
    # Care in 20 days is 50 days after waiting began: outside the 42-day window.
    assert response.context["matches"][0].outside_class3_window is True
    assert "outside the class-3 window" in html
    assert "Outside the class-3 window: care expected 50 days after the patient started" in html
    assert 'id="class3-window"' in html


def test_an_offer_breaking_a_rule_asks_for_an_override_reason(english, mediator, insurer):
    case, location = matchable_case(insurer)
    english.force_login(mediator)
    prefix = f"match-{location.code}"
    url = reverse("mediation:case-offer", args=[case.reference])
    data = {
        "form_prefix": prefix,
        f"{prefix}-location": location.code,
        f"{prefix}-expected_days": "85",
        f"{prefix}-note": "Call back at three",
    }

    refused = english.post(url, data)

    # The case page again, the match's form open with the message at the reason field and
    # nothing the mediator typed lost.
    assert refused.status_code == 400
    form = next(row.form for row in refused.context["top_matches"] if row.form.prefix == prefix)
    assert "Give a reason to override them" in form.errors["override_reason"][0]
    assert "5 days gained, less than the margin of 14 days" in form.errors["override_reason"][0]
    html = refused.content.decode()
    assert '<details class="make-offer" open>' in html
    assert "Call back at three</textarea>" in html and 'value="85"' in html
    assert not Offer.objects.exists()

    made = english.post(
        url, {**data, f"{prefix}-override_reason": "Patient asked for this one"}, follow=True
    )

    offer = Offer.objects.get()
    assert offer.overridden_rules == ["gain_below_margin"]
    assert offer.override_reason == "Patient asked for this one"
    html = made.content.decode()
    assert "rules overridden" in html and "Patient asked for this one" in html


def test_an_offer_that_makes_the_wait_longer_is_refused_on_the_page(english, mediator, insurer):
    case, _location = matchable_case(insurer)
    english.force_login(mediator)

    response = english.post(
        reverse("mediation:case-offer", args=[case.reference]),
        {
            "form_prefix": "other",
            "other-location": amersfoort().code,
            "other-expected_days": "120",
            "other-override_reason": "Anyway",
        },
    )

    assert response.status_code == 400
    form = response.context["other_offer_form"]
    assert "does not shorten the patient's wait" in form.errors["expected_days"][0]
    assert '<details class="mt-2" id="other-offer" open>' in response.content.decode()
    assert not Offer.objects.exists()


def test_work_queue_puts_class_3_first_among_equally_due(english, mediator, insurer):
    due = timezone.localdate() + timedelta(days=2)
    five = CaseFactory(insurer=insurer, urgency_class=5, first_contact_due=due)
    three = CaseFactory(insurer=insurer, urgency_class=3, first_contact_due=due)
    four = CaseFactory(insurer=insurer, urgency_class=4, first_contact_due=due)
    english.force_login(mediator)

    response = english.get(reverse("mediation:case-list"))

    listed = [case.reference for case in response.context["page"].object_list]
    assert listed == [three.reference, four.reference, five.reference]


def test_record_first_contact_note_and_close(english, mediator, insurer):
    case = CaseFactory(insurer=insurer)
    english.force_login(mediator)

    english.post(
        reverse("mediation:case-start", args=[case.reference]),
        {"result": "reached", "channel": "phone"},
    )
    english.post(reverse("mediation:case-note", args=[case.reference]), {"note": "Teruggebeld"})
    english.post(
        reverse("mediation:case-close", args=[case.reference]),
        {"outcome": "resolved_at_current_provider", "note": "Eigen ziekenhuis heeft plek"},
    )

    case.refresh_from_db()
    assert case.first_contact_at is not None
    assert case.status == CaseStatus.CLOSED
    assert case.outcome == CaseOutcome.RESOLVED_AT_CURRENT_PROVIDER
    html = english.get(reverse("mediation:case-detail", args=[case.reference])).content.decode()
    assert "Teruggebeld" in html and "Eigen ziekenhuis heeft plek" in html


def test_phone_intake(english, mediator, insurer):
    english.force_login(mediator)
    data = form_data(insurer, LocationFactory(), email="", note="Belde om 10:00")
    data.pop("insurer")

    response = english.post(reverse("mediation:case-create-phone"), data)

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("mediation:case-detail", args=[case.reference])
    assert case.channel == Channel.PHONE and case.insurer == insurer
    assert case.created_by == mediator
    assert case.events.filter(note="Belde om 10:00").exists()


@pytest.mark.parametrize("role", [Role.CONTRACT_MANAGER, Role.INSURER_ADMIN])
def test_other_insurer_roles_cannot_open_cases(client, insurer, role):
    case = CaseFactory(insurer=insurer)
    client.force_login(member(role, insurer))

    assert client.get(reverse("mediation:case-list")).status_code == 403
    assert client.get(reverse("mediation:case-detail", args=[case.reference])).status_code == 403


def test_planner_cannot_open_cases(client, planner, insurer):
    case = CaseFactory(insurer=insurer)
    client.force_login(planner)

    assert client.get(reverse("mediation:case-list")).status_code == 403
    assert client.get(reverse("mediation:case-detail", args=[case.reference])).status_code == 403


def test_anonymous_goes_to_login(client):
    response = client.get(reverse("mediation:case-list"))

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- Receiving provider ---------------------------------------------------------------------------
@pytest.fixture
def accepted(provider_org):
    location = amersfoort(provider=provider_org.provider)
    offer = OfferFactory(
        location=location,
        status=OfferStatus.ACCEPTED,
        responded_at=timezone.now(),
        case__status=CaseStatus.ACCEPTED,
        case__full_name="Inge Inkomend",
    )
    return offer


def test_incoming_shows_only_scheduling_data(english, planner, accepted):
    english.force_login(planner)

    html = english.get(reverse("mediation:incoming-list")).content.decode()

    case = accepted.case
    assert "Inge Inkomend" in html and case.reference in html and case.phone in html
    assert case.policy_number not in html  # not needed to schedule
    assert case.postcode not in html
    event = AuditEvent.objects.get(action=AuditAction.LIST, object_type="mediation.offer")
    assert event.detail["references"] == [case.reference]


def test_incoming_of_another_provider_is_invisible_and_404(client, accepted, other_provider_org):
    client.force_login(member(Role.PLANNER, other_provider_org))

    html = client.get(reverse("mediation:incoming-list")).content.decode()
    response = client.post(
        reverse("mediation:incoming-confirm", args=[accepted.pk]),
        {f"offer-{accepted.pk}-appointment_date": timezone.localdate().isoformat()},
    )

    assert "Inge Inkomend" not in html
    assert response.status_code == 404
    accepted.case.refresh_from_db()
    assert accepted.case.status == CaseStatus.ACCEPTED


def test_confirm_appointment_completes_the_case_with_days_gained(english, planner, accepted):
    english.force_login(planner)
    day = timezone.localdate() + timedelta(days=14)

    response = english.post(
        reverse("mediation:incoming-confirm", args=[accepted.pk]),
        {f"offer-{accepted.pk}-appointment_date": day.isoformat()},
        follow=True,
    )

    case = accepted.case
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.outcome == CaseOutcome.PLACED
    assert case.appointment_date == day
    assert case.days_gained == 90 - 14
    assert "76 days sooner" in response.content.decode()


def test_confirm_appointment_in_the_past_is_refused_in_place(english, planner, accepted):
    english.force_login(planner)

    response = english.post(
        reverse("mediation:incoming-confirm", args=[accepted.pk]),
        {f"offer-{accepted.pk}-appointment_date": "2020-01-01"},
    )

    assert response.status_code == 400
    assert "The appointment cannot be in the past." in response.content.decode()


def test_mediators_cannot_see_incoming(client, mediator):
    client.force_login(mediator)

    assert client.get(reverse("mediation:incoming-list")).status_code == 403


# --- Outcomes and settings ------------------------------------------------------------------------
def test_outcomes_dashboard(english, mediator, insurer, other_insurer):
    now = timezone.now()
    CaseFactory(insurer=insurer)  # open
    CaseFactory(
        insurer=insurer,
        status=CaseStatus.COMPLETED,
        outcome=CaseOutcome.PLACED,
        completed_at=now,
        days_gained=40,
    )
    CaseFactory(
        insurer=insurer,
        status=CaseStatus.COMPLETED,
        outcome=CaseOutcome.PLACED,
        completed_at=now,
        days_gained=60,
    )
    CaseFactory(
        insurer=insurer,
        status=CaseStatus.CLOSED,
        outcome=CaseOutcome.NO_ALTERNATIVE,
        closed_at=now,
    )
    CaseFactory(  # another insurer's: not counted
        insurer=other_insurer,
        status=CaseStatus.COMPLETED,
        outcome=CaseOutcome.PLACED,
        completed_at=now,
        days_gained=5,
    )
    english.force_login(mediator)

    response = english.get(reverse("mediation:outcomes"))

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert dashboard.open_cases == 1
    assert dashboard.total.finished == 3
    assert dashboard.total.placed == 2
    assert str(dashboard.total.placed_percentage) == "66.7"
    assert str(dashboard.total.average_days_gained) == "50.0"
    this_month = dashboard.months[-1]
    assert this_month.finished == 3 and this_month.placed == 2
    html = response.content.decode()
    assert 'id="outcome-chart"' in html and "data-chart" in html
    assert "<script>" not in html.replace('<script id="outcome-chart" type="application/json">', "")


@pytest.mark.parametrize("role", [Role.CONTRACT_MANAGER, Role.INSURER_ADMIN])
def test_outcomes_for_every_insurer_role(client, insurer, role):
    client.force_login(member(role, insurer))

    assert client.get(reverse("mediation:outcomes")).status_code == 200


def test_outcomes_not_for_providers_or_the_regulator(client, planner, regulator):
    for user in (planner, regulator):
        client.force_login(user)
        assert client.get(reverse("mediation:outcomes")).status_code == 403


def test_settings_page_for_the_insurer_admin(english, insurer_admin, insurer):
    english.force_login(insurer_admin)
    url = reverse("mediation:settings")
    assert english.get(url).status_code == 200

    response = english.post(
        url,
        {
            "first_contact_working_days": "3",
            "match_margin_days": "21",
            "offer_expiry_working_days": "4",
            "retention_months": "18",
            "scan_look_ahead_days": "21",
            "scan_distance_km": "30",
            "invitation_quiet_days": "90",
            "invitation_reminder_days": "5",
            "invitation_lapse_days": "10",
        },
    )

    assert response.status_code == 302
    saved = MediationSettings.objects.get(insurer=insurer)
    assert (saved.first_contact_working_days, saved.match_margin_days) == (3, 21)
    assert (saved.scan_look_ahead_days, saved.scan_distance_km) == (21, 30)
    assert (saved.invitation_reminder_days, saved.invitation_lapse_days) == (5, 10)
    assert AuditEvent.objects.filter(object_type="mediation.mediationsettings").exists()
    bad = english.post(url, {"first_contact_working_days": "0", "match_margin_days": "1"})
    assert bad.status_code == 400


def test_settings_page_not_for_mediators(client, mediator):
    client.force_login(mediator)

    assert client.get(reverse("mediation:settings")).status_code == 403
