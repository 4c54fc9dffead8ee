"""The import of a waiting-time CSV file (docs/waiting-time-import.md; DESIGN §8), the job behind
the planners' upload page and ``POST /api/v1/waiting-times/import/``.

* :func:`waiting_time_import_start` keeps an uploaded file as a ``WaitingTimeImport`` of the
  planner's provider (only planners import) and runs it in a Celery task
  (``providers.tasks.waiting_time_import_run``) once the upload's transaction commits. When the
  broker is down the row waits, like an outbox, until the beat task
  ``providers.waiting_time_imports_dispatch`` hands it over (:func:`waiting_time_import_dispatch`).
* :func:`waiting_time_reports_import` reads the file (:mod:`providers.waiting_times.csv_reader`:
  our layout or the NZa open-data layout) and stores it through
  :func:`providers.waiting_times.storage.waiting_time_reports_record`, all or nothing.
* Every error names the file's line (the header is line 1) and the file's own column name; rows
  the reader could not read are reported together with the errors of every other row, so that one
  round trip shows all the problems of the file.
* The API and the upload form refuse a file larger than :data:`MAX_IMPORT_BYTES`.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from accounts.actors import Actor
from accounts.models import Role
from core.errors import ApplicationError
from providers.models import ReportSource, WaitingTimeImport, WaitingTimeImportStatus
from providers.waiting_times.csv_reader import waiting_time_csv_parse
from providers.waiting_times.storage import (
    RecordResult,
    progress_scaled,
    waiting_time_reports_record,
)
from providers.waiting_times.validation import (
    ProgressCallback,
    WaitingTimeReportErrors,
    waiting_time_reports_validate,
)

logger = logging.getLogger(__name__)

# The largest CSV file that is imported (in bytes).
MAX_IMPORT_BYTES = 50 * 1024 * 1024
# Imports handed over to the task queue per run of the beat task.
DISPATCH_BATCH = 100


def waiting_time_reports_import(
    *,
    data: bytes,
    actor: Actor,
    today: date | None = None,
    progress: ProgressCallback | None = None,
) -> RecordResult:
    """Import a CSV file (our layout or the NZa open-data layout), all or nothing.

    Errors name the file's line (the header is line 1) and the file's own column name.
    """
    parsed = waiting_time_csv_parse(data)
    if progress is not None:
        progress(0.1)
    try:
        if parsed.errors:
            # Rows the parser could not read are left out; every other row is still checked, so
            # that one round trip shows all the problems of the file.
            errors = list(parsed.errors)
            if parsed.rows:
                _resolved, more = waiting_time_reports_validate(
                    rows=parsed.rows, actor=actor, today=today or timezone.localdate()
                )
                errors.extend(more)
            errors.sort(key=lambda e: (e["row"] is None, e["row"] or 0))
            raise WaitingTimeReportErrors(errors)
        return waiting_time_reports_record(
            rows=parsed.rows,
            actor=actor,
            source=ReportSource.CSV,
            today=today,
            progress=progress_scaled(progress, 0.1, 1.0),
        )
    except WaitingTimeReportErrors as exc:
        for item in exc.errors:
            if item["field"] in parsed.columns:
                item["field"] = parsed.columns[item["field"]]
        raise


def waiting_time_import_start(
    *, actor: Actor, file_name: str, data: bytes, language: str = ""
) -> WaitingTimeImport:
    """Keep an uploaded file and start its import in a Celery task once this transaction commits
    (run inline when tasks are eager, the embedded default)."""
    if not actor.has_role(Role.PLANNER) or actor.provider_id is None:
        raise ApplicationError(_("Only a provider's planners import waiting times."))
    job = WaitingTimeImport.objects.create(
        provider_id=actor.provider_id,
        created_by=actor.user,
        file_name=file_name.replace("\x00", "")[:255],
        content=data,
        language=language,
    )

    transaction.on_commit(lambda: waiting_time_import_dispatch(import_id=job.pk))
    return job


def waiting_time_import_dispatch(*, import_id: int) -> bool:
    """Hand a pending import to the task queue, once: ``False`` when the broker cannot take it.

    The import's row is its own outbox entry: ``task_id`` stays empty until the broker has taken
    the message, and ``providers.tasks.waiting_time_imports_dispatch`` (Celery beat) hands such
    rows over once the broker is back. The task id is claimed in the row before the message is
    sent, so the upload and the beat task never queue the same import twice; a broker outage
    gives the claim back and never turns the upload into an error."""
    from providers.tasks import waiting_time_import_run

    task_id = str(uuid.uuid4())
    pending = WaitingTimeImport.objects.filter(
        pk=import_id, task_id="", status=WaitingTimeImportStatus.PENDING
    )
    if not pending.update(task_id=task_id):
        return False  # queued already (or finished)
    try:
        waiting_time_import_run.apply_async((import_id,), task_id=task_id)
    except KombuOperationalError:
        WaitingTimeImport.objects.filter(pk=import_id, task_id=task_id).update(task_id="")
        logger.warning(
            "Could not queue waiting-time import %s (broker unreachable); "
            "it is queued once the broker is back.",
            import_id,
        )
        return False
    return True


def waiting_time_imports_dispatch_pending() -> int:
    """Hand the task queue every import that it could not take when it was uploaded; the
    number handed over."""
    waiting = WaitingTimeImport.objects.filter(
        task_id="", status=WaitingTimeImportStatus.PENDING
    ).order_by("created_at")
    return sum(
        waiting_time_import_dispatch(import_id=pk)
        for pk in waiting.values_list("pk", flat=True)[:DISPATCH_BATCH]
    )
