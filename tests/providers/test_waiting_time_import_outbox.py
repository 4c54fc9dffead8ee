"""An uploaded import is its own outbox entry: a broker that cannot take its task leaves the row
waiting (never an error for the planner), and the beat task hands it over once the broker is back —
once, however often the upload's callback and the beat task run."""

from __future__ import annotations

import io
import logging

import pytest
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.actors import actor_for_user
from config.celery import app
from providers.models import WaitingTimeImport, WaitingTimeImportStatus, WaitingTimeReport
from providers.tasks import waiting_time_import_run, waiting_time_imports_dispatch
from providers.waiting_times.imports import (
    waiting_time_import_dispatch,
    waiting_time_import_file,
    waiting_time_import_start,
)
from providers.waiting_times.rules import nza_reference_date_on_or_before
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(planner, provider_org):
    LocationFactory(provider=provider_org.provider, code="06020502")
    return actor_for_user(planner)


def csv_file() -> bytes:
    day = nza_reference_date_on_or_before(timezone.localdate()).isoformat()
    return (
        "location,specialism,treatment,kind,days,insufficient_observations,reference_date\n"
        f"06020502,0305,,first_visit,30,,{day}\n"
    ).encode()


@pytest.fixture
def sent(monkeypatch) -> list[tuple]:
    """The messages handed to the broker (the broker is the boundary mocked here)."""
    messages: list[tuple] = []
    monkeypatch.setattr(
        waiting_time_import_run,
        "apply_async",
        lambda args, task_id: messages.append((args, task_id)),
    )
    return messages


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(waiting_time_import_run, "apply_async", refuse)


def upload(actor, django_capture_on_commit_callbacks) -> WaitingTimeImport:
    with django_capture_on_commit_callbacks(execute=True):
        job = waiting_time_import_start(actor=actor, file_name="w.csv", file=io.BytesIO(csv_file()))
    job.refresh_from_db()
    return job


def test_a_broker_outage_leaves_the_import_waiting(
    actor, broker_down, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.WARNING)
    job = upload(actor, django_capture_on_commit_callbacks)  # no exception
    assert job.status == WaitingTimeImportStatus.PENDING
    assert job.task_id == ""
    assert waiting_time_import_file(job).read() == csv_file()  # the file is kept
    assert f"Could not queue waiting-time import {job.pk}" in caplog.text


def test_the_beat_task_hands_waiting_imports_over_once_the_broker_is_back(
    actor, django_capture_on_commit_callbacks, monkeypatch, celery_eager
):
    def refuse(*args, **kwargs):
        raise OperationalError("Connection refused")

    with monkeypatch.context() as outage:
        outage.setattr(waiting_time_import_run, "apply_async", refuse)
        job = upload(actor, django_capture_on_commit_callbacks)
        assert waiting_time_imports_dispatch() == 0  # still down: it keeps waiting

    assert waiting_time_imports_dispatch() == 1  # the broker is back (tasks run in-process)
    job.refresh_from_db()
    assert job.status == WaitingTimeImportStatus.SUCCEEDED
    assert job.task_id
    assert WaitingTimeReport.objects.count() == 1
    assert waiting_time_imports_dispatch() == 0


def test_an_import_is_queued_once(actor, sent, django_capture_on_commit_callbacks):
    job = upload(actor, django_capture_on_commit_callbacks)
    assert sent == [((job.pk,), job.task_id)]
    assert waiting_time_import_dispatch(import_id=job.pk) is False
    assert waiting_time_imports_dispatch() == 0
    assert len(sent) == 1


def test_the_beat_schedule_runs_the_dispatch():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "providers.waiting_time_imports_dispatch" in tasks
    app.loader.import_default_modules()
    assert "providers.waiting_time_imports_dispatch" in app.tasks
