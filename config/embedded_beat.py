"""The periodic jobs without a beat process: the embedded default (DESIGN §3.3, §4).

With PostgreSQL and Redis, ``celery beat`` runs the jobs of ``CELERY_BEAT_SCHEDULE``. The embedded
default (SQLite, eager Celery) has no beat process, yet offers must still expire with notices, and
personal data must still be anonymised after the retention period. So, when ``EMBEDDED_BEAT`` is on
(by default exactly when tasks run eagerly), the web process runs the jobs itself:

* after a response has been sent (Django's ``request_finished``), at most once every
  ``EMBEDDED_BEAT_CHECK_SECONDS`` per process, it looks for jobs that are due;
* a job is due when it last ran (in any process) ``EMBEDDED_BEAT_INTERVAL_MINUTES`` or more ago;
* a process claims a job with one conditional ``UPDATE`` of its row in django-celery-beat's
  ``PeriodicTask`` table (the same rows beat itself keeps), so two processes never run it twice;
* the job runs in-process (``Task.apply``); a failure is logged, never shown to anyone.

Every job is idempotent, so running one more often than beat would changes nothing. Expiry does not
wait for this: an offer's time passing is read as expiry by every page and service at once
(``mediation.services.offers``); the job records and tells.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.signals import request_finished
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from config.celery import app

logger = logging.getLogger(__name__)

_guard = threading.Lock()
_next_check = 0.0


def _task_row(name: str, entry: dict[str, Any]) -> PeriodicTask:
    found = PeriodicTask.objects.filter(name=name).first()
    if found is not None:
        return found
    return ModelEntry.from_entry(name, app=app, **entry).model


def periodic_jobs_run_due(*, now: datetime | None = None) -> list[str]:
    """Run the jobs of ``CELERY_BEAT_SCHEDULE`` that no process has run in the last
    ``EMBEDDED_BEAT_INTERVAL_MINUTES``; return the names of those this call ran."""
    now = now or timezone.now()
    # The apps' tasks modules are discovered lazily (a worker does it at start).
    app.loader.import_default_modules()
    since = now - timedelta(minutes=settings.EMBEDDED_BEAT_INTERVAL_MINUTES)
    ran = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        row = _task_row(name, entry)
        if not row.enabled:
            continue
        claimed = (
            PeriodicTask.objects.filter(pk=row.pk)
            .filter(Q(last_run_at__isnull=True) | Q(last_run_at__lte=since))
            .update(last_run_at=now, total_run_count=F("total_run_count") + 1)
        )
        if not claimed:
            continue
        try:
            app.tasks[str(entry["task"])].apply(throw=True)
        except Exception:
            logger.exception("Periodic job %s failed; it runs again when next due.", name)
        ran.append(name)
    return ran


def _run_when_due(**_kwargs: Any) -> None:
    """``request_finished``: look for due jobs at most once per check period per process."""
    global _next_check
    if not settings.EMBEDDED_BEAT:
        return
    if not _guard.acquire(blocking=False):
        return  # another thread of this process is looking already
    try:
        if time.monotonic() < _next_check:
            return
        _next_check = time.monotonic() + settings.EMBEDDED_BEAT_CHECK_SECONDS
        periodic_jobs_run_due()
    except Exception:  # the database may be gone; the next check tries again
        logger.exception("Could not run the periodic jobs.")
    finally:
        _guard.release()


def embedded_beat_reset() -> None:
    """Forget when this process last looked (for tests)."""
    global _next_check
    _next_check = 0.0


class EmbeddedBeatMiddleware:
    """Installs :func:`_run_when_due` when ``EMBEDDED_BEAT`` is on; otherwise not used at all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        if not settings.EMBEDDED_BEAT:
            raise MiddlewareNotUsed
        request_finished.connect(_run_when_due, dispatch_uid="config.embedded_beat")
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)
