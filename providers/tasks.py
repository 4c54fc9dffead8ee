"""Celery tasks of the providers app: the import of an uploaded waiting-time CSV file."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone, translation

from accounts.actors import Actor, actor_for_api_key, actor_for_user
from providers.models import WaitingTimeImport, WaitingTimeImportChunk, WaitingTimeImportStatus
from providers.waiting_times.imports import (
    waiting_time_import_file,
    waiting_time_imports_dispatch_pending,
    waiting_time_reports_import,
)
from providers.waiting_times.overrun import series_overrun_refresh
from providers.waiting_times.validation import WaitingTimeReportErrors


def _actor_of(job: WaitingTimeImport) -> Actor:
    """Who sent the file: the provider's API key, or the planner who uploaded it."""
    if job.api_key is not None:
        return actor_for_api_key(job.api_key)
    return actor_for_user(job.created_by)


@shared_task(
    name="providers.waiting_time_import_run",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def waiting_time_import_run(import_id: int) -> str:
    """Import the file of one :class:`WaitingTimeImport`, all or nothing.

    Idempotent: a finished import is left alone. A run that was interrupted (a lost worker; the
    message is acknowledged late, so it comes back) simply runs again: the import is one
    transaction, and storing the same figures twice changes nothing.
    """
    with transaction.atomic():
        job = (
            # (Only the import's row is locked: PostgreSQL locks no outer-joined, nullable side.)
            WaitingTimeImport.objects.select_for_update(of=("self",))
            .select_related("api_key__organisation")
            .filter(pk=import_id)
            .first()
        )
        if job is None or job.is_finished:
            return job.status if job else "missing"
        job.status = WaitingTimeImportStatus.RUNNING
        job.started_at = timezone.now()
        job.progress = 1
        job.save(update_fields=["status", "started_at", "progress"])

    def progress(fraction: float) -> None:
        # Written outside the import's transaction, so the page that polls sees it.
        percent = max(1, min(99, int(fraction * 100)))
        WaitingTimeImport.objects.filter(pk=import_id, progress__lt=percent).update(
            progress=percent
        )

    actor = _actor_of(job)
    with translation.override(job.language or None):
        try:
            result = waiting_time_reports_import(
                file=waiting_time_import_file(job), actor=actor, progress=progress
            )
        except WaitingTimeReportErrors as exc:
            job.status = WaitingTimeImportStatus.FAILED
            job.errors = exc.reported()
            job.counts = {}
        else:
            job.status = WaitingTimeImportStatus.SUCCEEDED
            job.counts = result.counts
            job.row_count = result.total
            job.errors = []
    job.progress = 100
    job.finished_at = timezone.now()
    with transaction.atomic():
        job.save(
            update_fields=["status", "errors", "counts", "row_count", "progress", "finished_at"]
        )
        WaitingTimeImportChunk.objects.filter(job=job).delete()  # the file is no longer needed
    return job.status


@shared_task(name="providers.waiting_time_imports_dispatch")
def waiting_time_imports_dispatch() -> int:
    """Queue the uploaded imports that the broker could not take at the time (an outage)."""
    return waiting_time_imports_dispatch_pending()


@shared_task(
    name="providers.series_overruns_refresh", autoretry_for=(OperationalError,), max_retries=3
)
def series_overruns_refresh() -> dict[str, int]:
    """Flag, extend and clear the persistent overruns of all series (a new cycle without a report
    breaks a run; the submissions refresh their own series at once)."""
    return series_overrun_refresh().counts
