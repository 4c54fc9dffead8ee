"""The periodic jobs in the embedded default (config/embedded_beat.py): without a beat process
the web process runs them after responses, each at most once per interval across processes, and
anonymisation and expiry notices happen without anyone starting a job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from config.embedded_beat import embedded_beat_reset, periodic_jobs_run_due
from mediation.models import CaseNotification, CaseStatus, OfferStatus
from tests.mediation.factories import CaseFactory, OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_process(celery_eager):
    embedded_beat_reset()
    yield
    embedded_beat_reset()


def _finished_long_ago(insurer):
    return CaseFactory(
        insurer=insurer,
        status=CaseStatus.CLOSED,
        outcome="no_alternative",
        closed_at=timezone.now() - timedelta(days=400),
    )


@override_settings(EMBEDDED_BEAT=True)
def test_a_request_runs_the_due_jobs_after_its_response(client, insurer):
    case = _finished_long_ago(insurer)
    lapsed = OfferFactory(case__insurer=insurer, expires_at=timezone.now() - timedelta(hours=2))
    response = client.get("/")
    assert response.status_code == 200
    case.refresh_from_db()
    lapsed.refresh_from_db()
    assert case.anonymised_at is not None and case.full_name == ""
    assert lapsed.status == OfferStatus.EXPIRED
    assert CaseNotification.objects.filter(offer=lapsed, kind="offer_expired").exists()
    assert set(PeriodicTask.objects.values_list("name", flat=True)) >= {
        "mediation-offers-expire",
        "mediation-cases-anonymise",
    }


@override_settings(EMBEDDED_BEAT=False)
def test_with_a_beat_process_requests_run_nothing(client, insurer):
    case = _finished_long_ago(insurer)
    client.get("/")
    case.refresh_from_db()
    assert case.anonymised_at is None
    assert not PeriodicTask.objects.exists()


def test_each_job_runs_at_most_once_per_interval_whoever_asks(insurer, settings):
    settings.EMBEDDED_BEAT_INTERVAL_MINUTES = 5
    now = timezone.now()
    first = periodic_jobs_run_due(now=now)
    assert set(first) == set(settings.CELERY_BEAT_SCHEDULE)
    # Another process (or this one) asking within the interval finds nothing due.
    assert periodic_jobs_run_due(now=now + timedelta(minutes=4)) == []
    case = _finished_long_ago(insurer)
    assert periodic_jobs_run_due(now=now + timedelta(minutes=5)) == list(
        settings.CELERY_BEAT_SCHEDULE
    )
    case.refresh_from_db()
    assert case.anonymised_at is not None
    row = PeriodicTask.objects.get(name="mediation-cases-anonymise")
    assert row.total_run_count == 2 and row.last_run_at == now + timedelta(minutes=5)


def test_a_failing_job_does_not_stop_the_others(insurer, settings, monkeypatch):
    from mediation import tasks

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(tasks, "offer_expire_due", broken)
    case = _finished_long_ago(insurer)
    ran = periodic_jobs_run_due(now=timezone.now())
    assert "mediation-offers-expire" in ran and "mediation-cases-anonymise" in ran
    case.refresh_from_db()
    assert case.anonymised_at is not None
