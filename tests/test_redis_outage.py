"""Redis going away (DESIGN §7: degrade, don't fail), with a Redis server of the test's own.

The test starts ``redis-server`` on a free port in a temporary folder (no persistence), points the
cache, the sessions and Celery at it exactly as ``config.settings.base`` does for a ``REDIS_URL``,
checks that Redis is really used, then kills the server and walks through the site: public pages,
the public API with its throttle, a patient request and its status, a mediator's staff pages (the
session is in the database), a planner's upload (a task for the broker) and ``/health/``. Nothing
may answer 500 and nothing may be lost: the mail and the import wait in their outbox rows and go
out once Redis is back.

Without ``/usr/bin/redis-server`` the test is skipped, except under ``CI``, where it must run.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from mediation.models import Case, CaseNotification
from mediation.tasks import send_case_mail
from providers import tasks as provider_tasks
from providers.models import WaitingTimeImport, WaitingTimeImportStatus, WaitingTimeReport
from providers.waiting_times.rules import nza_reference_date_on_or_before
from tests.base_settings import base_settings
from tests.mediation.test_api import request_payload
from tests.providers.factories import LocationFactory

REDIS_SERVER = Path("/usr/bin/redis-server")
REQUESTS_URL = "/api/v1/mediation-requests/"


class RedisServer:
    """A ``redis-server`` process of the test's own, on a port of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        options = {"port": self.port, "bind": "127.0.0.1", "save": "", "appendonly": "no"}
        arguments = [part for name, value in options.items() for part in (f"--{name}", value)]
        self.process = subprocess.Popen(
            [str(REDIS_SERVER), *map(str, arguments), "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=0.2)


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    if not REDIS_SERVER.exists():
        message = f"{REDIS_SERVER} is not installed"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run the Redis outage test)")
        pytest.skip(message)
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def on_redis(redis_server, settings, monkeypatch) -> Iterator[RedisServer]:
    """Cache, sessions and Celery configured for the test's Redis as the settings do it."""
    configured = base_settings(monkeypatch, REDIS_URL=redis_server.url)
    assert configured["CELERY_BROKER_URL"] == redis_server.url
    settings.REDIS_URL = redis_server.url
    settings.CACHES = configured["CACHES"]  # resets the cache connections
    settings.SESSION_ENGINE = configured["SESSION_ENGINE"]
    celery_values = {
        "broker_url": configured["CELERY_BROKER_URL"],
        "task_always_eager": configured["CELERY_TASK_ALWAYS_EAGER"],
        "broker_transport_options": configured.get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        "task_publish_retry_policy": configured.get(
            "CELERY_TASK_PUBLISH_RETRY_POLICY", app.conf.task_publish_retry_policy
        ),
    }
    previous = {name: app.conf[name] for name in celery_values}
    app.conf.update(celery_values)
    _forget_broker_connections()
    yield redis_server
    app.conf.update(previous)
    _forget_broker_connections()


def _forget_broker_connections() -> None:
    # What Celery itself does after a fork: the next message opens a connection to broker_url;
    # and the sender, which keeps the publish retry policy it was made with, is made again.
    app._pool = None
    app.amqp._producer_pool = None
    app.amqp.__dict__.pop("send_task_message", None)


def csv_upload() -> SimpleUploadedFile:
    day = nza_reference_date_on_or_before(timezone.localdate()).isoformat()
    content = (
        "location,specialism,treatment,kind,days,insufficient_observations,reference_date\n"
        f"06020502,0305,,first_visit,30,,{day}\n"
    )
    return SimpleUploadedFile("wachttijden.csv", content.encode(), content_type="text/csv")


@pytest.mark.django_db(transaction=True)
def test_the_site_keeps_working_while_redis_is_down(
    on_redis, reference_data, insurer, mediator, planner, provider_org, caplog
):
    server = on_redis
    LocationFactory(provider=provider_org.provider, code="06020502")
    current_location = LocationFactory()
    anonymous = Client(raise_request_exception=False)
    staff = Client(raise_request_exception=False)
    staff.force_login(mediator)
    uploader = Client(raise_request_exception=False)
    uploader.force_login(planner)

    # Redis up: the cache and the throttle really keep their data in the test's Redis.
    assert anonymous.get(reverse("home")).status_code == 200
    assert anonymous.get("/api/v1/norms/").status_code == 200
    keys = {key.decode() for key in server.client().keys("*")}
    assert any(key.endswith("demo_data_present") for key in keys), keys
    assert any("throttle_public_" in key for key in keys), keys

    server.kill()
    caplog.set_level(logging.WARNING)

    # Public pages (the navigation's cached flag) and the public search.
    assert anonymous.get(reverse("home")).status_code == 200
    search = anonymous.get(reverse("providers:waiting-time-search"), {"specialism": "0305"})
    assert search.status_code == 200
    # The public API, throttled: the throttle's counters are unreachable, so it lets requests by.
    for _ in range(3):
        assert anonymous.get("/api/v1/norms/").status_code == 200
    # A patient's request (throttled public write; its mail goes to the broker) and its status.
    created = anonymous.post(
        REQUESTS_URL,
        request_payload(insurer, current_location),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    status = anonymous.get(
        f"{REQUESTS_URL}{body['reference']}/", HTTP_X_ACCESS_TOKEN=body["access_token"]
    )
    assert status.status_code == 200
    assert status.json()["status"] == "submitted"
    # Staff pages: the mediator's session is in the database.
    assert staff.get(reverse("accounts:dashboard")).status_code == 200
    assert staff.get(reverse("mediation:case-list")).status_code == 200
    case_page = staff.get(reverse("mediation:case-detail", args=[body["reference"]]))
    assert case_page.status_code == 200
    # A planner's upload: its import is a task for the broker.
    upload = uploader.post(reverse("providers:waiting-time-upload"), {"file": csv_upload()})
    assert upload.status_code == 302
    job = WaitingTimeImport.objects.get()
    assert job.status == WaitingTimeImportStatus.PENDING
    assert job.task_id == ""  # not handed over: the beat task will
    assert uploader.get(upload.url).status_code == 200
    # The load balancer sees the truth.
    health = anonymous.get("/health/")
    assert health.status_code == 503
    assert health.json() == {"status": "down", "checks": {"database": "ok", "redis": "down"}}

    cache_warnings = [r for r in caplog.records if "Redis cache unreachable" in r.getMessage()]
    assert len(cache_warnings) == 1  # one line for the outage, not one per request

    # Nothing was lost: the mail and the import wait in their outbox rows.
    case = Case.objects.get(reference=body["reference"])
    [notification] = CaseNotification.objects.filter(case=case)
    assert notification.sent_at is None
    assert WaitingTimeReport.objects.count() == 0

    # Redis is back (empty: it kept nothing): the beat task hands the import to the broker.
    server.start()
    assert anonymous.get("/health/").json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok"},
    }
    assert provider_tasks.waiting_time_imports_dispatch() == 1
    job.refresh_from_db()
    assert job.task_id
    assert server.client().llen("celery") == 1  # the message waits for a worker
    assert provider_tasks.waiting_time_imports_dispatch() == 0  # queued once only
    # A worker runs them (here: the test itself).
    assert provider_tasks.waiting_time_import_run(job.pk) == WaitingTimeImportStatus.SUCCEEDED
    assert WaitingTimeReport.objects.count() == 1
    assert send_case_mail(notification.pk) == "sent"


def test_sessions_live_in_the_database_also_with_redis(monkeypatch):
    configured = base_settings(monkeypatch, REDIS_URL="redis://127.0.0.1:6379/15")
    assert configured["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert configured["CACHES"]["default"]["BACKEND"] == "core.cache.FailSoftRedisCache"
