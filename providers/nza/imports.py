"""National imports as jobs: the platform operator's upload, the management command and the
scheduled fetch of ``NZA_OPEN_DATA_URL`` all keep the file as a ``WaitingTimeImport`` of scope
``national`` (no provider; who uploaded it in ``created_by``) and run it in the same Celery task
as a provider's upload (``providers.tasks.waiting_time_import_run``), with its progress bar.

Only the platform operator imports the national file: a superuser acting for no organisation,
or the platform's own jobs (:func:`accounts.actors.actor_for_system`). Insurers, providers and
regulators read the figures; they cannot import them.
"""

from __future__ import annotations

import io
import logging
import urllib.parse
import urllib.request
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from core.errors import ApplicationError
from providers.models import WaitingTimeImport, WaitingTimeImportScope, WaitingTimeImportStatus
from providers.nza.services import NationalImportResult, nza_waiting_times_import
from providers.waiting_times.imports import (
    MAX_IMPORT_BYTES,
    waiting_time_import_dispatch,
    waiting_time_import_file_keep,
)
from providers.waiting_times.validation import ProgressCallback, WaitingTimeReportErrors

logger = logging.getLogger(__name__)

# The national file is larger than a provider's; a two-year history is several hundred MB and is
# loaded with the management command, which reads the file from disk.
MAX_NATIONAL_UPLOAD_BYTES = 4 * MAX_IMPORT_BYTES


def actor_may_import_national(actor: Actor) -> bool:
    """The platform operator: a superuser acting for no organisation, or a job of the platform."""
    if actor.system_name:
        return True
    user = actor.user
    return (
        user is not None
        and actor.organisation is None
        and actor.api_key is None
        and bool(getattr(user, "is_superuser", False))
    )


def nza_import_start(
    *, actor: Actor, file_name: str, file: BinaryIO, language: str = ""
) -> WaitingTimeImport:
    """Keep a national file as an import and start it once this transaction commits (inline
    when Celery tasks run eagerly, the embedded default)."""
    if not actor_may_import_national(actor):
        raise ApplicationError(_("Only the platform operator imports the national NZa data."))
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    with transaction.atomic():
        job = WaitingTimeImport.objects.create(
            provider=None,
            scope=WaitingTimeImportScope.NATIONAL,
            created_by=actor.user,
            file_name=file_name.replace("\x00", "")[:255],
            size=size,
            language=language,
        )
        waiting_time_import_file_keep(job=job, file=file)
        transaction.on_commit(lambda: waiting_time_import_dispatch(import_id=job.pk))
    return job


def nza_open_data_download(*, url: str, timeout: float) -> tuple[str, bytes]:
    """Download the national file: its name (the URL's last part) and its bytes. Raises
    ``OSError`` (``urllib.error.URLError`` included) or ``ValueError`` on failure; a file larger
    than :data:`MAX_NATIONAL_UPLOAD_BYTES` is a ``ValueError``."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https"):
        raise ValueError(f"NZA_OPEN_DATA_URL must be an http(s) address, not {parsed.scheme!r}")
    request = urllib.request.Request(url, headers={"User-Agent": "zorgbemiddeling-nza-import"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
        data = response.read(MAX_NATIONAL_UPLOAD_BYTES + 1)
    if len(data) > MAX_NATIONAL_UPLOAD_BYTES:
        raise ValueError("the national file is larger than the import accepts")
    if not data:
        raise ValueError("the download is empty")
    name = urllib.parse.unquote(parsed.path.rsplit("/", 1)[-1]) or "nza-open-data"
    return name, data


def nza_import_run_file(
    *,
    file: BinaryIO,
    file_name: str,
    actor: Actor,
    progress: ProgressCallback | None = None,
    is_demo: bool = False,
) -> tuple[WaitingTimeImport, NationalImportResult | None]:
    """Import a national file at once, in this process (the management command, demo data): the
    file is read where it is (a history of millions of lines is not copied into the database),
    recorded as a finished ``WaitingTimeImport`` that its figures point to."""
    if not actor_may_import_national(actor):
        raise ApplicationError(_("Only the platform operator imports the national NZa data."))
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    job = WaitingTimeImport.objects.create(
        provider=None,
        scope=WaitingTimeImportScope.NATIONAL,
        created_by=actor.user,
        file_name=file_name.replace("\x00", "")[:255],
        size=size,
        status=WaitingTimeImportStatus.RUNNING,
        started_at=timezone.now(),
        progress=1,
        task_id="inline",  # never handed to the task queue
    )
    result: NationalImportResult | None = None
    try:
        result = nza_waiting_times_import(
            file=file, actor=actor, progress=progress, import_id=job.pk, is_demo=is_demo
        )
    except WaitingTimeReportErrors as exc:
        job.status = WaitingTimeImportStatus.FAILED
        job.errors = exc.reported()
    else:
        job.status = WaitingTimeImportStatus.SUCCEEDED
        job.counts = result.counts
        job.row_count = result.total
        job.errors = result.skipped_lines
    job.progress = 100
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "counts", "row_count", "progress", "finished_at"])
    return job, result
