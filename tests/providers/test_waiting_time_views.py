"""The planners' waiting-time pages: the grid (enter and correct, all or nothing, errors next to
the cells, input kept), adding a series, the upload with its progress and row errors, the history
of a series, the stale reminder, and access (planners only; foreign series and imports 404)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.actors import actor_for_user
from accounts.models import Role
from config.celery import app
from core.dates import date_display
from providers.models import (
    ReportSource,
    WaitingTimeImport,
    WaitingTimeReport,
    WaitingTimeRevision,
    WaitingTimeSeries,
)
from providers.waiting_times.csv_reader import WaitingTimeRow
from providers.waiting_times.rules import nza_reference_date_on_or_before
from providers.waiting_times.storage import waiting_time_reports_record
from tests.accounts.factories import member
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/wachttijden/invoeren/"
UPLOAD_URL = "/wachttijden/upload/"
HEADER = "location,specialism,treatment,kind,days,insufficient_observations,reference_date\n"


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def location(provider_org):
    return LocationFactory(provider=provider_org.provider, code="06020502", name="Hoofdlocatie")


@pytest.fixture
def as_planner(client, planner, location):
    client.force_login(planner)
    return client


@pytest.fixture
def eager_tasks():
    """Run the upload's task inline, as the embedded default does (also when CI sets a broker)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def peildatum(cycles_back: int = 0):
    return nza_reference_date_on_or_before(timezone.localdate()) - timedelta(weeks=2 * cycles_back)


def report(planner, **values):
    fields = {
        "location": "06020502",
        "kind": "first_visit",
        "specialism": "0305",
        "days": 30,
        "reference_date": peildatum(),
    }
    fields.update(values)
    waiting_time_reports_record(
        rows=[WaitingTimeRow(row=1, **fields)],
        actor=actor_for_user(planner),
        source=ReportSource.API,
    )
    return WaitingTimeSeries.objects.get(
        location__code=fields["location"], kind=fields["kind"], specialism__code="0305"
    )


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- The grid ----------------------------------------------------------------------------------
def test_the_grid_shows_the_current_figures(as_planner, planner):
    series = report(planner, days=30)
    report(planner, kind="diagnostics", days=12)
    response = as_planner.get(LIST_URL)
    assert response.status_code == 200
    page = text(response)
    assert "Hoofdlocatie" in page and "Orthopedie" in page
    assert f'id="series-{series.pk}"' in page
    assert "30 <span" in page  # the current wait (with its weeks)
    assert f'name="days_{series.pk}"' in page
    assert response.context["form"]["reference_date"].value() == peildatum()
    assert response.context["stale_count"] == 0
    assert 'id="stale-reminder"' not in page


def test_the_opened_grid_writes_each_cell_as_the_form_would(as_planner, planner):
    """The grid's rows are written by a tag (for speed): an opened grid's inputs are the form's
    own widgets, character for character, with labels pointing at them."""
    series = report(planner, days=30)
    response = as_planner.get(LIST_URL)
    page = text(response)
    form = response.context["form"]
    for name in (f"days_{series.pk}", f"insufficient_{series.pk}"):
        assert str(form[name]) in page
        assert f'for="{form[name].id_for_label}"' in page
    assert f'<a href="/wachttijden/reeks/{series.pk}/">' in page


