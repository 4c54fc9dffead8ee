"""Issue 13 on the mediator's pages: saying plainly when the patient was not told, the answer
form per open offer, first contact reached or not, the printable letter, corrections, intake
labels that speak to the mediator, and lapsed offers read as expired."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent, AuditOutcome, Role
from mediation.models import CaseStatus, OfferStatus
from mediation.permissions import access_patient_case_for
from tests.accounts.factories import member
from tests.mediation.factories import CaseFactory, OfferFactory
from tests.mediation.test_api import matchable_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _offer_from_match(client, case, location):
    prefix = f"match-{location.code}"
    return client.post(
        reverse("mediation:case-offer", args=[case.reference]),
        {
            "form_prefix": prefix,
            f"{prefix}-location": location.code,
            f"{prefix}-expected_days": "20",
        },
        follow=True,
    )


def test_an_offer_to_a_patient_without_email_says_nobody_told_them(english, mediator, insurer):
    case, location = matchable_case(insurer, email="", phone="0612345678")
    english.force_login(mediator)
    html = _offer_from_match(english, case, location).content.decode()
    assert "has NOT been told: call the patient or print the letter" in html
    assert "The patient is told by email" not in html
    assert "Patient not told by email: call or send the letter" in html


def test_an_offer_to_a_patient_with_email_says_so(english, mediator, insurer):
    case, location = matchable_case(insurer)
    english.force_login(mediator)
    html = _offer_from_match(english, case, location).content.decode()
    assert "The patient is told by email" in html
    assert "Patient not told by email" not in html


def test_the_mediator_records_the_answer_on_the_case_page(english, mediator, insurer):
    offer = OfferFactory(case__insurer=insurer, case__email="")
    english.force_login(mediator)
    page = english.get(reverse("mediation:case-detail", args=[offer.case.reference]))
    assert f'id="offer-answer-{offer.pk}"' in page.content.decode()
    prefix = f"answer-{offer.pk}"
    response = english.post(
        reverse("mediation:case-offer-answer", args=[offer.case.reference, offer.pk]),
        {f"{prefix}-decision": "accept", f"{prefix}-channel": "phone"},
        follow=True,
    )
    html = response.content.decode()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED and offer.answered_by == mediator
    assert "acceptance of" in html and "recorded" in html
    assert f"answer given by phone, recorded by {mediator.username}" in html
    assert f'id="offer-answer-{offer.pk}"' not in html  # no longer open


def test_an_answer_for_another_insurer_s_case_is_404(client, other_insurer, insurer):
    offer = OfferFactory(case__insurer=insurer)
    client.force_login(member(Role.MEDIATOR, other_insurer))
    response = client.post(
        reverse("mediation:case-offer-answer", args=[offer.case.reference, offer.pk]),
        {f"answer-{offer.pk}-decision": "accept", f"answer-{offer.pk}-channel": "phone"},
    )
    assert response.status_code == 404
    assert AuditEvent.objects.filter(outcome=AuditOutcome.DENIED).count() == 1
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


def test_first_contact_not_reached_keeps_the_obligation(english, mediator, insurer):
    case = CaseFactory(insurer=insurer)
    english.force_login(mediator)
    response = english.post(
        reverse("mediation:case-start", args=[case.reference]),
        {"result": "not_reached", "channel": "phone", "note": "Voicemail"},
        follow=True,
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.first_contact_at is None
    html = response.content.decode()
    assert "not reached" in html and "Record first contact" in html
    assert "Tried by phone. — Voicemail" in html


def test_the_letter_has_the_offer_and_a_working_new_status_link(client, mediator, insurer):
    offer = OfferFactory(case__insurer=insurer, case__email="", case__token="old-token")
    case = offer.case
    client.force_login(mediator)
    assert client.get(reverse("mediation:case-letter", args=[case.reference])).status_code == 405
    response = client.post(reverse("mediation:case-letter", args=[case.reference]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert offer.location.name in html
    expires = offer.expires_at.astimezone(timezone.get_current_timezone())
    months = "januari februari maart april mei juni juli augustus september oktober november"
    dutch_month = [*months.split(), "december"][expires.month - 1]
    assert f"{expires.day} {dutch_month} {expires.year}" in html  # Dutch dates, by default
    link = re.search(r'id="letter-status-url">([^<]+)<', html).group(1)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert access_patient_case_for(reference=case.reference, token=token) == case
    assert link.startswith(settings.SITE_URL.rstrip("/") + "/bemiddeling/status/")
    assert client.get(urlsplit(link).path).status_code == 200
    assert "no-print" in html  # the navigation is left out when printed (app.css)
    views = AuditEvent.objects.filter(action=AuditAction.VIEW, detail__page="case_letter")
    assert views.count() == 1


def test_correcting_a_case_on_the_web(english, mediator, insurer):
    case = CaseFactory(insurer=insurer)
    english.force_login(mediator)
    url = reverse("mediation:case-edit", args=[case.reference])
    page = english.get(url)
    assert page.status_code == 200 and case.email in page.content.decode()
    assert AuditEvent.objects.filter(detail__page="case_edit").exists()
    data = {
        "email": case.email,
        "phone": case.phone,
        "postcode": "3811 AA",
        "max_distance_km": "30",
        "expected_date": "",
        "urgency_class": "4",
        "note": "Verhuisd",
    }
    response = english.post(url, data, follow=True)
    case.refresh_from_db()
    assert (case.postcode, case.max_distance_km, case.expected_date) == ("3811AA", 30, None)
    assert "Details corrected" in response.content.decode()
    bad = english.post(url, {**data, "postcode": "0000 ZZ"})
    assert bad.status_code == 400 and bad.context["form"].errors["postcode"]


def test_a_closed_case_has_no_correction_form(english, mediator, insurer):
    case = CaseFactory(insurer=insurer, status=CaseStatus.CLOSED, outcome="no_alternative")
    english.force_login(mediator)
    response = english.get(reverse("mediation:case-edit", args=[case.reference]), follow=True)
    assert "can no longer be corrected" in response.content.decode()


def test_the_phone_intake_speaks_to_the_mediator(english, mediator):
    english.force_login(mediator)
    html = english.get(reverse("mediation:case-create-phone")).content.decode()
    assert "Patient&#x27;s postcode" in html or "Patient's postcode" in html
    assert "Does the patient have an appointment there?" in html
    assert "Where does the patient wait now?" in html
    for patient_words in ("your postcode", "Where do you wait now?", "my health", "you wait"):
        assert patient_words not in html


def test_a_lapsed_offer_reads_expired_on_the_case_page(english, mediator, insurer):
    offer = OfferFactory(case__insurer=insurer, expires_at=timezone.now() - timedelta(hours=1))
    english.force_login(mediator)
    response = english.get(reverse("mediation:case-detail", args=[offer.case.reference]))
    assert response.context["case"].status == CaseStatus.IN_PROGRESS
    assert [o.status for o in response.context["offers"]] == [OfferStatus.EXPIRED]
    assert response.context["answer_rows"] == []
