"""The waiting-time reporting API (DESIGN §8): contract, all-or-nothing, errors and access."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role
from core.dates import date_display
from providers.models import (
    WaitingTimeImport,
    WaitingTimeReport,
    WaitingTimeRevision,
    WaitingTimeSeries,
)
from providers.tasks import waiting_time_import_run
from providers.waiting_times.rules import nza_reference_date_on_or_before
from tests.accounts.factories import member
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/waiting-times/"
IMPORT_URL = "/api/v1/waiting-times/import/"


def peildatum(cycles_back: int = 0):
    return nza_reference_date_on_or_before(timezone.localdate()) - timedelta(weeks=2 * cycles_back)


@pytest.fixture
def api(api_client):
    api_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return api_client


@pytest.fixture
def location(provider_org):
    return LocationFactory(provider=provider_org.provider, code="06020502")


@pytest.fixture
def foreign_location(other_provider_org):
    return LocationFactory(provider=other_provider_org.provider, code="07000001")


@pytest.fixture
def as_planner(api, planner, location):
    api.force_authenticate(planner)
    return api


def body(**overrides):
    values = {
        "location": "06020502",
        "specialism": "0305",
        "treatment": None,
        "kind": "first_visit",
        "days": 30,
        "insufficient_observations": False,
        "reference_date": peildatum().isoformat(),
    }
    values.update(overrides)
    return values


# --- POST /api/v1/waiting-times/ ---------------------------------------------------------------
def test_one_object_is_stored_and_answered(as_planner, location):
    response = as_planner.post(URL, body(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "location": "06020502",
        "specialism": "0305",
        "treatment": None,
        "kind": "first_visit",
        "days": 30,
        "insufficient_observations": False,
        "reference_date": peildatum().isoformat(),
    }
    series = WaitingTimeSeries.objects.get(location=location)
    assert (series.current_days, series.current_reference_date) == (30, peildatum())
    assert WaitingTimeReport.objects.get().source == "api"


def test_a_list_is_stored_and_answered_as_a_list(as_planner):
    items = [
        body(),
        body(kind="diagnostics", days=12),
        body(
            kind="treatment",
            treatment="cataract",
            specialism=None,
            days=None,
            insufficient_observations=True,
        ),
    ]
    response = as_planner.post(URL, items, format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert [item["kind"] for item in answer] == ["first_visit", "diagnostics", "treatment"]
    assert answer[2]["specialism"] == "0301"  # the treatment's specialism
    assert answer[2]["treatment"] == "cataract"
    assert answer[2]["days"] is None
    assert WaitingTimeReport.objects.count() == 3


def test_optional_fields_may_be_left_out(as_planner):
    response = as_planner.post(
        URL,
        {
            "location": "06020502",
            "kind": "treatment",
            "treatment": "cataract",
            "days": 40,
            "reference_date": peildatum().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_a_list_is_all_or_nothing_with_errors_per_item(as_planner):
    items = [
        body(),
        body(kind="diagnostics", days=-1),
        body(kind="treatment", specialism=None, treatment="cataract", days=20),
        body(kind="first_visit", treatment="cataract"),
    ]
    response = as_planner.post(URL, items, format="json")
    assert response.status_code == 400
    # DRF's list errors: the failing items' field errors, keyed by their position.
    errors = response.json()
    assert list(errors) == ["1", "3"]
    assert errors["1"] == {"days": ["A wait cannot be negative."]}
    assert list(errors["3"]) == ["treatment"]
    assert WaitingTimeReport.objects.count() == 0
    assert WaitingTimeSeries.objects.count() == 0


def test_domain_errors_of_one_object_are_field_keyed(as_planner):
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = as_planner.post(URL, body(specialism="0999", reference_date=future), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "specialism": ["Unknown specialism “0999”."],
        "reference_date": [
            f"The reference date {date_display(date.fromisoformat(future))} is in the future."
        ],
    }


def test_duplicates_inside_one_list(as_planner):
    response = as_planner.post(URL, [body(), body(days=31)], format="json")
    assert response.status_code == 400
    assert response.json() == {
        "1": {
            "non_field_errors": [
                "Row 0 already has this location, kind, specialism or treatment and reference date."
            ]
        }
    }
    assert not WaitingTimeReport.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"days": "many"}, "days"),
        ({"days": 5000}, "days"),
        ({"kind": "outpatient"}, "kind"),
        ({"reference_date": "17-11-2026"}, "reference_date"),
        ({"location": None}, "location"),
    ],
)
def test_type_errors_name_the_field(as_planner, overrides, field):
    response = as_planner.post(URL, body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_days_above_three_years_says_so(as_planner):
    response = as_planner.post(URL, body(days=1096), format="json")
    assert response.json() == {
        "days": ["A wait of more than 3 years (1095 days) is not plausible."]
    }


def test_days_and_insufficient_observations_together_are_refused(as_planner):
    response = as_planner.post(URL, body(insufficient_observations=True), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["days"]


def test_a_correction_keeps_the_old_value(as_planner):
    assert as_planner.post(URL, body(days=30), format="json").status_code == 201
    assert as_planner.post(URL, body(days=35), format="json").status_code == 201
    assert WaitingTimeReport.objects.get().days == 35
    assert WaitingTimeRevision.objects.get().days == 30


def test_a_foreign_location_is_refused_like_an_unknown_one(as_planner, foreign_location):
    foreign = as_planner.post(URL, [body(), body(location="07000001")], format="json")
    missing = as_planner.post(URL, [body(), body(location="07000002")], format="json")
    assert foreign.status_code == missing.status_code == 400
    foreign_message = foreign.json()["1"]["location"][0].replace("07000001", "X")
    assert foreign_message == missing.json()["1"]["location"][0].replace("07000002", "X")
    assert not WaitingTimeReport.objects.exists()


def test_empty_list_and_wrong_body(as_planner):
    assert as_planner.post(URL, [], format="json").status_code == 400
    assert as_planner.post(URL, "text", format="json").status_code == 400
    assert not WaitingTimeReport.objects.exists()


def test_a_provider_api_key_acts_as_planner(api, location, provider_org, api_key_for):
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(provider_org)}")
    response = api.post(URL, body(), format="json")
    assert response.status_code == 201
    assert WaitingTimeReport.objects.get().reported_by.startswith("api-key:")


def test_anonymous_is_401(api, location):
    assert api.post(URL, body(), format="json").status_code == 401
    assert api.post(IMPORT_URL, {}, format="multipart").status_code == 401


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.PROVIDER_ADMIN, Role.REGULATOR])
def test_other_roles_are_403(api, location, role, insurer, provider_org, regulator_org):
    organisation = {
        Role.MEDIATOR: insurer,
        Role.PROVIDER_ADMIN: provider_org,
        Role.REGULATOR: regulator_org,
    }[role]
    api.force_authenticate(member(role, organisation))
    assert api.post(URL, body(), format="json").status_code == 403
    assert api.post(IMPORT_URL, {}, format="multipart").status_code == 403
    assert not WaitingTimeReport.objects.exists()


def test_an_insurer_api_key_is_403(api, location, insurer, api_key_for):
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(insurer)}")
    assert api.post(URL, body(), format="json").status_code == 403


# --- POST /api/v1/waiting-times/import/ ------------------------------------------------------
HEADER = "location,specialism,treatment,kind,days,insufficient_observations,reference_date\n"


def upload(content: str | bytes, name: str = "wachttijden.csv"):
    data = content.encode() if isinstance(content, str) else content
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


def test_import_our_layout(as_planner, location):
    day = peildatum().isoformat()
    csv = (
        HEADER
        + f"06020502,0305,,first_visit,30,,{day}\n"
        + f"06020502,0305,,diagnostics,14,false,{day}\n"
        + f"06020502,,cataract,treatment,,true,{day}\n"
    )
    response = as_planner.post(IMPORT_URL, upload(csv), format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json() == {"imported": 3}
    assert set(WaitingTimeReport.objects.values_list("source", flat=True)) == {"csv"}


def test_import_with_an_error_stores_nothing_and_names_line_and_column(as_planner, location):
    day = peildatum().isoformat()
    csv = (
        HEADER
        + f"06020502,0305,,first_visit,30,,{day}\n"
        + f"06020502,0305,,diagnostics,-2,,{day}\n"
        + f"06020502,0305,,first_visit,31,,{day}\n"
    )
    response = as_planner.post(IMPORT_URL, upload(csv), format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"row": 3, "field": "days", "message": "A wait cannot be negative."},
            {
                "row": 4,
                "field": None,
                "message": "Row 2 already has this location, kind, specialism or treatment "
                "and reference date.",
            },
        ]
    }
    assert not WaitingTimeReport.objects.exists()


def test_import_a_days_cell_of_thousands_of_digits_is_a_row_error(as_planner, location):
    day = peildatum().isoformat()
    csv = (
        HEADER
        + f"06020502,0305,,first_visit,30,,{day}\n"
        + f"06020502,0305,,diagnostics,{'9' * 5000},,{day}\n"
    )
    response = as_planner.post(IMPORT_URL, upload(csv), format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "row": 3,
                "field": "days",
                "message": "A wait of more than 3 years (1095 days) is not plausible.",
            }
        ]
    }
    assert not WaitingTimeReport.objects.exists()


def test_import_nza_days_cell_of_thousands_of_digits_is_a_row_error(as_planner, location):
    csv = (
        "TYPE_WACHTTIJD;WACHTTIJD;SPECIALISME;AGB_CODE_LOCATIE;PEILDATUM\n"
        f"Diagnostiek;{'9' * 5000},0;Orthopedie (305);06020502;{peildatum().isoformat()}\n"
    )
    response = as_planner.post(IMPORT_URL, upload(csv), format="multipart")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["row"], error["field"]) == (2, "WACHTTIJD")
    assert "not plausible" in error["message"]


def test_import_refuses_foreign_locations(as_planner, foreign_location):
    csv = HEADER + f"07000001,0305,,first_visit,30,,{peildatum().isoformat()}\n"
    response = as_planner.post(IMPORT_URL, upload(csv), format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "location"
    assert not WaitingTimeReport.objects.exists()


def test_import_nza_layout_in_latin_1(as_planner, location):
    day = peildatum()
    csv = (
        "ID;TYPE_WACHTTIJD;WACHTTIJD;SPECIALISME;AGB_CODE_LOCATIE;PEILDATUM;BEHANDELING\n"
        f"1;Polikliniekbezoek;30;Orthopedie (305);06020502;{day:%d-%m-%Y};\n"
        f"2;Diagnostiek;12;Orthopedie (305);06020502;{day:%d-%m-%Y};\n"
        f"3;Behandeling;45;Oogheelkunde (301);06020502;{day:%d-%m-%Y};Staaroperatie\n"
    )
    response = as_planner.post(IMPORT_URL, upload(csv.encode("iso-8859-1")), format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json() == {"imported": 3}


def test_import_nza_treatment_lines_by_the_nzas_treatment_names(as_planner, location):
    day = peildatum()
    csv = (
        "TYPE_WACHTTIJD;WACHTTIJD;SPECIALISME;AGB_CODE_LOCATIE;PEILDATUM;BEHANDELING\n"
        f"Behandeling;45;Oogheelkunde (301);06020502;{day:%d-%m-%Y};Cataract-operatie\n"
        f"Behandeling;80;Orthopedie (305);06020502;{day:%d-%m-%Y};"
        "Initiele totale knie vervanging (orthopedie)\n"
        f"Behandeling;20;Orthopedie (305);06020502;{day:%d-%m-%Y};"
        "Diagnostische en/of therapeutische kijkoperatie knie (orthopedie)\n"
    )
    response = as_planner.post(IMPORT_URL, upload(csv.encode("iso-8859-1")), format="multipart")
    assert response.status_code == 201, response.json()
    assert dict(WaitingTimeReport.objects.values_list("series__treatment__code", "days")) == {
        "cataract": 45,
        "total-knee-replacement": 80,
        "knee-arthroscopy": 20,
    }


def test_import_nza_errors_use_the_nza_column_names(as_planner, location):
    csv = (
        "TYPE_WACHTTIJD;WACHTTIJD;SPECIALISME;AGB_CODE_LOCATIE;PEILDATUM\n"
        f"Polikliniekbezoek;veel;Orthopedie (305);06020502;{peildatum().isoformat()}\n"
        f"Spoed;1;Orthopedie (305);06020502;{peildatum().isoformat()}\n"
    )
    response = as_planner.post(IMPORT_URL, upload(csv), format="multipart")
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [
        (2, "WACHTTIJD"),
        (3, "TYPE_WACHTTIJD"),
    ]


def test_import_refuses_an_unknown_layout(as_planner):
    response = as_planner.post(IMPORT_URL, upload("a,b,c\n1,2,3\n"), format="multipart")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["row"] == 1
    assert "location,specialism,treatment,kind,days" in error["message"]


def test_import_without_a_file(as_planner):
    response = as_planner.post(IMPORT_URL, {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"


# --- Large files: the task queue (202) and GET /api/v1/waiting-times/imports/{id}/ ---------------
def three_rows() -> str:
    day = peildatum().isoformat()
    return (
        HEADER
        + f"06020502,0305,,first_visit,30,,{day}\n"
        + f"06020502,0305,,diagnostics,14,,{day}\n"
        + f"06020502,,cataract,treatment,,true,{day}\n"
    )


@pytest.fixture(params=["in memory", "on disk"])
def upload_handling(request, settings):
    """Django keeps a small upload in memory and writes a large one to a temporary file."""
    if request.param == "on disk":
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    return request.param


def test_a_file_up_to_the_threshold_is_imported_while_the_client_waits(
    as_planner, settings, upload_handling
):
    content = three_rows()
    settings.WAITING_TIME_IMPORT_SYNC_MAX_BYTES = len(content.encode())
    response = as_planner.post(IMPORT_URL, upload(content), format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json() == {"imported": 3}
    assert not WaitingTimeImport.objects.exists()


def test_a_larger_file_goes_to_the_task_queue_and_answers_its_status(
    as_planner, settings, upload_handling, celery_eager, django_capture_on_commit_callbacks
):
    content = three_rows()
    settings.WAITING_TIME_IMPORT_SYNC_MAX_BYTES = len(content.encode()) - 1
    # (In a test's transaction the task starts when this block ends, after the answer.)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_planner.post(IMPORT_URL, upload(content), format="multipart")
    assert response.status_code == 202, response.json()
    job = WaitingTimeImport.objects.get()
    url = f"http://testserver/api/v1/waiting-times/imports/{job.pk}/"
    assert response["Location"] == response.json()["url"] == url
    answer = as_planner.get(url).json()
    assert answer == {
        "id": job.pk,
        "url": url,
        "file_name": "wachttijden.csv",
        "status": "succeeded",
        "progress": 100,
        "imported": 3,
        "counts": {"created": 3, "updated": 0, "unchanged": 0},
        "errors": [],
        "created_at": answer["created_at"],
        "finished_at": answer["finished_at"],
    }
    assert answer["finished_at"] is not None
    assert WaitingTimeReport.objects.filter(source="csv").count() == 3
    assert not job.chunks.exists()  # the stored file is gone


@pytest.mark.django_db(transaction=True)
def test_with_eager_tasks_the_202_answer_already_tells_the_outcome(
    reference_data, as_planner, settings, celery_eager
):
    """The embedded default: no broker, the task runs inline when the upload commits."""
    settings.WAITING_TIME_IMPORT_SYNC_MAX_BYTES = 10
    response = as_planner.post(IMPORT_URL, upload(three_rows()), format="multipart")
    assert response.status_code == 202
    answer = response.json()
    assert (answer["status"], answer["progress"], answer["imported"]) == ("succeeded", 100, 3)
    assert WaitingTimeReport.objects.count() == 3


def test_a_queued_file_with_errors_fails_with_its_row_errors(
    as_planner, settings, celery_eager, django_capture_on_commit_callbacks
):
    content = three_rows() + f"06020502,0305,,first_visit,{'9' * 5000},,2026-11-17\n"
    settings.WAITING_TIME_IMPORT_SYNC_MAX_BYTES = 100
    with django_capture_on_commit_callbacks(execute=True):
        response = as_planner.post(IMPORT_URL, upload(content), format="multipart")
    assert response.status_code == 202
    answer = as_planner.get(response.json()["url"]).json()
    assert (answer["status"], answer["imported"], answer["counts"]) == ("failed", 0, {})
    assert answer["errors"] == [
        {
            "row": 5,
            "field": "days",
            "message": "A wait of more than 3 years (1095 days) is not plausible.",
        }
    ]
    assert not WaitingTimeReport.objects.exists()


def test_a_queued_import_is_pending_until_a_worker_runs_it(
    as_planner, settings, django_capture_on_commit_callbacks
):
    settings.WAITING_TIME_IMPORT_SYNC_MAX_BYTES = 10
    with django_capture_on_commit_callbacks(execute=False):  # no worker has picked it up yet
        response = as_planner.post(IMPORT_URL, upload(three_rows()), format="multipart")
    assert response.status_code == 202
    answer = response.json()
    assert (answer["status"], answer["progress"], answer["finished_at"]) == ("pending", 0, None)
    assert not WaitingTimeReport.objects.exists()
    assert waiting_time_import_run(answer["id"]) == "succeeded"
    assert as_planner.get(answer["url"]).json()["status"] == "succeeded"
    assert WaitingTimeReport.objects.count() == 3


def test_a_queued_import_sent_with_an_api_key_acts_as_that_key(
    api, location, provider_org, api_key_for, settings, celery_eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(provider_org)}")
    settings.WAITING_TIME_IMPORT_SYNC_MAX_BYTES = 10
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(IMPORT_URL, upload(three_rows()), format="multipart")
    assert response.status_code == 202
    assert api.get(response.json()["url"]).json()["status"] == "succeeded"
    job = WaitingTimeImport.objects.get()
    assert job.created_by is None and job.api_key.organisation == provider_org
    assert {r.reported_by for r in WaitingTimeReport.objects.all()} == {
        f"api-key:{job.api_key.prefix}"
    }


def test_the_status_of_the_providers_own_imports_only(
    as_planner, planner, provider_org, other_provider_org
):
    own = WaitingTimeImport.objects.create(
        provider=provider_org.provider,
        created_by=planner,
        file_name="eigen.csv",
        status="running",
        progress=42,
    )
    foreign = WaitingTimeImport.objects.create(
        provider=other_provider_org.provider,
        created_by=member(Role.PLANNER, other_provider_org),
        file_name="vreemd.csv",
    )
    answer = as_planner.get(f"/api/v1/waiting-times/imports/{own.pk}/").json()
    assert (answer["file_name"], answer["status"], answer["progress"]) == (
        "eigen.csv",
        "running",
        42,
    )
    assert as_planner.get(f"/api/v1/waiting-times/imports/{foreign.pk}/").status_code == 404
    assert as_planner.get("/api/v1/waiting-times/imports/999999/").status_code == 404


def test_the_providers_api_key_reads_a_web_uploads_status(
    api, planner, provider_org, other_provider_org, api_key_for
):
    upload_job = WaitingTimeImport.objects.create(
        provider=provider_org.provider, created_by=planner, file_name="web.csv"
    )
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(other_provider_org)}")
    assert api.get(f"/api/v1/waiting-times/imports/{upload_job.pk}/").status_code == 404
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(provider_org)}")
    assert api.get(f"/api/v1/waiting-times/imports/{upload_job.pk}/").json()["status"] == "pending"


def test_the_import_status_is_for_planners(api, planner, provider_org, insurer, api_key_for):
    job = WaitingTimeImport.objects.create(
        provider=provider_org.provider, created_by=planner, file_name="x.csv"
    )
    url = f"/api/v1/waiting-times/imports/{job.pk}/"
    assert api.get(url).status_code == 401
    api.force_authenticate(member(Role.PROVIDER_ADMIN, provider_org))
    assert api.get(url).status_code == 403
    api.force_authenticate(None)
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(insurer)}")
    assert api.get(url).status_code == 403
