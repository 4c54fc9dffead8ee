"""Celery tasks of the providers app: the import of an uploaded waiting-time CSV file."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone, translation

from accounts.actors import actor_for_user
from providers.models import WaitingTimeImport, WaitingTimeImportStatus
from providers.waiting_times.imports import (
    waiting_time_imports_dispatch_pending,
    waiting_time_reports_import,
)
from providers.waiting_times.validation import WaitingTimeReportErrors, row_errors_truncate


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
        job = WaitingTimeImport.objects.select_for_update().filter(pk=import_id).first()
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

    actor = actor_for_user(job.created_by)
    with translation.override(job.language or None):
        try:
            result = waiting_time_reports_import(
                data=bytes(job.content), actor=actor, progress=progress
            )
        except WaitingTimeReportErrors as exc:
            job.status = WaitingTimeImportStatus.FAILED
            job.errors = row_errors_truncate(exc.errors)
            job.counts = {}
        else:
            job.status = WaitingTimeImportStatus.SUCCEEDED
            job.counts = result.counts
            job.row_count = result.total
            job.errors = []
    job.progress = 100
    job.finished_at = timezone.now()
    job.content = b""  # the file is no longer needed
    job.save(
        update_fields=[
            "status",
            "errors",
            "counts",
            "row_count",
            "progress",
            "finished_at",
            "content",
        ]
    )
    return job.status


@shared_task(name="providers.waiting_time_imports_dispatch")
def waiting_time_imports_dispatch() -> int:
    """Queue the uploaded imports that the broker could not take at the time (an outage)."""
    return waiting_time_imports_dispatch_pending()
