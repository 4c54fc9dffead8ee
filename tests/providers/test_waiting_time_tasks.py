"""The upload task: it imports a stored file all or nothing, records its progress where the
polling page can see it, and is idempotent."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.actors import actor_for_user
from accounts.models import AuditEvent
from providers import tasks
from providers.models import (
    WaitingTimeImport,
    WaitingTimeImportChunk,
    WaitingTimeImportStatus,
    WaitingTimeReport,
)
from providers.tasks import waiting_time_import_run
from providers.waiting_times import imports
from providers.waiting_times.imports import waiting_time_import_file, waiting_time_import_start
from providers.waiting_times.rules import nza_reference_date_on_or_before
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db

HEADER = "location,specialism,treatment,kind,days,insufficient_observations,reference_date\n"
SPECIALISMS = ["0301", "0302", "0303", "0305", "0306", "0307", "0310", "0313"]


@pytest.fixture
def location(provider_org):
    return LocationFactory(provider=provider_org.provider, code="06020502")


@pytest.fixture
def actor(planner, location):
    return actor_for_user(planner)


def csv_file(rows: int = 3, *, bad_line: int | None = None) -> bytes:
    """``rows`` distinct figures (first visits and diagnostics over several peildatums)."""
    day = nza_reference_date_on_or_before(timezone.localdate())
    lines = [HEADER]
    for n in range(rows):
        cycle, rest = divmod(n, 2 * len(SPECIALISMS))
        kind = "first_visit" if rest % 2 == 0 else "diagnostics"
        days = -1 if bad_line == n + 2 else 10 + n % 50
        reference = (day - timedelta(weeks=2 * cycle)).isoformat()
        lines.append(f"06020502,{SPECIALISMS[rest // 2]},,{kind},{days},,{reference}\n")
    return "".join(lines).encode()


def start(actor, data: bytes, django_capture_on_commit_callbacks) -> WaitingTimeImport:
    # The task is started on commit; here it is run by the test itself.
    with django_capture_on_commit_callbacks(execute=False):
        return waiting_time_import_start(
            actor=actor, file_name="wachttijden.csv", file=io.BytesIO(data), language="en"
        )


def test_import_succeeds_and_empties_the_stored_file(actor, django_capture_on_commit_callbacks):
    job = start(actor, csv_file(3), django_capture_on_commit_callbacks)
    assert job.status == WaitingTimeImportStatus.PENDING
    assert waiting_time_import_run(job.pk) == "succeeded"
    job.refresh_from_db()
    assert job.status == WaitingTimeImportStatus.SUCCEEDED
    assert job.progress == 100
    assert job.counts == {"created": 3, "updated": 0, "unchanged": 0}
    assert job.imported == job.row_count == 3
    assert job.errors == []
    assert not WaitingTimeImportChunk.objects.exists()  # the stored file is deleted
    assert job.started_at and job.finished_at
    assert WaitingTimeReport.objects.count() == 3


def test_a_file_with_an_error_stores_nothing_and_keeps_the_row_errors(
    actor, django_capture_on_commit_callbacks
):
    job = start(actor, csv_file(5, bad_line=4), django_capture_on_commit_callbacks)
    assert waiting_time_import_run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == WaitingTimeImportStatus.FAILED
    assert job.errors == [{"row": 4, "field": "days", "message": "A wait cannot be negative."}]
    assert job.progress == 100
    assert not WaitingTimeReport.objects.exists()


def test_the_task_is_idempotent(actor, django_capture_on_commit_callbacks):
    job = start(actor, csv_file(4), django_capture_on_commit_callbacks)
    waiting_time_import_run(job.pk)
    finished_at = WaitingTimeImport.objects.get(pk=job.pk).finished_at
    assert waiting_time_import_run(job.pk) == "succeeded"
    job.refresh_from_db()
    assert job.finished_at == finished_at
    assert job.counts["created"] == 4
    assert WaitingTimeReport.objects.count() == 4
    assert AuditEvent.objects.filter(object_type="providers.waitingtimereport").count() == 1
    assert waiting_time_import_run(987654) == "missing"


def test_an_interrupted_run_runs_again(actor, django_capture_on_commit_callbacks):
    job = start(actor, csv_file(2), django_capture_on_commit_callbacks)
    WaitingTimeImport.objects.filter(pk=job.pk).update(
        status=WaitingTimeImportStatus.RUNNING, progress=40
    )
    assert waiting_time_import_run(job.pk) == "succeeded"
    assert WaitingTimeReport.objects.count() == 2


def test_progress_is_written_where_the_page_can_read_it(
    actor, django_capture_on_commit_callbacks, monkeypatch
):
    job = start(actor, csv_file(12_000), django_capture_on_commit_callbacks)
    seen: list[int] = []
    real_import = tasks.waiting_time_reports_import

    def observed_import(*, progress, **kwargs):
        def spy(fraction):
            progress(fraction)
            seen.append(WaitingTimeImport.objects.get(pk=job.pk).progress)

        return real_import(progress=spy, **kwargs)

    monkeypatch.setattr(tasks, "waiting_time_reports_import", observed_import)
    assert waiting_time_import_run(job.pk) == "succeeded"
    assert len(seen) >= 4
    assert seen == sorted(seen)
    assert 1 <= seen[0] < seen[-1] <= 99
    assert WaitingTimeImport.objects.get(pk=job.pk).progress == 100


def test_start_runs_the_task_on_commit(actor, django_capture_on_commit_callbacks, celery_eager):
    with django_capture_on_commit_callbacks(execute=True):
        job = waiting_time_import_start(
            actor=actor, file_name="x.csv", file=io.BytesIO(csv_file(1)), language="en"
        )
    job.refresh_from_db()
    assert job.status == WaitingTimeImportStatus.SUCCEEDED
    assert job.task_id


def test_only_planners_start_imports(provider_org, location, django_capture_on_commit_callbacks):
    from accounts.models import Role
    from core.errors import ApplicationError
    from tests.accounts.factories import member

    admin = actor_for_user(member(Role.PROVIDER_ADMIN, provider_org))
    with pytest.raises(ApplicationError):
        start(admin, csv_file(1), django_capture_on_commit_callbacks)
    assert not WaitingTimeImport.objects.exists()


def test_a_file_is_kept_in_pieces_and_read_back_across_them(
    actor, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(imports, "IMPORT_CHUNK_BYTES", 64)
    data = csv_file(20)
    job = start(actor, data, django_capture_on_commit_callbacks)
    assert job.size == len(data)
    pieces = [bytes(piece) for piece in job.chunks.values_list("data", flat=True)]
    assert len(pieces) == -(-len(data) // 64)
    assert {len(piece) for piece in pieces[:-1]} == {64}
    assert b"".join(pieces) == data

    stored = waiting_time_import_file(job)
    assert stored.read(100) == data[:100]
    stored.seek(130)
    assert (stored.tell(), stored.read(5)) == (130, data[130:135])
    stored.seek(0)
    assert stored.read() == data

    assert waiting_time_import_run(job.pk) == "succeeded"
    assert WaitingTimeReport.objects.count() == 20
    assert not WaitingTimeImportChunk.objects.exists()
