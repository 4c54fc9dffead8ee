"""The import of a waiting-time CSV file (docs/waiting-time-import.md; DESIGN §8), the job behind
the planners' upload page and ``POST /api/v1/waiting-times/import/``.

* :func:`waiting_time_import_start` keeps an uploaded file as a ``WaitingTimeImport`` of the
  planner's provider (only planners import) and runs it in a Celery task
  (``providers.tasks.waiting_time_import_run``) once the upload's transaction commits.
* :func:`waiting_time_reports_import` reads the file (:mod:`providers.waiting_times.csv_reader`:
  our layout or the NZa open-data layout) and stores it through
  :func:`providers.waiting_times.storage.waiting_time_reports_record`, all or nothing.
* Every error names the file's line (the header is line 1) and the file's own column name; rows
  the reader could not read are reported together with the errors of every other row, so that one
  round trip shows all the problems of the file.
* The API and the upload form refuse a file larger than :data:`MAX_IMPORT_BYTES`.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import Role
from core.errors import ApplicationError
from providers.models import ReportSource, WaitingTimeImport
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

# The largest CSV file that is imported (in bytes).
MAX_IMPORT_BYTES = 50 * 1024 * 1024


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
    from providers.tasks import waiting_time_import_run

    if not actor.has_role(Role.PLANNER) or actor.provider_id is None:
        raise ApplicationError(_("Only a provider's planners import waiting times."))
    job = WaitingTimeImport.objects.create(
        provider_id=actor.provider_id,
        created_by=actor.user,
        file_name=file_name.replace("\x00", "")[:255],
        content=data,
        language=language,
    )

    def start() -> None:
        result = waiting_time_import_run.delay(job.pk)
        WaitingTimeImport.objects.filter(pk=job.pk, task_id="").update(task_id=result.id or "")

    transaction.on_commit(start)
    return job
