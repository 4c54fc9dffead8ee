"""Celery tasks of the providers app: the import of an uploaded waiting-time file (a
provider's own, or the national NZa data) and the scheduled fetch of the national data."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone, translation

from accounts.actors import Actor, actor_for_api_key, actor_for_system, actor_for_user
from providers.models import (
    WaitingTimeImport,
    WaitingTimeImportChunk,
    WaitingTimeImportScope,
    WaitingTimeImportStatus,
)
from providers.nza.imports import nza_import_start, nza_open_data_download
from providers.nza.services import nza_waiting_times_import
from providers.waiting_times.imports import (
    waiting_time_import_file,
    waiting_time_imports_dispatch_pending,
    waiting_time_reports_import,
)
from providers.waiting_times.overrun import series_overrun_refresh
from providers.waiting_times.validation import WaitingTimeReportErrors

logger = logging.getLogger(__name__)

# The platform's own name for national imports that no user started (fetch, command).
NZA_SYSTEM_ACTOR = "nza-import"
# After a national import that no user started succeeded, the fetch waits this long.
NZA_FETCH_MIN_HOURS = 20


def _actor_of(job: WaitingTimeImport) -> Actor:
    """Who sent the file: the provider's API key, or the planner who uploaded it (for a
    national import: the operator who uploaded it, or the platform itself)."""
    if job.api_key is not None:
        return actor_for_api_key(job.api_key)
    if job.scope == WaitingTimeImportScope.NATIONAL and job.created_by is None:
        return actor_for_system(NZA_SYSTEM_ACTOR)
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
            if job.scope == WaitingTimeImportScope.NATIONAL:
                national = nza_waiting_times_import(
                    file=waiting_time_import_file(job),
                    actor=actor,
                    progress=progress,
                    import_id=job.pk,
                )
            else:
                result = waiting_time_reports_import(
                    file=waiting_time_import_file(job), actor=actor, progress=progress
                )
        except WaitingTimeReportErrors as exc:
            job.status = WaitingTimeImportStatus.FAILED
            job.errors = exc.reported()
            job.counts = {}
        else:
            if job.scope == WaitingTimeImportScope.NATIONAL:
                # Succeeded with the lines it skipped listed (never refused for them).
                job.status = WaitingTimeImportStatus.SUCCEEDED
                job.counts = national.counts
                job.row_count = national.total
                job.errors = national.skipped_lines
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


@shared_task(name="providers.nza_open_data_fetch", bind=True, max_retries=3)
def nza_open_data_fetch(self: Any) -> str:
    """Fetch the national NZa file from ``NZA_OPEN_DATA_URL`` and import it (off when the
    setting is empty), at most once per :data:`NZA_FETCH_MIN_HOURS` after a successful one (the
    embedded beat runs its jobs every few minutes). A failed download is logged and retried with
    a growing delay (2, 4, 8 minutes); after the last retry the error is raised to Celery (the
    embedded beat logs it), so it never reaches a request. Importing the same file again changes
    nothing."""
    url = settings.NZA_OPEN_DATA_URL
    if not url:
        return "off"
    # The NZa publishes every two weeks; the embedded beat runs its jobs every few minutes.
    recent = timezone.now() - timedelta(hours=NZA_FETCH_MIN_HOURS)
    if WaitingTimeImport.objects.filter(
        scope=WaitingTimeImportScope.NATIONAL,
        created_by=None,
        status=WaitingTimeImportStatus.SUCCEEDED,
        created_at__gte=recent,
    ).exists():
        return "recent"
    try:
        name, data = nza_open_data_download(url=url, timeout=settings.NZA_OPEN_DATA_TIMEOUT_SECONDS)
    except (OSError, ValueError) as exc:
        logger.warning(
            "Fetching the national NZa waiting times from %s failed (attempt %s): %s",
            url,
            self.request.retries + 1,
            exc,
        )
        raise self.retry(exc=exc, countdown=120 * 2**self.request.retries) from exc
    job = nza_import_start(
        actor=actor_for_system(NZA_SYSTEM_ACTOR), file_name=name, file=io.BytesIO(data)
    )
    return f"import {job.pk}"
