"""Anonymisation of finished cases after the retention period; the statistics survive."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.months import months_before
from mediation.models import Case, CaseNotification, CaseStatus, MediationSettings, OfferStatus
from mediation.services.retention import case_anonymise_due
from tests.mediation.factories import CaseEventFactory, CaseFactory, OfferFactory

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
TODAY = date(2027, 6, 15)


def at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=AMS) + timedelta(hours=12)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 6, 15), 12, date(2026, 6, 15)),
        (date(2027, 3, 31), 1, date(2027, 2, 28)),
        (date(2028, 3, 31), 1, date(2028, 2, 29)),
        (date(2027, 1, 10), 13, date(2025, 12, 10)),
    ],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def _completed(insurer, finished: date, **kwargs):
    case = CaseFactory(
        insurer=insurer,
        status=CaseStatus.COMPLETED,
        outcome="placed",
        completed_at=at(finished),
        appointment_date=finished + timedelta(days=10),
        days_gained=47,
        postcode="3511AB",
        **kwargs,
    )
    OfferFactory(
        case=case, status=OfferStatus.ACCEPTED, note="Patiënt belt zelf", decline_reason=""
    )
    CaseEventFactory(case=case, kind="note", note="Mevrouw Jansen wil liever 's ochtends")
    CaseNotification.objects.create(
        case=case, kind="offer_made", recipient="patient", sent_at=at(finished), sent_to=case.email
    )
    return case


def test_cases_finished_longer_ago_than_twelve_months_are_anonymised(insurer):
    old = _completed(insurer, TODAY - timedelta(days=370))
    recent = _completed(insurer, TODAY - timedelta(days=300))
    open_case = CaseFactory(insurer=insurer, submitted_at=at(TODAY - timedelta(days=800)))
    closed_old = CaseFactory(
        insurer=insurer,
        status=CaseStatus.CLOSED,
        outcome="withdrawn",
        closed_at=at(TODAY - timedelta(days=400)),
    )
    before = {
        f: getattr(old, f)
        for f in (
            "status",
            "outcome",
            "specialism_id",
            "urgency_class",
            "days_gained",
            "submitted_at",
            "completed_at",
            "appointment_date",
            "insurer_id",
            "kind",
            "current_location_id",
            "waiting_since",
            "channel",
        )
    }

    assert case_anonymise_due(today=TODAY) == 2

    old.refresh_from_db()
    for field in ("full_name", "policy_number", "email", "phone", "access_token_hash"):
        assert getattr(old, field) == "", field
    assert old.birth_date is None
    assert old.postcode == "3511"
    assert old.anonymised_at is not None
    # The statistics survive.
    assert {f: getattr(old, f) for f in before} == before
    offer = old.offers.get()
    assert offer.note == "" and offer.status == OfferStatus.ACCEPTED and offer.days_gained == 40
    assert not old.events.exclude(note="").exists()
    assert old.events.filter(kind="anonymised", actor_label="system").count() == 1
    assert old.notifications.get().sent_to == ""

    closed_old.refresh_from_db()
    assert closed_old.anonymised_at is not None and closed_old.full_name == ""
    for untouched in (recent, open_case):
        untouched.refresh_from_db()
        assert untouched.anonymised_at is None and untouched.full_name
    assert recent.events.exclude(note="").exists()


def test_anonymisation_is_idempotent(insurer):
    case = _completed(insurer, TODAY - timedelta(days=400))
    assert case_anonymise_due(today=TODAY) == 1
    first = Case.objects.get(pk=case.pk).anonymised_at
    assert case_anonymise_due(today=TODAY + timedelta(days=1)) == 0
    case.refresh_from_db()
    assert case.anonymised_at == first
    assert case.events.filter(kind="anonymised").count() == 1


def test_the_insurer_retention_setting_applies(insurer, other_insurer):
    MediationSettings.objects.create(insurer=insurer, retention_months=6)
    short = _completed(insurer, TODAY - timedelta(days=200))
    default = _completed(other_insurer, TODAY - timedelta(days=200))
    assert case_anonymise_due(today=TODAY) == 1
    short.refresh_from_db()
    default.refresh_from_db()
    assert short.anonymised_at is not None
    assert default.anonymised_at is None


def test_the_boundary_day(insurer):
    cutoff_day = months_before(TODAY, 12)
    on_the_day = _completed(insurer, cutoff_day)  # finished at noon on the cut-off day
    day_before = _completed(insurer, cutoff_day - timedelta(days=1))
    assert case_anonymise_due(today=TODAY) == 1
    on_the_day.refresh_from_db()
    day_before.refresh_from_db()
    assert on_the_day.anonymised_at is None
    assert day_before.anonymised_at is not None


def test_real_today_works(insurer):
    _completed(insurer, timezone.localdate() - timedelta(days=800))
    assert case_anonymise_due(today=timezone.localdate()) == 1
