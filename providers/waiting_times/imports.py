"""The import of a waiting-time CSV file (docs/waiting-time-import.md; DESIGN §8), the job behind
the planners' upload page and ``POST /api/v1/waiting-times/import/``.

* :func:`waiting_time_import_start` keeps an uploaded file as a ``WaitingTimeImport`` of the
  provider (only planners and the provider's API keys import) and runs it in a Celery task
  (``providers.tasks.waiting_time_import_run``) once the upload's transaction commits. The web
  upload always goes this way; the API for a file larger than
  ``settings.WAITING_TIME_IMPORT_SYNC_MAX_BYTES`` (answered 202 with the job's status URL). When
  the broker is down the row waits, like an outbox, until the beat task
  ``providers.waiting_time_imports_dispatch`` hands it over (:func:`waiting_time_import_dispatch`).
* :func:`waiting_time_reports_import` reads the file as a stream
  (:mod:`providers.waiting_times.csv_reader`: our layout or the NZa open-data layout), checks each
  row as it is read (:class:`~providers.waiting_times.validation.WaitingTimeCheck`) and, when no
  row has an error, stores the checked rows through
  :func:`providers.waiting_times.storage.waiting_time_reports_store` in one transaction: all or
  nothing. Memory does not grow with the file's rows beyond a few tens of bytes each.
* Every error names the file's line (the header is line 1) and the file's own column name; rows
  the reader could not read are reported together with the errors of every other row, so that one
  round trip shows all the problems of the file (the first :data:`MAX_REPORTED_ERRORS`, then how
  many more).
* The API and the upload form refuse a file larger than :data:`MAX_IMPORT_BYTES`.
"""

from __future__ import annotations

import io
import logging
import uuid
from datetime import date
from typing import Any, BinaryIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from accounts.actors import Actor
from accounts.models import Role
from core.errors import ApplicationError
from providers.models import (
    ReportSource,
    WaitingTimeImport,
    WaitingTimeImportChunk,
    WaitingTimeImportStatus,
)
from providers.waiting_times.csv_reader import WaitingTimeRow, waiting_time_csv_open
from providers.waiting_times.storage import (
    RecordResult,
    progress_scaled,
    waiting_time_reports_store,
)
from providers.waiting_times.validation import (
    MAX_REPORTED_ERRORS,
    ProgressCallback,
    WaitingTimeCheck,
    WaitingTimeReportErrors,
)

logger = logging.getLogger(__name__)

# The largest CSV file that is imported (in bytes).
MAX_IMPORT_BYTES = 50 * 1024 * 1024
# Imports handed over to the task queue per run of the beat task.
DISPATCH_BATCH = 100
# An uploaded file is kept in pieces of this size (WaitingTimeImportChunk).
IMPORT_CHUNK_BYTES = 1024 * 1024
# Reading a file is half of the job's progress, storing the other half.
_READ_SHARE = 0.5


def _size(file: BinaryIO) -> int:
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    return size


def waiting_time_reports_import(
    *,
    file: BinaryIO,
    actor: Actor,
    today: date | None = None,
    progress: ProgressCallback | None = None,
) -> RecordResult:
    """Import a CSV file (our layout or the NZa open-data layout; a seekable binary file), all or
    nothing; raise :class:`WaitingTimeReportErrors` with the row errors.

    Errors name the file's line (the header is line 1) and the file's own column name.
    """
    today = today or timezone.localdate()
    size = _size(file) or 1
    check = WaitingTimeCheck(actor=actor, today=today, error_limit=MAX_REPORTED_ERRORS)
    with waiting_time_csv_open(file) as reading:
        if reading.error is not None:
            raise WaitingTimeReportErrors([reading.error])
        reported = 0.0
        for count, item in enumerate(reading.items(), start=1):
            if isinstance(item, WaitingTimeRow):
                check.add(item)
            else:  # a line the reader could not read: the other rows are still checked
                check.add_error(item)
            if progress is not None and count % 1000 == 0:
                fraction = _READ_SHARE * min(1.0, file.tell() / size)
                if fraction - reported >= 0.01:
                    progress(fraction)
                    reported = fraction
        checked = check.finish()
        columns = reading.columns
    if check.errors:
        for error in check.errors:
            if error["field"] in columns:
                error["field"] = columns[error["field"]]
        raise WaitingTimeReportErrors(check.errors, omitted=check.omitted)
    return waiting_time_reports_store(
        checked=checked,
        actor=actor,
        source=ReportSource.CSV,
        progress=progress_scaled(progress, _READ_SHARE, 1.0),
    )


def _read_exactly(file: BinaryIO, size: int) -> bytes:
    """``size`` bytes, fewer only at the end of the file (a read may return less)."""
    pieces = []
    while size and (piece := file.read(size)):
        pieces.append(piece)
        size -= len(piece)
    return b"".join(pieces)


def waiting_time_import_start(
    *, actor: Actor, file_name: str, file: BinaryIO, language: str = ""
) -> WaitingTimeImport:
    """Keep an uploaded file and start its import in a Celery task once this transaction commits
    (run inline when tasks are eager, the embedded default)."""
    if not actor.has_role(Role.PLANNER) or actor.provider_id is None:
        raise ApplicationError(_("Only a provider's planners import waiting times."))
    job = WaitingTimeImport.objects.create(
        provider_id=actor.provider_id,
        created_by=actor.user,
        api_key=actor.api_key,
        file_name=file_name.replace("\x00", "")[:255],
        size=_size(file),
        language=language,
    )
    waiting_time_import_file_keep(job=job, file=file)
    transaction.on_commit(lambda: waiting_time_import_dispatch(import_id=job.pk))
    return job


def waiting_time_import_file_keep(*, job: WaitingTimeImport, file: BinaryIO) -> None:
    """Keep an import's file in the database, in pieces of :data:`IMPORT_CHUNK_BYTES`."""
    file.seek(0)
    number = 0
    while data := _read_exactly(file, IMPORT_CHUNK_BYTES):
        WaitingTimeImportChunk.objects.create(job=job, number=number, data=data)
        number += 1


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


class _StoredFile(io.RawIOBase):
    """The file of an import, read from its stored pieces, one piece in memory at a time."""

    def __init__(self, job: WaitingTimeImport):
        super().__init__()
        self._job_id = job.pk
        self._size = job.size
        self._position = 0
        self._number = -1
        self._piece = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        if self._position >= self._size:
            return 0
        number, offset = divmod(self._position, IMPORT_CHUNK_BYTES)
        if number != self._number:
            self._piece = bytes(
                WaitingTimeImportChunk.objects.filter(job_id=self._job_id, number=number)
                .values_list("data", flat=True)
                .get()
            )
            self._number = number
        piece = self._piece[offset : offset + len(buffer)]
        buffer[: len(piece)] = piece
        self._position += len(piece)
        return len(piece)


def waiting_time_import_file(job: WaitingTimeImport) -> BinaryIO:
    """The stored file of an import, for reading (seekable)."""
    return io.BufferedReader(_StoredFile(job), buffer_size=256 * 1024)
