"""The ways into the national NZa import (issue 14): the management command, the platform
operator's upload page (superusers acting for no organisation only), the scheduled fetch of
NZA_OPEN_DATA_URL (off when unset; a failed download logged and retried, never a crash), and the
source of a figure in the current waiting-times API, the search page and the regional report."""

from __future__ import annotations

import http.server
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Role
from config.celery import app
from providers.models import (
    Provider,
    ReportOrigin,
    WaitingTimeImport,
    WaitingTimeReport,
    WaitingTimeSeries,
)
from providers.tasks import nza_open_data_fetch
from providers.waiting_times.rules import nza_reference_date_on_or_before
from tests.accounts.factories import UserFactory, member

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/wachttijden/nza/"
HEADER = (
    "ID;PEILDATUM;TYPE_WACHTTIJD;WACHTTIJD;SPECIALISME;BEHANDELING;AGB_CODE_ZORGAANBIEDER;"
    "ZORGAANBIEDER;TYPE_ZORGINSTELLING;ROAZ_REGIO;AGB_CODE_LOCATIE;LOCATIE;POSTCODE;PLAATS"
)
WHERE = (
    "06555001;Ziekenhuis Nergenshuizen;Ziekenhuis;Netwerk Acute Zorg West;06555101;Noord;"
    "2333 ZA;Leiden"
)


def national_file(*, unknown: bool = True) -> bytes:
    day = nza_reference_date_on_or_before(timezone.localdate()).isoformat()
    lines = [
        HEADER,
        f"1;{day};Polikliniekbezoek;30;Orthopedie (305);;{WHERE}",
        f"2;{day};Behandeling;45;Orthopedie (305);Fictieve enkeloperatie (orthopedie);{WHERE}",
    ]
    if unknown:
        lines.append(f"3;{day};Polikliniekbezoek;20;Fantasiologie (999);;{WHERE}")
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1")


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def eager_tasks():
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def operator():
    return UserFactory(is_staff=True, is_superuser=True)


# --- the management command --------------------------------------------------------------------
def test_command_imports_and_reports(tmp_path):
    path = tmp_path / "Dataset Wachttijden.csv"
    path.write_bytes(national_file())
    out = StringIO()
    call_command("import_nza_waiting_times", str(path), stdout=out)
    text = out.getvalue()
    assert "2 created" in text and "1 lines skipped" in text
    assert "Providers: 1 created" in text
    assert "Fictieve enkeloperatie (orthopedie) (0305, day)" in text
    assert "skipped line 4 SPECIALISME" in text
    job = WaitingTimeImport.objects.get()
    assert (job.scope, job.status, job.provider) == ("national", "succeeded", None)
    assert WaitingTimeReport.objects.filter(import_job=job, origin=ReportOrigin.NZA).count() == 2
    # The same file again changes nothing.
    out = StringIO()
    call_command("import_nza_waiting_times", str(path), stdout=out)
    assert "0 created, 0 updated, 2 unchanged" in out.getvalue()