def test_new_figures_are_saved_for_the_chosen_peildatum(as_planner, planner):
    first = report(planner, days=30, reference_date=peildatum(1))
    second = report(planner, kind="diagnostics", days=12, reference_date=peildatum(1))
    response = as_planner.post(
        LIST_URL,
        {
            "reference_date": peildatum().isoformat(),
            f"days_{first.pk}": "33",
            f"insufficient_{second.pk}": "on",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.current_days, first.current_reference_date) == (33, peildatum())
    assert second.current_insufficient_observations is True
    assert WaitingTimeReport.objects.filter(source="web").count() == 2
    followed = as_planner.get(response["Location"])
    assert "2 new, 0 corrected, 0 unchanged" in text(followed)


def test_one_bad_cell_saves_nothing_and_keeps_the_input(as_planner, planner):
    first = report(planner, days=30)
    second = report(planner, kind="diagnostics", days=12)
    response = as_planner.post(
        LIST_URL,
        {
            "reference_date": peildatum().isoformat(),
            f"days_{first.pk}": "40",
            f"days_{second.pk}": "-4",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors[f"days_{second.pk}"] == ["A wait cannot be negative."]
    page = text(response)
    assert 'value="40"' in page and 'value="-4"' in page  # nothing typed is lost
    assert "table-danger" in page
    assert WaitingTimeReport.objects.filter(source="web").count() == 0
    first.refresh_from_db()
    assert first.current_days == 30


def test_a_days_cell_of_thousands_of_digits_is_an_error_on_the_cell(as_planner, planner):
    series = report(planner, days=30)
    response = as_planner.post(
        LIST_URL, {"reference_date": peildatum().isoformat(), f"days_{series.pk}": "9" * 5000}
    )
    assert response.status_code == 400
    assert response.context["form"].errors[f"days_{series.pk}"] == [
        "A wait of more than 3 years (1095 days) is not plausible."
    ]


def test_a_future_peildatum_is_one_error_on_the_date(as_planner, planner):
    first = report(planner)
    second = report(planner, kind="diagnostics")
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = as_planner.post(
        LIST_URL,
        {"reference_date": future, f"days_{first.pk}": "1", f"days_{second.pk}": "2"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["reference_date"] == [
        f"The reference date {date_display(date.fromisoformat(future))} is in the future."
    ]


def test_a_correction_keeps_a_revision_and_shows_in_the_history(as_planner, planner):
    series = report(planner, days=30)
    response = as_planner.post(
        LIST_URL, {"reference_date": peildatum().isoformat(), f"days_{series.pk}": "35"}
    )
    assert response.status_code == 302
    assert WaitingTimeRevision.objects.get().days == 30
    history = as_planner.get(f"/wachttijden/reeks/{series.pk}/")
    assert history.status_code == 200
    page = text(history)
    assert "was: 30 days" in page
    assert 'data-chart="trend-chart"' in page
    assert 'id="trend-chart"' in page
    assert "chart.umd.min.js" in page


def test_an_empty_submission_asks_for_a_figure(as_planner, planner):
    report(planner)
    response = as_planner.post(LIST_URL, {"reference_date": peildatum().isoformat()})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()


def test_stale_series_are_counted_in_a_reminder(as_planner, planner):
    report(planner, reference_date=timezone.localdate() - timedelta(days=40))
    report(planner, kind="diagnostics")
    response = as_planner.get(LIST_URL)
    assert response.context["stale_count"] == 1
    page = text(response)
    assert 'id="stale-reminder"' in page
    assert "1 of your waiting-time series is out of date." in page
    assert "stale</span>" in page
    assert 'id="stale-reminder"' in text(as_planner.get(UPLOAD_URL))


def test_add_a_series(as_planner, location):
    response = as_planner.post(
        "/wachttijden/reeks/nieuw/",
        {
            "series-location": location.code,
            "series-kind": "treatment",
            "series-treatment": "cataract",
        },
    )
    assert response.status_code == 302
    series = WaitingTimeSeries.objects.get()
    assert series.treatment.code == "cataract"
    assert f"#series-{series.pk}" in response["Location"]


def test_add_a_series_with_an_error(as_planner, location):
    response = as_planner.post(
        "/wachttijden/reeks/nieuw/",
        {"series-location": location.code, "series-kind": "first_visit"},
    )
    assert response.status_code == 400
    assert response.context["series_form"].errors["specialism"]
    assert not WaitingTimeSeries.objects.exists()


def test_the_grid_only_shows_own_series(as_planner, planner, other_provider_org):
    report(planner)
    foreign = WaitingTimeSeries.objects.create(
        location=LocationFactory(provider=other_provider_org.provider),
        specialism_id=WaitingTimeSeries.objects.get().specialism_id,
        kind="first_visit",
    )
    response = as_planner.get(LIST_URL)
    assert f'id="series-{foreign.pk}"' not in text(response)
    # A forged cell for a foreign series is ignored: it is not part of the form.
    as_planner.post(
        LIST_URL, {"reference_date": peildatum().isoformat(), f"days_{foreign.pk}": "3"}
    )
    assert not foreign.reports.exists()


def test_foreign_series_and_imports_are_404(as_planner, other_provider_org):
    foreign_planner = member(Role.PLANNER, other_provider_org)
    LocationFactory(provider=other_provider_org.provider, code="07000001")
    series = WaitingTimeSeries.objects.create(
        location=other_provider_org.provider.locations.get(),
        specialism_id=1,
        kind="first_visit",
    )
    job = WaitingTimeImport.objects.create(
        provider=other_provider_org.provider, created_by=foreign_planner, file_name="x.csv"
    )
    assert as_planner.get(f"/wachttijden/reeks/{series.pk}/").status_code == 404
    assert as_planner.get("/wachttijden/reeks/999999/").status_code == 404
    assert as_planner.get(f"/wachttijden/upload/{job.pk}/").status_code == 404


@pytest.mark.parametrize(
    "url", [LIST_URL, UPLOAD_URL, "/wachttijden/reeks/1/", "/wachttijden/upload/1/"]
)
def test_only_planners(client, url, mediator, provider_admin):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(mediator)
    assert client.get(url).status_code == 403
    client.force_login(provider_admin)
    assert client.get(url).status_code == 403


# --- The upload -------------------------------------------------------------------------------
def csv_upload(content: str):
    return SimpleUploadedFile("wachttijden.csv", content.encode(), content_type="text/csv")


def test_upload_imports_and_shows_the_result(
    as_planner, location, eager_tasks, django_capture_on_commit_callbacks
):
    day = peildatum().isoformat()
    content = (
        HEADER + f"06020502,0305,,first_visit,30,,{day}\n06020502,0305,,diagnostics,9,,{day}\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = as_planner.post(UPLOAD_URL, {"file": csv_upload(content)})
    assert response.status_code == 302
    job = WaitingTimeImport.objects.get()
    assert response["Location"] == f"/wachttijden/upload/{job.pk}/"
    page = text(as_planner.get(response["Location"]))
    assert "2 waiting times imported." in page
    assert "hx-trigger" not in page  # finished: no more polling
    assert WaitingTimeReport.objects.count() == 2


def test_upload_with_errors_shows_them_per_line(
    as_planner, location, eager_tasks, django_capture_on_commit_callbacks
):
    day = peildatum().isoformat()
    content = HEADER + f"06020502,0305,cataract,first_visit,30,,{day}\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = as_planner.post(UPLOAD_URL, {"file": csv_upload(content)})
    page = text(as_planner.get(response["Location"]))
    assert "Nothing was imported." in page
    assert '<td class="text-end">2</td> <td><code>treatment</code></td>' in page
    assert not WaitingTimeReport.objects.exists()


def test_upload_with_a_days_cell_of_thousands_of_digits_names_line_and_column(
    as_planner, location, eager_tasks, django_capture_on_commit_callbacks
):
    day = peildatum().isoformat()
    content = HEADER + f"06020502,0305,,first_visit,{'9' * 5000},,{day}\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = as_planner.post(UPLOAD_URL, {"file": csv_upload(content)})
    job = WaitingTimeImport.objects.get()
    assert job.status == "failed"
    assert job.errors == [
        {
            "row": 2,
            "field": "days",
            "message": "A wait of more than 3 years (1095 days) is not plausible.",
        }
    ]
    page = text(as_planner.get(response["Location"]))
    assert '<td class="text-end">2</td> <td><code>days</code></td>' in page
    assert not WaitingTimeReport.objects.exists()


def test_a_running_import_is_polled_by_htmx(as_planner, planner, provider_org):
    job = WaitingTimeImport.objects.create(
        provider=provider_org.provider,
        created_by=planner,
        file_name="groot.csv",
        status="running",
        progress=42,
    )
    page = text(as_planner.get(f"/wachttijden/upload/{job.pk}/"))
    assert 'hx-trigger="every 1s"' in page
    assert '<progress class="w-100 import-progress" max="100" value="42"' in page
    assert "<html" in page
    fragment = as_planner.get(f"/wachttijden/upload/{job.pk}/", HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()
    assert 'id="import-status"' in fragment.content.decode()


def test_upload_without_a_file(as_planner):
    response = as_planner.post(UPLOAD_URL, {})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not WaitingTimeImport.objects.exists()


def test_upload_page_lists_recent_uploads(as_planner, planner, provider_org, other_provider_org):
    WaitingTimeImport.objects.create(
        provider=provider_org.provider, created_by=planner, file_name="eigen.csv"
    )
    WaitingTimeImport.objects.create(provider=other_provider_org.provider, file_name="vreemd.csv")
    page = text(as_planner.get(UPLOAD_URL))
    assert "eigen.csv" in page and "vreemd.csv" not in page