def test_command_refuses_a_file_of_neither_layout(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a;b\n1;2\n")
    with pytest.raises(CommandError):
        call_command("import_nza_waiting_times", str(path), stdout=StringIO(), stderr=StringIO())
    assert WaitingTimeImport.objects.get().status == "failed"


# --- the upload page ---------------------------------------------------------------------------
def test_operator_uploads_and_sees_result(
    client, operator, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(operator)
    assert "National NZa import" in client.get("/").content.decode()  # in the navigation
    upload = SimpleUploadedFile("nza.csv", national_file(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(UPLOAD_URL, {"file": upload})
    assert response.status_code == 302
    job = WaitingTimeImport.objects.get()
    assert job.created_by == operator and job.scope == "national"
    assert job.status == "succeeded", job.errors
    page = client.get(response["Location"]).content.decode()
    assert "2 waiting times imported." in page
    assert "Fictieve enkeloperatie (orthopedie)" in page  # created for review
    assert "<code>SPECIALISME</code>" in page  # the skipped line
    assert Provider.objects.filter(agb_code="06555001").exists()
    assert "nza.csv" in client.get(UPLOAD_URL).content.decode()


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.PLANNER, Role.REGULATOR])
def test_organisation_users_may_not_import(client, role, insurer, provider_org, regulator_org):
    organisation = {
        Role.MEDIATOR: insurer,
        Role.PLANNER: provider_org,
        Role.REGULATOR: regulator_org,
    }[role]
    client.force_login(member(role, organisation))
    assert client.get(UPLOAD_URL).status_code == 403
    upload = SimpleUploadedFile("nza.csv", national_file(), content_type="text/csv")
    assert client.post(UPLOAD_URL, {"file": upload}).status_code == 403
    assert not WaitingTimeImport.objects.exists()


def test_staff_without_superuser_and_anonymous_may_not_import(client):
    assert client.get(UPLOAD_URL).status_code == 302  # to the login page
    client.force_login(UserFactory(is_staff=True))
    assert client.get(UPLOAD_URL).status_code == 403


def test_a_provider_import_is_not_shown_on_the_national_page(client, operator, provider_org):
    job = WaitingTimeImport.objects.create(provider=provider_org.provider, file_name="own.csv")
    client.force_login(operator)
    assert client.get(f"{UPLOAD_URL}{job.pk}/").status_code == 404


def test_insurer_api_key_cannot_import_the_national_file(api_client, api_key_for, insurer):
    key = api_key_for(insurer)
    upload = SimpleUploadedFile("nza.csv", national_file(), content_type="text/csv")
    response = api_client.post(
        "/api/v1/waiting-times/import/",
        {"file": upload},
        format="multipart",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert response.status_code == 403
    assert not WaitingTimeReport.objects.exists()


# --- the scheduled fetch -----------------------------------------------------------------------
class _Server:
    def __init__(self, status: int, body: bytes):
        self.status, self.body, self.requests = status, body, 0


@pytest.fixture
def http_server() -> Iterator[tuple[str, _Server]]:
    state = _Server(200, b"")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests += 1
            self.send_response(state.status)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/wachttijden.csv", state
    server.shutdown()
    server.server_close()


def test_fetch_is_off_without_a_url(settings):
    settings.NZA_OPEN_DATA_URL = ""
    assert nza_open_data_fetch.apply().get() == "off"
    assert not WaitingTimeImport.objects.exists()
    assert "providers-nza-open-data-fetch" in settings.CELERY_BEAT_SCHEDULE


def test_fetch_downloads_and_imports(
    settings, http_server, eager_tasks, django_capture_on_commit_callbacks
):
    url, server = http_server
    server.body = national_file()
    settings.NZA_OPEN_DATA_URL = url
    with django_capture_on_commit_callbacks(execute=True):
        result = nza_open_data_fetch.apply().get()
    job = WaitingTimeImport.objects.get()
    assert result == f"import {job.pk}"
    assert (job.scope, job.status, job.file_name) == ("national", "succeeded", "wachttijden.csv")
    assert job.counts["created"] == 2
    assert WaitingTimeReport.objects.get(series__kind="first_visit").reported_by == (
        "system:nza-import"
    )
    # The embedded beat runs its jobs every few minutes: no second download the same day.
    assert nza_open_data_fetch.apply().get() == "recent"
    assert server.requests == 1


@pytest.fixture
def eager_retries():
    """Eager Celery runs a retry at once, in the same call (a worker would wait 2, 4, 8 minutes);
    errors are kept in the results rather than raised from the nested calls."""
    previous = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = previous


def test_fetch_failure_is_logged_and_retried_never_a_crash(
    settings, http_server, caplog, eager_retries
):
    url, server = http_server
    server.status = 503
    settings.NZA_OPEN_DATA_URL = url
    with caplog.at_level(logging.WARNING, logger="providers.tasks"):
        result = nza_open_data_fetch.apply()
    assert server.requests == 4  # the first try and three retries
    attempts = [r.getMessage() for r in caplog.records if "failed (attempt" in r.getMessage()]
    assert len(attempts) == 4 and "attempt 4" in attempts[-1]
    assert result.failed()
    assert isinstance(result.result, OSError)  # the download error itself
    assert not WaitingTimeImport.objects.exists()


def test_embedded_beat_survives_a_failed_fetch(settings, http_server, caplog, eager_retries):
    from config.embedded_beat import periodic_jobs_run_due

    url, server = http_server
    server.status = 500
    settings.NZA_OPEN_DATA_URL = url
    settings.CELERY_BEAT_SCHEDULE = {
        "providers-nza-open-data-fetch": settings.CELERY_BEAT_SCHEDULE[
            "providers-nza-open-data-fetch"
        ]
    }
    with caplog.at_level(logging.ERROR):
        ran = periodic_jobs_run_due(now=timezone.now() + timedelta(days=1))
    assert ran == ["providers-nza-open-data-fetch"]  # and nothing was raised
    assert server.requests >= 1
    assert any("failed" in record.getMessage() for record in caplog.records)


# --- the source of a figure ---------------------------------------------------------------------
def _import(tmp_path) -> None:
    path = tmp_path / "nza.csv"
    path.write_bytes(national_file(unknown=False))
    call_command("import_nza_waiting_times", str(path), stdout=StringIO())


def test_current_api_names_the_source(api_client, tmp_path):
    _import(tmp_path)
    body = api_client.get("/api/v1/waiting-times/current/", {"specialism": "0305"}).json()
    assert body["count"] == 2
    assert {item["source"] for item in body["results"]} == {"nza"}


def test_search_page_shows_source_nza(client, tmp_path):
    _import(tmp_path)
    page = client.get("/wachttijden/", {"specialism": "0305"}).content.decode()
    assert 'data-source="nza"' in page
    assert "source: NZa" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    assert "bron: NZa" in client.get("/wachttijden/", {"specialism": "0305"}).content.decode()


def test_regional_report_counts_nza_figures(client, tmp_path, insurer):
    _import(tmp_path)
    client.force_login(member(Role.MEDIATOR, insurer))
    page = client.get("/rapportages/regio/NAZW/").content.decode()
    assert "1 with source: NZa" in page
    assert WaitingTimeSeries.objects.filter(current_origin="nza").count() == 2


def test_a_national_import_is_no_providers_import(client, api_client, planner, api_key_for):
    job = WaitingTimeImport.objects.create(scope="national", provider=None, file_name="nza.csv")
    client.force_login(planner)
    assert client.get(f"/wachttijden/upload/{job.pk}/").status_code == 404
    assert "nza.csv" not in client.get("/wachttijden/upload/").content.decode()
    key = api_key_for(planner.membership.organisation)
    response = api_client.get(
        f"/api/v1/waiting-times/imports/{job.pk}/", HTTP_AUTHORIZATION=f"Api-Key {key}"
    )
    assert response.status_code == 404


def test_planner_sees_which_own_figures_come_from_the_nza(client, planner, tmp_path):
    from tests.providers.factories import LocationFactory

    location = LocationFactory(provider=planner.membership.organisation.provider, code="06555140")
    day = nza_reference_date_on_or_before(timezone.localdate()).isoformat()
    where = f"{location.provider.agb_code};;;;{location.code};;;"
    path = tmp_path / "nza.csv"
    path.write_bytes(
        (f"{HEADER}\r\n1;{day};Polikliniekbezoek;30;Orthopedie (305);;{where}\r\n").encode()
    )
    call_command("import_nza_waiting_times", str(path), stdout=StringIO())
    client.force_login(planner)
    grid = client.get("/wachttijden/invoeren/").content.decode()
    assert 'data-source="nza"' in grid
    series = WaitingTimeSeries.objects.get(location=location)
    page = client.get(f"/wachttijden/reeks/{series.pk}/").content.decode()
    assert page.count('data-source="nza"') == 2  # the current figure and its history line
